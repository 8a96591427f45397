// The element-wise activations LOGISTIC, RELU, RELU6 and HARD_SWISH: one shader family (shaders/unary.comp,
// grad_unary.comp with a FUNC constant; q8_unary.comp with TFLite's integer rules), one descriptor each.
// Backward conventions (docs/architecture.md): RELU/RELU6 pass where the output is strictly inside the range;
// HARD_SWISH's derivative is 0 below -3, x/3 + 1/2 on [-3, 3], 1 above 3.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_q8_unary(BuildContext& b, const Op& op);

namespace {

void write_logistic(TfliteOpWriter& w) { w.set_version(version_by_int_type(w)); }
void write_relu(TfliteOpWriter& w) {
  const DType x = w.in_type();
  w.set_version(x == DType::I16 ? 3 : (x == DType::I8 || x == DType::U8) ? 2 : 1);
}
void write_relu6(TfliteOpWriter& w) {
  const DType x = w.in_type();
  w.set_version(x == DType::I8 || x == DType::U8 ? 2 : 1);
}
void write_hard_swish(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::HardSwishOptions, tflite::CreateHardSwishOptions(w.fbb()).Union());
  w.set_version(1);
}

float logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float relu(float x) { return std::max(x, 0.0f); }
float relu6(float x) { return std::min(std::max(x, 0.0f), 6.0f); }
float hard_swish(float x) { return x * std::min(6.0f, std::max(0.0f, x + 3.0f)) / 6.0f; }

double d_logistic(float, float y) { return (double)y * (1.0 - (double)y); }
double d_relu(float, float y) { return ref::passes(Activation::Relu, y) ? 1.0 : 0.0; }
double d_relu6(float, float y) { return ref::passes(Activation::Relu6, y) ? 1.0 : 0.0; }
double d_hard_swish(float x, float) { return x < -3.0f ? 0.0 : x > 3.0f ? 1.0 : (double)x / 3.0 + 0.5; }

}  // namespace

const OpDesc kLogistic = {
    .type = OpType::Logistic,
    .name = "LOGISTIC",
    .builtin = (int)tflite::BuiltinOperator::LOGISTIC,
    .traits = {.output_quant = OutputQuant::Probability},
    .read = read_one_input,
    .write = write_logistic,
    .infer = infer_same_shape,
    .make_float = [](BuildContext& b, const Op& op) { return make_unary(b, op, UnaryFunc::Logistic); },
    .make_q8 = make_q8_unary,
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_unary(b, op, UnaryFunc::Logistic); },
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::unary(c, logistic); },
    .ref_int = ref::intd::logistic,
    .ref_grad = [](ref::GradContext& c) { c.unary(d_logistic); },
};

const OpDesc kRelu = {
    .type = OpType::Relu,
    .name = "RELU",
    .builtin = (int)tflite::BuiltinOperator::RELU,
    .read = read_one_input,
    .write = write_relu,
    .infer = infer_same_shape,
    .make_float = [](BuildContext& b, const Op& op) { return make_unary(b, op, UnaryFunc::Relu); },
    .make_q8 = make_q8_unary,
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_unary(b, op, UnaryFunc::Relu); },
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::unary(c, relu); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::relu(c, 0.0f, std::numeric_limits<float>::infinity()); },
    .ref_grad = [](ref::GradContext& c) { c.unary(d_relu); },
};

const OpDesc kRelu6 = {
    .type = OpType::Relu6,
    .name = "RELU6",
    .builtin = (int)tflite::BuiltinOperator::RELU6,
    .read = read_one_input,
    .write = write_relu6,
    .infer = infer_same_shape,
    .make_float = [](BuildContext& b, const Op& op) { return make_unary(b, op, UnaryFunc::Relu6); },
    .make_q8 = make_q8_unary,
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_unary(b, op, UnaryFunc::Relu6); },
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::unary(c, relu6); },
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::relu(c, 0.0f, 6.0f); },
    .ref_grad = [](ref::GradContext& c) { c.unary(d_relu6); },
};

const OpDesc kHardSwish = {
    .type = OpType::HardSwish,
    .name = "HARD_SWISH",
    .builtin = (int)tflite::BuiltinOperator::HARD_SWISH,
    .read = read_one_input,
    .write = write_hard_swish,
    .infer = infer_same_shape,
    .make_float = [](BuildContext& b, const Op& op) { return make_unary(b, op, UnaryFunc::HardSwish); },
    .make_q8 = make_q8_unary,
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_unary(b, op, UnaryFunc::HardSwish); },
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::unary(c, hard_swish); },
    .ref_int = ref::intd::hard_swish,
    .ref_grad = [](ref::GradContext& c) { c.unary(d_hard_swish); },
};

}  // namespace tare::ops
