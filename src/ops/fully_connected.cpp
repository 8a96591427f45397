// FULLY_CONNECTED (shaders/fully_connected.comp): constant weights [units, depth] (float or dequantized), optional
// bias, fused activation, keep_num_dims.  The input is viewed as [batch, depth]; when its last dimension is depth
// its NHWC4 rows are exactly those rows, otherwise the shader gathers through the dense flat index.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t batch, depth, in4, out_c, out4;
  int32_t in_c, in_c4;
};

class FullyConnectedKernel : public Kernel {
 public:
  FullyConnectedKernel(std::shared_ptr<vk::Pipeline> p, int in, int out, ConstSlice w, ConstSlice bias, Push push,
                       int rows_per_invocation)
      : p_(std::move(p)), in_(in), out_(out), w_(w), bias_(bias), push_(push), rows_(rows_per_invocation) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    if (push_.batch == 0 || push_.out4 == 0) return;
    int64_t blocks = (push_.batch + rows_ - 1) / rows_;
    uint32_t gy = (uint32_t)std::min<int64_t>(blocks, 65535), gz = div_up(blocks, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.constant(w_), res.constant(bias_), res.tensor(out_)}, &push_,
                 sizeof(push_), div_up(push_.out4, kLocal), gy, gz);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  ConstSlice w_, bias_;
  Push push_;
  int rows_;
};

}  // namespace

KernelPtr make_fully_connected(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() >= 2 && op.inputs.size() <= 3 && op.outputs.size() == 1 && op.inputs[0] >= 0 &&
                 op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects input, weights, optional bias and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& wt = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(wt.is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant weights are not supported");
  TARE_CHECK(wt.shape.size() == 2 && wt.shape[0] >= 1 && wt.shape[1] >= 1, TARE_ERROR_INVALID_MODEL,
             where + "weights must have shape [units, depth]");
  TARE_CHECK(op.params.activation == Activation::None || op.params.activation == Activation::Relu ||
                 op.params.activation == Activation::ReluN1To1 || op.params.activation == Activation::Relu6,
             TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
  const int units = wt.shape[0], depth = wt.shape[1];
  TARE_CHECK(!in.shape.empty() && in.elements() % depth == 0, TARE_ERROR_INVALID_MODEL,
             where + "input does not fit the weights");
  const int64_t batch = in.elements() / depth;
  const Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(so.c == units && so.rows() == batch, TARE_ERROR_INVALID_MODEL, where + "output shape does not match");
  TARE_CHECK(batch * std::max(si.c4(), so.c4()) < INT32_MAX && (int64_t)in.elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const bool has_bias = op.inputs.size() == 3 && op.inputs[2] >= 0;
  const int in4 = (depth + 3) / 4, out4 = (units + 3) / 4;
  TARE_CHECK((int64_t)in4 * out4 * 16 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "weights too large");

  // Weights: [in4][out4][4 inputs j][4 units] (zero padded).
  std::vector<float> w = b.constant_as_float(op.inputs[1]);
  std::vector<float> packed((size_t)in4 * out4 * 16, 0.0f);
  for (int u = 0; u < units; u++)
    for (int d = 0; d < depth; d++) {
      size_t k = d / 4, j = d % 4, gi = u / 4, l = u % 4;
      packed[((k * out4 + gi) * 4 + j) * 4 + l] = w[(size_t)u * depth + d];
    }
  std::vector<float> bias((size_t)out4 * 4, 0.0f);
  if (has_bias) {
    TARE_CHECK(g.tensors[op.inputs[2]].is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant bias");
    std::vector<float> bv = b.constant_as_float(op.inputs[2]);
    TARE_CHECK((int)bv.size() == units, TARE_ERROR_INVALID_MODEL, where + "bias size does not match the units");
    std::copy(bv.begin(), bv.end(), bias.begin());
  }
  ConstSlice ws = b.add_constant_floats(packed);
  ConstSlice bs = b.add_constant_floats(bias);

  Push push{};
  push.batch = (int32_t)batch;
  push.depth = depth;
  push.in4 = in4;
  push.out_c = units;
  push.out4 = out4;
  push.in_c = si.c;
  push.in_c4 = si.c4();
  const uint32_t gather = si.c == depth ? 0 : 1;
  const int rows = batch >= 4 ? 4 : batch >= 2 ? 2 : 1;
  // fp16: partial sums over 2 input groups (8 products) before the fp32 accumulator; fp32: plain accumulation.
  const uint32_t chunk = b.fp16() ? 2 : 64;
  auto p = b.pipeline("fully_connected", {act_code(op.params.activation), gather, (uint32_t)rows, chunk},
                      sizeof(Push), 4, kLocal);
  return std::make_unique<FullyConnectedKernel>(std::move(p), op.inputs[0], op.outputs[0], ws, bs, push, rows);
}

}  // namespace tare::ops
