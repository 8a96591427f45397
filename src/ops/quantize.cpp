// QUANTIZE (shaders/quantize.comp, quantize_requant.comp): float -> int8 / uint8 with TFLite's AffineQuantize
// (float division emulated exactly on the GPU), and int8 / uint8 -> int8 / uint8 requantization (TFLite's Requantize,
// multiplier double(in_scale) / double(out_scale)), as the integer reference computes them.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

class QuantizeKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    if (total_ == 0) return;
    if (requant_) {
      uint32_t groups = div_up(total_, (int64_t)kLocal * kPer);
      uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
      rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, pc_, sizeof(pc_), gx, gy);
    } else {
      uint32_t gx, gz;
      split_groups(total_, kLocal, gx, gz);
      rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, pc_, 6 * 4, gx, 1, gz);
    }
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  bool requant_ = false;
  int64_t total_ = 0;
  int32_t pc_[7] = {};
};

}  // namespace

KernelPtr make_quantize(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (QUANTIZE): ";
  TARE_CHECK(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
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
  const int32_t flip_out = out.dtype == DType::U8 ? 128 : 0;
  auto k = std::make_unique<QuantizeKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->total_ = so.rows() * so.c4();
  if (in.dtype == DType::F32) {
    uint32_t bits;
    std::memcpy(&bits, &os, 4);
    int32_t pc[6] = {(int32_t)k->total_, so.c, so.c4(), (int32_t)bits, device_zero_point(out) + flip_out, flip_out};
    std::copy(pc, pc + 6, k->pc_);
    k->pipe_ = b.pipeline("quantize", {}, 6 * 4, 2, kLocal);
  } else {
    TARE_CHECK(in.quant.scale.size() == 1 && in.quant.scale[0] > 0.0f, TARE_ERROR_INVALID_MODEL,
               where + "the input needs one positive scale");
    k->requant_ = true;
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)tensor_scale(in) / (double)os);
    int32_t pc[7] = {(int32_t)k->total_,     so.c,         so.c4(), device_zero_point(in),
                     device_zero_point(out), m.multiplier, m.shift};
    std::copy(pc, pc + 7, k->pc_);
    k->pipe_ = b.pipeline_q8("quantize_requant", false, {kPer}, sizeof(k->pc_), 2, kLocal);
  }
  return k;
}

}  // namespace tare::ops
