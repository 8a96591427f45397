// LEAKY_RELU: y = x > 0 ? x : alpha * x (alpha may be > 1 or < 0).  Everything of the op is here: import, export,
// kernels (shaders/leaky_relu.comp, q8_leaky_relu.comp, grad_leaky_relu.comp) and references.  The 8-bit kernel is
// TFLite's QuantizeLeakyRelu: two output multipliers, input_scale / output_scale for v >= 0 and
// input_scale * alpha / output_scale below, each formed in float32 as TFLite's Prepare forms it.
#include <cmath>

#include "common/fixed_point.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;
constexpr size_t kAlpha = 0;  // params.floats[kAlpha]

float alpha_of(const Op& op) { return op.params.floats.empty() ? 0.2f : op.params.floats[kAlpha]; }

// ---- import / export ---------------------------------------------------------------------------------------------

void read(TfliteOpReader& r) {
  r.arity(1, 1, 1);
  float alpha = 0.2f;  // the schema's default
  if (auto opt = r.options<tflite::LeakyReluOptions>(tflite::BuiltinOptions::LeakyReluOptions)) alpha = opt->alpha();
  if (!std::isfinite(alpha)) r.invalid("alpha is not finite");
  r.params().floats = {alpha};
}

void write(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::LeakyReluOptions,
                tflite::CreateLeakyReluOptions(w.fbb(), alpha_of(w.op())).Union());
  w.set_version(w.in_type() == DType::I16 ? 2 : 1);
}

// ---- GPU kernels -------------------------------------------------------------------------------------------------

KernelPtr make_float(BuildContext& b, const Op& op) {
  const OpIO io = elementwise_io(b.graph(), op, op_where(op), false);
  const Shape4 s = shape4(io.out.shape);
  const struct {
    int32_t total;
    float alpha;
  } pc{(int32_t)(s.rows() * s.c4()), alpha_of(op)};
  auto p = b.pipeline("leaky_relu", {kPer}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pc.total, (int64_t)kLocal * kPer));
}

// TFLite's two multipliers (float32 ratios, then QuantizeMultiplier).
struct Multipliers {
  quant::QuantizedMultiplier identity, alpha;
};
Multipliers multipliers(float in_scale, float out_scale, float alpha) {
  return {quant::quantize_multiplier((double)(in_scale / out_scale)),
          quant::quantize_multiplier((double)(in_scale * alpha / out_scale))};
}

KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const OpIO io = elementwise_io(b.graph(), op, where, true);
  const Shape4 s = shape4(io.out.shape);
  const Multipliers m = multipliers(tensor_scale(io.in), tensor_scale(io.out), alpha_of(op));
  const struct {
    int32_t total, c, c4, zi, zo, m_identity, s_identity, m_alpha, s_alpha;
  } pc{(int32_t)(s.rows() * s.c4()),
       s.c,
       s.c4(),
       device_zero_point(io.in),
       device_zero_point(io.out),
       m.identity.multiplier,
       m.identity.shift,
       m.alpha.multiplier,
       m.alpha.shift};
  auto p = b.pipeline_q8("q8_leaky_relu", false, {kPer}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pc.total, (int64_t)kLocal * kPer));
}

KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const OpIO io = elementwise_io(b.graph(), op, where, false);
  const Shape4 s = shape4(io.out.shape);
  const struct {
    int32_t total;
    float alpha;
  } pc{(int32_t)(s.rows() * s.c4()), alpha_of(op)};
  auto p = b.context().pipeline("grad_leaky_relu", {kPer}, sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(pc.total, (int64_t)kLocal * kPer));
}

// ---- CPU references ----------------------------------------------------------------------------------------------

void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  const float alpha = alpha_of(c.op());
  const std::vector<float>& x = c.in(0);
  std::vector<float>& y = c.out(0, c.in_shape(0));
  for (size_t i = 0; i < x.size(); i++) y[i] = x[i] > 0 ? x[i] : x[i] * alpha;
}

void ref_int(ref::intd::IntCtx& c) {
  const ref::intd::QView x = c.in_q(0), y = c.out_q(0);
  const int64_t n = c.in_tensor(0).elements();
  if (c.out_tensor(0).elements() != n) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
  const Multipliers m = multipliers(x.scale, y.scale, alpha_of(c.op));
  for (int64_t i = 0; i < n; i++) {
    const int32_t v = x.at(i) - x.zp;
    const int32_t r = v >= 0 ? quant::multiply_by_quantized_multiplier(v, m.identity)
                             : quant::multiply_by_quantized_multiplier(v, m.alpha);
    y.set(i, std::min(y.qmax, std::max(y.qmin, y.zp + r)));
  }
}

void ref_grad(ref::GradContext& c) {
  const int x = c.input(0), o = c.op().outputs[0];
  if (c.tensor(x).elements() != c.tensor(o).elements()) c.fail(TARE_ERROR_INVALID_MODEL, "element counts differ");
  std::vector<float>* gx = c.grad(x);
  if (!gx) return;
  const float alpha = alpha_of(c.op());
  const std::vector<float>& gy = c.output_grad();
  const std::vector<float>& xv = c.value(x);
  for (size_t i = 0; i < gy.size(); i++) (*gx)[i] += xv[i] > 0 ? gy[i] : alpha * gy[i];
}

// Positively homogeneous: LEAKY_RELU(s x) = s LEAKY_RELU(x) for s > 0.
bool equalize_through(const Graph&, const Op&, std::string&) { return true; }

}  // namespace

const OpDesc kLeakyRelu = {
    .type = OpType::LeakyRelu,
    .name = "LEAKY_RELU",
    .builtin = (int)tflite::BuiltinOperator::LEAKY_RELU,
    .traits = {.equalize_through = equalize_through},
    .read = read,
    .write = write,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_int = ref_int,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
