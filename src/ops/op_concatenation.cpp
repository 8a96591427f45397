// CONCATENATION along one axis, fused activation; constant inputs are data.  Kernels: concatenation.cpp,
// q8_concatenation.cpp, grad_concatenation.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_concatenation(BuildContext& b, const Op& op);
KernelPtr make_q8_concatenation(BuildContext& b, const Op& op);
KernelPtr make_grad_concatenation(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  const size_t n = r.op().inputs.size();
  if (n == 0) r.invalid("has no input");
  r.arity(n, n, n);
  int axis = 0;
  if (auto opt = r.options<tflite::ConcatenationOptions>(tflite::BuiltinOptions::ConcatenationOptions)) {
    axis = opt->axis();
    p.activation = r.activation(opt->fused_activation_function());
  }
  p.axis = r.normalise_axis(axis, r.input_rank(0));
}

// TFLite's CONCATENATION refuses every fused activation (concatenation.cc, Prepare: activation must be NONE, for
// every type): the exporter writes it as an activation operator of its own, which the importer fuses back.
void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.split_activation();
  w.set_options(tflite::BuiltinOptions::ConcatenationOptions,
                tflite::CreateConcatenationOptions(w.fbb(), p.axis, tflite::ActivationFunctionType::NONE).Union());
  w.set_version(version_by_int_type(w));
}

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  const size_t n = s.op().inputs.size();
  if (n == 0) s.err("expects at least 1 input");
  s.need_inputs(n, n);
  const auto& x0 = s.in(0);
  if (p.axis < 0 || (size_t)p.axis >= x0.size()) s.err("axis " + std::to_string(p.axis) + " out of range");
  std::vector<int> o = x0;
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    const auto& xi = s.in(i);
    if (xi.size() != x0.size()) s.err("inputs " + shape_str(x0) + " and " + shape_str(xi) + " differ in rank");
    for (size_t d = 0; d < xi.size(); d++) {
      if ((int)d != p.axis && xi[d] != x0[d]) {
        s.err("inputs " + shape_str(x0) + " and " + shape_str(xi) + " differ outside axis " + std::to_string(p.axis));
      }
    }
    sum += xi[p.axis];
  }
  if (sum > INT32_MAX) s.err("concatenated dimension too large");
  o[p.axis] = (int)sum;
  s.set_out(o);
}

}  // namespace

const OpDesc kConcatenation = {
    .type = OpType::Concatenation,
    .name = "CONCATENATION",
    .builtin = (int)tflite::BuiltinOperator::CONCATENATION,
    // TFLite's int8 kernel requires every input's parameters to equal the output's.
    .traits = {.fused_activation = true, .output_quant = OutputQuant::SharedWithInputs, .constant_operands = true},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_concatenation,
    .make_q8 = make_q8_concatenation,
    .make_grad = make_grad_concatenation,
    .ref_float = ref::detail::concatenation,
    .ref_int = ref::intd::concatenation,
    .ref_grad = [](ref::GradContext& c) { c.concatenation(); },
};

}  // namespace tare::ops
