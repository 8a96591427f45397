// 8-bit FULLY_CONNECTED (TFLite integer semantics, bit-exact with src/ref's int reference): weights [units, depth]
// int8 (per-tensor or per-channel along axis 0) or uint8 with a zero point, optional int32 bias, fused activation.
// Per-tensor weights take TFLite's float-product multiplier; int8 inputs requantize with single rounding (ruy),
// uint8 with double rounding.  Shader: shaders/q8_fully_connected.comp.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t batch, depth, in4, out_c, out4, in_c, in_c4, in_zp, out_zp, act_min, act_max;
};

class Q8FullyConnected : public Kernel {
 public:
  Q8FullyConnected(std::shared_ptr<vk::Pipeline> p, int in, int out, ConstSlice w, ConstSlice table, Push push,
                   int rows)
      : p_(std::move(p)), in_(in), out_(out), w_(w), table_(table), push_(push), rows_(rows) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    if (push_.batch == 0 || push_.out4 == 0) return;
    int64_t blocks = (push_.batch + rows_ - 1) / rows_;
    uint32_t gy = (uint32_t)std::min<int64_t>(blocks, 65535), gz = div_up(blocks, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.constant(w_), res.constant(table_), res.tensor(out_)}, &push_,
                 sizeof(push_), div_up(push_.out4, kLocal), gy, gz);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  ConstSlice w_, table_;
  Push push_;
  int rows_;
};

}  // namespace

KernelPtr make_q8_fully_connected(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (FULLY_CONNECTED, 8-bit): ";
  TARE_CHECK(op.inputs.size() >= 2 && op.inputs.size() <= 3 && op.outputs.size() == 1 && op.inputs[0] >= 0 &&
                 op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects input, weights, optional bias and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& wt = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(in) && is_q8(out) && !in.is_const, TARE_ERROR_UNSUPPORTED,
             where + "input and output must be 8-bit activations");
  TARE_CHECK(wt.is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant weights are not supported");
  TARE_CHECK(wt.shape.size() == 2 && wt.shape[0] >= 1 && wt.shape[1] >= 1, TARE_ERROR_INVALID_MODEL,
             where + "weights must have shape [units, depth]");
  const int units = wt.shape[0], depth = wt.shape[1];
  TARE_CHECK(!in.shape.empty() && in.elements() % depth == 0, TARE_ERROR_INVALID_MODEL,
             where + "input does not fit the weights");
  const int64_t batch = in.elements() / depth;
  const Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(so.c == units && so.rows() == batch, TARE_ERROR_INVALID_MODEL, where + "output shape does not match");
  TARE_CHECK(batch * std::max(si.c4(), so.c4()) < INT32_MAX && si.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const int in4 = (depth + 3) / 4, out4 = (units + 3) / 4;
  TARE_CHECK((int64_t)in4 * out4 * 16 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "weights too large");
  const bool dot = b.integer_dot();

  const q8conv::Params qp = q8conv::params(b, op, where, units, 0, true, in.dtype == DType::I8);
  const int32_t xz = device_zero_point(in);
  std::vector<uint8_t> packed((size_t)in4 * out4 * 16, 0);
  std::vector<int32_t> fold((size_t)units, 0);
  for (int u = 0; u < units; u++) {
    uint32_t sum_w = 0;
    for (int d = 0; d < depth; d++) {
      const int8_t v = qp.weight((int64_t)u * depth + d);
      sum_w += (uint32_t)(int32_t)v;
      const size_t block = ((size_t)(d / 4) * out4 + u / 4) * 16;
      const size_t byte = dot ? (size_t)(u % 4) * 4 + d % 4 : (size_t)(d % 4) * 4 + u % 4;
      packed[block + byte] = (uint8_t)v;
    }
    fold[u] = q8conv::fold_bias(qp.bias[u], xz, sum_w, (int64_t)in4 * 4, qp.wzp[u]);
  }
  ConstSlice ws = b.add_constant_bytes(packed.data(), packed.size());
  ConstSlice ts = q8conv::add_table(b, qp, fold, units);

  Push push{};
  push.batch = (int32_t)batch;
  push.depth = depth;
  push.in4 = in4;
  push.out_c = units;
  push.out4 = out4;
  push.in_c = si.c;
  push.in_c4 = si.c4();
  push.in_zp = xz;
  push.out_zp = qp.out_zp;
  push.act_min = qp.act_min;
  push.act_max = qp.act_max;
  const uint32_t gather = si.c == depth ? 0 : 1;
  const int rows = batch >= 4 ? 4 : batch >= 2 ? 2 : 1;
  auto p = b.pipeline_q8("q8_fully_connected", true,
                         {(uint32_t)rows, gather, qp.any_wzp ? 1u : 0u, qp.single ? 1u : 0u}, sizeof(Push), 4, kLocal);
  return std::make_unique<Q8FullyConnected>(std::move(p), op.inputs[0], op.outputs[0], ws, ts, push, rows);
}

}  // namespace tare::ops
