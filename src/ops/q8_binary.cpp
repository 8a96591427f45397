// 8-bit ADD and MUL (shaders/q8_binary.comp), TFLite's integer kernels as the reference (src/ref/int_kernels.cpp)
// implements them: numpy broadcasting over the [N,H,W,C] view, either operand may be a constant (the session packs
// it to NHWC4 words), fused activation as a clamp.
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, c, c4, w, h;
  int32_t an, ah, aw, ac4;
  int32_t bn, bh, bw, bc4;
  int32_t za, zb, zo, lo, hi;
  int32_t ma, sa, mb, sb, mo, so;
};

class Q8BinaryKernel : public Kernel {
 public:
  Q8BinaryKernel(std::shared_ptr<vk::Pipeline> p, int a, int b, int out, Push push)
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

uint32_t operand(const Shape4& in, const Shape4& out, int32_t& sn, int32_t& sh, int32_t& sw, int32_t& c4) {
  c4 = in.c4();
  sw = in.w == 1 ? 0 : 1;
  sh = in.h == 1 ? 0 : in.w;
  sn = in.n == 1 ? 0 : in.h * in.w;
  if (in.c == out.c && in.n == out.n && in.h == out.h && in.w == out.w) return 0;
  return in.c == out.c ? 1 : 2;
}

}  // namespace

KernelPtr make_q8_binary(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (8-bit " + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects 2 inputs and 1 output");
  const Tensor& ta = g.tensors[op.inputs[0]];
  const Tensor& tb = g.tensors[op.inputs[1]];
  const Tensor& to = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(ta) && is_q8(tb) && is_q8(to), TARE_ERROR_UNSUPPORTED,
             where + "mixed float and 8-bit operands are not supported");
  for (const Tensor* t : {&ta, &tb, &to})
    TARE_CHECK(t->quant.scale.size() == 1 && t->quant.scale[0] > 0.0f && std::isfinite(t->quant.scale[0]),
               TARE_ERROR_INVALID_MODEL, where + "tensor '" + t->name + "' needs one positive scale");
  TARE_CHECK(ta.shape.size() <= 4 && tb.shape.size() <= 4 && to.shape.size() <= 4, TARE_ERROR_UNSUPPORTED,
             where + "operands of rank > 4 are not supported");
  Shape4 sa = shape4(ta.shape), sb = shape4(tb.shape), so = shape4(to.shape);
  auto fits = [](int d, int o) { return d == o || d == 1; };
  for (const Shape4* s : {&sa, &sb})
    TARE_CHECK(fits(s->n, so.n) && fits(s->h, so.h) && fits(s->w, so.w) && fits(s->c, so.c), TARE_ERROR_INVALID_MODEL,
               where + "operand shapes do not broadcast to the output");
  TARE_CHECK(so.c4() <= 1 << 24 && so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const int act = (int)op.params.activation;
  TARE_CHECK(act >= 0 && act <= 3, TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");

  Push push{};
  push.total = (int32_t)(so.rows() * so.c4());
  push.c = so.c;
  push.c4 = so.c4();
  push.w = so.w;
  push.h = so.h;
  uint32_t mode_a = operand(sa, so, push.an, push.ah, push.aw, push.ac4);
  uint32_t mode_b = operand(sb, so, push.bn, push.bh, push.bw, push.bc4);
  push.za = device_zero_point(ta);
  push.zb = device_zero_point(tb);
  push.zo = device_zero_point(to);
  // Fused activation range on the output's real zero point (TFLite's CalculateActivationRangeQuantized), then
  // shifted to the device's int8 values.
  const int32_t flip = to.dtype == DType::U8 ? 128 : 0;
  const int32_t zo_raw = push.zo + flip;
  quant::activation_range(act, tensor_scale(to), zo_raw, -128 + flip, 127 + flip, &push.lo, &push.hi);
  push.lo -= flip;
  push.hi -= flip;
  const float as = tensor_scale(ta), bs = tensor_scale(tb), os = tensor_scale(to);
  const bool is_mul = op.type == OpType::Mul;
  if (is_mul) {
    const float real = as * bs / os;  // float, as TFLite
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)real);
    push.mo = m.multiplier;
    push.so = m.shift;
  } else {
    const int left_shift = 20;
    const double twice_max_input_scale = 2.0 * (double)std::max(as, bs);
    quant::QuantizedMultiplier m1 = quant::quantize_multiplier((double)as / twice_max_input_scale);
    quant::QuantizedMultiplier m2 = quant::quantize_multiplier((double)bs / twice_max_input_scale);
    quant::QuantizedMultiplier mo =
        quant::quantize_multiplier(twice_max_input_scale / ((double)(1 << left_shift) * (double)os));
    TARE_CHECK(mo.shift <= 0, TARE_ERROR_UNSUPPORTED,
               where + "output scale too small for TFLite's ADD (multiplier >= 1)");
    push.ma = m1.multiplier;
    push.sa = m1.shift;
    push.mb = m2.multiplier;
    push.sb = m2.shift;
    push.mo = mo.multiplier;
    push.so = mo.shift;
  }
  auto p = b.pipeline_q8("q8_binary", false, {is_mul ? 1u : 0u, mode_a, mode_b, kPer}, sizeof(Push), 3, kLocal);
  return std::make_unique<Q8BinaryKernel>(std::move(p), op.inputs[0], op.inputs[1], op.outputs[0], push);
}

}  // namespace tare::ops
