// SOFTMAX over the last dimension, with beta.  Kernels: softmax.cpp, q8_softmax.cpp, grad_softmax.cpp.
#include <cmath>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_softmax(BuildContext& b, const Op& op);
KernelPtr make_q8_softmax(BuildContext& b, const Op& op);
KernelPtr make_grad_softmax(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  r.arity(1, 1, 1);
  OpParams& p = r.params();
  if (auto opt = r.options<tflite::SoftmaxOptions>(tflite::BuiltinOptions::SoftmaxOptions)) p.beta = opt->beta();
  if (!std::isfinite(p.beta)) r.invalid("invalid beta");
}

void write(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::SoftmaxOptions, tflite::CreateSoftmaxOptions(w.fbb(), w.params().beta).Union());
  w.set_version(version_by_int_type(w));
}

void infer(ShapeContext& s) {
  s.need_inputs(1, 1);
  if (s.in(0).empty()) s.err("input must have rank >= 1");
  s.set_out(s.in(0));
}

}  // namespace

const OpDesc kSoftmax = {
    .type = OpType::Softmax,
    .name = "SOFTMAX",
    .builtin = (int)tflite::BuiltinOperator::SOFTMAX,
    .traits = {.output_quant = OutputQuant::Probability},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_softmax,
    .make_q8 = make_q8_softmax,
    .make_grad = make_grad_softmax,
    .ref_float = ref::detail::softmax,
    .ref_int = ref::intd::softmax,
    .ref_grad = [](ref::GradContext& c) { c.softmax(); },
};

}  // namespace tare::ops
