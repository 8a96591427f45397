// LOGISTIC, RELU, RELU6, HARD_SWISH: one shader (shaders/unary.comp) with the function as a specialization constant.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

class UnaryKernel : public Kernel {
 public:
  UnaryKernel(std::shared_ptr<vk::Pipeline> p, int in, int out, Shape4 s)
      : p_(std::move(p)), in_(in), out_(out), s_(s) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    int64_t total = s_.rows() * s_.c4();
    if (total == 0) return;
    int32_t pc[3] = {(int32_t)total, s_.c, s_.c4()};
    uint32_t groups = div_up(total, (int64_t)kLocal * kPer);
    uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.tensor(out_)}, pc, sizeof(pc), gx, gy);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  Shape4 s_;
};

}  // namespace

KernelPtr make_unary(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 s = shape4(out.shape);
  Shape4 si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "input and output shapes must have the same channel count");
  uint32_t func = 0;
  switch (op.type) {
    case OpType::Logistic: func = 0; break;
    case OpType::Relu: func = 1; break;
    case OpType::Relu6: func = 2; break;
    case OpType::HardSwish: func = 3; break;
    default: fail(TARE_ERROR_INTERNAL, where + "not a unary operator");
  }
  auto p = b.pipeline("unary", {func, kPer}, 12, 2, kLocal);
  return std::make_unique<UnaryKernel>(std::move(p), op.inputs[0], op.outputs[0], s);
}

}  // namespace tare::ops
