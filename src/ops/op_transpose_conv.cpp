// TRANSPOSE_CONV: NHWC input, [O,KH,KW,I] filter, optional bias [O], strides, SAME/VALID, fused activation; the
// output size comes from the constant output_shape input.
//
// TFLite's operator takes (output_shape, weights, input, bias); Tare keeps the weighted-layer order (input, weights,
// optional bias) so that the quantizer, IBC, BFT and equalization see a weighted layer, and the output height and
// width in params.ints (kOutH, kOutW).  Export writes TFLite's order back, with output_shape as a constant.
//
// The padding is TFLite's (transpose_conv.cc): ComputePaddingHeightWidth with the *output* size as the window's
// input, i.e. the padding of the convolution whose input-gradient this op is.  Shape inference requires that
// convolution to map the output size back onto the input size.
//
// Kernels: the forward pass is the input-gradient of that convolution, written as a gather
// (shaders/transpose_conv.comp: each output pixel sums the input taps that land on it, phase by phase, no atomics);
// its own input gradient is a plain convolution of dy with the same weights (shaders/grad_transpose_conv.comp).
// 8-bit: the same gather on int8 words (shaders/q8_transpose_conv.comp), TFLite's int8 kernel bit for bit
// (ref::intd::transpose_conv).
#include <algorithm>
#include <cstring>
#include <limits>
#include <span>

#include "ops/grad_weighted.h"
#include "ops/op_def.h"
#include "ops/q8_conv_common.h"
#include "ref/window.h"

namespace tare::ops {

namespace {

constexpr size_t kOutH = 0;  // params.ints[kOutH]: output height
constexpr size_t kOutW = 1;  // params.ints[kOutW]: output width

int out_h(const OpParams& p) { return p.ints.size() == 2 ? p.ints[kOutH] : 0; }
int out_w(const OpParams& p) { return p.ints.size() == 2 ? p.ints[kOutW] : 0; }

// ---- import / export -------------------------------------------------------------------------------------------

// MediaPipe's CUSTOM op "Convolution2DTransposeBias" (mediapipe/util/tflite/operations/transpose_conv_bias.cc):
// inputs (input, OHWI weights, bias), no output_shape input; custom_options is TfLiteTransposeConvParams copied raw:
// int32 padding (TfLitePadding: 1 SAME, 2 VALID), stride_width, stride_height (newer TFLite headers append a fused
// activation, which MediaPipe's kernel ignores: accepted only as none).  Its output size is MediaPipe's:
// stride * (in - 1) + filter - pad, pad = SAME ? max(0, filter - (in - 1) % stride - 1) : 0, with pad / 2 at the
// top / left: exactly the builtin's padding for that output size, so the op becomes a builtin TRANSPOSE_CONV.
constexpr const char* kMediapipeCustom = "Convolution2DTransposeBias";

void read_custom(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(3, 3, 3);
  const std::span<const uint8_t> opt = r.custom_options();
  if (opt.size() != 12 && opt.size() != 16)
    r.invalid("custom options must hold TfLiteTransposeConvParams (12 or 16 bytes), got " + std::to_string(opt.size()));
  auto field = [&](size_t i) {
    int32_t v;
    std::memcpy(&v, opt.data() + 4 * i, 4);  // little-endian, as the file
    return v;
  };
  const int32_t padding = field(0), sw = field(1), sh = field(2);
  if (padding != 1 && padding != 2)
    r.invalid("custom options: padding " + std::to_string(padding) + " is not SAME or VALID");
  if (sw < 1 || sh < 1 || sw > 4096 || sh > 4096)
    r.invalid("custom options: strides " + std::to_string(sh) + "," + std::to_string(sw) + " out of range");
  if (opt.size() == 16 && field(3) != 0) r.unsupported("custom options: fused activation " + std::to_string(field(3)));
  p.padding = padding == 1 ? Padding::Same : Padding::Valid;
  p.stride_h = sh;
  p.stride_w = sw;
  p.activation = Activation::None;
  if (r.input_rank(0) != 4 || r.input_rank(1) != 4) r.invalid("input and weights must have rank 4");
  const std::vector<int>& is = r.input(0).shape;
  const std::vector<int>& ws = r.input(1).shape;
  auto out_size = [&](int in, int k, int s) {
    const int pad = p.padding == Padding::Same ? std::max(0, k - (in - 1) % s - 1) : 0;
    return (int64_t)s * (in - 1) + k - pad;
  };
  const int64_t oh = out_size(is[1], ws[1], sh), ow = out_size(is[2], ws[2], sw);
  if (is[1] < 1 || is[2] < 1 || oh < 1 || ow < 1 || oh > std::numeric_limits<int>::max() ||
      ow > std::numeric_limits<int>::max())
    r.invalid("output size out of range");
  p.ints = {(int)oh, (int)ow};
}

void read(TfliteOpReader& r) {
  if (!r.custom().empty()) return read_custom(r);
  OpParams& p = r.params();
  r.arity(3, 4, 3);
  if (auto opt = r.options<tflite::TransposeConvOptions>(tflite::BuiltinOptions::TransposeConvOptions)) {
    p.padding = r.padding(opt->padding());
    p.stride_w = opt->stride_w();
    p.stride_h = opt->stride_h();
    p.activation = r.activation(opt->fused_activation_function());
  } else {
    p.stride_w = p.stride_h = 0;
  }
  const auto v = r.const_ints(0, "output_shape");
  for (int64_t d : v)
    if (d < 1 || d > std::numeric_limits<int>::max()) r.invalid("output_shape must hold 4 positive values");
  if (v.size() != 4) r.invalid("output_shape must hold 4 positive values");
  if (r.input_rank(2) == 4 && v[0] != r.input(2).shape[0])
    r.invalid("output_shape " + std::to_string(v[0]) + " batches, input " + shape_str(r.input(2).shape));
  if (r.input_rank(1) == 4 && v[3] != r.input(1).shape[0])
    r.invalid("output_shape " + std::to_string(v[3]) + " channels, filter " + shape_str(r.input(1).shape));
  p.ints = {(int)v[1], (int)v[2]};
  Op& op = r.op();
  const int bias = r.has_input(3) ? op.inputs[3] : -1;
  op.inputs = {op.inputs[2], op.inputs[1]};
  if (bias >= 0) op.inputs.push_back(bias);
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  const std::vector<int> in = w.inputs();
  if (in.size() < 2) w.bad("expects input, weights and an optional bias");
  const std::vector<int>& os = w.out().shape;
  if (os.size() != 4) w.bad("output must have rank 4");
  const int shape = w.int_param(in.size(), {4}, {os[0], os[1], os[2], os[3]}, "_output_shape");
  const bool bias = in.size() > 2 && in[2] >= 0;
  w.inputs() = bias ? std::vector<int>{shape, in[1], in[0], in[2]} : std::vector<int>{shape, in[1], in[0]};
  w.set_options(tflite::BuiltinOptions::TransposeConvOptions,
                tflite::CreateTransposeConvOptions(w.fbb(), w.padding(p.padding), p.stride_w, p.stride_h,
                                                   w.activation(p.activation))
                    .Union());
  // tensorflow/lite/tools/versioning/op_version.cc: 4 fused activation, 3 bias, 2 int8 weights.
  int v = 1;
  if (p.activation != Activation::None) {
    v = 4;
  } else if (bias) {
    v = 3;
  } else if (w.in_type(1) == DType::I8) {
    v = 2;
  }
  w.set_version(v);
}

// ---- shapes ----------------------------------------------------------------------------------------------------

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(2, 3);
  s.need_rank(0, 4, "input");
  s.need_rank(1, 4, "filter");
  const auto& x = s.in(0);
  const auto& f = s.in(1);
  if (p.stride_h < 1 || p.stride_w < 1) s.err("strides must be >= 1");
  if (p.dilation_h != 1 || p.dilation_w != 1) s.err("dilations must be 1");
  if (f[0] < 1 || f[1] < 1 || f[2] < 1) s.err("empty filter " + shape_str(f));
  if (f[3] != x[3]) {
    s.err("filter " + shape_str(f) + " expects " + std::to_string(f[3]) + " input channels, input has " + shape_str(x));
  }
  const int oh = out_h(p), ow = out_w(p);
  if (oh < 1 || ow < 1) s.err("output size " + std::to_string(oh) + "x" + std::to_string(ow) + " is invalid");
  if (conv_out_size(oh, f[1], p.stride_h, 1, p.padding) != x[1] ||
      conv_out_size(ow, f[2], p.stride_w, 1, p.padding) != x[2]) {
    s.err("output size " + std::to_string(oh) + "x" + std::to_string(ow) + " does not match input " + shape_str(x) +
          " with filter " + shape_str(f) + " and strides " + std::to_string(p.stride_h) + "," +
          std::to_string(p.stride_w));
  }
  if (s.has(2) && s.input(2).elements() != f[0]) {
    s.err("bias shape " + shape_str(s.in(2)) + " does not match " + std::to_string(f[0]) + " output channels");
  }
  s.set_out({x[0], oh, ow, f[0]});
}

// Each input element feeds KH*KW*Cout multiply-accumulates.
int64_t macs(const Graph& g, const Op& op) {
  const Tensor& w = g.tensors[op.inputs[1]];
  return w.shape.size() == 4 ? g.tensors[op.inputs[0]].elements() * w.shape[0] * w.shape[1] * w.shape[2] : 0;
}

std::string input_mismatch(const std::vector<int>& w, int channels) {
  return w.size() != 4 || w[3] != channels ? " does not take that many input channels" : "";
}

constexpr WeightLayout kWeights = {.rank = 4,
                                   .out_axis = 0,
                                   .equalizable_first = false,
                                   .input_channel = conv_input_channel,
                                   .input_mismatch = input_mismatch};

// ---- GPU kernels -----------------------------------------------------------------------------------------------

constexpr int kTP = 8;  // positions per invocation (TP of both shaders)
constexpr int kTC = 4;  // channel groups per invocation (TC of both shaders)

struct Geometry {
  Shape4 si, so;  // the op's input and output
  int ic, oc, kh, kw;
  WindowPads pads;  // of the convolution from the output back to the input
};

Geometry geometry(BuildContext& b, const Op& op, const std::string& where) {
  check_weighted_op(op, where, 3);
  const Graph& g = b.graph();
  const Tensor &in = g.tensors[op.inputs[0]], &wt = g.tensors[op.inputs[1]], &out = g.tensors[op.outputs[0]];
  check_not_const(in, where);
  TARE_CHECK(wt.is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant weights are not supported");
  TARE_CHECK(in.shape.size() == 4 && wt.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_INVALID_MODEL,
             where + "input, filter and output must have rank 4");
  Geometry r;
  r.si = shape4(in.shape);
  r.so = shape4(out.shape);
  r.oc = wt.shape[0];
  r.kh = wt.shape[1];
  r.kw = wt.shape[2];
  r.ic = wt.shape[3];
  const OpParams& p = op.params;
  TARE_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && r.kh >= 1 && r.kw >= 1, TARE_ERROR_INVALID_MODEL,
             where + "bad stride or filter size");
  TARE_CHECK(r.ic == r.si.c && r.oc == r.so.c && r.si.n == r.so.n &&
                 conv_out_size(r.so.h, r.kh, p.stride_h, 1, p.padding) == r.si.h &&
                 conv_out_size(r.so.w, r.kw, p.stride_w, 1, p.padding) == r.si.w,
             TARE_ERROR_INVALID_MODEL, where + "output shape does not match the transpose convolution");
  TARE_CHECK(r.si.padded_elements() < INT32_MAX && r.so.padded_elements() < INT32_MAX &&
                 (int64_t)r.si.c4() * r.kh * r.kw * r.so.c4() * 16 < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  Shape4 as_in = r.so;  // the output plays the convolution's input
  OpParams cp = p;
  cp.dilation_h = cp.dilation_w = 1;
  r.pads = conv_pads(as_in, r.kh, r.kw, cp);
  return r;
}

// Weights packed as vec4 [(((a4*KH + ky)*KW + kx)*B4*4 + b] over the 4 channels a4*4.. of axis `a`, where a / b are
// the output / input channels (forward) or the input / output channels (backward).
std::vector<float> pack(const std::vector<float>& w, const Geometry& g, bool by_output) {
  const int A = by_output ? g.oc : g.ic, B = by_output ? g.ic : g.oc;
  const int A4 = (A + 3) / 4, B4 = (B + 3) / 4;
  std::vector<float> packed((size_t)A4 * g.kh * g.kw * B4 * 16, 0.0f);
  for (int o = 0; o < g.oc; o++)
    for (int ky = 0; ky < g.kh; ky++)
      for (int kx = 0; kx < g.kw; kx++)
        for (int i = 0; i < g.ic; i++) {
          const int a = by_output ? o : i, bb = by_output ? i : o;
          const size_t vec = (((size_t)(a / 4) * g.kh + ky) * g.kw + kx) * B4 * 4 + (size_t)bb;
          packed[vec * 4 + a % 4] = w[(((size_t)o * g.kh + ky) * g.kw + kx) * g.ic + i];
        }
  return packed;
}

struct GatherPush {
  ConvHead h;  // N, OH, OW, OC4 (the op's output), IH, IW, IC4 (its input), pad_t, pad_l
  int32_t RY, XT, CT;
};
struct WindowPush {
  ConvHead h;  // N, OH, OW, OC4 (dy), IH, IW, IC4 (dx), pad_t, pad_l
  int32_t XT;
};

KernelPtr make_float(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  check_activation(op, where);
  const Geometry g = geometry(b, op, where);
  const OpParams& pr = op.params;
  const int OC4 = g.so.c4();
  const ConstSlice weights = b.add_constant_floats(pack(b.constant_as_float(op.inputs[1]), g, true));
  const ConstSlice bias = b.add_constant_floats(conv_float_bias(b, op, g.oc, OC4, where));
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) b.note_constant(op.inputs[2], bias);
  const int SH = pr.stride_h, SW = pr.stride_w;
  const int ry = (g.so.h + SH - 1) / SH, per_row = (g.so.w + SW - 1) / SW;
  const int tp = std::min(kTP, per_row), tc = std::min(kTC, OC4);
  const int xt = x_tiles(per_row, tp), ct = (int)div_up(OC4, tc);
  TARE_CHECK((int64_t)SH * SW * ct <= 65535, TARE_ERROR_UNSUPPORTED, where + "too many stride phases");
  const GatherPush push{conv_head(g.so, g.si, g.pads), ry, xt, ct};
  auto p = b.pipeline("transpose_conv",
                      {(uint32_t)g.kh, (uint32_t)g.kw, (uint32_t)SH, (uint32_t)SW, act_code(pr.activation),
                       (uint32_t)tp, (uint32_t)tc},
                      sizeof(push), 4, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(bias), Binding::t(op.outputs[0])},
                       push, grid_xz((int64_t)g.so.n * ry * xt, 64, (uint32_t)(SH * SW * ct)));
}

struct Q8Push {
  GatherPush g;
  int32_t OC, out_zp, act_min, act_max;
};

// TFLite's int8 kernel (transpose_conv.cc, reference_integer_ops::TransposeConv): int8 input, output and weights
// (per-tensor or per-channel, zero point 0), int32 bias, per-channel multipliers from input_scale * weight_scale /
// output_scale in double, MultiplyByQuantizedMultiplier (double rounding), the fused activation's clamp.
KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const Geometry g = geometry(b, op, where);
  const Graph& gr = b.graph();
  const Tensor &in = gr.tensors[op.inputs[0]], &wt = gr.tensors[op.inputs[1]], &out = gr.tensors[op.outputs[0]];
  TARE_CHECK(in.dtype == DType::I8 && out.dtype == DType::I8 && wt.dtype == DType::I8, TARE_ERROR_UNSUPPORTED,
             where + "8-bit TRANSPOSE_CONV takes int8 input, weights and output (TFLite's int8 kernel)");
  const q8conv::Params qp = q8conv::params(b, op, where, g.oc, 0, false, false);
  TARE_CHECK(!qp.any_wzp, TARE_ERROR_UNSUPPORTED, where + "int8 weights must have zero point 0");
  const int taps = g.kh * g.kw;
  const bool dot = b.integer_dot();
  const q8conv::PackedWeights pw = q8conv::pack_weights(qp, g.oc, taps, g.ic, dot);
  const int32_t xz = device_zero_point(in);
  const int OC4 = g.so.c4();
  std::vector<int32_t> corr((size_t)OC4 * taps * 4, 0);
  for (int oc = 0; oc < g.oc; oc++)
    for (int t = 0; t < taps; t++)
      corr[((size_t)(oc / 4) * taps + t) * 4 + oc % 4] =
          (int32_t)(0u - (uint32_t)xz * pw.tap_sums[(size_t)oc * taps + t]);
  // Without packed dot products the shader multiplies in float: the weight bytes go as floats (no unpacking).
  const ConstSlice weights =
      dot ? b.add_constant_bytes(pw.bytes.data(), pw.bytes.size())
          : b.add_constant_floats(
                std::vector<float>(reinterpret_cast<const int8_t*>(pw.bytes.data()),
                                   reinterpret_cast<const int8_t*>(pw.bytes.data()) + pw.bytes.size()));
  const ConstSlice qtable = q8conv::add_table(b, qp, qp.bias, g.oc);
  const ConstSlice corrections = b.add_constant_bytes(corr.data(), corr.size() * 4);
  const OpParams& pr = op.params;
  const int SH = pr.stride_h, SW = pr.stride_w;
  const int ry = (g.so.h + SH - 1) / SH, per_row = (g.so.w + SW - 1) / SW;
  const int tp = std::min(kTP, per_row), tc = std::min(kTC, OC4);
  const int xt = x_tiles(per_row, tp), ct = (int)div_up(OC4, tc);
  TARE_CHECK((int64_t)SH * SW * ct <= 65535, TARE_ERROR_UNSUPPORTED, where + "too many stride phases");
  const Q8Push push{{conv_head(g.so, g.si, g.pads), ry, xt, ct}, g.oc, qp.out_zp, qp.act_min, qp.act_max};
  auto p = b.pipeline_q8("q8_transpose_conv", true,
                         {(uint32_t)g.kh, (uint32_t)g.kw, (uint32_t)SH, (uint32_t)SW, (uint32_t)tp, (uint32_t)tc},
                         sizeof(push), 5, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(qtable), Binding::c(corrections),
                        Binding::t(op.outputs[0])},
                       push, grid_xz((int64_t)g.so.n * ry * xt, 64, (uint32_t)(SH * SW * ct)));
}

// dL/dinput: a convolution of dy (the output's gradient) with the same weights, added into the input's gradient.
KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  check_grad_weighted(b, op, where);
  const Geometry g = geometry(b, op, where);
  const OpParams& pr = op.params;
  const int IC4 = g.si.c4();
  const ConstSlice ws = b.add_constant_floats(pack(b.constant_as_float(op.inputs[1]), g, false));
  const int tp = std::min(kTP, g.si.w), tc = std::min(kTC, IC4);
  const int xt = x_tiles(g.si.w, tp);
  const WindowPush push{conv_head(g.so, g.si, g.pads), xt};
  auto p = b.context().pipeline("grad_transpose_conv",
                                {(uint32_t)g.kh, (uint32_t)g.kw, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                                 (uint32_t)tp, (uint32_t)tc},
                                sizeof(push), 3, 64, 1, 1);
  return make_dispatch(std::move(p), {Binding::g(op.outputs[0]), Binding::c(ws), Binding::g(op.inputs[0])}, push,
                       window_grid(g.si, xt, div_up(IC4, tc)));
}

// ---- CPU references --------------------------------------------------------------------------------------------

struct RefGeometry {
  int n, ih, iw, ic, oh, ow, oc, kh, kw, pad_t, pad_l;
};

template <class Fail>
RefGeometry ref_geometry(const OpParams& p, const std::vector<int>& is, const std::vector<int>& ws,
                         const std::vector<int>& os, Fail&& fail) {
  if (is.size() != 4 || ws.size() != 4 || os.size() != 4)
    fail(TARE_ERROR_INVALID_MODEL, std::string("input, filter and output must have rank 4"));
  RefGeometry r{is[0], is[1], is[2], is[3], os[1], os[2], ws[0], ws[1], ws[2], 0, 0};
  if (ws[3] != r.ic || os[0] != r.n || os[3] != r.oc)
    fail(TARE_ERROR_INVALID_MODEL,
         "filter " + shape_str(ws) + " does not fit input " + shape_str(is) + " and output " + shape_str(os));
  // TFLite: ComputePaddingHeightWidth with the output size as the window's input.
  const ref::detail::Window win = ref::detail::conv_window(p, r.oh, r.ow, r.kh, r.kw, 1, 1, fail);
  if (win.out_h != r.ih || win.out_w != r.iw)
    fail(TARE_ERROR_INVALID_MODEL, "output " + shape_str(os) + " does not match input " + shape_str(is));
  r.pad_t = win.pad_top;
  r.pad_l = win.pad_left;
  return r;
}

// TFLite's reference (reference/transpose_conv.h): scatter every input element into the outputs it reaches, then add
// the bias and apply the fused activation.
void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(2);
  ref::detail::check_activation(c);
  c.require_rank(0, 4);
  c.require_rank(1, 4);
  const OpParams& p = c.params();
  const std::vector<int> os = {c.in_shape(0)[0], out_h(p), out_w(p), c.in_shape(1)[0]};
  const RefGeometry g = ref_geometry(p, c.in_shape(0), c.in_shape(1), os,
                                     [&](tare_status s, const std::string& m) { c.fail(s, m); });
  const std::vector<float>& in = c.in(0);
  const std::vector<float>& wt = c.in(1);
  std::vector<float> bias((size_t)g.oc, 0.0f);
  if (c.has_input(2)) {
    bias = c.in(2);
    if ((int)bias.size() != g.oc) c.fail(TARE_ERROR_INVALID_MODEL, "bias size does not match the output channels");
  }
  std::vector<float>& out = c.out(0, os);
  std::fill(out.begin(), out.end(), 0.0f);
  for (int b = 0; b < g.n; b++)
    for (int iy = 0; iy < g.ih; iy++)
      for (int ix = 0; ix < g.iw; ix++)
        for (int i = 0; i < g.ic; i++) {
          const float xv = in[(((size_t)b * g.ih + iy) * g.iw + ix) * g.ic + i];
          for (int ky = 0; ky < g.kh; ky++) {
            const int oy = iy * p.stride_h - g.pad_t + ky;
            if (oy < 0 || oy >= g.oh) continue;
            for (int kx = 0; kx < g.kw; kx++) {
              const int ox = ix * p.stride_w - g.pad_l + kx;
              if (ox < 0 || ox >= g.ow) continue;
              float* op = &out[(((size_t)b * g.oh + oy) * g.ow + ox) * g.oc];
              for (int o = 0; o < g.oc; o++) op[o] += xv * wt[(((size_t)o * g.kh + ky) * g.kw + kx) * g.ic + i];
            }
          }
        }
  for (size_t e = 0; e < out.size(); e++) out[e] = ref::detail::apply_activation(out[e] + bias[e % g.oc], p.activation);
}

// dL/dx[n,iy,ix,i] = sum over (ky, kx, o) of dy[n, iy*SH - pad_t + ky, ix*SW - pad_l + kx, o] * W[o,ky,kx,i]: a
// convolution of dy with the same weights; dL/dbias sums dy per output channel.
void ref_grad(ref::GradContext& c) {
  const int x = c.input(0), w = c.input(1), o = c.op().outputs[0];
  c.require_rank(x, 4);
  c.require_rank(w, 4);
  const OpParams& p = c.op().params;
  const RefGeometry g = ref_geometry(p, c.shape(x), c.shape(w), c.shape(o),
                                     [&](tare_status s, const std::string& m) { c.fail(s, m); });
  const std::vector<float> gy = c.masked_output_grad(p.activation);
  c.add_bias_grad(2, g.oc, gy);
  std::vector<float>* gx = c.grad(x);
  if (!gx) return;
  const std::vector<float>& wt = c.value(w);
  std::vector<double> dx(gx->size(), 0.0);
  for (int b = 0; b < g.n; b++)
    for (int iy = 0; iy < g.ih; iy++)
      for (int ix = 0; ix < g.iw; ix++) {
        double* dp = &dx[(((size_t)b * g.ih + iy) * g.iw + ix) * g.ic];
        for (int ky = 0; ky < g.kh; ky++) {
          const int oy = iy * p.stride_h - g.pad_t + ky;
          if (oy < 0 || oy >= g.oh) continue;
          for (int kx = 0; kx < g.kw; kx++) {
            const int ox = ix * p.stride_w - g.pad_l + kx;
            if (ox < 0 || ox >= g.ow) continue;
            const float* go = &gy[(((size_t)b * g.oh + oy) * g.ow + ox) * g.oc];
            for (int oc = 0; oc < g.oc; oc++) {
              const double gv = go[oc];
              if (gv == 0.0) continue;
              const float* wp = &wt[(((size_t)oc * g.kh + ky) * g.kw + kx) * g.ic];
              for (int i = 0; i < g.ic; i++) dp[i] += gv * wp[i];
            }
          }
        }
      }
  c.add_to(gx, dx);
}

}  // namespace

const OpDesc kTransposeConv = {
    .type = OpType::TransposeConv,
    .name = "TRANSPOSE_CONV",
    .builtin = (int)tflite::BuiltinOperator::TRANSPOSE_CONV,
    .custom = kMediapipeCustom,
    .traits = {.weights = &kWeights, .fused_activation = true},
    .read = read,
    .write = write,
    .infer = infer,
    .macs = macs,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_int = ref::intd::transpose_conv,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
