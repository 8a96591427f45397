// DEPTHWISE_CONV_2D: NHWC input, [1,KH,KW,I*M] filter (output channel i*M+k reads input channel i), optional bias,
// strides, dilations, SAME/VALID, fused activation.  Kernels: depthwise_conv2d.cpp, q8_depthwise_conv2d.cpp,
// grad_depthwise_conv2d.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_depthwise_conv2d(BuildContext& b, const Op& op);
KernelPtr make_q8_depthwise_conv2d(BuildContext& b, const Op& op);
KernelPtr make_grad_depthwise_conv2d(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(2, 3, 2);
  if (auto opt = r.options<tflite::DepthwiseConv2DOptions>(tflite::BuiltinOptions::DepthwiseConv2DOptions)) {
    p.padding = r.padding(opt->padding());
    p.stride_w = opt->stride_w();
    p.stride_h = opt->stride_h();
    p.dilation_w = opt->dilation_w_factor();
    p.dilation_h = opt->dilation_h_factor();
    p.depth_multiplier = opt->depth_multiplier();
    p.activation = r.activation(opt->fused_activation_function());
  } else {
    p.stride_w = p.stride_h = 0;
  }
  // The option is redundant (TFLite ignores it): the multiplier follows from the shapes.
  const auto& x = r.input(0).shape;
  const auto& f = r.input(1).shape;
  if (x.size() == 4 && f.size() == 4 && x[3] > 0 && f[3] % x[3] == 0) p.depth_multiplier = f[3] / x[3];
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.set_options(tflite::BuiltinOptions::DepthwiseConv2DOptions,
                tflite::CreateDepthwiseConv2DOptions(w.fbb(), w.padding(p.padding), p.stride_w, p.stride_h,
                                                     p.depth_multiplier, w.activation(p.activation), p.dilation_w,
                                                     p.dilation_h)
                    .Union());
  const DType x = w.in_type(), wt = w.in_type(1);
  int v = 1;
  if (x == DType::I16) {
    v = 5;
  } else if (x == DType::F32 && wt == DType::I8) {
    v = w.channels(w.in(1)) > 1 ? 6 : 4;
  } else if (x == DType::I8) {
    v = 3;
  } else if (p.dilation_h != 1 || p.dilation_w != 1) {
    v = 2;
  }
  w.set_version(v);
}

// Each output element takes KH*KW multiply-accumulates.
int64_t macs(const Graph& g, const Op& op) {
  const Tensor& w = g.tensors[op.inputs[1]];
  return w.shape.size() == 4 ? g.tensors[op.outputs[0]].elements() * w.shape[1] * w.shape[2] : 0;
}

// Element e of [1,KH,KW,C*M] weights belongs to output channel e % (C*M), which reads input channel that / M.
int input_channel(const std::vector<int>& w, int64_t e, int channels) {
  const int64_t cm = w[3], mult = cm / channels;
  return (int)((e % cm) / mult);
}
std::string input_mismatch(const std::vector<int>& w, int channels) {
  if (w.size() == 4 && w[0] == 1 && w[3] % channels == 0) return "";
  return ": depthwise weights do not match " + std::to_string(channels) + " channels";
}

constexpr WeightLayout kWeights = {.rank = 4,
                                   .out_axis = 3,
                                   .equalizable_first = true,
                                   .input_channel = input_channel,
                                   .input_mismatch = input_mismatch};

}  // namespace

const OpDesc kDepthwiseConv2D = {
    .type = OpType::DepthwiseConv2D,
    .name = "DEPTHWISE_CONV_2D",
    .builtin = (int)tflite::BuiltinOperator::DEPTHWISE_CONV_2D,
    .traits = {.weights = &kWeights, .fused_activation = true},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_conv(s, true); },
    .macs = macs,
    .make_float = make_depthwise_conv2d,
    .make_q8 = make_q8_depthwise_conv2d,
    .make_grad = make_grad_depthwise_conv2d,
    .ref_float = ref::detail::depthwise_conv2d,
    .ref_int = ref::intd::depthwise_conv2d,
    .ref_grad = [](ref::GradContext& c) { c.depthwise_conv2d(); },
};

}  // namespace tare::ops
