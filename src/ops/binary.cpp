// ADD and MUL (shaders/binary.comp): numpy broadcasting over the [N,H,W,C] view, either operand may be a constant
// (the session packs it to NHWC4), fused activation.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, c, c4, w, h;
  int32_t an, ah, aw, ac4;
  int32_t bn, bh, bw, bc4;
};

class BinaryKernel : public Kernel {
 public:
  BinaryKernel(std::shared_ptr<vk::Pipeline> p, int a, int b, int out, Push push)
      : p_(std::move(p)), a_(a), b_(b), out_(out), push_(push) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    if (push_.total == 0) return;
    uint32_t groups = div_up(push_.total, (int64_t)kLocal * kPer);
    uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
    rec.dispatch(*p_, {res.tensor(a_), res.tensor(b_), res.tensor(out_)}, &push_, sizeof(push_), gx, gy);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int a_, b_, out_;
  Push push_;
};

// The operand's read mode and row strides against the output view.
uint32_t operand(const Shape4& in, const Shape4& out, int32_t& sn, int32_t& sh, int32_t& sw, int32_t& c4) {
  c4 = in.c4();
  sw = in.w == 1 ? 0 : 1;
  sh = in.h == 1 ? 0 : in.w;
  sn = in.n == 1 ? 0 : in.h * in.w;
  if (in.c == out.c && in.n == out.n && in.h == out.h && in.w == out.w) return 0;
  return in.c == out.c ? 1 : 2;
}

}  // namespace

KernelPtr make_binary(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects 2 inputs and 1 output");
  const Tensor& ta = g.tensors[op.inputs[0]];
  const Tensor& tb = g.tensors[op.inputs[1]];
  const Tensor& to = g.tensors[op.outputs[0]];
  TARE_CHECK(ta.shape.size() <= 4 && tb.shape.size() <= 4 && to.shape.size() <= 4, TARE_ERROR_UNSUPPORTED,
             where + "operands of rank > 4 are not supported");
  Shape4 sa = shape4(ta.shape), sb = shape4(tb.shape), so = shape4(to.shape);
  auto fits = [](int d, int o) { return d == o || d == 1; };
  for (const Shape4* s : {&sa, &sb})
    TARE_CHECK(fits(s->n, so.n) && fits(s->h, so.h) && fits(s->w, so.w) && fits(s->c, so.c), TARE_ERROR_INVALID_MODEL,
               where + "operand shapes do not broadcast to the output");
  TARE_CHECK(so.c4() <= 1 << 24 && so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  TARE_CHECK(op.params.activation == Activation::None || op.params.activation == Activation::Relu ||
                 op.params.activation == Activation::ReluN1To1 || op.params.activation == Activation::Relu6,
             TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
  Push push{};
  push.total = (int32_t)(so.rows() * so.c4());
  push.c = so.c;
  push.c4 = so.c4();
  push.w = so.w;
  push.h = so.h;
  uint32_t ma = operand(sa, so, push.an, push.ah, push.aw, push.ac4);
  uint32_t mb = operand(sb, so, push.bn, push.bh, push.bw, push.bc4);
  uint32_t mask = (ma == 2 || mb == 2) && so.c % 4 != 0 ? 1 : 0;
  uint32_t is_mul = op.type == OpType::Mul ? 1 : 0;
  auto p = b.pipeline("binary", {act_code(op.params.activation), is_mul, ma, mb, mask, kPer}, sizeof(Push), 3, kLocal);
  return std::make_unique<BinaryKernel>(std::move(p), op.inputs[0], op.inputs[1], op.outputs[0], push);
}

}  // namespace tare::ops
