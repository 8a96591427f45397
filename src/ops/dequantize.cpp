// DEQUANTIZE int8 / uint8 activations -> float (shaders/dequantize.comp, dequantize_output.comp): scale * (q -
// zero_point), per tensor or per channel along the last axis.  (DEQUANTIZE of float16 / int8 constants is folded
// when the model is imported.)
#include <algorithm>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

}  // namespace

KernelPtr make_dequantize(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const auto [in, out] = op_io(g, op, where, false);
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported (folded at import)");
  TARE_CHECK(is_q8(in), TARE_ERROR_UNSUPPORTED,
             where + "input type " + dtype_name(in.dtype) + " is not supported (int8, uint8)");
  TARE_CHECK(out.dtype == DType::F32, TARE_ERROR_UNSUPPORTED, where + "the output must be float32");
  TARE_CHECK(in.quant.quantized(), TARE_ERROR_INVALID_MODEL, where + "the input has no quantization parameters");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(si.c == so.c && si.rows() == so.rows(), TARE_ERROR_UNSUPPORTED,
             where + "output shape must match the input's");
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const size_t nscale = in.quant.scale.size();
  TARE_CHECK(nscale == 1 || (in.quant.axis == (int)in.shape.size() - 1 && (int)nscale == si.c), TARE_ERROR_UNSUPPORTED,
             where + "per-channel parameters are supported along the last axis only");
  const int32_t flip = u8_flip(in);
  std::vector<float> scales((size_t)si.c, 0.0f);
  std::vector<int32_t> zeros((size_t)si.c, 0);
  for (int c = 0; c < si.c; c++) {
    const size_t k = nscale > 1 ? (size_t)c : 0;
    scales[(size_t)c] = in.quant.scale[k];
    zeros[(size_t)c] = (in.quant.zero_point.size() > k ? (int32_t)in.quant.zero_point[k] : 0) - flip;
  }
  return make_int_to_float(b, op, scales, zeros);
}

KernelPtr make_int_to_float(BuildContext& b, const Op& op, const std::vector<float>& scales,
                            const std::vector<int32_t>& device_zeros) {
  const Shape4 so = shape4(b.graph().tensors[op.outputs[0]].shape);
  std::vector<float> s4((size_t)so.c4() * 4, 0.0f);
  std::vector<int32_t> z4((size_t)so.c4() * 4, 0);
  std::copy(scales.begin(), scales.end(), s4.begin());
  std::copy(device_zeros.begin(), device_zeros.end(), z4.begin());
  const ConstSlice ss = b.add_constant_bytes(s4.data(), s4.size() * 4);
  const ConstSlice zs = b.add_constant_bytes(z4.data(), z4.size() * 4);
  const int32_t pc[3] = {(int32_t)(so.rows() * so.c4()), so.c, so.c4()};
  // A graph output is written as the caller reads it (float32 whatever the session's precision), saving the pass
  // that unpacks it from NHWC4 storage.
  const vk::BufferRange staged = b.claim_output_staging(op);
  if (staged.buffer) {
    auto p = b.context().pipeline("dequantize_output", {}, sizeof(pc), 4, kLocal, 1, 1);
    return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::b(staged), Binding::c(ss), Binding::c(zs)},
                         pc, grid_xz(pc[0], kLocal));
  }
  auto p = b.pipeline("dequantize", {}, sizeof(pc), 4, kLocal);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(ss), Binding::c(zs)}, pc,
                       grid_xz(pc[0], kLocal));
}

}  // namespace tare::ops
