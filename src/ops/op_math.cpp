// Element-wise math: ABS, NEG, SQUARE, SQRT, RSQRT, EXP, LOG, TANH, ELU and RELU_N1_TO_1.  One family: the float
// kernel shaders/math.comp and the backward grad_math.comp (a FUNC constant each), and for the ops that TFLite runs
// in 8 bits one table shader, q8_lut.comp, whose 256 entries are the integer reference's outputs for every input
// value (re-indexed by device value).  NEG and SQUARE have no 8-bit path: TFLite's builtin kernels are float only.
//
// The integer reference is TFLite's arithmetic per op (kernels/elementwise.cc, exp.cc, activations.cc):
//  ABS    |q - zi| requantized by float(si / so) through QuantizeMultiplier (skipped when si == so);
//  SQRT   (int)(sqrt(si * (q - zi)) / so) + zo: float arithmetic, truncated (not rounded);
//  RSQRT  GetInvSqrtQuantizedMultiplierExp(q - zi), applied to 1 with a shift of +20, then the multiplier of
//         1 / (sqrt(si) * so) (sqrt and product in float, quotient in double) with a shift of -20; q == zi gives qmax;
//  EXP, LOG, TANH, ELU: LUTPopulate's float table (LOG maps x <= 0 to the output type's minimum; ELU's entry is
//         exp(x) - 1 in float, as the oracle's TFLite computes it: newer TFLite uses expm1);
//  RELU_N1_TO_1: the RELU kernel's requantize-and-clamp with bounds round(+-1 / so) + zo.
// Outside an op's domain TFLite refuses the input at run time (SQRT below 0, RSQRT below zi); here SQRT gives
// sqrt(0) and RSQRT qmax there.  uint8 tensors use the same arithmetic on their own range.
//
// Backward conventions (f' from x or the forward output y): ABS sign(x) with 0 at 0; NEG -1; SQUARE 2x; SQRT
// 1 / (2y), RSQRT -y^3 / 2 and LOG 1 / x, each 0 for x <= 0 (outside the domain); EXP y; TANH 1 - y^2; ELU y + 1
// for x < 0, 1 from 0 on; RELU_N1_TO_1 passes where -1 < y < 1.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/fixed_point.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

// The FUNC constant of math.comp and grad_math.comp.
enum class MathFunc : uint32_t { Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Tanh, Elu, ReluN1To1 };

MathFunc func_of(OpType t) {
  switch (t) {
    case OpType::Abs: return MathFunc::Abs;
    case OpType::Neg: return MathFunc::Neg;
    case OpType::Square: return MathFunc::Square;
    case OpType::Sqrt: return MathFunc::Sqrt;
    case OpType::Rsqrt: return MathFunc::Rsqrt;
    case OpType::Exp: return MathFunc::Exp;
    case OpType::Log: return MathFunc::Log;
    case OpType::Tanh: return MathFunc::Tanh;
    case OpType::Elu: return MathFunc::Elu;
    case OpType::ReluN1To1: return MathFunc::ReluN1To1;
    default: fail(TARE_ERROR_UNSUPPORTED, std::string(op_name(t)) + ": not an element-wise math op");
  }
}

// ---- import / export ---------------------------------------------------------------------------------------------

void write_abs(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::AbsOptions, tflite::CreateAbsOptions(w.fbb()).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I8 || x == DType::U8 ? 2 : 1);
}
void write_neg(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::NegOptions, tflite::CreateNegOptions(w.fbb()).Union());
  w.set_version(1);
}
void write_square(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::SquareOptions, tflite::CreateSquareOptions(w.fbb()).Union());
  w.set_version(1);
}
void write_exp(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::ExpOptions, tflite::CreateExpOptions(w.fbb()).Union());
  w.set_version(w.in_type() == DType::I8 ? 2 : 1);
}
// LOG, RSQRT, TANH: version 2 for int8 (op_version.cc); SQRT, ELU, RELU_N1_TO_1 stay at 1.
void write_int8_v2(TfliteOpWriter& w) { w.set_version(w.in_type() == DType::I8 ? 2 : 1); }
void write_v1(TfliteOpWriter& w) { w.set_version(1); }

// ---- GPU kernels -------------------------------------------------------------------------------------------------

KernelPtr make_float(BuildContext& b, const Op& op) {
  const OpIO io = elementwise_io(b.graph(), op, op_where(op), false);
  const Shape4 s = shape4(io.out.shape);
  const int32_t pc[3] = {(int32_t)(s.rows() * s.c4()), s.c, s.c4()};
  auto p = b.pipeline("math", {(uint32_t)func_of(op.type), kPer}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pc[0], (int64_t)kLocal * kPer));
}

KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const OpIO io = elementwise_io(b.graph(), op, where, false);
  const Shape4 s = shape4(io.out.shape);
  const int32_t pc[1] = {(int32_t)(s.rows() * s.c4())};
  auto p = b.context().pipeline("grad_math", {(uint32_t)func_of(op.type), kPer}, sizeof(pc), 4, kLocal, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::g(op.outputs[0]),
                        Binding::g(op.inputs[0])},
                       pc, grid_xy(pc[0], (int64_t)kLocal * kPer));
}

// ---- TFLite's 8-bit arithmetic -------------------------------------------------------------------------------------

struct QParams {
  float si, so;
  int32_t zi, zo, qmin, qmax;  // raw zero points, the output type's range
};

float tanh_f(float x) { return std::tanh(x); }
float exp_f(float x) { return std::exp(x); }
float elu_f(float x) { return x < 0.0f ? std::exp(x) - 1.0f : x; }

// Output for each raw input value q (index (uint8)q), as TFLite's kernel computes it.
void q8_table(MathFunc f, const QParams& p, int32_t table[256]) {
  const auto each = [&](auto&& fn) {
    for (int32_t q = p.qmin; q <= p.qmax; q++) table[(uint8_t)q] = std::clamp(fn(q), p.qmin, p.qmax);
  };
  switch (f) {
    case MathFunc::Abs: {
      const bool rescale = p.si != p.so;
      const quant::QuantizedMultiplier m = quant::quantize_multiplier((double)(p.si / p.so));
      each([&](int32_t q) {
        const int32_t v = std::abs(q - p.zi);
        return (rescale ? quant::multiply_by_quantized_multiplier(v, m) : v) + p.zo;
      });
      break;
    }
    case MathFunc::Sqrt:
      each([&](int32_t q) {
        const float x = std::max(p.si * (float)(q - p.zi), 0.0f);
        return (int32_t)(std::sqrt(x) / p.so) + p.zo;
      });
      break;
    case MathFunc::Rsqrt: {
      constexpr int kShift = 20;
      const quant::QuantizedMultiplier m = quant::quantize_multiplier(1.0 / (double)(std::sqrt(p.si) * p.so));
      each([&](int32_t q) {
        const int32_t v = q - p.zi;
        if (v <= 0) return p.qmax;
        int32_t inv = 0;
        int shift = 0;
        quant::get_inv_sqrt_quantized_multiplier_exp(v, -1, &inv, &shift);
        const int32_t data = quant::multiply_by_quantized_multiplier(1, inv, shift + kShift);
        return quant::multiply_by_quantized_multiplier(data, m.multiplier, m.shift - kShift) + p.zo;
      });
      break;
    }
    case MathFunc::Exp: quant::populate_lut(p.si, p.zi, p.so, p.zo, p.qmin, p.qmax, exp_f, table); break;
    case MathFunc::Log: {
      const float output_min = (float)(p.qmin - p.zo) * p.so;
      quant::populate_lut(
          p.si, p.zi, p.so, p.zo, p.qmin, p.qmax, [&](float x) { return x <= 0.0f ? output_min : std::log(x); }, table);
      break;
    }
    case MathFunc::Tanh: quant::populate_lut(p.si, p.zi, p.so, p.zo, p.qmin, p.qmax, tanh_f, table); break;
    case MathFunc::Elu: quant::populate_lut(p.si, p.zi, p.so, p.zo, p.qmin, p.qmax, elu_f, table); break;
    case MathFunc::ReluN1To1: {
      const quant::QuantizedMultiplier m = quant::quantize_multiplier((double)(p.si / p.so));
      const int32_t lo = std::max(p.qmin, p.zo + (int32_t)std::round(-1.0f / p.so));
      const int32_t hi = std::min(p.qmax, p.zo + (int32_t)std::round(1.0f / p.so));
      each([&](int32_t q) { return std::clamp(p.zo + quant::multiply_by_quantized_multiplier(q - p.zi, m), lo, hi); });
      break;
    }
    default: fail(TARE_ERROR_UNSUPPORTED, "no 8-bit kernel");
  }
}

KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const OpIO io = elementwise_io(b.graph(), op, where, true);
  const Shape4 s = shape4(io.out.shape);
  const int32_t flip_in = u8_flip(io.in), flip_out = u8_flip(io.out);
  const QParams qp{tensor_scale(io.in),
                   tensor_scale(io.out),
                   device_zero_point(io.in) + flip_in,
                   device_zero_point(io.out) + flip_out,
                   -128 + flip_out,
                   127 + flip_out};
  int32_t ref_table[256];
  q8_table(func_of(op.type), qp, ref_table);
  // Device value d is raw value d + flip.
  int8_t dev_table[256];
  for (int d = -128; d < 128; d++)
    dev_table[(uint8_t)(int8_t)d] = (int8_t)(ref_table[(uint8_t)(d + flip_in)] - flip_out);
  const ConstSlice table = b.add_constant_bytes(dev_table, sizeof(dev_table));
  const int32_t pc[4] = {(int32_t)(s.rows() * s.c4()), s.c, s.c4(), device_zero_point(io.out)};
  auto p = b.pipeline_q8("q8_lut", false, {kPer}, sizeof(pc), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(table)}, pc,
                       grid_xy(pc[0], (int64_t)kLocal * kPer));
}

// ---- CPU references ----------------------------------------------------------------------------------------------

// TFLite's float kernels.
float abs_ref(float x) { return std::fabs(x); }
float neg_ref(float x) { return -x; }
float square_ref(float x) { return x * x; }
float sqrt_ref(float x) { return std::sqrt(x); }
float rsqrt_ref(float x) { return 1.0f / std::sqrt(x); }
float log_ref(float x) { return std::log(x); }
float elu_ref(float x) { return x < 0.0f ? std::expm1(x) : x; }
float relu1_ref(float x) { return std::min(std::max(x, -1.0f), 1.0f); }

void ref_int(ref::intd::IntCtx& c) {
  const ref::intd::QView x = c.in_q(0), y = c.out_q(0);
  const int64_t n = c.in_tensor(0).elements();
  if (c.out_tensor(0).elements() != n) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
  int32_t table[256];
  q8_table(func_of(c.op.type), {x.scale, y.scale, x.zp, y.zp, y.qmin, y.qmax}, table);
  for (int64_t i = 0; i < n; i++) y.set(i, table[(uint8_t)x.at(i)]);
}

double d_abs(float x, float) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
double d_neg(float, float) { return -1.0; }
double d_square(float x, float) { return 2.0 * x; }
double d_sqrt(float x, float y) { return x > 0 ? 0.5 / y : 0.0; }
double d_rsqrt(float x, float y) { return x > 0 ? -0.5 * (double)y * y * y : 0.0; }
double d_exp(float, float y) { return y; }
double d_log(float x, float) { return x > 0 ? 1.0 / x : 0.0; }
double d_tanh(float, float y) { return 1.0 - (double)y * y; }
double d_elu(float x, float y) { return x < 0 ? (double)y + 1.0 : 1.0; }
double d_relu1(float, float y) { return ref::passes(Activation::ReluN1To1, y) ? 1.0 : 0.0; }

}  // namespace

#define TARE_MATH_REF(f) [](ref::detail::OpContext& c) { ref::detail::unary(c, f); }
#define TARE_MATH_GRAD(d) [](ref::GradContext& c) { c.unary(d); }

const OpDesc kAbs = {
    .type = OpType::Abs,
    .name = "ABS",
    .builtin = (int)tflite::BuiltinOperator::ABS,
    .read = read_one_input,
    .write = write_abs,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(abs_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_abs),
};

const OpDesc kNeg = {
    .type = OpType::Neg,
    .name = "NEG",
    .builtin = (int)tflite::BuiltinOperator::NEG,
    .read = read_one_input,
    .write = write_neg,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(neg_ref),
    .ref_grad = TARE_MATH_GRAD(d_neg),
};

const OpDesc kSquare = {
    .type = OpType::Square,
    .name = "SQUARE",
    .builtin = (int)tflite::BuiltinOperator::SQUARE,
    .read = read_one_input,
    .write = write_square,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(square_ref),
    .ref_grad = TARE_MATH_GRAD(d_square),
};

const OpDesc kSqrt = {
    .type = OpType::Sqrt,
    .name = "SQRT",
    .builtin = (int)tflite::BuiltinOperator::SQRT,
    .read = read_one_input,
    .write = write_v1,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(sqrt_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_sqrt),
};

const OpDesc kRsqrt = {
    .type = OpType::Rsqrt,
    .name = "RSQRT",
    .builtin = (int)tflite::BuiltinOperator::RSQRT,
    .read = read_one_input,
    .write = write_int8_v2,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(rsqrt_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_rsqrt),
};

const OpDesc kExp = {
    .type = OpType::Exp,
    .name = "EXP",
    .builtin = (int)tflite::BuiltinOperator::EXP,
    .read = read_one_input,
    .write = write_exp,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(exp_f),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_exp),
};

const OpDesc kLog = {
    .type = OpType::Log,
    .name = "LOG",
    .builtin = (int)tflite::BuiltinOperator::LOG,
    .read = read_one_input,
    .write = write_int8_v2,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(log_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_log),
};

const OpDesc kTanh = {
    .type = OpType::Tanh,
    .name = "TANH",
    .builtin = (int)tflite::BuiltinOperator::TANH,
    .traits = {.output_quant = OutputQuant::SignedUnit},
    .read = read_one_input,
    .write = write_int8_v2,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(tanh_f),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_tanh),
};

const OpDesc kElu = {
    .type = OpType::Elu,
    .name = "ELU",
    .builtin = (int)tflite::BuiltinOperator::ELU,
    .read = read_one_input,
    .write = write_v1,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(elu_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_elu),
};

const OpDesc kReluN1To1 = {
    .type = OpType::ReluN1To1,
    .name = "RELU_N1_TO_1",
    .builtin = (int)tflite::BuiltinOperator::RELU_N1_TO_1,
    .read = read_one_input,
    .write = write_v1,
    .infer = infer_same_shape,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = TARE_MATH_REF(relu1_ref),
    .ref_int = ref_int,
    .ref_grad = TARE_MATH_GRAD(d_relu1),
};

#undef TARE_MATH_REF
#undef TARE_MATH_GRAD

}  // namespace tare::ops
