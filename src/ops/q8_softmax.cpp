// 8-bit SOFTMAX over the last axis (shaders/q8_softmax.comp), TFLite's builtin kernel with its float exp table (built
// here with the reference's own quant::populate_softmax_table and uploaded as float32 constants).
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t rows, c, c4;
  float out_scale;
  int32_t zo;
};

class Q8SoftmaxKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    if (pc_.rows == 0) return;
    uint32_t gx, gz;
    split_groups(pc_.rows, kLocal, gx, gz);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_), res.constant(table_)}, &pc_, sizeof(pc_), gx, 1, gz);
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  ConstSlice table_;
  Push pc_{};
};

}  // namespace

KernelPtr make_q8_softmax(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (8-bit SOFTMAX): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(in) && is_q8(out), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(in.quant.quantized() && out.quant.quantized(), TARE_ERROR_INVALID_MODEL,
             where + "input and output need quantization parameters");
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(!in.shape.empty() && in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL,
             where + "output shape must equal the input's");
  Shape4 s = shape4(in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const float os = tensor_scale(out);
  // The emulated division needs 1 <= sum <= C and a normal quotient.
  TARE_CHECK(os > 1e-30f && os < 1e30f, TARE_ERROR_UNSUPPORTED, where + "output scale out of range");
  float table[256];
  quant::populate_softmax_table(tensor_scale(in), op.params.beta, table);
  auto k = std::make_unique<Q8SoftmaxKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->table_ = b.add_constant_bytes(table, sizeof(table));
  k->pc_ = {(int32_t)s.rows(), s.c, s.c4(), os, device_zero_point(out)};
  k->pipe_ = b.pipeline_q8("q8_softmax", false, {out.dtype == DType::U8 ? 1u : 0u}, sizeof(Push), 3, kLocal);
  return k;
}

}  // namespace tare::ops
