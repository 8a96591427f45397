// QUANTIZE (shaders/quantize.comp, quantize_input.comp, quantize_requant.comp): float -> int8 / uint8 with TFLite's
// AffineQuantize (float division emulated exactly on the GPU), and int8 / uint8 -> int8 / uint8 requantization
// (TFLite's Requantize, multiplier double(in_scale) / double(out_scale)), as the integer reference computes them.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_quantize(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const auto [in, out] = op_io(g, op, where, false);
  check_not_const(in, where);
  TARE_CHECK(is_q8(out), TARE_ERROR_UNSUPPORTED,
             where + "output type " + dtype_name(out.dtype) + " is not supported (int8, uint8)");
  TARE_CHECK(out.quant.scale.size() == 1, TARE_ERROR_UNSUPPORTED, where + "the output needs one (per-tensor) scale");
  TARE_CHECK(in.dtype == DType::F32 || is_q8(in), TARE_ERROR_UNSUPPORTED,
             where + "input type " + dtype_name(in.dtype) + " is not supported (float32, int8, uint8)");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(si.c == so.c && si.rows() == so.rows(), TARE_ERROR_UNSUPPORTED,
             where + "output shape must match the input's");
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const float os = tensor_scale(out);
  TARE_CHECK(os > 0.0f && std::isfinite(os) && std::isnormal(os), TARE_ERROR_INVALID_MODEL,
             where + "invalid output scale");
  const int32_t flip_out = u8_flip(out);
  const int64_t total = so.rows() * so.c4();
  const std::vector<Binding> bindings = {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])};
  if (in.dtype == DType::F32) {
    uint32_t bits;
    std::memcpy(&bits, &os, 4);
    const int32_t pc[6] = {(int32_t)total, so.c, so.c4(), (int32_t)bits, device_zero_point(out) + flip_out, flip_out};
    // A graph input is read as the caller wrote it (float32 whatever the session's precision), saving the pass that
    // packs it into NHWC4 storage.
    const vk::BufferRange staged = b.claim_input_staging(op);
    if (staged.buffer) {
      auto p = b.context().pipeline("quantize_input", {}, sizeof(pc), 2, kLocal, 1, 1);
      return make_dispatch(std::move(p), {Binding::b(staged), Binding::t(op.outputs[0])}, pc, grid_xz(total, kLocal));
    }
    auto p = b.pipeline("quantize", {}, sizeof(pc), 2, kLocal);
    return make_dispatch(std::move(p), bindings, pc, grid_xz(total, kLocal));
  }
  TARE_CHECK(in.quant.scale.size() == 1 && in.quant.scale[0] > 0.0f, TARE_ERROR_INVALID_MODEL,
             where + "the input needs one positive scale");
  quant::QuantizedMultiplier m = quant::quantize_multiplier((double)tensor_scale(in) / (double)os);
  const int32_t pc[7] = {(int32_t)total,         so.c,         so.c4(), device_zero_point(in),
                         device_zero_point(out), m.multiplier, m.shift};
  auto p = b.pipeline_q8("quantize_requant", false, {kPer}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), bindings, pc, grid_xy(total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
