// AVERAGE_POOL_2D and MAX_POOL_2D: a KHxKW window with strides, SAME/VALID (padding is excluded from averages),
// fused activation.  Kernels: pool2d.cpp, q8_pool2d.cpp, grad_pool2d.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_pool2d(BuildContext& b, const Op& op);
KernelPtr make_q8_pool2d(BuildContext& b, const Op& op);
KernelPtr make_grad_pool2d(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(1, 1, 1);
  if (auto opt = r.options<tflite::Pool2DOptions>(tflite::BuiltinOptions::Pool2DOptions)) {
    p.padding = r.padding(opt->padding());
    p.stride_w = opt->stride_w();
    p.stride_h = opt->stride_h();
    p.filter_w = opt->filter_width();
    p.filter_h = opt->filter_height();
    p.activation = r.activation(opt->fused_activation_function());
  } else {
    p.stride_w = p.stride_h = p.filter_w = p.filter_h = 0;
  }
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.set_options(tflite::BuiltinOptions::Pool2DOptions,
                tflite::CreatePool2DOptions(w.fbb(), w.padding(p.padding), p.stride_w, p.stride_h, p.filter_w,
                                            p.filter_h, w.activation(p.activation))
                    .Union());
  w.set_version(version_by_int_type(w));
}

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(1, 1);
  s.need_rank(0, 4, "input");
  const auto& x = s.in(0);
  if (p.stride_h < 1 || p.stride_w < 1) s.err("strides must be >= 1");
  if (p.filter_h < 1 || p.filter_w < 1) s.err("filter size must be >= 1");
  int oh = conv_out_size(x[1], p.filter_h, p.stride_h, 1, p.padding);
  int ow = conv_out_size(x[2], p.filter_w, p.stride_w, 1, p.padding);
  if (oh < 1 || ow < 1) s.err("pool window does not fit input " + shape_str(x));
  s.set_out({x[0], oh, ow, x[3]});
}

// Averages and maxima over a window commute with positive per-channel scaling; a fused clamp does not.
bool equalize_through(const Graph& g, const Op& op, std::string&) {
  return g.tensors[(size_t)op.inputs[0]].shape.size() == 4 && op.params.activation == Activation::None;
}

constexpr OpTraits kTraits = {.fused_activation = true,
                              .equalize_through = equalize_through,
                              .output_quant = OutputQuant::SameAsInput};

}  // namespace

const OpDesc kAveragePool2D = {
    .type = OpType::AveragePool2D,
    .name = "AVERAGE_POOL_2D",
    .builtin = (int)tflite::BuiltinOperator::AVERAGE_POOL_2D,
    .traits = kTraits,
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_pool2d,
    .make_q8 = make_q8_pool2d,
    .make_grad = make_grad_pool2d,
    .ref_float = ref::detail::average_pool2d,
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::pool2d(c, true); },
    .ref_grad = [](ref::GradContext& c) { c.pool(true); },
};

const OpDesc kMaxPool2D = {
    .type = OpType::MaxPool2D,
    .name = "MAX_POOL_2D",
    .builtin = (int)tflite::BuiltinOperator::MAX_POOL_2D,
    .traits = kTraits,
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_pool2d,
    .make_q8 = make_q8_pool2d,
    .make_grad = make_grad_pool2d,
    .ref_float = ref::detail::max_pool2d,
    .ref_int = [](ref::intd::IntCtx& c) { ref::intd::pool2d(c, false); },
    .ref_grad = [](ref::GradContext& c) { c.pool(false); },
};

}  // namespace tare::ops
