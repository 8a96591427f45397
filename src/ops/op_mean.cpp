// MEAN: the average over constant axes, keep_dims.  Kernels: mean.cpp, q8_mean.cpp, grad_mean.cpp.
#include <algorithm>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_mean(BuildContext& b, const Op& op);
KernelPtr make_q8_mean(BuildContext& b, const Op& op);
KernelPtr make_grad_mean(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::ReducerOptions>(tflite::BuiltinOptions::ReducerOptions))
    p.keep_dims = opt->keep_dims();
  p.axes = r.normalise_axes(r.const_ints(1, "axes"), r.input_rank(0));
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  std::vector<int64_t> axes(p.axes.begin(), p.axes.end());
  std::vector<int>& inputs = w.inputs();
  inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
  inputs[1] = w.int_param(1, {(int)axes.size()}, axes, "_axes");
  w.set_options(tflite::BuiltinOptions::ReducerOptions, tflite::CreateReducerOptions(w.fbb(), p.keep_dims).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I16 ? 3 : (x == DType::I8 || x == DType::U8) ? 2 : 1);
}

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(1, 2);
  const auto& x = s.in(0);
  std::vector<int> o;
  for (int a : p.axes) {
    if (a < 0 || (size_t)a >= x.size()) s.err("axis " + std::to_string(a) + " out of range for " + shape_str(x));
  }
  for (size_t i = 0; i < x.size(); i++) {
    bool reduced = std::find(p.axes.begin(), p.axes.end(), (int)i) != p.axes.end();
    if (!reduced) o.push_back(x[i]);
    else if (p.keep_dims) o.push_back(1);
  }
  s.set_out(o);
}

// A mean that keeps the channel axis commutes with per-channel scaling.
bool equalize_through(const Graph& g, const Op& op, std::string&) {
  const int last = (int)g.tensors[(size_t)op.inputs[0]].shape.size() - 1;
  return std::find(op.params.axes.begin(), op.params.axes.end(), last) == op.params.axes.end();
}

}  // namespace

const OpDesc kMean = {
    .type = OpType::Mean,
    .name = "MEAN",
    .builtin = (int)tflite::BuiltinOperator::MEAN,
    .traits = {.equalize_through = equalize_through},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_mean,
    .make_q8 = make_q8_mean,
    .make_grad = make_grad_mean,
    .ref_float = ref::detail::mean,
    .ref_int = ref::intd::mean,
    .ref_grad = [](ref::GradContext& c) { c.mean(); },
};

}  // namespace tare::ops
