// DEQUANTIZE int8 / uint8 activations -> float (shaders/dequantize.comp): scale * (q - zero_point), per tensor or
// per channel along the last axis.  (DEQUANTIZE of float16 / int8 constants is folded when the model is imported.)
#include <algorithm>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

class DequantizeKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    if (pc_[0] == 0) return;
    uint32_t gx, gz;
    split_groups(pc_[0], kLocal, gx, gz);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_), res.constant(scales_), res.constant(zeros_)}, pc_,
                 sizeof(pc_), gx, 1, gz);
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  ConstSlice scales_, zeros_;
  int32_t pc_[3] = {};
};

}  // namespace

KernelPtr make_dequantize(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (DEQUANTIZE): ";
  TARE_CHECK(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
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
  const int32_t flip = in.dtype == DType::U8 ? 128 : 0;
  std::vector<float> scales((size_t)si.c4() * 4, 0.0f);
  std::vector<int32_t> zeros((size_t)si.c4() * 4, 0);
  for (int c = 0; c < si.c; c++) {
    const size_t k = nscale > 1 ? (size_t)c : 0;
    scales[(size_t)c] = in.quant.scale[k];
    zeros[(size_t)c] = (in.quant.zero_point.size() > k ? (int32_t)in.quant.zero_point[k] : 0) - flip;
  }
  auto k = std::make_unique<DequantizeKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->scales_ = b.add_constant_bytes(scales.data(), scales.size() * 4);
  k->zeros_ = b.add_constant_bytes(zeros.data(), zeros.size() * 4);
  k->pc_[0] = (int32_t)(so.rows() * so.c4());
  k->pc_[1] = so.c;
  k->pc_[2] = so.c4();
  k->pipe_ = b.pipeline("dequantize", {}, sizeof(k->pc_), 4, kLocal);
  return k;
}

}  // namespace tare::ops
