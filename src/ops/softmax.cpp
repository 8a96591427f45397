// SOFTMAX over the last axis (shaders/softmax.comp): one invocation per row when there are many rows, one
// workgroup per row when there are few long rows (e.g. the 1001 classes of a classifier).
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

struct Push {
  int32_t rows, c, c4;
  float beta;
};

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(std::shared_ptr<vk::Pipeline> p, int in, int out, Push push, uint32_t groups)
      : p_(std::move(p)), in_(in), out_(out), push_(push), groups_(groups) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    if (groups_ == 0) return;
    uint32_t gx = std::min<uint32_t>(groups_, 65535), gy = div_up(groups_, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.tensor(out_)}, &push_, sizeof(push_), gx, gy);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  Push push_;
  uint32_t groups_;
};

}  // namespace

KernelPtr make_softmax(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(!in.shape.empty() && in.shape == out.shape, TARE_ERROR_INVALID_MODEL,
             where + "input and output shapes must be equal and of rank >= 1");
  Shape4 s = shape4(in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  Push push{(int32_t)s.rows(), s.c, s.c4(), op.params.beta};
  // Few rows of many channels: a workgroup per row; otherwise an invocation per row.
  const uint32_t wg = 64;
  bool per_workgroup = s.rows() <= 256 && s.c4() >= 64;
  uint32_t groups = s.c == 0 ? 0 : per_workgroup ? (uint32_t)s.rows() : div_up(s.rows(), 64);
  auto p = per_workgroup ? b.pipeline("softmax", {wg}, sizeof(Push), 2, wg)
                         : b.pipeline("softmax", {1}, sizeof(Push), 2, 64);
  return std::make_unique<SoftmaxKernel>(std::move(p), op.inputs[0], op.outputs[0], push, groups);
}

}  // namespace tare::ops
