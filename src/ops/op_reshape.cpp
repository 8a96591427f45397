// RESHAPE and SQUEEZE: the same values in the same order under a new shape.  Where the NHWC4 device layout does not
// change (same channel count) the output aliases the input and costs nothing; else a repacking kernel runs
// (reshape.cpp for float and 8-bit, grad_reshape.cpp).
#include <algorithm>
#include <limits>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_reshape(BuildContext& b, const Op& op);
KernelPtr make_q8_reshape(BuildContext& b, const Op& op);
KernelPtr make_grad_reshape(BuildContext& b, const Op& op);

namespace {

using BOpt = tflite::BuiltinOptions;

void read_reshape(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(1, 2, 1);
  const Tensor& y = r.output();
  if (r.has_input(1) && r.op().inputs.size() == 2) {
    const Tensor& s = r.input(1);
    if (!s.is_const) {
      p.new_shape = y.shape;  // computed at run time in TFLite; the file's output shape is what it yields
      return;
    }
    if (s.shape.size() == 1) {
      for (int64_t v : r.const_ints(1, "shape")) {
        if (v < -1 || v > std::numeric_limits<int>::max()) r.invalid("invalid new shape value");
        p.new_shape.push_back((int)v);
      }
      return;
    }
  }
  auto opt = r.options<tflite::ReshapeOptions>(BOpt::ReshapeOptions);
  p.new_shape = opt && opt->new_shape() ? fb_ints(opt->new_shape()) : y.shape;
}

void write_reshape(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  // The shape input is optional in the format (ReshapeOptions.new_shape is the legacy form that TFLite still
  // reads): an op without one keeps that form, a non-constant one (computed at run time) stays as it is, a
  // constant one is rewritten from new_shape when it no longer matches.
  if (w.in(1) && w.in(1)->is_const) {
    std::vector<int64_t> shape(p.new_shape.begin(), p.new_shape.end());
    w.inputs().resize(2, -1);
    w.inputs()[1] = w.int_param(1, {(int)shape.size()}, shape, "_shape");
  }
  w.set_options(BOpt::ReshapeOptions, tflite::CreateReshapeOptions(w.fbb(), w.fbb().CreateVector(p.new_shape)).Union());
  w.set_version(1);
}

void infer_reshape(ShapeContext& s) {
  s.need_inputs(1, 2);
  int64_t n = s.input(0).elements();
  std::vector<int> o = s.params().new_shape;
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < o.size(); i++) {
    if (o[i] == -1) {
      if (unknown >= 0) s.err("new shape " + shape_str(o) + " has more than one -1");
      unknown = (int)i;
    } else if (o[i] < 0) {
      s.err("new shape " + shape_str(o) + " has a negative dimension");
    } else {
      if (o[i] > 0 && known > ShapeContext::kMaxElements / o[i]) s.err("new shape " + shape_str(o) + " is too large");
      known *= o[i];
    }
  }
  if (unknown >= 0) {
    if (known == 0 || n % known != 0) s.err("cannot reshape " + shape_str(s.in(0)) + " to " + shape_str(o));
    if (n / known > INT32_MAX) s.err("cannot reshape " + shape_str(s.in(0)) + " to " + shape_str(o));
    o[unknown] = (int)(n / known);
  } else if (known != n) {
    s.err("cannot reshape " + shape_str(s.in(0)) + " to " + shape_str(o));
  }
  s.set_out(o);
}

void read_squeeze(TfliteOpReader& r) {
  r.arity(1, 1, 1);
  if (auto opt = r.options<tflite::SqueezeOptions>(BOpt::SqueezeOptions)) {
    std::vector<int64_t> axes;
    for (int a : fb_ints(opt->squeeze_dims())) axes.push_back(a);
    r.params().axes = r.normalise_axes(axes, r.input_rank(0));
  }
}

void write_squeeze(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.set_options(BOpt::SqueezeOptions,
                tflite::CreateSqueezeOptions(w.fbb(), p.axes.empty() ? 0 : w.fbb().CreateVector(p.axes)).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I16 || x == DType::Bool ? 2 : 1);
}

void infer_squeeze(ShapeContext& s) {
  const auto& axes = s.params().axes;
  s.need_inputs(1, 1);
  const auto& x = s.in(0);
  std::vector<int> o;
  for (int a : axes) {
    if (a < 0 || (size_t)a >= x.size()) s.err("axis " + std::to_string(a) + " out of range for " + shape_str(x));
    if (x[a] != 1) s.err("cannot squeeze dimension " + std::to_string(a) + " of " + shape_str(x));
  }
  for (size_t i = 0; i < x.size(); i++) {
    bool sq = axes.empty() ? x[i] == 1 : std::find(axes.begin(), axes.end(), (int)i) != axes.end();
    if (!sq) o.push_back(x[i]);
  }
  s.set_out(o);
}

// Same flat order and the same last axis on both sides: channel = flat index % C.
bool equalize_through(const Graph&, const Op&, std::string&) { return true; }

constexpr OpTraits kTraits = {.equalize_through = equalize_through,
                              .output_quant = OutputQuant::SameAsInput,
                              .may_alias = true};

}  // namespace

const OpDesc kReshape = {
    .type = OpType::Reshape,
    .name = "RESHAPE",
    .builtin = (int)tflite::BuiltinOperator::RESHAPE,
    .traits = kTraits,
    .read = read_reshape,
    .write = write_reshape,
    .infer = infer_reshape,
    .make_float = make_reshape,
    .make_q8 = make_q8_reshape,
    .make_grad = make_grad_reshape,
    .ref_float = ref::detail::reshape,
    .ref_int = ref::intd::copy_op,
    .ref_grad = [](ref::GradContext& c) { c.pass_through(); },
};

const OpDesc kSqueeze = {
    .type = OpType::Squeeze,
    .name = "SQUEEZE",
    .builtin = (int)tflite::BuiltinOperator::SQUEEZE,
    .traits = kTraits,
    .read = read_squeeze,
    .write = write_squeeze,
    .infer = infer_squeeze,
    .make_float = make_reshape,
    .make_q8 = make_q8_reshape,
    .make_grad = make_grad_reshape,
    .ref_float = ref::detail::squeeze,
    .ref_int = ref::intd::copy_op,
    .ref_grad = [](ref::GradContext& c) { c.pass_through(); },
};

}  // namespace tare::ops
