// CONV_2D: NHWC input, [O,KH,KW,I] filter, optional bias, strides, dilations, SAME/VALID, fused activation.
// Kernels: conv2d.cpp, q8_conv2d.cpp, grad_conv2d.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_conv2d(BuildContext& b, const Op& op);
KernelPtr make_q8_conv2d(BuildContext& b, const Op& op);
KernelPtr make_grad_conv2d(BuildContext& b, const Op& op);

int conv_input_channel(const std::vector<int>&, int64_t e, int channels) { return (int)(e % channels); }

void infer_conv(ShapeContext& s, bool depthwise) {
  const OpParams& p = s.params();
  s.need_inputs(2, 3);
  s.need_rank(0, 4, "input");
  s.need_rank(1, 4, "filter");
  const auto& x = s.in(0);
  const auto& f = s.in(1);
  if (p.stride_h < 1 || p.stride_w < 1) s.err("strides must be >= 1");
  if (p.dilation_h < 1 || p.dilation_w < 1) s.err("dilations must be >= 1");
  if (f[1] < 1 || f[2] < 1) s.err("empty filter " + shape_str(f));
  int cout = f[3];
  if (!depthwise) {
    if (f[0] < 1) s.err("filter " + shape_str(f) + " has no output channels");
    if (f[3] != x[3]) {
      s.err("filter " + shape_str(f) + " expects " + std::to_string(f[3]) + " input channels, input has " +
            shape_str(x));
    }
    cout = f[0];
  } else {
    if (f[0] != 1) s.err("depthwise filter " + shape_str(f) + " must have dimension 0 equal to 1");
    if (p.depth_multiplier < 1 || (int64_t)x[3] * p.depth_multiplier != f[3]) {
      s.err("depthwise filter " + shape_str(f) + " does not match input " + shape_str(x) + " with depth multiplier " +
            std::to_string(p.depth_multiplier));
    }
  }
  if (s.has(2) && s.input(2).elements() != cout) {
    s.err("bias shape " + shape_str(s.in(2)) + " does not match " + std::to_string(cout) + " output channels");
  }
  int oh = conv_out_size(x[1], f[1], p.stride_h, p.dilation_h, p.padding);
  int ow = conv_out_size(x[2], f[2], p.stride_w, p.dilation_w, p.padding);
  if (oh < 1 || ow < 1) s.err("filter " + shape_str(f) + " does not fit input " + shape_str(x));
  s.set_out({x[0], oh, ow, cout});
}

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(2, 3, 2);
  if (auto opt = r.options<tflite::Conv2DOptions>(tflite::BuiltinOptions::Conv2DOptions)) {
    p.padding = r.padding(opt->padding());
    p.stride_w = opt->stride_w();
    p.stride_h = opt->stride_h();
    p.dilation_w = opt->dilation_w_factor();
    p.dilation_h = opt->dilation_h_factor();
    p.activation = r.activation(opt->fused_activation_function());
  } else {
    p.stride_w = p.stride_h = 0;
  }
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.set_options(tflite::BuiltinOptions::Conv2DOptions,
                tflite::CreateConv2DOptions(w.fbb(), w.padding(p.padding), p.stride_w, p.stride_h,
                                            w.activation(p.activation), p.dilation_w, p.dilation_h)
                    .Union());
  const DType x = w.in_type(), wt = w.in_type(1);
  int v = 1;
  if (x == DType::I16 && wt == DType::I8) {
    v = 4;
  } else if (w.rank(w.in(0)) == 4 && w.rank(w.in(1)) == 4 && w.in(0)->shape[3] != w.in(1)->shape[3]) {
    v = 6;  // grouped convolution
  } else if (x == DType::F32 && wt == DType::I8) {
    v = w.channels(w.in(1)) > 1 ? 5 : 2;
  } else if (x == DType::I8) {
    v = 3;
  } else if (p.dilation_h != 1 || p.dilation_w != 1) {
    v = 2;
  }
  w.set_version(v);
}

// Each output element takes KH*KW*Cin multiply-accumulates.
int64_t macs(const Graph& g, const Op& op) {
  const Tensor& w = g.tensors[op.inputs[1]];
  return w.shape.size() == 4 ? g.tensors[op.outputs[0]].elements() * w.shape[1] * w.shape[2] * w.shape[3] : 0;
}

std::string input_mismatch(const std::vector<int>& w, int channels) {
  return w.size() != 4 || w[3] != channels ? " is not a plain convolution" : "";
}

constexpr WeightLayout kWeights = {.rank = 4,
                                   .out_axis = 0,
                                   .equalizable_first = true,
                                   .input_channel = conv_input_channel,
                                   .input_mismatch = input_mismatch};

}  // namespace

const OpDesc kConv2D = {
    .type = OpType::Conv2D,
    .name = "CONV_2D",
    .builtin = (int)tflite::BuiltinOperator::CONV_2D,
    .traits = {.weights = &kWeights, .fused_activation = true},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_conv(s, false); },
    .macs = macs,
    .make_float = make_conv2d,
    .make_q8 = make_q8_conv2d,
    .make_grad = make_grad_conv2d,
    .ref_float = ref::detail::conv2d,
    .ref_int = ref::intd::conv2d,
    .ref_grad = [](ref::GradContext& c) { c.conv2d(); },
};

}  // namespace tare::ops
