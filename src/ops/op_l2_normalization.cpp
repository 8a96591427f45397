// L2_NORMALIZATION over the last dimension: y = x / max(sqrt(sum x^2), 1e-6) (TFLite's reference, epsilon fixed at
// 1e-6).  TFLite's Prepare refuses a fused activation other than NONE, inputs of rank > 4, and for int8 an output
// other than scale 1/128, zero point 0 (the quantizer's OutputQuant::SignedUnit).  8-bit: TFLite's int8 kernel
// (reference_integer_ops::L2Normalization, fixed-point inverse square root); its uint8 kernel is another fixed-point
// form (128 * diff rescaled, optimized_ops by default) that Tare does not port, so uint8 is refused.
// Kernels: shaders/l2_normalization.comp, q8_l2_normalization.comp, grad_l2_normalization.comp.
#include <algorithm>
#include <cmath>

#include "common/fixed_point.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr float kEpsilon = 1e-6f;

void read(TfliteOpReader& r) {
  r.arity(1, 1, 1);
  auto opt = r.options<tflite::L2NormOptions>(tflite::BuiltinOptions::L2NormOptions);
  if (opt && opt->fused_activation_function() != tflite::ActivationFunctionType::NONE)
    r.unsupported("fused activation other than NONE (TFLite refuses it)");
}

void write(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::L2NormOptions,
                tflite::CreateL2NormOptions(w.fbb(), tflite::ActivationFunctionType::NONE).Union());
  w.set_version(w.in_type() == DType::I8 ? 2 : 1);
}

void infer(ShapeContext& s) {
  s.need_inputs(1, 1);
  if (s.in(0).empty() || s.in(0).size() > 4) s.err("input " + shape_str(s.in(0)) + " must have rank 1 to 4");
  if (s.params().activation != Activation::None) s.err("fused activation must be NONE");
  s.set_out(s.in(0));
}

// ---- GPU kernels -------------------------------------------------------------------------------------------------

struct Rows {
  int32_t rows, c4;
};
Rows rows_of(const OpIO& io, const std::string& where) {
  TARE_CHECK(!io.in.shape.empty() && io.in.shape == io.out.shape, TARE_ERROR_INVALID_MODEL,
             where + "input and output shapes must be equal and of rank >= 1");
  const Shape4 s = shape4(io.in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  return {(int32_t)s.rows(), s.c4()};
}

KernelPtr make_float(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const OpIO io = op_io(b.graph(), op, where, true);
  check_not_const(io.in, where);
  const Rows pc = rows_of(io, where);
  auto p = b.pipeline("l2_normalization", {}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pc.rows, kLocal));
}

// TFLite's constraints on the 8-bit form (GPU kernel and integer reference).
std::string q8_refusal(const Tensor& in, const Tensor& out) {
  if (in.dtype != DType::I8 || out.dtype != DType::I8)
    return std::string("8-bit L2_NORMALIZATION is int8 only (") + dtype_name(in.dtype) + " -> " +
           dtype_name(out.dtype) + "): TFLite's uint8 kernel is not ported";
  if (in.quant.scale.size() != 1 || out.quant.scale.size() != 1) return "input and output need per-tensor quantization";
  if (out.quant.scale[0] != 1.0f / 128.0f || (!out.quant.zero_point.empty() && out.quant.zero_point[0] != 0))
    return "the int8 output must have scale 1/128 and zero point 0 (TFLite's requirement)";
  return "";
}

KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const OpIO io = op_io(b.graph(), op, where, true);
  check_not_const(io.in, where);
  const std::string refusal = q8_refusal(io.in, io.out);
  TARE_CHECK(refusal.empty(), TARE_ERROR_UNSUPPORTED, where + refusal);
  const Rows r = rows_of(io, where);
  const struct { int32_t rows, c, c4, zi; } pc{r.rows, shape4(io.in.shape).c, r.c4, device_zero_point(io.in)};
  auto p = b.pipeline_q8("q8_l2_normalization", false, {}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pc.rows, kLocal));
}

KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const OpIO io = op_io(b.graph(), op, where, true);
  const Rows pc = rows_of(io, where);
  auto p = b.context().pipeline("grad_l2_normalization", {}, sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(pc.rows, kLocal));
}

// ---- CPU references ----------------------------------------------------------------------------------------------

int depth_of(const std::vector<int>& s) { return s.empty() ? 0 : s.back(); }

void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& s = c.in_shape(0);
  if (s.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  const std::vector<float>& x = c.in(0);
  std::vector<float>& y = c.out(0, s);
  const int depth = depth_of(s);
  if (depth == 0) return;
  for (size_t base = 0; base < x.size(); base += (size_t)depth) {
    float sum = 0.0f;
    for (int i = 0; i < depth; i++) sum += x[base + i] * x[base + i];
    const float norm = std::max(std::sqrt(sum), kEpsilon);
    for (int i = 0; i < depth; i++) y[base + i] = x[base + i] / norm;
  }
}

void ref_int(ref::intd::IntCtx& c) {
  const Tensor &ti = c.in_tensor(0), &to = c.out_tensor(0);
  const std::string refusal = q8_refusal(ti, to);
  if (!refusal.empty()) c.fail(TARE_ERROR_UNSUPPORTED, refusal);
  if (ti.shape != to.shape || ti.shape.empty()) c.fail(TARE_ERROR_INVALID_MODEL, "input and output shapes differ");
  const ref::intd::QView x = c.in_q(0), y = c.out_q(0);
  const int depth = depth_of(ti.shape);
  const int64_t n = ti.elements();
  if (depth == 0) return;
  for (int64_t base = 0; base < n; base += depth) {
    int32_t acc = 0;
    for (int i = 0; i < depth; i++) acc += (x.at(base + i) - x.zp) * (x.at(base + i) - x.zp);
    int32_t m = 0;
    int shift = 0;
    quant::get_inv_sqrt_quantized_multiplier_exp(acc, -1, &m, &shift);
    for (int i = 0; i < depth; i++) {
      const int32_t v = quant::multiply_by_quantized_multiplier(x.at(base + i) - x.zp, m, shift + 7);
      y.set(base + i, std::clamp(v, -128, 127));
    }
  }
}

// dx = (dy - y (y . dy)) / |x| where |x| > 1e-6, else dy / 1e-6 (in double).
void ref_grad(ref::GradContext& c) {
  const int xt = c.input(0), o = c.op().outputs[0];
  const std::vector<int>& s = c.shape(o);
  if (s.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  if (c.shape(xt) != s) c.fail(TARE_ERROR_INVALID_MODEL, "input and output shapes differ");
  std::vector<float>* gx = c.grad(xt);
  const int depth = depth_of(s);
  if (!gx || depth == 0) return;
  const std::vector<float>&x = c.value(xt), &gy = c.output_grad();
  for (size_t base = 0; base < gy.size(); base += (size_t)depth) {
    double sum = 0.0, xdy = 0.0;
    for (int i = 0; i < depth; i++) {
      sum += (double)x[base + i] * x[base + i];
      xdy += (double)x[base + i] * gy[base + i];
    }
    const double norm = std::sqrt(sum);
    for (int i = 0; i < depth; i++)
      (*gx)[base + i] += norm > kEpsilon ? (float)((gy[base + i] - x[base + i] * xdy / sum) / norm)
                                         : (float)(gy[base + i] / (double)kEpsilon);
  }
}

}  // namespace

const OpDesc kL2Normalization = {
    .type = OpType::L2Normalization,
    .name = "L2_NORMALIZATION",
    .builtin = (int)tflite::BuiltinOperator::L2_NORMALIZATION,
    .traits = {.output_quant = OutputQuant::SignedUnit},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_int = ref_int,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
