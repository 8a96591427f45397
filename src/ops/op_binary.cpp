// The binary family: ADD, MUL, SUB, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, DIV, PRELU, POW: element-wise with
// numpy-style broadcasting (ADD, MUL, SUB and DIV with a fused activation); a constant operand is data (packed like an
// activation, quantized like one).  Kernels: binary.cpp, q8_binary.cpp, grad_binary.cpp, one BinaryOp specialization per op.
#include <cmath>

#include "ops/op_def.h"

namespace tare::ops {

namespace {

// The kernels and references of one op of the family.
template <BinaryOp F>
KernelPtr make_float(BuildContext& b, const Op& op) {
  return make_binary(b, op, F);
}
template <BinaryOp F>
KernelPtr make_q8(BuildContext& b, const Op& op) {
  return make_q8_binary(b, op, F);
}
template <BinaryOp F>
KernelPtr make_grad(BuildContext& b, const Op& op) {
  return make_grad_binary(b, op, F);
}

// The element functions (TFLite's: MAXIMUM is `a > b ? a : b`) and their partial derivatives; MAXIMUM / MINIMUM's
// gradient goes to the picked operand, to the first on ties.
float f_add(float a, float b) { return a + b; }
float f_mul(float a, float b) { return a * b; }
float f_sub(float a, float b) { return a - b; }
float f_max(float a, float b) { return a > b ? a : b; }
float f_min(float a, float b) { return a < b ? a : b; }
float f_sqdiff(float a, float b) { return (a - b) * (a - b); }
float f_div(float a, float b) { return a / b; }
double d_one(float, float) { return 1.0; }
double d_minus_one(float, float) { return -1.0; }
double d_mul_a(float, float b) { return b; }
double d_mul_b(float a, float) { return a; }
double d_max_a(float a, float b) { return a >= b ? 1.0 : 0.0; }
double d_max_b(float a, float b) { return a >= b ? 0.0 : 1.0; }
double d_min_a(float a, float b) { return a <= b ? 1.0 : 0.0; }
double d_min_b(float a, float b) { return a <= b ? 0.0 : 1.0; }
double d_sqdiff_a(float a, float b) { return 2.0 * ((double)a - b); }
double d_sqdiff_b(float a, float b) { return 2.0 * ((double)b - a); }
double d_div_a(float, float b) { return 1.0 / b; }
double d_div_b(float a, float b) { return -(double)a / ((double)b * b); }
// PRELU (TFLite's ApplyPrelu: x >= 0 ? x : x * alpha) and POW (std::pow).
float f_prelu(float x, float alpha) { return x >= 0.0f ? x : x * alpha; }
float f_pow(float a, float b) { return std::pow(a, b); }
double d_prelu_x(float x, float alpha) { return x >= 0.0f ? 1.0 : (double)alpha; }
double d_prelu_alpha(float x, float) { return x < 0.0f ? (double)x : 0.0; }
double d_pow_a(float a, float b) { return (double)b * std::pow((double)a, (double)b - 1.0); }
double d_pow_b(float a, float b) { return std::pow((double)a, (double)b) * std::log((double)a); }

using BOpt = tflite::BuiltinOptions;

void read_add(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::AddOptions>(BOpt::AddOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

void read_mul(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::MulOptions>(BOpt::MulOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

void read_sub(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::SubOptions>(BOpt::SubOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

void write_sub(TfliteOpWriter& w) {
  w.set_options(BOpt::SubOptions, tflite::CreateSubOptions(w.fbb(), w.activation(w.params().activation)).Union());
  w.set_version(version_by_int_type(w));
}

void read_binary(TfliteOpReader& r) { r.arity(2, 2, 2); }

void read_div(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::DivOptions>(BOpt::DivOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

// TFLite has no int8 DIV (div.cc: float32, int32, uint8): an int8 one is written in uint8 between QUANTIZE ops,
// whose arithmetic is the same.
void write_div(TfliteOpWriter& w) {
  if (w.in_type(0) == DType::I8 || w.out().dtype == DType::I8) w.requantize_to_uint8();
  w.set_options(BOpt::DivOptions, tflite::CreateDivOptions(w.fbb(), w.activation(w.params().activation)).Union());
  w.set_version(1);
}

void write_maximum_minimum(TfliteOpWriter& w) {
  w.set_options(BOpt::MaximumMinimumOptions, tflite::CreateMaximumMinimumOptions(w.fbb()).Union());
  w.set_version(version_by_int_type(w));
}

void write_squared_difference(TfliteOpWriter& w) {
  w.set_options(BOpt::SquaredDifferenceOptions, tflite::CreateSquaredDifferenceOptions(w.fbb()).Union());
  w.set_version(version_by_int_type(w));
}

void write_add(TfliteOpWriter& w) {
  w.set_options(BOpt::AddOptions, tflite::CreateAddOptions(w.fbb(), w.activation(w.params().activation)).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I64 ? 4 : version_by_int_type(w));
}

void write_mul(TfliteOpWriter& w) {
  w.set_options(BOpt::MulOptions, tflite::CreateMulOptions(w.fbb(), w.activation(w.params().activation)).Union());
  const DType x = w.in_type();
  int v = x == DType::I16 ? 4 : x == DType::I8 ? 2 : 1;
  if (x == DType::I8 || x == DType::U8) {  // version 3: an 8-bit multiplier of 1 or more
    const Tensor *a = w.in(0), *b = w.in(1), &y = w.out();
    if (a && b && a->quant.quantized() && b->quant.quantized() && y.quant.quantized() && y.quant.scale[0] > 0 &&
        (double)a->quant.scale[0] * b->quant.scale[0] / y.quant.scale[0] >= 1.0) {
      v = 3;
    }
  }
  w.set_version(v);
}

// TFLite knows PRELU version 1 only, its 8-bit kernels included (runtime_version.cc).
void write_prelu(TfliteOpWriter& w) { w.set_version(1); }

void write_pow(TfliteOpWriter& w) {
  w.set_options(BOpt::PowOptions, tflite::CreatePowOptions(w.fbb()).Union());
  w.set_version(1);
}

// PRELU's alpha broadcasts into the input: TFLite requires the output to keep the input's shape.
void infer_prelu(ShapeContext& s) {
  infer_broadcast(s);
  if (s.graph().tensors[s.op().outputs[0]].shape != s.in(0))
    s.err("alpha " + shape_str(s.in(1)) + " must broadcast into the input " + shape_str(s.in(0)));
}

constexpr OpTraits kTraits = {.fused_activation = true, .constant_operands = true};
constexpr OpTraits kTraitsNoActivation = {.constant_operands = true};
// MAXIMUM / MINIMUM compare raw 8-bit values: inputs and output share one quantization.
constexpr OpTraits kTraitsShared = {.output_quant = OutputQuant::SharedWithInputs, .constant_operands = true};

}  // namespace

const OpDesc kAdd = {
    .type = OpType::Add,
    .name = "ADD",
    .builtin = (int)tflite::BuiltinOperator::ADD,
    .traits = kTraits,
    .read = read_add,
    .write = write_add,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Add>,
    .make_q8 = make_q8<BinaryOp::Add>,
    .make_grad = make_grad<BinaryOp::Add>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_add); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::add_like(c, ref::intd::AddKind::Add); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_one, d_one); },
};

const OpDesc kMul = {
    .type = OpType::Mul,
    .name = "MUL",
    .builtin = (int)tflite::BuiltinOperator::MUL,
    .traits = kTraits,
    .read = read_mul,
    .write = write_mul,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Mul>,
    .make_q8 = make_q8<BinaryOp::Mul>,
    .make_grad = make_grad<BinaryOp::Mul>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_mul); },
    .ref_int = ref::intd::mul,
    .ref_grad = [](ref::GradContext& c) { c.binary(d_mul_a, d_mul_b); },
};

// SUB: 8-bit as TFLite, its ADD kernel with the second input's multiplier negated (sub.cc).
const OpDesc kSub = {
    .type = OpType::Sub,
    .name = "SUB",
    .builtin = (int)tflite::BuiltinOperator::SUB,
    .traits = kTraits,
    .read = read_sub,
    .write = write_sub,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Sub>,
    .make_q8 = make_q8<BinaryOp::Sub>,
    .make_grad = make_grad<BinaryOp::Sub>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_sub); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::add_like(c, ref::intd::AddKind::Sub); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_one, d_minus_one); },
};

// MAXIMUM / MINIMUM: 8-bit on the raw values, inputs and output sharing one quantization (maximum_minimum.cc).
const OpDesc kMaximum = {
    .type = OpType::Maximum,
    .name = "MAXIMUM",
    .builtin = (int)tflite::BuiltinOperator::MAXIMUM,
    .traits = kTraitsShared,
    .read = read_binary,
    .write = write_maximum_minimum,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Maximum>,
    .make_q8 = make_q8<BinaryOp::Maximum>,
    .make_grad = make_grad<BinaryOp::Maximum>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_max); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::maximum_minimum(c, true); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_max_a, d_max_b); },
};

const OpDesc kMinimum = {
    .type = OpType::Minimum,
    .name = "MINIMUM",
    .builtin = (int)tflite::BuiltinOperator::MINIMUM,
    .traits = kTraitsShared,
    .read = read_binary,
    .write = write_maximum_minimum,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Minimum>,
    .make_q8 = make_q8<BinaryOp::Minimum>,
    .make_grad = make_grad<BinaryOp::Minimum>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_min); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::maximum_minimum(c, false); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_min_a, d_min_b); },
};

// SQUARED_DIFFERENCE: 8-bit as TFLite's int8 kernel (squared_difference.cc: left shift 7, the output multiplier on
// the squared scale); uint8, which TFLite lacks, runs the same arithmetic.
const OpDesc kSquaredDifference = {
    .type = OpType::SquaredDifference,
    .name = "SQUARED_DIFFERENCE",
    .builtin = (int)tflite::BuiltinOperator::SQUARED_DIFFERENCE,
    .traits = kTraitsNoActivation,
    .read = read_binary,
    .write = write_squared_difference,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::SquaredDifference>,
    .make_q8 = make_q8<BinaryOp::SquaredDifference>,
    .make_grad = make_grad<BinaryOp::SquaredDifference>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_sqdiff); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::add_like(c, ref::intd::AddKind::SquaredDifference); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_sqdiff_a, d_sqdiff_b); },
};

// DIV: 8-bit as TFLite's uint8 kernel (div.cc, reference_ops::DivElementwise: a fixed-point reciprocal per element);
// TFLite has no int8 DIV, so int8 runs the same arithmetic and is exported as a uint8 DIV between QUANTIZE ops.
const OpDesc kDiv = {
    .type = OpType::Div,
    .name = "DIV",
    .builtin = (int)tflite::BuiltinOperator::DIV,
    .traits = kTraits,
    .read = read_div,
    .write = write_div,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Div>,
    .make_q8 = make_q8<BinaryOp::Div>,
    .make_grad = make_grad<BinaryOp::Div>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_div); },
    .ref_int = ref::intd::div,
    .ref_grad = [](ref::GradContext& c) { c.binary(d_div_a, d_div_b); },
};

// PRELU: alpha (input 1, usually a constant [C] or [1,1,C]) broadcasts into x.  A constant alpha is quantized as
// TFLite's converter does, per tensor on its own asymmetric range (constant_operands).  8-bit as TFLite's reference
// (activations.cc, reference/prelu.h): two multipliers, identity and alpha.  The gradient goes to x only when alpha
// is a constant (a parameter, not trained).
const OpDesc kPrelu = {
    .type = OpType::Prelu,
    .name = "PRELU",
    .builtin = (int)tflite::BuiltinOperator::PRELU,
    .traits = kTraitsNoActivation,
    .read = read_binary,
    .write = write_prelu,
    .infer = infer_prelu,
    .make_float = make_float<BinaryOp::Prelu>,
    .make_q8 = make_q8<BinaryOp::Prelu>,
    .make_grad = make_grad<BinaryOp::Prelu>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_prelu); },
    .ref_int = ref::intd::prelu,
    .ref_grad = [](ref::GradContext& c) { c.binary(d_prelu_x, d_prelu_alpha); },
};

// POW: float and backward only (TFLite's POW has float32 and int32 kernels, no 8-bit one).
const OpDesc kPow = {
    .type = OpType::Pow,
    .name = "POW",
    .builtin = (int)tflite::BuiltinOperator::POW,
    .traits = kTraitsNoActivation,
    .read = read_binary,
    .write = write_pow,
    .infer = infer_broadcast,
    .make_float = make_float<BinaryOp::Pow>,
    .make_grad = make_grad<BinaryOp::Pow>,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::binary(c, f_pow); },
    .ref_grad = [](ref::GradContext& c) { c.binary(d_pow_a, d_pow_b); },
};

}  // namespace tare::ops
