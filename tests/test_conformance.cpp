// The conformance table: one entry per operator with its cases (shapes, options, quantization) and the paths the
// operator has; tests/conformance.h describes the paths and the harness.  A new operator needs one entry here.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>

#include "conformance.h"
#include "op_harness.h"
#include "q8_harness.h"

namespace tare::test::conformance {

namespace {

const Paths kAll = kAllPaths;
const DType I8 = DType::I8, U8 = DType::U8;
const Padding SAME = Padding::Same, VALID = Padding::Valid;
const Activation NONE = Activation::None, RELU = Activation::Relu, RELU1 = Activation::ReluN1To1,
                 RELU6 = Activation::Relu6;
const Activation kActs[] = {NONE, RELU, RELU1, RELU6};

std::string shape_name(const std::vector<int>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}
const char* act_name(Activation a) {
  switch (a) {
    case Activation::Relu: return " RELU";
    case Activation::ReluN1To1: return " RELU_N1_TO_1";
    case Activation::Relu6: return " RELU6";
    default: return "";
  }
}
const char* pad_name(Padding p) { return p == SAME ? "SAME" : "VALID"; }

// ---- CONV_2D / DEPTHWISE_CONV_2D ----------------------------------------------------------------------------------

std::string win_name(const Win& v) {
  return std::to_string(v.kh) + "x" + std::to_string(v.kw) + " s" + std::to_string(v.sh) + "," + std::to_string(v.sw) +
         " d" + std::to_string(v.dh) + "," + std::to_string(v.dw) + " " + pad_name(v.pad);
}
// Windows of the gradient sweeps.
const std::vector<Win>& windows() {
  static const std::vector<Win> w = {
      {1, 1, 1, 1, 1, 1, SAME},  {1, 1, 2, 2, 1, 1, VALID}, {3, 3, 1, 1, 1, 1, SAME},  {3, 3, 2, 2, 1, 1, SAME},
      {3, 3, 2, 2, 1, 1, VALID}, {3, 3, 1, 1, 2, 2, SAME},  {3, 2, 2, 1, 1, 2, VALID}, {5, 5, 3, 3, 1, 1, SAME},
      {2, 3, 1, 2, 2, 1, SAME},  {1, 3, 3, 1, 1, 1, SAME},  {3, 3, 2, 3, 2, 1, SAME},  {4, 4, 2, 2, 1, 1, SAME},
  };
  return w;
}
Win square(int k, int stride, int dil, Padding pad) { return {k, k, stride, stride, dil, dil, pad}; }

Case conv_case(int n, int h, int w, int cin, int cout, const Win& v, Activation act, bool bias) {
  GraphBuilder b;
  const int x = b.input({n, h, w, cin});
  const int wt = b.random_constant({cout, v.kh, v.kw, cin});
  const int bs = bias ? b.random_constant({cout}) : -1;
  b.output(b.op(OpType::Conv2D, {x, wt, bs}, win_out(n, h, w, cout, v), win_params(v, act)));
  return make_case(shape_name({n, h, w, cin}) + " -> " + std::to_string(cout) + " " + win_name(v) + act_name(act) +
                       (bias ? "" : " no bias"),
                   b.g);
}

Case dw_case(int n, int h, int w, int cin, int mult, const Win& v, Activation act, bool bias) {
  GraphBuilder b;
  const int x = b.input({n, h, w, cin});
  const int wt = b.random_constant({1, v.kh, v.kw, cin * mult});
  const int bs = bias ? b.random_constant({cin * mult}) : -1;
  OpParams p = win_params(v, act);
  p.depth_multiplier = mult;
  b.output(b.op(OpType::DepthwiseConv2D, {x, wt, bs}, win_out(n, h, w, cin * mult, v), p));
  return make_case(shape_name({n, h, w, cin}) + " x" + std::to_string(mult) + " " + win_name(v) + act_name(act) +
                       (bias ? "" : " no bias"),
                   b.g);
}

// 8-bit weights: per-tensor / per-channel int8, legacy uint8 (with zero point `wzp`).
struct Q8Conv {
  DType dt;
  WKind wk;
  double mult;  // target real multiplier (relative to the typical 1/sqrt(K) one)
  int wzp = 120;
};
std::string q8_name(const Q8Conv& q) {
  const char* wk = q.wk == WKind::PerTensor ? "per-tensor" : q.wk == WKind::PerChannel ? "per-channel" : "uint8";
  return std::string(" ") + dtype_name(q.dt) + " " + wk + " weights M" + std::to_string(q.mult) +
         (q.wk == WKind::Uint8 ? " wzp " + std::to_string(q.wzp) : "");
}

Case q8_conv_case(int n, int h, int w, int cin, int cout, const Win& v, Activation act, bool bias, const Q8Conv& q,
                  unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = q.dt == U8;
  const float in_scale = 0.02f;
  const int x = b.q8_input({n, h, w, cin}, in_scale, u8 ? 131 : -7, q.dt);
  std::vector<float> ws;
  const int wt = b.weights(q.wk, {cout, v.kh, v.kw, cin}, cout, 0, 0.004f, q.wzp, &ws);
  const int bs = bias ? b.matching_bias(cout, in_scale, ws, 20000) : -1;
  // Accumulators are ~ 5000 * sqrt(K) in magnitude: aim at ~ 60 output steps at mult = 1.
  const double k = (double)v.kh * v.kw * cin;
  const float out_scale = (float)(in_scale * 0.004 * 5000.0 * std::sqrt(k) / 60.0 / q.mult);
  b.q8_output_op(OpType::Conv2D, {x, wt, bs}, win_out(n, h, w, cout, v), win_params(v, act), out_scale, u8 ? 120 : 3,
                 q.dt);
  return make_case(shape_name({n, h, w, cin}) + " -> " + std::to_string(cout) + " " + win_name(v) + act_name(act) +
                       q8_name(q) + (bias ? "" : " no bias"),
                   b.g)
      .seeded(seed + 1000);
}

// The general window over an 8-bit graph input that a second CONV_2D reads too: an inference session then packs the
// input into NHWC4 storage (its only reader would read the caller's bytes instead: claim_input_staging).
Case q8_conv_shared_input_case(const Q8Conv& q, unsigned seed) {
  Case c = q8_conv_case(1, 9, 11, 3, 8, {3, 3, 2, 2, 1, 1, SAME}, RELU6, true, q, seed);
  Graph& g = c.graph;
  Op second = g.ops.at(0);
  Tensor out = g.tensors[(size_t)second.outputs.at(0)];
  out.name += "_second";
  g.tensors.push_back(std::move(out));
  second.outputs = {(int)g.tensors.size() - 1};
  g.ops.push_back(second);
  g.outputs.push_back(second.outputs[0]);
  c.name += ", the input read by a second CONV_2D";
  return c;
}

// A legacy uint8 1x1 CONV_2D at the edge of the float accumulation's exactness (q8conv::float_weights): weights with
// zero point 0 (w - w_zp up to 255), device inputs of 127 and -128.  Channel 0 holds cin - 1 weights of 255 and a last
// one `last`: cin 515, last 2 puts 128 * sum |w - w_zp| at 2^24 exactly (one chunk: the unchunked shader, its sums of
// odd products just below 2^24); cin 520 passes it (the chunked shader); cin 1000 sums odd products far past 2^24,
// which only chunks keep exact (an unchunked float sum, e.g. under a bound twice too loose, fails here).  Width 4
// (8 pixels) runs the GEMM, width 3 (6 pixels) FULLY_CONNECTED's kernel (fc_kernels.h).
// Channel 0's bias cancels its accumulator on the even pixels (all 127) and the multiplier is ~1, so that an
// accumulator off by one changes the output.
Case q8_conv_float_edge_case(int cin, int last, int width, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const int cout = 6, pixels = 2 * width;
  const float in_scale = 0.02f, w_scale = 0.004f;
  const int x = b.q8_input({1, 2, width, cin}, in_scale, 128, U8);
  const int wt = b.uint8_weights({cout, 1, 1, cin}, w_scale, 0);
  std::vector<uint8_t>& w = b.g.tensors[wt].data;
  for (int i = 0; i < cin; i++) w[(size_t)i] = i + 1 < cin ? 255 : (uint8_t)last;
  const int bs = b.int32_bias(cout, {in_scale * w_scale});
  const int32_t bias0 = -127 * (255 * (cin - 1) + last) + 20;
  std::memcpy(b.g.tensors[bs].data.data(), &bias0, 4);
  b.q8_output_op(OpType::Conv2D, {x, wt, bs}, {1, 2, width, cout}, win_params({1, 1, 1, 1, 1, 1, SAME}, NONE),
                 in_scale * w_scale, 128, U8);
  std::vector<uint8_t> in((size_t)pixels * cin);
  for (int p = 0; p < pixels; p++)
    for (int c = 0; c < cin; c++) in[(size_t)p * cin + c] = p % 2 == 0 || c % 3 == 0 ? 255 : 0;
  return make_case(shape_name({1, 2, width, cin}) +
                       " -> 6 1x1 uint8 weights wzp 0, float sums near 2^24 (last weight " + std::to_string(last) + ")",
                   b.g)
      .fixed_bytes({std::move(in)})
      .on_tflite();
}

// An int8 per-channel CONV_2D whose multipliers lie in [1/4, 3/4) (shifts -1 and 0: the general case of the single-
// rounding requantization, which the kernels leave out where every shift is <= -2, q8conv::rq_mode), with inputs
// within 1 of the zero point and a small bias so that most outputs stay inside the int8 range, their rounding visible
// (the larger multipliers of q8_conv_case saturate nearly every output).
Case q8_conv_large_multiplier_case(int k, int cin, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const int h = 5, w = 6, cout = 6, zp = -7;
  const float in_scale = 0.02f, w_scale = 0.004f;
  const int x = b.q8_input({1, h, w, cin}, in_scale, zp, I8);
  std::vector<float> ws;  // w_scale * U(0.5, 1.5) per channel
  const int wt = b.weights(WKind::PerChannel, {cout, k, k, cin}, cout, 0, w_scale, 0, &ws);
  const int bs = b.matching_bias(cout, in_scale, ws, 40);
  b.q8_output_op(OpType::Conv2D, {x, wt, bs}, {1, h, w, cout}, win_params(square(k, 1, 1, SAME)),
                 in_scale * w_scale * 2, 3, I8);
  std::vector<uint8_t> in((size_t)h * w * cin);
  std::uniform_int_distribution<int> d(-1, 1);
  for (auto& v : in) v = (uint8_t)(int8_t)(zp + d(b.rng));
  return make_case(shape_name({1, h, w, cin}) + " -> 6 " + std::to_string(k) + "x" + std::to_string(k) +
                       " INT8 per-channel weights, multipliers in [1/4, 3/4)",
                   b.g)
      .fixed_bytes({std::move(in)})
      .on_tflite();
}

Case q8_dw_case(int n, int h, int w, int cin, int mult, const Win& v, Activation act, bool bias, const Q8Conv& q,
                unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = q.dt == U8;
  const float in_scale = 0.03f;
  const int cout = cin * mult;
  const int x = b.q8_input({n, h, w, cin}, in_scale, u8 ? 125 : 9, q.dt);
  std::vector<float> ws;
  const int wt = b.weights(q.wk, {1, v.kh, v.kw, cout}, cout, 3, 0.005f, q.wzp, &ws);
  const int bs = bias ? b.matching_bias(cout, in_scale, ws, 20000) : -1;
  const double k = (double)v.kh * v.kw;
  const float out_scale = (float)(in_scale * 0.005 * 5000.0 * std::sqrt(k) / 60.0 / q.mult);
  OpParams p = win_params(v, act);
  p.depth_multiplier = mult;
  b.q8_output_op(OpType::DepthwiseConv2D, {x, wt, bs}, win_out(n, h, w, cout, v), p, out_scale, u8 ? 118 : -4, q.dt);
  return make_case(shape_name({n, h, w, cin}) + " x" + std::to_string(mult) + " " + win_name(v) + act_name(act) +
                       q8_name(q) + (bias ? "" : " no bias"),
                   b.g)
      .seeded(seed + 1000);
}

std::vector<Case> conv2d_cases() {
  std::vector<Case> v;
  // General window: MobileNet stem, even / odd sizes, batch 2, dilation, 5x5 and odd channels, 1x1 stride 2.
  struct F {
    int n, h, w, cin, cout, k, stride, dil;
    Padding pad;
    Activation act;
  };
  const F general[] = {
      {1, 9, 11, 3, 8, 3, 2, 1, SAME, RELU6}, {1, 8, 8, 3, 5, 3, 2, 1, SAME, NONE},
      {2, 7, 6, 5, 7, 3, 1, 1, VALID, RELU},  {1, 10, 9, 4, 13, 3, 1, 2, SAME, RELU1},
      {1, 5, 5, 13, 33, 5, 1, 1, SAME, NONE}, {1, 6, 7, 1, 1, 1, 2, 1, SAME, NONE},
      {1, 4, 4, 8, 4, 2, 2, 1, VALID, RELU},
  };
  for (const F& c : general)
    for (bool bias : {true, false})
      v.push_back(conv_case(c.n, c.h, c.w, c.cin, c.cout, square(c.k, c.stride, c.dil, c.pad), c.act, bias));
  // The 1x1 GEMM path.
  struct G {
    int n, h, w, cin, cout;
    Activation act;
  };
  const G gemm[] = {{1, 7, 7, 32, 16, NONE},    {1, 5, 3, 3, 5, RELU6},    {2, 3, 5, 17, 9, RELU},
                    {1, 1, 1, 256, 1001, NONE}, {1, 14, 14, 96, 24, NONE}, {1, 2, 2, 1, 1, NONE},
                    {2, 1, 3, 33, 20, RELU6},   {1, 2, 4, 9, 7, RELU}};  // < 8 pixels: FULLY_CONNECTED's kernel
  for (const G& c : gemm) v.push_back(conv_case(c.n, c.h, c.w, c.cin, c.cout, square(1, 1, 1, SAME), c.act, true));
  // Filters, strides, dilations, paddings (the gradient sweep), tile remainders, filter > input, stride > filter.
  const int shapes[][4] = {{7, 9, 3, 5}, {8, 8, 8, 13}, {11, 6, 13, 4}, {5, 12, 6, 17}};  // h, w, ic, oc
  for (const Win& w : windows())
    for (const auto& s : shapes) v.push_back(conv_case(2, s[0], s[1], s[2], s[3], w, NONE, true).gradients(1));
  v.push_back(conv_case(2, 3, 5, 37, 70, windows()[0], NONE, true).gradients(1));
  v.push_back(conv_case(1, 1, 1, 9, 6, windows()[0], NONE, true).gradients(1));
  v.push_back(conv_case(2, 2, 3, 5, 3, {5, 5, 1, 1, 1, 1, SAME}, NONE, true).gradients(1));
  v.push_back(conv_case(2, 9, 10, 6, 7, {2, 2, 4, 3, 1, 1, VALID}, NONE, true).gradients(1));
  // Fused activations under finite differences (the backward reference), small enough to be kink-free.
  struct R {
    int h, w, kh, kw, stride, dil;
    Padding pad;
    Activation act;
    bool bias;
  };
  const R fd[] = {{7, 6, 3, 3, 2, 1, SAME, RELU6, true},
                  {7, 7, 3, 3, 1, 2, VALID, RELU, true},
                  {6, 5, 3, 2, 2, 2, SAME, RELU, true},
                  {4, 4, 1, 1, 1, 1, SAME, RELU1, false}};
  for (const R& c : fd)
    v.push_back(conv_case(2, c.h, c.w, 3, 4, {c.kh, c.kw, c.stride, c.stride, c.dil, c.dil, c.pad}, c.act, c.bias)
                    .inputs_in(-1, 1));
  // 8-bit: general window and 1x1 GEMM, int8 (per-tensor / per-channel) and legacy uint8, multipliers > 1,
  // accumulations past 256 steps, several chunks.
  const Q8Conv i8pc{I8, WKind::PerChannel, 1.0}, i8pt{I8, WKind::PerTensor, 1.0}, u8w{U8, WKind::Uint8, 1.0};
  unsigned seed = 100;
  auto q = [&](int n, int h, int w, int cin, int cout, int kh, int kw, int stride, int dil, Padding pad, Activation act,
               const Q8Conv& qc, bool bias = true) {
    v.push_back(q8_conv_case(n, h, w, cin, cout, {kh, kw, stride, stride, dil, dil, pad}, act, bias, qc, seed++));
  };
  q(1, 9, 11, 3, 8, 3, 3, 2, 1, SAME, RELU6, i8pc);
  q(1, 8, 8, 3, 5, 3, 3, 2, 1, SAME, NONE, i8pt);
  q(2, 7, 6, 5, 7, 3, 3, 1, 1, VALID, RELU, i8pc, false);
  q(1, 10, 9, 4, 13, 3, 3, 1, 2, SAME, RELU1, i8pc);
  q(1, 5, 5, 13, 33, 5, 5, 1, 1, SAME, NONE, {I8, WKind::PerChannel, 0.3});
  q(1, 6, 7, 1, 3, 2, 3, 3, 1, SAME, NONE, i8pt);
  q(1, 7, 7, 8, 4, 3, 3, 1, 1, SAME, NONE, {I8, WKind::PerChannel, 400.0});
  q(1, 9, 11, 3, 8, 3, 3, 2, 1, SAME, RELU6, u8w);
  q(2, 7, 6, 5, 7, 3, 3, 1, 2, VALID, RELU, u8w);
  q(1, 5, 5, 13, 33, 5, 5, 2, 1, SAME, NONE, {U8, WKind::Uint8, 0.5}, false);
  q(1, 6, 5, 6, 9, 3, 3, 1, 1, SAME, RELU1, {U8, WKind::Uint8, 1.0, 128});  // weight zero point 0 on the device
  q(1, 7, 7, 8, 4, 3, 3, 1, 1, SAME, NONE, {U8, WKind::Uint8, 300.0});
  q(1, 6, 6, 5, 6, 3, 3, 1, 1, SAME, RELU, {U8, WKind::PerChannel, 1.0});  // uint8 activations, int8 weights
  q(1, 5, 4, 300, 5, 3, 3, 1, 1, SAME, NONE, i8pc);                        // > 256 steps
  q(1, 4, 5, 290, 6, 3, 3, 1, 1, VALID, NONE, u8w);
  q(1, 7, 9, 16, 24, 1, 1, 1, 1, SAME, RELU6, i8pc);   // 1x1 GEMM (fewer than 128 pixels: tiles fitted to 8 lanes)
  q(1, 11, 13, 8, 12, 1, 1, 1, 1, SAME, RELU6, i8pc);  // 143 pixels: the full 16-pixel tile, a last one of 15
  q(1, 11, 13, 8, 12, 1, 1, 1, 1, SAME, NONE, u8w);
  q(2, 5, 3, 13, 33, 1, 1, 1, 1, VALID, NONE, i8pt);
  q(1, 3, 3, 1, 5, 1, 1, 1, 1, SAME, RELU, i8pc, false);
  q(1, 1, 1, 5, 3, 1, 1, 1, 1, SAME, RELU1, i8pc);
  q(1, 4, 4, 32, 8, 1, 1, 1, 1, SAME, NONE, {I8, WKind::PerChannel, 500.0});
  q(1, 4, 5, 1100, 9, 1, 1, 1, 1, SAME, NONE, i8pc);  // long sums, within the float bound of one chunk
  q(1, 3, 4, 1030, 7, 1, 1, 1, 1, SAME, RELU, u8w);   // the same with w - w_zp (wider products)
  q(1, 7, 9, 16, 24, 1, 1, 1, 1, SAME, RELU6, u8w);
  q(2, 5, 3, 13, 33, 1, 1, 1, 1, VALID, NONE, u8w, false);
  q(1, 4, 5, 1100, 9, 1, 1, 1, 1, SAME, RELU, u8w);
  q(1, 4, 4, 32, 8, 1, 1, 1, 1, SAME, NONE, {U8, WKind::Uint8, 300.0});
  q(1, 3, 5, 12, 7, 1, 1, 1, 1, SAME, NONE, {U8, WKind::Uint8, 1.0, 128});
  q(1, 5, 5, 8, 8, 1, 1, 2, 1, SAME, NONE, i8pc);            // 1x1 stride 2: the window path
  v.push_back(q8_conv_large_multiplier_case(3, 2, seed++));  // the general window
  v.push_back(q8_conv_large_multiplier_case(1, 8, seed++));  // the 1x1 GEMM
  v.push_back(q8_conv_float_edge_case(515, 2, 4, seed++));
  v.push_back(q8_conv_float_edge_case(520, 255, 4, seed++));
  v.push_back(q8_conv_float_edge_case(1000, 255, 4, seed++));
  v.push_back(q8_conv_float_edge_case(1000, 255, 3, seed++));
  // Fewer than 8 pixels: FULLY_CONNECTED's kernel (fc_kernels.h); 8: the GEMM's one tile.
  q(1, 2, 3, 40, 12, 1, 1, 1, 1, SAME, RELU6, i8pt);
  q(2, 1, 1, 1030, 7, 1, 1, 1, 1, SAME, RELU, u8w);  // two float chunks
  q(1, 1, 1, 24, 10, 1, 1, 1, 1, SAME, NONE, {I8, WKind::PerChannel, 0.3});
  q(1, 1, 3, 16, 9, 1, 1, 1, 1, SAME, NONE, {U8, WKind::Uint8, 1.0, 128});
  q(1, 1, 7, 21, 6, 1, 1, 1, 1, SAME, NONE, {U8, WKind::PerChannel, 1.0});
  q(1, 2, 4, 21, 6, 1, 1, 1, 1, SAME, NONE, {U8, WKind::PerChannel, 1.0});
  // Rows wider than the general window's 16-pixel tile: remainders of 3 and 6.
  q(1, 5, 37, 3, 8, 3, 3, 2, 1, SAME, RELU6, i8pc);
  q(1, 4, 40, 5, 6, 3, 3, 1, 1, VALID, NONE, u8w);
  // The packed input (every general-window case above reads the caller's bytes in an inference session).
  v.push_back(q8_conv_shared_input_case(u8w, seed++));
  v.push_back(q8_conv_shared_input_case(i8pc, seed++));
  return v;
}

// ---- TRANSPOSE_CONV -----------------------------------------------------------------------------------------------

// Output height / width of a transpose convolution of an `in`-sized input: the size whose convolution gives `in`
// back (SAME: in * stride, less `extra`; VALID: (in - 1) * stride + filter, plus `extra` < stride).
int tconv_out(int in, int k, int stride, Padding pad, int extra) {
  return pad == SAME ? in * stride - extra : (in - 1) * stride + k + extra;
}

Case tconv_case(int n, int h, int w, int cin, int cout, int k, int stride, Padding pad, Activation act, bool bias,
                int extra = 0) {
  GraphBuilder b;
  const int x = b.input({n, h, w, cin});
  const int wt = b.random_constant({cout, k, k, cin});
  const int bs = bias ? b.random_constant({cout}) : -1;
  OpParams p = win_params(square(k, stride, 1, pad), act);
  const int oh = tconv_out(h, k, stride, pad, extra), ow = tconv_out(w, k, stride, pad, extra);
  p.ints = {oh, ow};
  b.output(b.op(OpType::TransposeConv, {x, wt, bs}, {n, oh, ow, cout}, p));
  return make_case(shape_name({n, h, w, cin}) + " -> " + shape_name({n, oh, ow, cout}) + " " + std::to_string(k) + "x" +
                       std::to_string(k) + " s" + std::to_string(stride) + " " + pad_name(pad) + act_name(act) +
                       (bias ? "" : " no bias"),
                   b.g);
}

// 8-bit: int8 input and output, int8 weights per tensor or per channel (TFLite's int8 kernel has no uint8 path here).
Case q8_tconv_case(int n, int h, int w, int cin, int cout, int k, int stride, Padding pad, Activation act, bool bias,
                   WKind wk, double mult, unsigned seed, int extra = 0) {
  Q8Builder b;
  b.rng.seed(seed);
  const float in_scale = 0.02f;
  const int x = b.q8_input({n, h, w, cin}, in_scale, -7);
  std::vector<float> ws;
  const int wt = b.weights(wk, {cout, k, k, cin}, cout, 0, 0.004f, 0, &ws);
  const int bs = bias ? b.matching_bias(cout, in_scale, ws, 20000) : -1;
  // About k*k/stride^2 * cin products reach an output: aim at ~ 60 output steps at mult = 1 (as q8_conv_case).
  const double taps = std::max(1.0, (double)k * k / ((double)stride * stride)) * cin;
  const float out_scale = (float)(in_scale * 0.004 * 5000.0 * std::sqrt(taps) / 60.0 / mult);
  OpParams p = win_params(square(k, stride, 1, pad), act);
  const int oh = tconv_out(h, k, stride, pad, extra), ow = tconv_out(w, k, stride, pad, extra);
  p.ints = {oh, ow};
  b.q8_output_op(OpType::TransposeConv, {x, wt, bs}, {n, oh, ow, cout}, p, out_scale, 3);
  const char* wk_name = wk == WKind::PerTensor ? " per-tensor" : " per-channel";
  return make_case(shape_name({n, h, w, cin}) + " -> " + shape_name({n, oh, ow, cout}) + " " + std::to_string(k) + "x" +
                       std::to_string(k) + " s" + std::to_string(stride) + " " + pad_name(pad) + act_name(act) +
                       " int8" + wk_name + " M" + std::to_string(mult) + (bias ? "" : " no bias"),
                   b.g)
      .seeded(seed + 1000);
}

std::vector<Case> transpose_conv_cases() {
  std::vector<Case> v;
  struct F {
    int n, h, w, cin, cout, k, stride;
    Padding pad;
    Activation act;
    int extra;
  };
  // Odd channels, strides 1/2/3, SAME/VALID, filters 2x2/3x3/4x4, batch 2, odd output sizes, every activation.
  const F general[] = {
      {1, 4, 5, 3, 5, 3, 2, SAME, NONE, 0},   {2, 3, 4, 5, 7, 4, 2, SAME, RELU, 0},
      {1, 5, 3, 7, 3, 2, 2, VALID, RELU6, 0}, {2, 4, 4, 6, 9, 3, 3, SAME, RELU1, 0},
      {1, 3, 5, 1, 2, 3, 1, SAME, NONE, 0},   {1, 4, 4, 5, 5, 3, 1, VALID, NONE, 0},
      {1, 3, 3, 3, 4, 2, 3, VALID, NONE, 0},  {2, 5, 4, 9, 6, 4, 3, SAME, NONE, 2},
      {1, 4, 6, 4, 13, 3, 2, SAME, RELU6, 1}, {1, 3, 4, 2, 3, 3, 2, VALID, NONE, 1},
      {1, 2, 3, 17, 33, 4, 2, SAME, NONE, 0},
  };
  for (const F& c : general)
    for (bool bias : {true, false})
      v.push_back(tconv_case(c.n, c.h, c.w, c.cin, c.cout, c.k, c.stride, c.pad, c.act, bias, c.extra));
  // Fused activations under finite differences (the backward reference), small enough to be kink-free.
  v.push_back(tconv_case(2, 3, 4, 3, 4, 3, 2, SAME, RELU6, true).inputs_in(-1, 1));
  v.push_back(tconv_case(2, 4, 3, 3, 4, 2, 2, VALID, RELU, true).inputs_in(-1, 1));
  // 8-bit.  The first three go to the TFLite oracle (no fused activation: that is version 4, newer than the
  // oracle): batch 2 stride 2, stride 3 per-tensor, stride 1 VALID without bias; then every activation, odd output
  // sizes, > 256 accumulation steps (several float chunks), large and small multipliers.
  const WKind PC = WKind::PerChannel, PT = WKind::PerTensor;
  unsigned seed = 300;
  auto q = [&](int n, int h, int w, int cin, int cout, int k, int stride, Padding pad, Activation act, WKind wk,
               double mult = 1.0, bool bias = true, int extra = 0) {
    v.push_back(q8_tconv_case(n, h, w, cin, cout, k, stride, pad, act, bias, wk, mult, seed++, extra));
  };
  q(2, 4, 5, 3, 5, 3, 2, SAME, NONE, PC);
  q(1, 3, 3, 6, 7, 4, 3, VALID, NONE, PT);
  q(1, 4, 4, 5, 9, 3, 1, VALID, NONE, PC, 1.0, false);
  q(2, 3, 4, 5, 7, 4, 2, SAME, RELU, PC);
  q(1, 5, 3, 7, 3, 2, 2, VALID, RELU6, PT);
  q(2, 4, 4, 6, 9, 3, 3, SAME, RELU1, PC);
  q(1, 3, 5, 1, 2, 3, 1, SAME, NONE, PC, 0.3);
  q(2, 5, 4, 9, 6, 4, 3, SAME, NONE, PC, 1.0, true, 2);
  q(1, 4, 6, 4, 13, 3, 2, SAME, RELU6, PT, 1.0, true, 1);
  q(1, 3, 4, 2, 3, 3, 2, VALID, NONE, PC, 1.0, false, 1);
  q(1, 3, 3, 300, 6, 3, 1, SAME, NONE, PC);  // > 256 steps per output
  q(1, 4, 4, 8, 4, 3, 2, SAME, NONE, PC, 400.0);
  q(1, 6, 6, 16, 24, 2, 2, VALID, NONE, PT, 0.01);
  return v;
}

std::vector<Case> depthwise_conv2d_cases() {
  std::vector<Case> v;
  struct F {
    int n, h, w, cin, mult, k, stride, dil;
    Padding pad;
    Activation act;
  };
  const F fwd[] = {
      {1, 9, 11, 8, 1, 3, 2, 1, SAME, RELU6}, {1, 8, 8, 5, 1, 3, 2, 1, SAME, NONE},
      {2, 7, 6, 3, 1, 3, 1, 1, VALID, RELU},  {1, 10, 9, 13, 1, 3, 1, 2, SAME, NONE},
      {1, 6, 5, 3, 2, 3, 1, 1, SAME, NONE},   {1, 7, 7, 5, 3, 5, 2, 1, SAME, RELU1},
      {1, 4, 4, 1, 1, 1, 1, 1, VALID, NONE},  {1, 12, 12, 32, 1, 3, 1, 1, SAME, RELU6},
  };
  for (const F& c : fwd)
    for (bool bias : {true, false})
      v.push_back(dw_case(c.n, c.h, c.w, c.cin, c.mult, square(c.k, c.stride, c.dil, c.pad), c.act, bias));
  // The gradient sweep: multipliers 1..3 over every window.
  const int shapes[][3] = {{7, 9, 3}, {8, 8, 8}, {11, 6, 13}, {6, 17, 21}};  // h, w, c
  for (const Win& w : windows())
    for (const auto& s : shapes)
      for (int mult : {1, 2, 3}) {
        if (mult == 3 && s[2] > 8) continue;
        v.push_back(dw_case(2, s[0], s[1], s[2], mult, w, NONE, true).gradients(1));
      }
  v.push_back(dw_case(2, 2, 3, 5, 1, {5, 5, 1, 1, 1, 1, SAME}, NONE, true).gradients(1));    // filter > input
  v.push_back(dw_case(2, 9, 10, 6, 2, {2, 2, 4, 3, 1, 1, VALID}, NONE, true).gradients(1));  // stride > filter
  // Fused activations under finite differences.
  v.push_back(dw_case(2, 7, 6, 3, 1, square(3, 1, 1, SAME), RELU6, true).inputs_in(-1, 1));
  v.push_back(dw_case(2, 7, 6, 3, 1, square(3, 1, 2, VALID), RELU, true).inputs_in(-1, 1));
  v.push_back(dw_case(2, 7, 6, 3, 3, square(2, 2, 1, VALID), RELU1, true).inputs_in(-1, 1));
  v.push_back(dw_case(2, 7, 6, 3, 1, square(5, 2, 1, SAME), NONE, true));
  // 8-bit: strides, dilation, padding, multipliers (5 with a 5x5 window), 289 taps, int8 / uint8 weights.
  const Q8Conv i8pc{I8, WKind::PerChannel, 1.0}, u8w{U8, WKind::Uint8, 1.0};
  unsigned seed = 300;
  auto q = [&](int n, int h, int w, int cin, int mult, int k, int stride, int dil, Padding pad, Activation act,
               const Q8Conv& qc, bool bias = true) {
    v.push_back(q8_dw_case(n, h, w, cin, mult, square(k, stride, dil, pad), act, bias, qc, seed++));
  };
  q(1, 9, 11, 8, 1, 3, 1, 1, SAME, RELU6, i8pc);
  q(1, 9, 11, 13, 1, 3, 2, 1, SAME, NONE, i8pc);
  q(2, 7, 6, 5, 1, 3, 1, 1, VALID, RELU, {I8, WKind::PerTensor, 1.0}, false);
  q(1, 10, 9, 4, 1, 3, 1, 2, SAME, RELU1, i8pc);
  q(1, 6, 7, 3, 2, 3, 1, 1, SAME, NONE, i8pc);
  q(1, 5, 5, 1, 5, 5, 2, 1, SAME, NONE, i8pc);
  q(1, 8, 8, 33, 1, 3, 2, 1, VALID, RELU6, i8pc);
  q(1, 6, 6, 8, 1, 3, 1, 1, SAME, NONE, {I8, WKind::PerChannel, 300.0});
  q(1, 20, 20, 4, 1, 17, 1, 1, SAME, NONE, i8pc);  // 289 taps: accumulator flush
  q(1, 9, 11, 8, 1, 3, 1, 1, SAME, RELU6, u8w);
  q(1, 9, 11, 13, 1, 3, 2, 1, SAME, NONE, u8w);
  q(2, 7, 6, 3, 3, 3, 1, 2, VALID, RELU, u8w, false);
  q(1, 6, 6, 8, 1, 3, 1, 1, SAME, NONE, {U8, WKind::Uint8, 300.0});
  q(1, 6, 5, 6, 1, 3, 1, 1, SAME, RELU1, {U8, WKind::Uint8, 1.0, 128});
  q(1, 7, 7, 5, 1, 3, 1, 1, SAME, RELU, {U8, WKind::PerChannel, 1.0});
  return v;
}

// ---- FULLY_CONNECTED ------------------------------------------------------------------------------------------

Case fc_case(const std::vector<int>& in, int units, int depth, bool bias, bool keep, Activation act, bool scaled) {
  GraphBuilder b;
  const int x = b.input(in);
  // Scaled weights (1/sqrt(depth)): outputs of order 1, so the clamping activations keep values that matter.
  const float r = scaled ? 2.0f / std::sqrt((float)depth) : 1.0f;
  const int w = b.random_constant({units, depth}, -r, r);
  std::vector<int> ins = {x, w};
  if (bias) ins.push_back(b.random_constant({units}));
  OpParams p;
  p.activation = act;
  p.keep_num_dims = keep;
  int64_t n = 1;
  for (int d : in) n *= d;
  std::vector<int> os = {(int)(n / depth), units};
  if (keep) {
    os = in;
    os.back() = units;
  }
  b.output(b.op(OpType::FullyConnected, ins, os, p));
  return make_case(shape_name(in) + " depth " + std::to_string(depth) + " -> " + std::to_string(units) + act_name(act) +
                       (bias ? "" : " no bias") + (keep ? " keep_num_dims" : ""),
                   b.g);
}

Case q8_fc_case(const std::vector<int>& in, int units, Activation act, bool bias, const Q8Conv& q, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = q.dt == U8;
  const float in_scale = 0.025f;
  const int x = b.q8_input(in, in_scale, u8 ? 140 : -20, q.dt);
  const int depth = in.back() * (in.size() == 4 && in[0] == 1 ? in[1] * in[2] : 1);
  int64_t elems = 1;
  for (int d : in) elems *= d;
  std::vector<float> ws;
  const int wt = b.weights(q.wk, {units, depth}, units, 0, 0.003f, q.wzp, &ws);
  std::vector<int> ins = {x, wt};
  if (bias) ins.push_back(b.matching_bias(units, in_scale, ws, 20000));
  const float out_scale = (float)(in_scale * 0.003 * 5000.0 * std::sqrt((double)depth) / 60.0 / q.mult);
  OpParams p;
  p.activation = act;
  b.q8_output_op(OpType::FullyConnected, ins, {(int)(elems / depth), units}, p, out_scale, u8 ? 128 : -1, q.dt);
  return make_case(shape_name(in) + " -> " + std::to_string(units) + act_name(act) + q8_name(q) +
                       (bias ? "" : " no bias"),
                   b.g)
      .seeded(seed + 1000);
}

std::vector<Case> fully_connected_cases() {
  std::vector<Case> v;
  // MobileNet classifiers, odd sizes, batches 1..6 (1/2/4 rows per invocation and tails), no bias, keep_num_dims,
  // inputs whose last dimension is not the depth (gather path); every fused activation in turn.
  struct F {
    std::vector<int> in;
    int units, depth;
    bool bias, keep;
  };
  const std::vector<F> fwd = {
      {{1, 1280}, 1001, 1280, true, false},
      {{2, 1280}, 1001, 1280, true, false},
      {{1, 1, 1, 1024}, 1001, 1024, true, false},
      {{3, 13}, 7, 13, false, false},
      {{5, 33}, 5, 33, true, false},
      {{6, 20}, 3, 20, true, false},
      {{4, 1}, 1, 1, true, false},
      {{2, 3, 12}, 8, 12, true, true},
      {{2, 3, 4}, 9, 12, true, false},
      {{1, 7, 7, 3}, 10, 147, false, false},
      {{2, 5, 6}, 11, 15, true, false},
  };
  int k = 0;
  for (const F& c : fwd) v.push_back(fc_case(c.in, c.units, c.depth, c.bias, c.keep, kActs[k++ % 4], true));
  // The gradient sweep: [batch, depth], flattened 4-D inputs, keep_num_dims.
  const std::vector<F> grad = {
      {{2, 7}, 5, 7, true, false},        {{2, 16}, 10, 16, true, false},      {{9, 37}, 70, 37, true, false},
      {{2, 3, 10}, 6, 10, true, true},    {{2, 3, 10}, 6, 10, true, false},    {{2, 1, 1, 13}, 3, 13, true, false},
      {{2, 2, 3, 5}, 7, 30, true, false}, {{2, 3, 3, 6}, 11, 27, true, false}, {{3, 5, 7}, 4, 35, true, false},
      {{2, 4, 4, 3}, 9, 12, true, false}, {{1, 1001}, 3, 1001, true, false},
  };
  for (const F& c : grad) v.push_back(fc_case(c.in, c.units, c.depth, c.bias, c.keep, NONE, false).gradients(1));
  // Fused activations under finite differences.
  v.push_back(fc_case({2, 1, 1, 8}, 5, 8, true, false, RELU1, false).inputs_in(-0.5f, 0.5f));
  v.push_back(fc_case({2, 3, 6}, 5, 6, true, true, RELU, false));
  // Hand-computed: [[1,1,1],[2,-1,30]] x [[1,2,3],[-1,0,1]]^T + [0.5, -10], RELU.
  {
    GraphBuilder b;
    const int x = b.input({2, 3});
    const int w = b.constant({2, 3}, {1, 2, 3, -1, 0, 1});
    const int bias = b.constant({2}, {0.5f, -10});
    OpParams p;
    p.activation = RELU;
    b.output(b.op(OpType::FullyConnected, {x, w, bias}, {2, 2}, p));
    v.push_back(make_case("hand-computed", b.g).fixed_floats({{1, 1, 1, 2, -1, 30}}).expecting({6.5, 0, 90.5, 18}));
  }
  // 8-bit: batches, odd depths and units, flattening (gather), several chunks, int8 / uint8 weights.
  const Q8Conv i8pt{I8, WKind::PerTensor, 1.0}, i8pc{I8, WKind::PerChannel, 1.0}, u8w{U8, WKind::Uint8, 1.0};
  unsigned seed = 500;
  auto q = [&](std::vector<int> in, int units, Activation act, const Q8Conv& qc, bool bias = true) {
    v.push_back(q8_fc_case(in, units, act, bias, qc, seed++));
  };
  q({1, 64}, 10, NONE, i8pt);
  q({3, 37}, 13, RELU, i8pc);
  q({5, 16}, 33, RELU6, i8pc, false);
  q({1, 1, 1, 1100}, 7, NONE, i8pt);
  q({1, 3, 3, 5}, 6, RELU1, i8pc);
  q({2, 9}, 5, NONE, {I8, WKind::PerTensor, 200.0});
  q({1, 64}, 10, NONE, u8w);
  q({3, 37}, 13, RELU, u8w, false);
  q({1, 3, 3, 5}, 6, RELU6, u8w);
  q({1, 1, 1, 1100}, 9, NONE, u8w);
  q({4, 12}, 8, NONE, {U8, WKind::Uint8, 1.0, 128});
  q({2, 9}, 5, NONE, {U8, WKind::Uint8, 200.0});
  return v;
}

// ---- ADD / MUL --------------------------------------------------------------------------------------------------

std::vector<int> broadcast_shape(std::vector<int> a, std::vector<int> b) {
  const size_t r = std::max(a.size(), b.size());
  a.insert(a.begin(), r - a.size(), 1);
  b.insert(b.begin(), r - b.size(), 1);
  std::vector<int> o(r);
  for (size_t k = 0; k < r; k++) o[k] = a[k] == 1 ? b[k] : a[k];
  return o;
}

// const_operand: -1 both inputs, 0 / 1 that operand is a constant; same: x op x.
Case binary_case(OpType t, const std::vector<int>& a, const std::vector<int>& bs, int const_operand, Activation act,
                 float crange = 2) {
  GraphBuilder b;
  const int x = const_operand == 0 ? b.random_constant(a, -crange, crange) : b.input(a);
  const int y = const_operand == 1 ? b.random_constant(bs, -crange, crange) : b.input(bs);
  OpParams p;
  p.activation = act;
  b.output(b.op(t, {x, y}, broadcast_shape(a, bs), p));
  const int grads = 2 - (const_operand >= 0 ? 1 : 0);
  return make_case(shape_name(a) + (const_operand == 0 ? " const" : "") + " with " + shape_name(bs) +
                       (const_operand == 1 ? " const" : "") + act_name(act),
                   b.g)
      .gradients(grads);
}

struct Q8Bin {
  std::vector<int> a, b, out;
  float sa, sb, so;
  int za, zb, zo;
  DType dtype;
  Activation act;
  bool b_const;
};
Case q8_binary_case(OpType t, const Q8Bin& c) {
  Q8Builder b;
  const int x = b.q8_input(c.a, c.sa, c.za, c.dtype);
  const int y = c.b_const ? b.q8_constant(c.b, c.sb, c.zb, c.dtype) : b.q8_input(c.b, c.sb, c.zb, c.dtype);
  OpParams p;
  p.activation = c.act;
  b.q8_output_op(t, {x, y}, c.out, p, c.so, c.zo, c.dtype);
  return make_case(shape_name(c.a) + " with " + shape_name(c.b) + (c.b_const ? " const " : " ") + dtype_name(c.dtype) +
                       act_name(c.act) + " scales " + std::to_string(c.sa) + "," + std::to_string(c.sb) + " -> " +
                       std::to_string(c.so),
                   b.g);
}

std::vector<Case> binary_cases(OpType t) {
  std::vector<Case> v;
  // numpy broadcasting (rank <= 4), constants on either side, channel broadcasting, fused activations in turn.
  struct F {
    std::vector<int> a, b;
    int const_operand;
  };
  const std::vector<F> fwd = {
      {{1, 5, 6, 3}, {1, 5, 6, 3}, -1},
      {{2, 3, 4, 13}, {2, 3, 4, 13}, -1},
      {{2, 3, 4, 13}, {13}, 1},
      {{13}, {2, 3, 4, 13}, 0},
      {{1, 4, 4, 7}, {1}, 1},
      {{1, 4, 4, 8}, {}, 1},
      {{2, 3, 4, 7}, {2, 3, 4, 1}, -1},
      {{2, 3, 4, 1}, {2, 3, 4, 5}, -1},
      {{2, 1, 4, 5}, {1, 3, 1, 5}, -1},
      {{1, 8, 8, 1}, {1, 1, 1, 6}, -1},
      {{1, 7, 5, 32}, {1, 1, 1, 32}, -1},
      {{3, 1}, {1, 5}, -1},
      {{4, 5, 7}, {5, 1}, -1},
      {{2, 3}, {}, -1},
      {{1, 9, 9, 33}, {1, 9, 9, 33}, 1},
      {{2, 1, 1, 3}, {1, 6, 5, 1}, 0},
  };
  int k = t == OpType::Add ? 0 : (int)fwd.size();
  for (const F& c : fwd) v.push_back(binary_case(t, c.a, c.b, c.const_operand, kActs[k++ % 4]));
  for (Activation a : kActs) v.push_back(binary_case(t, {2, 3, 5, 7}, {2, 3, 5, 1}, -1, a));
  // The gradient sweep: reductions over broadcast dimensions (workgroup reductions at 288 positions).
  const std::vector<F> grad = {
      {{2, 4, 5, 6}, {2, 4, 5, 6}, -1},
      {{2, 4, 5, 6}, {6}, -1},
      {{2, 4, 5, 6}, {6}, 1},
      {{2, 4, 5, 7}, {1, 1, 1, 1}, -1},
      {{2, 4, 5, 1}, {2, 4, 5, 7}, -1},
      {{2, 1, 5, 7}, {1, 4, 1, 7}, -1},
      {{3, 1, 7}, {3, 5, 1}, -1},
      {{1, 8, 8, 6}, {2, 1, 1, 6}, -1},
      {{1, 1, 1, 5}, {2, 12, 12, 5}, -1},
      {{2, 12, 12, 1}, {1, 1, 1, 9}, -1},
      {{2, 12, 12, 1}, {1, 1, 1, 9}, 1},
      {{3, 11}, {11}, -1},
      {{1, 3, 3, 4}, {4}, 1},
      {{2, 3, 4, 5}, {2, 1, 1, 5}, -1},
      {{1, 1, 5}, {2, 3, 4, 5}, -1},
  };
  for (const F& c : grad) v.push_back(binary_case(t, c.a, c.b, c.const_operand, NONE, 1));
  // A constant operand: the other's gradient is exact (one product per element).
  v.push_back(binary_case(t, {1, 2, 3, 5}, {5}, 1, NONE, 1).grad_within(0));
  // Fused RELU6 under finite differences (values reaching the clamp).
  v.push_back(binary_case(t, {2, 3, 3, 4}, {2, 3, 3, 4}, -1, RELU6).inputs_in(-1, 4));
  // The same tensor as both operands (two contributions to one gradient).
  for (std::vector<int> s : {std::vector<int>{2, 3, 4, 5}, std::vector<int>{7}}) {
    GraphBuilder b;
    const int x = b.input(s);
    b.output(b.op(t, {x, x}, s));
    v.push_back(make_case("x with itself " + shape_name(s), b.g).gradients(1));
  }
  if (t == OpType::Add) {
    // Hand-computed: [2,1,3] + [2,1] -> [2,2,3], times a scalar constant 2 with RELU.
    GraphBuilder b;
    const int x = b.input({2, 1, 3});
    const int y = b.input({2, 1});
    const int s = b.op(OpType::Add, {x, y}, {2, 2, 3});
    OpParams p;
    p.activation = RELU;
    b.output(b.op(OpType::Mul, {s, b.constant({}, {2.0f})}, {2, 2, 3}, p));
    v.push_back(make_case("hand-computed broadcast", b.g)
                    .fixed_floats({{1, -2, 3, 4, 5, -6}, {10, -10}})
                    .expecting({22, 16, 26, 0, 0, 0, 28, 30, 8, 0, 0, 0}));
  }
  // 8-bit: ADD's output scales keep TFLite's output multiplier < 1; MUL's give multipliers below and above 1.
  const std::vector<Q8Bin> add = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.07f, 3, -7, 1, I8, NONE, false},
      {{2, 5, 3, 13}, {2, 5, 3, 13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.11f, -128, 5, -20, I8, RELU, false},
      {{1, 4, 6, 5}, {1, 4, 6, 5}, {1, 4, 6, 5}, 0.1f, 0.1f, 0.05f, 0, 0, 10, I8, RELU6, false},
      {{1, 3, 3, 3}, {1, 1, 1, 3}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.09f, 2, 100, -3, I8, RELU1, true},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.08f, -5, 9, 4, I8, NONE, false},
      {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.03f, 0.05f, 0.06f, 1, -1, 0, I8, NONE, false},
      {{1, 1, 1, 1}, {2, 3, 4, 6}, {2, 3, 4, 6}, 0.2f, 0.01f, 0.25f, 7, -2, 5, I8, RELU, true},
      {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.0392f, 128, 120, 130, U8, NONE, false},
      {{1, 3, 7, 13}, {13}, {1, 3, 7, 13}, 0.01f, 0.02f, 0.025f, 100, 140, 128, U8, RELU6, true},
      {{17}, {17}, {17}, 0.01f, 0.3f, 0.4f, 0, 255, 17, U8, RELU, false},
  };
  const std::vector<Q8Bin> mul = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.07f, 3, -7, 1, I8, NONE, false},
      {{2, 5, 3, 13}, {2, 5, 3, 13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.0001f, -128, 5, -20, I8, RELU, false},
      {{1, 4, 6, 5}, {1, 1, 1, 5}, {1, 4, 6, 5}, 0.1f, 0.1f, 0.3f, 0, 0, 10, I8, RELU6, true},
      {{1, 3, 3, 3}, {1, 3, 3, 1}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.0009f, 2, 100, -3, I8, RELU1, false},
      {{2, 4, 5, 7}, {1, 1, 1, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.08f, -5, 9, 4, I8, NONE, true},
      {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.03f, 0.05f, 0.006f, 1, -1, 0, I8, NONE, false},
      {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.0392f, 128, 120, 130, U8, NONE, false},
      {{1, 3, 7, 13}, {1, 1, 1, 13}, {1, 3, 7, 13}, 0.01f, 0.02f, 0.00002f, 100, 140, 128, U8, RELU6, true},
      {{2, 2, 2, 1}, {2, 2, 2, 6}, {2, 2, 2, 6}, 0.01f, 0.3f, 0.004f, 0, 255, 17, U8, RELU, false},
  };
  for (const Q8Bin& c : t == OpType::Add ? add : mul) v.push_back(q8_binary_case(t, c));
  return v;
}

// ---- SUB / MAXIMUM / MINIMUM / SQUARED_DIFFERENCE / DIV ------------------------------------------------------------

// Values on a grid of 0.2, the second operand (and constants) offset by 0.1: MAXIMUM / MINIMUM never tie, so
// finite differences never move the pick.
// DIV's operands (away_from_zero) keep |x| >= 0.5.
float on_grid(std::mt19937& rng, bool offset, bool away_from_zero) {
  const float x = (float)((int)std::uniform_int_distribution<int>(-10, 10)(rng)) * 0.2f + (offset ? 0.1f : 0.0f);
  return away_from_zero ? (x >= 0 ? x + 0.5f : x - 0.5f) : x;
}
InputGen grid_inputs(bool away_from_zero) {
  return [away_from_zero](const Graph& g, size_t index, std::mt19937& rng) {
    std::vector<float> v((size_t)g.tensors[g.inputs[index]].elements());
    for (float& x : v) x = on_grid(rng, index == 1, away_from_zero);
    return v;
  };
}

// const_operand: -1 both inputs, 0 / 1 that operand is a constant (on the offset grid).
Case binary_family_case(OpType t, const std::vector<int>& a, const std::vector<int>& bs, int const_operand,
                        Activation act) {
  GraphBuilder b;
  std::mt19937 rng(11);
  const auto constant = [&](const std::vector<int>& s) {
    int64_t n = 1;
    for (int d : s) n *= d;
    std::vector<float> v((size_t)n);
    for (float& x : v) x = on_grid(rng, true, t == OpType::Div);
    return b.constant(s, v);
  };
  const int x = const_operand == 0 ? constant(a) : b.input(a);
  const int y = const_operand == 1 ? constant(bs) : b.input(bs);
  OpParams p;
  p.activation = act;
  b.output(b.op(t, {x, y}, broadcast_shape(a, bs), p));
  return make_case(shape_name(a) + (const_operand == 0 ? " const" : "") + " with " + shape_name(bs) +
                       (const_operand == 1 ? " const" : "") + act_name(act),
                   b.g)
      .generated(grid_inputs(t == OpType::Div))
      .gradients(2 - (const_operand >= 0 ? 1 : 0))
      // A broadcast operand sums terms of both signs (float32 on the GPU, double in the reference).
      .grad_within(t == OpType::SquaredDifference || t == OpType::Div ? 1e-4 : 1e-5);
}

// An 8-bit DIV case with inputs drawn so that no divisor byte is 0 in uint8 (int8 -128: TFLite's uint8 kernel refuses
// a 0 byte; a divisor at its zero point, which TFLite only DCHECKs, still occurs).  Every case runs on TFLite: int8
// is exported as a uint8 DIV between QUANTIZE ops (TFLite has no int8 DIV), which also keeps it from the round trip.
Case q8_div_case(const Q8Bin& c) {
  Case k = q8_binary_case(OpType::Div, c);
  Graph& g = k.graph;
  std::mt19937 rng(17);
  const uint8_t refused = c.dtype == U8 ? 0 : 0x80;
  const auto draw = [&](bool divisor) {
    uint8_t v;
    do v = (uint8_t)(rng() >> 24);
    while (divisor && v == refused);
    return v;
  };
  const int divisor = g.ops[0].inputs[1];
  if (g.tensors[divisor].is_const)
    for (uint8_t& byte : g.tensors[divisor].data) byte = draw(true);
  std::vector<std::vector<uint8_t>> in;
  for (int t : g.inputs) {
    in.emplace_back((size_t)g.tensors[t].elements());
    for (uint8_t& byte : in.back()) byte = draw(t == divisor);
  }
  k.fixed_bytes(std::move(in)).on_tflite();
  return c.dtype == U8 ? k : k.skipping(bit(Path::RoundTrip));
}

// ---- MINIMUM by a constant bound after a convolution ---------------------------------------------------------------
// Inference sessions run such a MINIMUM inside the convolution's kernel (ops::BuildContext::claim_clip: cross-layer
// equalization's RELU6 bound), except where the unclipped values are needed or the MINIMUM's operands are the other
// way round.  These cases take a convolution case and clip its output: every path checks the result against the
// references; "clip fusion ..." (below the table) checks which forms the session fuses.
enum class Clip { PerChannel, Scalar, BoundFirst, AlsoOutput };
const char* clip_name(Clip c) {
  switch (c) {
    case Clip::PerChannel: return "per-channel bound";
    case Clip::Scalar: return "one bound";
    case Clip::BoundFirst: return "bound first (not fused)";
    case Clip::AlsoOutput: return "unclipped also an output (not fused)";
  }
  return "";
}
Case with_clip(Case c, Clip form, unsigned seed) {
  Graph& g = c.graph;
  const int t = g.outputs[0];
  const Tensor x = g.tensors[(size_t)t];
  const int channels = x.shape.back();
  std::mt19937 rng(seed);
  Tensor bound;
  bound.name = "bound";
  bound.is_const = true;
  bound.shape = form == Clip::Scalar ? std::vector<int>{1} : std::vector<int>{1, 1, 1, channels};
  bound.dtype = x.dtype;
  bound.quant = x.quant;
  const int n = form == Clip::Scalar ? 1 : channels;
  if (ops::is_q8(x)) {  // raw values from a little below the zero point to well above it: most channels clip
    const int zp = x.quant.zero_point[0], lo = x.dtype == U8 ? 0 : -128, hi = x.dtype == U8 ? 255 : 127;
    std::uniform_int_distribution<int> d(std::max(lo, zp - 8), std::min(hi, zp + 40));
    for (int i = 0; i < n; i++) bound.data.push_back((uint8_t)d(rng));
  } else {  // outputs are a few units either side of 0 (RELU / RELU6 cases: 0..6)
    std::uniform_real_distribution<float> d(-0.5f, 2.5f);
    for (int i = 0; i < n; i++) {
      const float v = d(rng);
      const uint8_t* b = reinterpret_cast<const uint8_t*>(&v);
      bound.data.insert(bound.data.end(), b, b + 4);
    }
  }
  g.tensors.push_back(bound);
  const int k = (int)g.tensors.size() - 1;
  Tensor y = x;
  y.name = "clipped";
  g.tensors.push_back(y);
  Op m;
  m.type = OpType::Minimum;
  m.inputs = form == Clip::BoundFirst ? std::vector<int>{k, t} : std::vector<int>{t, k};
  m.outputs = {(int)g.tensors.size() - 1};
  m.source_index = (int)g.ops.size();
  g.ops.push_back(m);
  g.outputs = form == Clip::AlsoOutput ? std::vector<int>{t, m.outputs[0]} : std::vector<int>{m.outputs[0]};
  c.name = "clip after " + c.name + ": " + clip_name(form);
  if (ops::is_q8(x)) c.on_tflite();  // TFLite's MINIMUM picks between the raw values
  return c.skipping(kGradPaths);     // inference fuses; training keeps every tensor
}

// The convolutions: the fp32 and 8-bit GEMM (1x1 over >= 8 pixels), the 1x1 over fewer pixels (FULLY_CONNECTED's
// kernel: not fused), the general window and the depthwise (depth multiplier 1 and 2).  `fused`: whether the session
// should run the MINIMUM inside the convolution.
struct ClipCase {
  Case c;
  bool fused;
};
std::vector<ClipCase> clip_fusion_cases() {
  const Win one = {1, 1, 1, 1, 1, 1, SAME}, three = square(3, 1, 1, SAME), three_s2 = square(3, 2, 1, SAME);
  const Q8Conv pc{I8, WKind::PerChannel, 1.0}, pt{I8, WKind::PerTensor, 1.0}, u8{U8, WKind::Uint8, 1.0, 120};
  std::vector<ClipCase> v;
  auto add = [&](Case c, Clip form, bool fusable, unsigned seed) {
    const bool fused = fusable && (form == Clip::PerChannel || form == Clip::Scalar);
    v.push_back({with_clip(std::move(c), form, seed), fused});
  };
  add(conv_case(1, 4, 5, 6, 9, one, Activation::Relu, true), Clip::PerChannel, true, 1);
  add(conv_case(1, 4, 5, 6, 9, one, Activation::Relu, true), Clip::Scalar, true, 2);
  add(conv_case(1, 2, 3, 6, 9, one, Activation::Relu6, true), Clip::PerChannel, false, 3);  // 6 pixels: FC kernel
  add(conv_case(2, 7, 9, 5, 7, three, Activation::Relu6, true), Clip::PerChannel, true, 4);
  add(conv_case(2, 7, 9, 5, 7, three, Activation::None, false), Clip::BoundFirst, true, 5);
  add(dw_case(1, 9, 11, 6, 1, three_s2, Activation::Relu, true), Clip::PerChannel, true, 6);
  add(dw_case(1, 6, 7, 3, 2, three, Activation::None, true), Clip::PerChannel, true, 7);
  add(dw_case(1, 6, 7, 3, 2, three, Activation::Relu6, true), Clip::AlsoOutput, true, 8);
  add(q8_conv_case(1, 4, 5, 8, 12, one, Activation::Relu, true, pc, 31), Clip::PerChannel, true, 9);
  add(q8_conv_case(1, 4, 5, 8, 12, one, Activation::None, true, u8, 32), Clip::Scalar, true, 10);
  add(q8_conv_case(1, 2, 3, 8, 12, one, Activation::Relu, true, pc, 33), Clip::PerChannel, false, 11);  // FC kernel
  add(q8_conv_case(2, 6, 19, 5, 9, three, Activation::Relu6, true, pt, 34), Clip::PerChannel, true, 12);
  add(q8_conv_case(1, 6, 7, 5, 9, three, Activation::Relu, true, u8, 35), Clip::BoundFirst, true, 13);
  add(q8_dw_case(1, 9, 11, 6, 1, three_s2, Activation::Relu6, true, pt, 36), Clip::PerChannel, true, 14);
  add(q8_dw_case(1, 6, 7, 3, 2, three, Activation::None, true, u8, 37), Clip::PerChannel, true, 15);
  add(q8_dw_case(1, 6, 7, 5, 1, three, Activation::Relu, true, pc, 38), Clip::AlsoOutput, true, 16);
  return v;
}

std::vector<Case> binary_family_cases(OpType t) {
  std::vector<Case> v;
  const bool fused = t == OpType::Sub || t == OpType::Div;
  struct F {
    std::vector<int> a, b;
    int const_operand;
  };
  // Full, per-channel, scalar, rank mismatch, broadcasting both ways, odd channels, batch > 1, constants.
  const std::vector<F> fwd = {
      {{1, 5, 6, 3}, {1, 5, 6, 3}, -1},
      {{2, 3, 4, 13}, {13}, 1},
      {{13}, {2, 3, 4, 13}, 0},
      {{1, 4, 4, 7}, {}, 1},
      {{2, 3}, {}, -1},
      {{2, 3, 4, 7}, {2, 3, 4, 1}, -1},
      {{2, 3, 4, 1}, {2, 3, 4, 5}, -1},
      {{2, 1, 4, 5}, {1, 3, 1, 5}, -1},
      {{4, 5, 7}, {5, 1}, -1},
      {{3, 1}, {1, 5}, -1},
      {{1, 9, 9, 33}, {1, 9, 9, 33}, 1},
      {{2, 1, 1, 3}, {1, 6, 5, 1}, 0},
      {{2, 4, 5, 6}, {6}, -1},
      {{2, 12, 12, 1}, {1, 1, 1, 9}, -1},
      {{1, 1, 1, 5}, {2, 12, 12, 5}, -1},
      {{2, 12, 12, 1}, {1, 1, 1, 9}, 1},
      {{1, 8, 8, 6}, {2, 1, 1, 6}, -1},
  };
  int k = 0;
  for (const F& c : fwd) v.push_back(binary_family_case(t, c.a, c.b, c.const_operand, fused ? kActs[k++ % 4] : NONE));
  if (fused)
    for (Activation a : kActs) v.push_back(binary_family_case(t, {2, 3, 5, 7}, {2, 3, 5, 1}, -1, a));
  // The same tensor as both operands (two contributions to one gradient; MAXIMUM / MINIMUM tie everywhere and
  // pick the first; DIV's x / x has two gradients cancelling to rounding noise, not a finite-difference case).
  for (std::vector<int> s : {std::vector<int>{2, 3, 4, 5}, std::vector<int>{7}}) {
    if (t == OpType::Div) break;
    GraphBuilder b;
    const int x = b.input(s);
    b.output(b.op(t, {x, x}, s));
    v.push_back(make_case("x with itself " + shape_name(s), b.g).gradients(1));
  }
  // Hand-computed: [[1,-2,3],[4,5,-6]] op [0.5,-1,3].
  {
    GraphBuilder b;
    const int x = b.input({2, 3});
    const int y = b.input({3});
    OpParams p;
    p.activation = fused ? RELU : NONE;
    b.output(b.op(t, {x, y}, {2, 3}, p));
    const std::vector<double> want = t == OpType::Div       ? std::vector<double>{2, 2, 1, 8, 0, 0}
                                     : t == OpType::Sub     ? std::vector<double>{0.5, 0, 0, 3.5, 6, 0}
                                     : t == OpType::Maximum ? std::vector<double>{1, -1, 3, 4, 5, 3}
                                     : t == OpType::Minimum ? std::vector<double>{0.5, -2, 3, 0.5, -1, -6}
                                                            : std::vector<double>{0.25, 1, 0, 12.25, 36, 81};
    v.push_back(make_case(std::string("hand-computed") + act_name(p.activation), b.g)
                    .fixed_floats({{1, -2, 3, 4, 5, -6}, {0.5, -1, 3}})
                    .expecting(want, 1e-6)
                    .only_paths(bit(Path::Fp32)));
  }
  // 8-bit: SUB with ADD's scales and activations; MAXIMUM / MINIMUM on one shared quantization; SQUARED_DIFFERENCE
  // int8 first (TFLite has no uint8 kernel: its uint8 cases run Tare's same arithmetic).
  const std::vector<Q8Bin> sub = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.07f, 3, -7, 1, I8, NONE, false},
      {{2, 5, 3, 13}, {2, 5, 3, 13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.11f, -128, 5, -20, I8, RELU, false},
      {{1, 3, 3, 3}, {1, 1, 1, 3}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.09f, 2, 100, -3, I8, RELU1, true},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.08f, -5, 9, 4, I8, RELU6, false},
      {{1, 1, 1, 1}, {2, 3, 4, 6}, {2, 3, 4, 6}, 0.2f, 0.01f, 0.25f, 7, -2, 5, I8, NONE, true},
      {{1, 4, 6, 5}, {1, 4, 6, 5}, {1, 4, 6, 5}, 0.1f, 0.1f, 0.05f, 0, 0, 10, I8, NONE, false},
      {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.0392f, 128, 120, 130, U8, NONE, false},
      {{1, 3, 7, 13}, {13}, {1, 3, 7, 13}, 0.01f, 0.02f, 0.025f, 100, 140, 128, U8, RELU6, true},
      {{17}, {17}, {17}, 0.01f, 0.3f, 0.4f, 0, 255, 17, U8, RELU, false},
  };
  const std::vector<Q8Bin> max_min = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.05f, 0.05f, 3, 3, 3, I8, NONE, false},
      {{2, 5, 3, 13}, {13}, {2, 5, 3, 13}, 0.02f, 0.02f, 0.02f, -128, -128, -128, I8, NONE, true},
      {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.1f, 0.1f, 0.1f, 127, 127, 127, I8, NONE, false},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.3f, 0.3f, 0.3f, -5, -5, -5, I8, NONE, false},
      {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0235f, 0.0235f, 128, 128, 128, U8, NONE, false},
      {{1, 1, 1, 1}, {2, 3, 4, 6}, {2, 3, 4, 6}, 0.01f, 0.01f, 0.01f, 0, 0, 0, U8, NONE, true},
      {{3, 7}, {3, 1}, {3, 7}, 0.2f, 0.2f, 0.2f, 255, 255, 255, U8, NONE, false},
  };
  const std::vector<Q8Bin> sqdiff = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.2f, 3, -7, -128, I8, NONE, false},
      {{2, 5, 3, 13}, {13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.5f, -128, 5, -100, I8, NONE, true},
      {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.03f, 0.05f, 0.01f, 1, -1, 0, I8, NONE, false},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.04f, 0.3f, -5, 9, -120, I8, NONE, false},
      {{1, 1, 1, 1}, {2, 3, 4, 6}, {2, 3, 4, 6}, 0.2f, 0.01f, 1.0f, 7, -2, -128, I8, NONE, true},
      {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.05f, 128, 120, 0, U8, NONE, false},
      {{3, 7}, {3, 1}, {3, 7}, 0.01f, 0.02f, 0.001f, 100, 140, 3, U8, NONE, false},
  };
  // DIV: TFLite's uint8 kernel; int8 runs the same arithmetic (q8_div_case).  Both signs of divisor, broadcasting both ways, a
  // constant divisor, multipliers below and far above 1, saturating quotients, fused activations.
  const std::vector<Q8Bin> div = {
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.03f, 0.1f, 128, 120, 10, U8, NONE, false},
      {{2, 5, 3, 13}, {13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.02f, 100, 140, 128, U8, RELU6, true},
      {{1, 3, 3, 3}, {1, 1, 1, 1}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.09f, 2, 130, 128, U8, RELU, false},
      {{1, 1, 1, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}, 0.5f, 0.01f, 0.2f, 128, 0, 3, U8, NONE, false},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.01f, 250, 9, 128, U8, RELU1, false},
      {{3, 7}, {3, 1}, {3, 7}, 0.01f, 0.3f, 0.001f, 0, 255, 17, U8, NONE, false},
      {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.1f, 0.1f, 0.05f, 128, 128, 128, U8, NONE, false},
      {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.03f, 0.1f, 0, -8, -118, I8, NONE, false},
      {{2, 5, 3, 13}, {13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.02f, -28, 12, 0, I8, RELU, true},
      {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.01f, 122, -119, 0, I8, RELU1, false},
  };
  if (t == OpType::Div) {
    for (const Q8Bin& c : div) v.push_back(q8_div_case(c));
    return v;
  }
  const std::vector<Q8Bin>& q8 = t == OpType::Sub ? sub : t == OpType::SquaredDifference ? sqdiff : max_min;
  for (const Q8Bin& c : q8) v.push_back(q8_binary_case(t, c));
  return v;
}

// ---- PRELU / POW ------------------------------------------------------------------------------------------------

std::vector<Case> prelu_cases() {
  std::vector<Case> v;
  // alpha per channel ([C], [1,1,C]), scalar ([1], rank 0), full; below, above 1 and negative; odd channels,
  // batch > 1; away from the kink at 0.  One alpha is a graph input (its gradient too).
  struct F {
    std::vector<int> x, alpha;
    bool alpha_const;
    float lo, hi;
  };
  const std::vector<F> fwd = {
      {{1, 5, 6, 3}, {3}, true, 0.05f, 0.5f},      {{2, 3, 4, 13}, {1, 1, 13}, true, -0.5f, 1.5f},
      {{1, 7, 9, 33}, {1}, true, 0.25f, 0.25f},    {{2, 4, 5, 7}, {}, true, 0.1f, 0.1f},
      {{3, 11}, {11}, true, -1.0f, 2.0f},          {{2, 3, 4, 5}, {2, 3, 4, 5}, true, 0.0f, 1.0f},
      {{2, 1, 1, 1001}, {1001}, true, 0.0f, 0.3f}, {{2, 3, 4, 5}, {1, 1, 5}, false, 0, 0},
  };
  for (const F& c : fwd) {
    GraphBuilder b;
    const int x = b.input(c.x);
    const int a = c.alpha_const ? b.random_constant(c.alpha, c.lo, c.hi) : b.input(c.alpha);
    b.output(b.op(OpType::Prelu, {x, a}, c.x));
    v.push_back(make_case(shape_name(c.x) + " alpha " + shape_name(c.alpha) + (c.alpha_const ? " const" : ""), b.g)
                    .generated(away_from({0}, -4, 4, 0.05f))
                    .gradients(c.alpha_const ? 1 : 2)
                    .grad_within(1e-5));
  }
  {
    GraphBuilder b;
    const int x = b.input({2, 3});
    b.output(b.op(OpType::Prelu, {x, b.constant({3}, {0.5f, 2.0f, -1.0f})}, {2, 3}));
    v.push_back(make_case("hand-computed", b.g)
                    .fixed_floats({{-4, 3, -2, 1, -0.5f, 0}})
                    .expecting({-2, 3, 2, 1, -1, 0}, 1e-7)
                    .only_paths(bit(Path::Fp32)));
  }
  // 8-bit: alpha on its own scale and zero point; both TFLite multipliers below and above 1.
  struct Q {
    std::vector<int> x, alpha;
    bool alpha_const;
    float sx, sa, so;
    int zx, za, zo;
    DType dt;
  };
  const std::vector<Q> q8 = {
      {{1, 5, 6, 3}, {3}, true, 0.05f, 0.004f, 0.04f, 3, -20, -10, I8},
      {{2, 3, 4, 13}, {1, 1, 13}, true, 0.02f, 0.01f, 0.03f, -128, 5, -100, I8},
      {{1, 7, 9, 33}, {1}, true, 0.1f, 0.5f, 0.02f, 0, -1, 7, I8},
      {{2, 4, 5, 7}, {2, 4, 5, 7}, false, 0.03f, 0.02f, 0.05f, 10, 0, 0, I8},
      {{3, 11}, {11}, true, 0.07f, 0.003f, 0.09f, 127, -128, 2, I8},
      {{1, 5, 5, 33}, {33}, true, 0.0235f, 0.004f, 0.03f, 128, 100, 120, U8},
      {{2, 3, 7}, {1, 7}, true, 0.01f, 0.2f, 0.02f, 0, 255, 128, U8},
  };
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.x, c.sx, c.zx, c.dt);
    const int a = c.alpha_const ? b.q8_constant(c.alpha, c.sa, c.za, c.dt) : b.q8_input(c.alpha, c.sa, c.za, c.dt);
    b.q8_output_op(OpType::Prelu, {x, a}, c.x, {}, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.x) + " alpha " + shape_name(c.alpha) + (c.alpha_const ? " const " : " ") +
                              dtype_name(c.dt) + " scales " + std::to_string(c.sx) + "," + std::to_string(c.sa) +
                              " -> " + std::to_string(c.so),
                          b.g));
  }
  return v;
}

std::vector<Case> pow_cases() {
  std::vector<Case> v;
  // Positive bases; a constant exponent per channel, scalar or full, of both signs, fractional and integral.
  struct F {
    std::vector<int> x, e;
    float lo, hi;
  };
  const std::vector<F> fwd = {
      {{1, 5, 6, 3}, {3}, -2.0f, 3.0f},        {{2, 3, 4, 13}, {}, 2.0f, 2.0f}, {{3, 11}, {3, 11}, -1.5f, 2.5f},
      {{1, 7, 9, 33}, {1, 1, 33}, 0.5f, 3.0f}, {{2, 4, 5, 7}, {1}, 0.5f, 0.5f}, {{2, 1, 1, 1001}, {1001}, -1.0f, 1.0f},
  };
  for (const F& c : fwd) {
    GraphBuilder b;
    const int x = b.input(c.x);
    b.output(b.op(OpType::Pow, {x, b.random_constant(c.e, c.lo, c.hi)}, c.x));
    v.push_back(make_case(shape_name(c.x) + " exponent " + shape_name(c.e), b.g)
                    .inputs_in(0.5f, 2.0f)
                    .grad_inputs_in(0.5f, 2.0f)
                    .gradients(1)
                    .grad_within(1e-5));
  }
  {
    GraphBuilder b;
    const int x = b.input({4});
    b.output(b.op(OpType::Pow, {x, b.constant({4}, {0.5f, 3.0f, 0.5f, -1.0f})}, {4}));
    v.push_back(make_case("hand-computed", b.g)
                    .fixed_floats({{4, 2, 9, 0.5f}})
                    .expecting({2, 8, 3, 2}, 1e-6)
                    .only_paths(bit(Path::Fp32)));
  }
  return v;
}

// ---- AVERAGE_POOL_2D / MAX_POOL_2D --------------------------------------------------------------------------------

struct PoolSpec {
  std::vector<int> in;
  int fh, fw, sh, sw;
  Padding pad;
  Activation act;
};
Case pool_case(OpType t, const PoolSpec& c) {
  GraphBuilder b;
  const int x = b.input(c.in);
  const OpParams p = pool_params(c.fh, c.fw, c.sh, c.sw, c.pad, c.act);
  b.output(b.op(t, {x}, pool_out_shape(c.in, p), p));
  Case r = make_case(shape_name(c.in) + " " + std::to_string(c.fh) + "x" + std::to_string(c.fw) + " s" +
                         std::to_string(c.sh) + "," + std::to_string(c.sw) + " " + pad_name(c.pad) + act_name(c.act),
                     b.g)
               .gradients(1);
  // MAX_POOL_2D: finite differences of the GPU gradient only where the inputs have no near-ties (tie_free below).
  if (t == OpType::MaxPool2D) r.no_grad_fd();
  return r;
}

std::vector<Case> pool_cases(OpType t) {
  std::vector<Case> v;
  const std::vector<PoolSpec> fwd = {
      {{1, 7, 7, 1024}, 7, 7, 2, 2, VALID, NONE}, {{1, 7, 7, 33}, 7, 7, 1, 1, VALID, RELU6},
      {{2, 9, 11, 5}, 3, 3, 2, 2, SAME, NONE},    {{2, 9, 11, 13}, 3, 3, 2, 2, VALID, RELU},
      {{1, 8, 8, 7}, 2, 2, 2, 2, VALID, RELU1},   {{1, 10, 13, 3}, 3, 2, 1, 3, SAME, NONE},
      {{1, 5, 6, 1}, 5, 5, 1, 1, SAME, RELU6},    {{1, 6, 17, 4}, 1, 3, 1, 1, SAME, NONE},
      {{2, 12, 12, 3}, 4, 4, 3, 3, SAME, RELU},
  };
  for (const PoolSpec& c : fwd) v.push_back(pool_case(t, c));
  // The gradient sweep (global windows, gaps between windows); MAX_POOL_2D without ties.
  const std::vector<PoolSpec> grad = {
      {{1, 7, 9, 3}, 3, 3, 2, 2, SAME, NONE},   {{2, 8, 8, 5}, 2, 2, 2, 2, VALID, NONE},
      {{1, 6, 7, 9}, 3, 3, 1, 1, SAME, NONE},   {{2, 5, 5, 4}, 5, 5, 1, 1, VALID, NONE},
      {{1, 7, 7, 13}, 7, 7, 2, 2, SAME, NONE},  {{1, 9, 6, 6}, 3, 2, 2, 1, SAME, NONE},
      {{2, 10, 11, 2}, 4, 3, 3, 2, SAME, NONE}, {{1, 5, 8, 1}, 2, 3, 3, 3, VALID, NONE},
  };
  for (const PoolSpec& c : grad) {
    Case k = pool_case(t, c);
    if (t == OpType::MaxPool2D) {
      k.generated(tie_free(c.fh, c.fw, c.sh, c.sw, c.pad, 0.02f));
      k.grad_fd = true;
    }
    v.push_back(std::move(k));
  }
  // Fused activations under finite differences (values up to 7 reach RELU6's clamp).
  v.push_back(
      pool_case(t, {{2, 7, 6, 3}, 2, 2, 2, 2, VALID, t == OpType::AveragePool2D ? RELU6 : RELU}).inputs_in(-1, 7));
  v.push_back(pool_case(t, {{2, 7, 6, 3}, 3, 3, 1, 1, SAME, RELU}).inputs_in(-1, 3));
  if (t == OpType::MaxPool2D) {
    // Ties: all equal, the whole gradient goes to the first (top-left) element of each window.
    v.push_back(pool_case(t, {{1, 3, 3, 2}, 2, 2, 1, 1, VALID, NONE}).fixed_floats({std::vector<float>(18, 0.5f)}));
  } else {
    // Hand-computed SAME average: 2x2 stride 2 over 3x3 (padding after only) divides by the in-bounds count.
    v.push_back(pool_case(t, {{1, 3, 3, 1}, 2, 2, 2, 2, SAME, NONE})
                    .fixed_floats({{1, 2, 3, 4, 5, 6, 7, 8, 9}})
                    .expecting({(1 + 2 + 4 + 5) / 4.0, (3 + 6) / 2.0, (7 + 8) / 2.0, 9.0}, 1e-6));
  }
  // 8-bit.
  struct Q {
    PoolSpec s;
    DType dt;
    float scale;
    int zp;
  };
  const std::vector<Q> q8 = {
      {{{1, 7, 7, 64}, 7, 7, 2, 2, VALID, NONE}, I8, 0.02f, -128},
      {{{1, 7, 7, 33}, 7, 7, 1, 1, VALID, RELU6}, I8, 0.05f, 3},
      {{{2, 9, 11, 5}, 3, 3, 2, 2, SAME, NONE}, I8, 0.1f, 0},
      {{{2, 9, 11, 13}, 3, 3, 2, 2, VALID, RELU}, I8, 0.03f, 20},
      {{{1, 8, 8, 7}, 2, 2, 2, 2, VALID, RELU1}, I8, 0.01f, -10},
      {{{1, 10, 13, 3}, 3, 2, 1, 3, SAME, NONE}, U8, 0.02f, 128},
      {{{1, 5, 6, 1}, 5, 5, 1, 1, SAME, RELU6}, U8, 0.04f, 0},
      {{{1, 6, 17, 4}, 1, 3, 1, 1, SAME, NONE}, U8, 0.1f, 200},
      {{{2, 12, 12, 3}, 4, 4, 3, 3, SAME, RELU}, U8, 0.02f, 77},
  };
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.s.in, c.scale, c.zp, c.dt);
    const OpParams p = pool_params(c.s.fh, c.s.fw, c.s.sh, c.s.sw, c.s.pad, c.s.act);
    b.q8_output_op(t, {x}, pool_out_shape(c.s.in, p), p, c.scale, c.zp, c.dt);
    v.push_back(make_case(shape_name(c.s.in) + " " + std::to_string(c.s.fh) + "x" + std::to_string(c.s.fw) + " " +
                              dtype_name(c.dt) + act_name(c.s.act),
                          b.g));
  }
  return v;
}

// ---- MEAN ---------------------------------------------------------------------------------------------------------

std::vector<int> reduced(const std::vector<int>& in, const std::vector<int>& axes, bool keep) {
  std::vector<int> o;
  for (size_t i = 0; i < in.size(); i++) {
    const bool r = std::find(axes.begin(), axes.end(), (int)i) != axes.end();
    if (!r) o.push_back(in[i]);
    else if (keep) o.push_back(1);
  }
  return o;
}

Case mean_case(const std::vector<int>& in, const std::vector<int>& axes, bool keep) {
  GraphBuilder b;
  const int x = b.input(in);
  OpParams p;
  p.axes = axes;
  p.keep_dims = keep;
  const int a = b.int32_constant({(int)axes.size()}, std::vector<int32_t>(axes.begin(), axes.end()));
  b.output(b.op(OpType::Mean, {x, a}, reduced(in, axes, keep), p));
  return make_case(shape_name(in) + " over " + shape_name(axes) + (keep ? " keep_dims" : ""), b.g).gradients(1);
}

std::vector<Case> mean_cases() {
  std::vector<Case> v;
  struct F {
    std::vector<int> in, axes;
    bool keep;
  };
  const std::vector<F> fwd = {
      {{1, 7, 7, 1280}, {1, 2}, false},
      {{1, 7, 7, 1280}, {1, 2}, true},
      {{2, 5, 6, 13}, {1, 2}, false},
      {{2, 5, 6, 3}, {1, 2}, true},
      {{2, 5, 6, 7}, {2}, false},
      {{2, 5, 6, 7}, {1}, true},
      {{2, 5, 6, 7}, {3}, false},
      {{2, 5, 6, 33}, {3}, true},
      {{2, 5, 6, 5}, {1, 2, 3}, true},
      {{2, 3, 4, 5}, {0}, false},
      {{2, 3, 4, 9}, {0, 1, 2, 3}, false},
      {{2, 3, 4, 1}, {0, 2}, true},
      {{4, 5, 7}, {1}, false},
      {{3, 10}, {1}, true},
      {{3, 10}, {0}, false},
      {{1, 33, 29, 4}, {1, 2}, false},
      {{1, 7, 7, 40}, {1, 2}, false},
      {{2, 5, 4, 3}, {1, 2}, true},
  };
  for (const F& c : fwd) v.push_back(mean_case(c.in, c.axes, c.keep));
  // Hand-computed over H, W and over C: value = pixel * 10 + channel.
  std::vector<float> in(12);
  for (int px = 0; px < 4; px++)
    for (int ch = 0; ch < 3; ch++) in[(size_t)(px * 3 + ch)] = (float)(px * 10 + ch);
  v.push_back(mean_case({1, 2, 2, 3}, {1, 2}, false).fixed_floats({in}).expecting({15, 16, 17}, 1e-5));
  v.push_back(mean_case({1, 2, 2, 3}, {3}, true).fixed_floats({in}).expecting({1, 11, 21, 31}, 1e-5));
  // 8-bit: TFLite's three arithmetic paths (4-D keep_dims H,W with a quantized multiplier; equal parameters;
  // float requantization).
  struct Q {
    std::vector<int> in, axes;
    bool keep;
    DType dt;
    float si, so;
    int zi, zo;
  };
  const std::vector<Q> q8 = {
      {{1, 7, 7, 33}, {1, 2}, true, I8, 0.05f, 0.02f, -3, 5},
      {{2, 5, 3, 13}, {1, 2}, true, I8, 0.02f, 0.05f, 10, -128},
      {{1, 4, 4, 5}, {1, 2}, true, I8, 0.02f, 0.0002f, 0, 0},
      {{1, 7, 7, 64}, {1, 2}, true, U8, 0.0235f, 0.0235f, 128, 128},
      {{2, 3, 9, 3}, {1, 2}, true, U8, 0.01f, 0.03f, 100, 3},
      {{1, 7, 7, 33}, {1, 2}, false, I8, 0.05f, 0.05f, -3, -3},
      {{2, 5, 3, 13}, {3}, false, I8, 0.1f, 0.1f, 7, 7},
      {{2, 5, 3, 13}, {0, 3}, true, U8, 0.1f, 0.1f, 130, 130},
      {{3, 4, 5}, {1}, false, I8, 0.02f, 0.02f, -128, -128},
      {{1, 7, 7, 33}, {1, 2}, false, I8, 0.05f, 0.02f, -3, 5},
      {{2, 5, 3, 13}, {2}, true, I8, 0.02f, 0.07f, 10, -100},
      {{2, 5, 3, 13}, {1, 2, 3}, false, U8, 0.01f, 0.013f, 120, 0},
      {{2, 6, 5, 7}, {0, 1}, true, U8, 0.04f, 0.01f, 0, 255},
      {{9, 17}, {1}, false, I8, 0.03f, 0.011f, 5, -9},
  };
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.in, c.si, c.zi, c.dt);
    OpParams p;
    p.axes = c.axes;
    p.keep_dims = c.keep;
    b.q8_output_op(OpType::Mean, {x}, reduced(c.in, c.axes, c.keep), p, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.in) + " over " + shape_name(c.axes) + (c.keep ? " keep_dims " : " ") +
                              dtype_name(c.dt) + " scales " + std::to_string(c.si) + " -> " + std::to_string(c.so),
                          b.g));
  }
  return v;
}

// ---- SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD ------------------------------------------------------------------

Case reduce_case(OpType t, const std::vector<int>& in, const std::vector<int>& axes, bool keep) {
  GraphBuilder b;
  const int x = b.input(in);
  OpParams p;
  p.axes = axes;
  p.keep_dims = keep;
  const int a = b.int32_constant({(int)axes.size()}, std::vector<int32_t>(axes.begin(), axes.end()));
  b.output(b.op(t, {x, a}, reduced(in, axes, keep), p));
  Case c = make_case(shape_name(in) + " over " + shape_name(axes) + (keep ? " keep_dims" : ""), b.g).gradients(1);
  if (t == OpType::ReduceProd) c.inputs_in(0.7f, 1.3f).grad_inputs_in(0.7f, 1.3f);  // away from zero, bounded product
  if (t == OpType::ReduceMax || t == OpType::ReduceMin) {
    // Distinct values 0.02 apart (shuffled): finite differences never cross a tie.
    c.generated([](const Graph& g, size_t index, std::mt19937& rng) {
      const int64_t n = g.tensors[(size_t)g.inputs[index]].elements();
      std::vector<float> v((size_t)n);
      for (int64_t i = 0; i < n; i++) v[(size_t)i] = 0.02f * (float)(i - n / 2);
      std::shuffle(v.begin(), v.end(), rng);
      return v;
    });
  }
  return c;
}

std::vector<Case> reduce_cases(OpType t) {
  std::vector<Case> v;
  struct F {
    std::vector<int> in, axes;
    bool keep;
  };
  // The axes a CNN uses ({1,2} global pooling, {3} channels, {1}, all), keep_dims both ways, odd channels, batch > 1.
  const std::vector<F> fwd = {
      {{2, 5, 6, 13}, {1, 2}, false},     {{2, 5, 6, 3}, {1, 2}, true}, {{2, 5, 6, 7}, {2}, false},
      {{2, 5, 6, 7}, {1}, true},          {{2, 5, 6, 7}, {3}, false},   {{2, 3, 4, 33}, {3}, true},
      {{2, 3, 4, 5}, {1, 2, 3}, true},    {{2, 3, 4, 5}, {0}, false},   {{2, 3, 2, 9}, {0, 1, 2, 3}, false},
      {{2, 3, 2, 9}, {0, 1, 2, 3}, true}, {{4, 5, 7}, {1}, false},      {{3, 10}, {1}, true},
  };
  for (const F& c : fwd) v.push_back(reduce_case(t, c.in, c.axes, c.keep));
  if (t == OpType::ReduceProd) return v;  // float only
  // 8-bit, int8 and uint8: MAX / MIN need equal parameters; SUM both ways (wrapping and requantized).
  struct Q {
    std::vector<int> in, axes;
    bool keep;
    DType dt;
    float si, so;
    int zi, zo;
  };
  std::vector<Q> q8 = {
      {{1, 7, 7, 33}, {1, 2}, true, I8, 0.05f, 0.05f, -3, -3},
      {{2, 5, 3, 13}, {3}, false, U8, 0.1f, 0.1f, 130, 130},
      {{2, 5, 3, 13}, {1}, true, I8, 0.02f, 0.02f, 10, 10},
      {{2, 3, 4, 5}, {0, 1, 2, 3}, false, U8, 0.03f, 0.03f, 7, 7},
      {{2, 5, 3, 7}, {1, 2}, false, I8, 0.02f, 0.02f, -128, -128},
      {{9, 17}, {1}, true, U8, 0.04f, 0.04f, 255, 255},
  };
  if (t == OpType::Sum) {
    q8 = {
        {{1, 4, 4, 33}, {1, 2}, true, I8, 0.01f, 0.3f, -3, 5},
        {{2, 5, 3, 13}, {3}, false, U8, 0.01f, 0.2f, 130, 3},
        {{2, 5, 3, 13}, {1}, true, I8, 0.02f, 0.1f, 10, -20},
        {{2, 3, 4, 5}, {0, 1, 2, 3}, false, U8, 0.01f, 1.1f, 7, 200},
        {{2, 5, 3, 7}, {1, 2}, false, I8, 0.02f, 0.02f, -128, -128},
        {{9, 17}, {1}, true, U8, 0.04f, 0.04f, 255, 255},
        {{1, 3, 3, 4}, {1, 2}, true, I8, 0.05f, 0.05f, 0, 0},
        {{2, 3, 5}, {2}, false, I8, 0.02f, 0.004f, -7, 0},
    };
  }
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.in, c.si, c.zi, c.dt);
    OpParams p;
    p.axes = c.axes;
    p.keep_dims = c.keep;
    b.q8_output_op(t, {x}, reduced(c.in, c.axes, c.keep), p, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.in) + " over " + shape_name(c.axes) + (c.keep ? " keep_dims " : " ") +
                              dtype_name(c.dt) + " scales " + std::to_string(c.si) + " -> " + std::to_string(c.so),
                          b.g));
  }
  return v;
}

// ---- CONCATENATION ----------------------------------------------------------------------------------------------

Case concat_case(const std::vector<std::vector<int>>& ins, int axis, int const_input, Activation act) {
  GraphBuilder b;
  std::vector<int> xs;
  std::vector<int> os = ins[0];
  os[(size_t)axis] = 0;
  std::string name;
  for (size_t i = 0; i < ins.size(); i++) {
    xs.push_back((int)i == const_input ? b.random_constant(ins[i], -2, 2) : b.input(ins[i]));
    os[(size_t)axis] += ins[i][(size_t)axis];
    name += (i ? " + " : "") + shape_name(ins[i]) + ((int)i == const_input ? " const" : "");
  }
  OpParams p;
  p.axis = axis;
  p.activation = act;
  b.output(b.op(OpType::Concatenation, xs, os, p));
  return make_case(name + " axis " + std::to_string(axis) + act_name(act), b.g)
      .gradients((int)ins.size() - (const_input >= 0 ? 1 : 0));
}

std::vector<Case> concatenation_cases() {
  std::vector<Case> v;
  struct F {
    std::vector<std::vector<int>> ins;
    int axis, const_input;
  };
  // Every axis, channel offsets not a multiple of 4, many inputs, constant inputs; fused activations in turn.
  const std::vector<F> fwd = {
      {{{1, 4, 5, 3}, {1, 4, 5, 5}, {1, 4, 5, 1}, {1, 4, 5, 8}}, 3, -1},
      {{{2, 3, 3, 4}, {2, 3, 3, 4}}, 3, -1},
      {{{1, 2, 2, 13}, {1, 2, 2, 13}, {1, 2, 2, 13}}, 3, -1},
      {{{1, 3, 3, 2}, {1, 3, 3, 3}}, 3, -1},
      {{{1, 3, 3, 3}, {1, 3, 3, 2}}, 3, -1},
      {{{2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}}, 3, -1},
      {{{1, 4, 5, 3}, {1, 4, 5, 6}}, 3, 0},
      {{{2, 3, 4, 5}, {2, 1, 4, 5}}, 1, -1},
      {{{2, 3, 4, 5}, {2, 3, 2, 5}, {2, 3, 1, 5}}, 2, 1},
      {{{1, 3, 4, 7}, {2, 3, 4, 7}}, 0, -1},
      {{{3, 7}, {3, 2}}, 1, -1},
      {{{3, 7}, {2, 7}}, 0, -1},
      {{{2, 3, 5}, {2, 4, 5}}, 1, -1},
      {{{2, 3, 5}, {2, 3, 6}}, 2, -1},
      {{{5}, {3}, {1}}, 0, -1},
      {{{1, 6, 6, 33}}, 3, -1},
  };
  int k = 0;
  for (const F& c : fwd) v.push_back(concat_case(c.ins, c.axis, c.const_input, kActs[k++ % 4]));
  const std::vector<F> grad = {
      {{{1, 4, 5, 3}, {1, 4, 5, 5}, {1, 4, 5, 6}}, 3, -1},
      {{{2, 3, 3, 4}, {2, 3, 3, 8}}, 3, -1},
      {{{2, 3, 3, 7}, {2, 3, 3, 2}, {2, 3, 3, 4}}, 3, 1},
      {{{2, 2, 5, 3}, {2, 4, 5, 3}}, 1, -1},
      {{{2, 3, 2, 6}, {2, 3, 5, 6}, {2, 3, 1, 6}}, 2, -1},
      {{{1, 3, 4, 5}, {2, 3, 4, 5}}, 0, -1},
      {{{3, 5}, {3, 2}}, 1, -1},
      {{{3, 5}, {2, 5}}, 0, -1},
      {{{2, 3, 9}, {2, 4, 9}}, 1, 0},
      {{{2, 1, 3, 2}, {2, 4, 3, 2}}, 1, -1},
  };
  for (const F& c : grad) v.push_back(concat_case(c.ins, c.axis, c.const_input, NONE));
  v.push_back(concat_case({{2, 3, 3, 2}, {2, 3, 3, 4}, {2, 3, 3, 1}}, 3, -1, RELU));  // fused, finite differences
  {                                                                                   // the same tensor twice
    GraphBuilder b;
    const int x = b.input({2, 3, 3, 5});
    OpParams p;
    p.axis = 3;
    b.output(b.op(OpType::Concatenation, {x, x}, {2, 3, 3, 10}, p));
    v.push_back(make_case("x with itself", b.g).gradients(1));
  }
  {  // hand-computed channel concatenation at offset 3
    GraphBuilder b;
    const int x = b.input({1, 1, 2, 3});
    const int y = b.input({1, 1, 2, 2});
    OpParams p;
    p.axis = 3;
    b.output(b.op(OpType::Concatenation, {x, y}, {1, 1, 2, 5}, p));
    v.push_back(make_case("hand-computed", b.g)
                    .fixed_floats({{1, 2, 3, 4, 5, 6}, {10, 11, 12, 13}})
                    .expecting({1, 2, 3, 10, 11, 4, 5, 6, 12, 13}));
  }
  // 8-bit: equal parameters (aligned and unaligned offsets), requantized inputs, constants, other axes.
  struct In {
    std::vector<int> shape;
    float scale;
    int zp;
    bool is_const;
  };
  struct Q {
    std::vector<In> ins;
    int axis;
    float so;
    int zo;
    DType dt;
    Activation act;
  };
  const std::vector<Q> q8 = {
      {{{{1, 5, 7, 8}, 0.1f, 3, false}, {{1, 5, 7, 16}, 0.1f, 3, false}}, 3, 0.1f, 3, I8, NONE},
      {{{{2, 3, 5, 3}, 0.1f, 3, false}, {{2, 3, 5, 5}, 0.1f, 3, false}, {{2, 3, 5, 1}, 0.1f, 3, false}},
       3,
       0.1f,
       3,
       I8,
       NONE},
      {{{{1, 4, 6, 13}, 0.05f, -10, false}, {{1, 4, 6, 7}, 0.1f, 3, false}, {{1, 4, 6, 6}, 0.02f, 0, true}},
       3,
       0.08f,
       -4,
       I8,
       RELU},
      {{{{2, 3, 3, 33}, 0.2f, 100, false}, {{2, 3, 3, 2}, 0.01f, 5, false}}, 3, 0.1f, 128, U8, RELU6},
      {{{{1, 1, 1, 3}, 0.03f, 0, false}, {{1, 1, 1, 1}, 0.06f, 50, false}, {{1, 1, 1, 9}, 0.03f, 0, false}},
       3,
       0.03f,
       0,
       U8,
       RELU1},
      {{{{1, 3, 5, 7}, 0.1f, 3, false}, {{1, 4, 5, 7}, 0.1f, 3, false}}, 1, 0.1f, 3, I8, NONE},
      {{{{2, 3, 2, 5}, 0.1f, 3, false}, {{2, 3, 4, 5}, 0.07f, -20, false}}, 2, 0.1f, 3, I8, RELU},
      {{{{1, 3, 2, 6}, 0.1f, 3, false}, {{2, 3, 2, 6}, 0.05f, 200, true}}, 0, 0.1f, 30, U8, NONE},
      {{{{5, 3}, 0.1f, 3, false}, {{5, 10}, 0.2f, 1, false}}, 1, 0.15f, 0, I8, NONE},
      {{{{3, 9}, 0.1f, 3, false}, {{2, 9}, 0.2f, 1, false}}, 0, 0.15f, 0, I8, NONE},
      // Fused activations that clamp inside the 8-bit range, on the one quantization TFLite's int8 kernel takes:
      // exported as CONCATENATION + RELU / RELU6 / RELU_N1_TO_1 (TFLite refuses a fused one), run on TFLite.
      {{{{1, 4, 5, 6}, 0.05f, -100, false}, {{1, 4, 5, 3}, 0.05f, -100, false}}, 3, 0.05f, -100, I8, RELU6},
      {{{{2, 3, 4, 5}, 0.05f, 3, false}, {{2, 3, 1, 5}, 0.05f, 3, true}}, 2, 0.05f, 3, I8, RELU1},
      {{{{1, 3, 3, 4}, 0.1f, 10, false}, {{1, 3, 3, 4}, 0.1f, 10, false}}, 3, 0.1f, 10, I8, RELU},
      {{{{1, 2, 3, 5}, 0.05f, 140, false}, {{1, 2, 3, 2}, 0.05f, 140, false}}, 3, 0.05f, 140, U8, RELU},
  };
  for (const Q& c : q8) {
    Q8Builder b;
    std::vector<int> xs;
    std::vector<int> out = c.ins[0].shape;
    out[(size_t)c.axis] = 0;
    std::string name;
    for (const In& in : c.ins) {
      xs.push_back(in.is_const ? b.q8_constant(in.shape, in.scale, in.zp, c.dt)
                               : b.q8_input(in.shape, in.scale, in.zp, c.dt));
      out[(size_t)c.axis] += in.shape[(size_t)c.axis];
      name += (name.empty() ? "" : " + ") + shape_name(in.shape) + (in.is_const ? " const" : "");
    }
    OpParams p;
    p.axis = c.axis;
    p.activation = c.act;
    b.q8_output_op(OpType::Concatenation, xs, out, p, c.so, c.zo, c.dt);
    Case k = make_case(name + " axis " + std::to_string(c.axis) + " " + dtype_name(c.dt) + act_name(c.act), b.g);
    const bool shared = std::all_of(c.ins.begin(), c.ins.end(),
                                    [&](const In& in) { return in.scale == c.so && in.zp == c.zo; });
    v.push_back(shared && c.act != NONE ? k.on_tflite() : k);
  }
  return v;
}

// ---- RESHAPE / SQUEEZE --------------------------------------------------------------------------------------------

// input -> `before` -> RESHAPE / SQUEEZE -> LOGISTIC: the reshape reads a tensor a kernel wrote and its output is
// read by a kernel that reads whole vec4s (and both gradients come from kernels).
Case reshape_case(OpType t, const std::vector<int>& in, const std::vector<int>& out, const std::vector<int>& axes,
                  OpType before) {
  GraphBuilder b;
  const int x = b.input(in);
  const int r = b.op(before, {x}, in);
  OpParams p;
  if (t == OpType::Reshape) p.new_shape = out;
  else p.axes = axes;
  const int y = b.op(t, {r}, out, p);
  b.output(b.op(OpType::Logistic, {y}, out));
  Case c = make_case(shape_name(in) + " -> " + shape_name(out) + " after " + op_name(before), b.g);
  // RELU's kink kept away from the finite differences.
  if (before == OpType::Relu) c.generated(away_from({0}, -2, 2, 0.02f));
  return c;
}

struct Q8Repack {
  std::vector<int> in, out, axes;
  DType dt;
  int zp;
};
Case q8_repack_case(OpType t, const Q8Repack& c) {
  Q8Builder b;
  const int x = b.q8_input(c.in, 0.05f, c.zp, c.dt);
  OpParams p;
  if (t == OpType::Reshape) p.new_shape = c.out;
  else p.axes = c.axes;
  b.q8_output_op(t, {x}, c.out, p, 0.05f, c.zp, c.dt);
  return make_case(shape_name(c.in) + " -> " + shape_name(c.out) + " " + dtype_name(c.dt), b.g);
}

std::vector<Case> reshape_cases() {
  std::vector<Case> v;
  // Repacks (the channel count changes) and aliases (same channels and rows).
  const std::vector<std::pair<std::vector<int>, std::vector<int>>> fwd = {
      {{1, 7, 7, 3}, {1, 147}},   {{2, 6, 5}, {2, 3, 10}},
      {{2, 12}, {2, 3, 4}},       {{4, 6}, {24}},
      {{1, 5, 5, 8}, {1, 5, 40}}, {{1, 1, 1, 1001}, {1, 7, 11, 13}},
      {{3, 13}, {13, 3}},         {{2, 3, 4, 5}, {5, 4, 3, 2}},
      {{1, 2, 2, 1}, {1, 4}},     {{1, 1280}, {1, 1, 1, 1280}},
      {{1, 3, 3, 7}, {1, 9, 7}},
  };
  for (const auto& [in, out] : fwd) v.push_back(reshape_case(OpType::Reshape, in, out, {}, OpType::Relu));
  const std::vector<std::pair<std::vector<int>, std::vector<int>>> grad = {
      {{2, 3, 5, 7}, {2, 105}}, {{1, 1, 1, 12}, {3, 4}},   {{2, 3, 4, 5}, {2, 3, 20}},
      {{2, 105}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {6, 5, 7}},
  };
  for (const auto& [in, out] : grad)
    v.push_back(reshape_case(OpType::Reshape, in, out, {}, OpType::Logistic).gradients(3));
  {  // hand-computed repack [2,3] -> [3,2]
    GraphBuilder b;
    const int x = b.input({2, 3});
    const int r = b.op(OpType::Relu, {x}, {2, 3});
    OpParams p;
    p.new_shape = {3, 2};
    b.output(b.op(OpType::Reshape, {r}, {3, 2}, p));
    v.push_back(
        make_case("hand-computed repack", b.g).fixed_floats({{1, 2, 3, 4, 5, 6}}).expecting({1, 2, 3, 4, 5, 6}));
  }
  const std::vector<Q8Repack> q8 = {
      {{1, 1, 1, 1001}, {1, 1001}, {}, I8, -5},  // alias (no kernel)
      {{1, 7, 7, 13}, {1, 637}, {}, I8, -5},    {{2, 3, 5, 6}, {2, 5, 18}, {}, U8, 130},
      {{1, 35}, {1, 5, 7}, {}, I8, 3},          {{2, 4, 3, 5}, {2, 4, 15}, {}, U8, 0},
      {{3, 33}, {9, 11}, {}, I8, 100},          {{1, 2, 2, 3}, {12}, {}, I8, -128},
  };
  for (const Q8Repack& c : q8) v.push_back(q8_repack_case(OpType::Reshape, c));
  return v;
}

std::vector<Case> squeeze_cases() {
  std::vector<Case> v;
  struct S {
    std::vector<int> in, axes;
  };
  // Of the last axis (repack), of middle axes (alias), every dimension of size 1 (no axes).
  const std::vector<S> fwd = {
      {{2, 3, 1}, {2}}, {{1, 5, 1, 1}, {}}, {{1, 3, 1, 7}, {2}}, {{4, 1}, {1}}, {{2, 1, 1, 5}, {1, 2}}};
  for (const S& s : fwd) {
    std::vector<int> out;
    for (size_t i = 0; i < s.in.size(); i++) {
      const bool sq = s.axes.empty() ? s.in[i] == 1 : std::find(s.axes.begin(), s.axes.end(), (int)i) != s.axes.end();
      if (!sq) out.push_back(s.in[i]);
    }
    v.push_back(reshape_case(OpType::Squeeze, s.in, out, s.axes, OpType::Relu));
    v.push_back(reshape_case(OpType::Squeeze, s.in, out, s.axes, OpType::Logistic).gradients(3));
  }
  v.push_back(q8_repack_case(OpType::Squeeze, {{1, 5, 1, 7}, {1, 5, 7}, {2}, I8, 9}));
  v.push_back(q8_repack_case(OpType::Squeeze, {{2, 6, 1}, {2, 6}, {}, U8, 140}));
  return v;
}

// ---- PAD --------------------------------------------------------------------------------------------------------

std::vector<Case> pad_cases() {
  std::vector<Case> v;
  using Pads = std::vector<std::pair<int, int>>;
  auto pad_case = [](const std::vector<int>& in, const Pads& pads) {
    GraphBuilder b;
    const int x = b.input(in);
    OpParams p;
    p.paddings = pads;
    std::vector<int> os = in;
    std::vector<int32_t> flat;
    std::string name = shape_name(in) + " pads";
    for (size_t i = 0; i < in.size(); i++) {
      os[i] += pads[i].first + pads[i].second;
      flat.push_back(pads[i].first);
      flat.push_back(pads[i].second);
      name += " " + std::to_string(pads[i].first) + "," + std::to_string(pads[i].second);
    }
    const int pt = b.int32_constant({(int)in.size(), 2}, flat);
    b.output(b.op(OpType::Pad, {x, pt}, os, p));
    return make_case(name, b.g).gradients(1);
  };
  const std::vector<std::pair<std::vector<int>, Pads>> fwd = {
      {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}},
      {{1, 9, 9, 32}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}},  // MobileNet-v2 stride-2 padding
      {{1, 9, 9, 8}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}},
      {{2, 4, 5, 7}, {{1, 0}, {0, 2}, {3, 1}, {2, 3}}},  // everything, channel padding not a multiple of 4
      {{1, 3, 3, 5}, {{0, 0}, {0, 0}, {0, 0}, {4, 5}}},  // channels only, aligned before
      {{1, 3, 2, 1}, {{0, 0}, {2, 0}, {0, 3}, {1, 0}}},
      {{2, 2, 3, 13}, {{0, 1}, {1, 1}, {0, 0}, {3, 2}}},
      {{2, 3, 4, 3}, {{0, 1}, {1, 2}, {2, 0}, {0, 1}}},
      {{4, 5, 7}, {{1, 1}, {0, 2}, {1, 0}}},  // rank 3
      {{3, 10}, {{2, 1}, {3, 4}}},            // rank 2
  };
  for (const auto& [in, pads] : fwd) v.push_back(pad_case(in, pads));
  v.push_back(pad_case({1, 1, 2, 2}, {{0, 0}, {0, 0}, {1, 0}, {1, 2}})
                  .fixed_floats({{1, 2, 3, 4}})
                  .expecting({0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0}));
  // 8-bit: the padding holds the output zero point.
  struct Q {
    std::vector<int> in;
    Pads pads;
    DType dt;
    int zp;
  };
  const std::vector<Q> q8 = {
      {{1, 7, 7, 16}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}, I8, -128},
      {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {2, 1}, {0, 0}}, I8, 7},
      {{2, 4, 3, 5}, {{1, 0}, {0, 2}, {1, 0}, {2, 3}}, U8, 128},
      {{1, 3, 3, 13}, {{0, 0}, {0, 0}, {0, 0}, {4, 0}}, I8, -3},
      {{1, 3, 3, 13}, {{0, 0}, {1, 1}, {1, 1}, {1, 6}}, U8, 3},
      {{5, 7}, {{1, 2}, {3, 1}}, I8, 11},
      {{9}, {{2, 5}}, U8, 200},
  };
  // PADV2 with a constant value (float: the value; 8-bit: its stored value, which has the output's quantization).
  auto padv2_case = [](const std::vector<int>& in, const Pads& pads, float value, bool q8, DType dt, int zp) {
    Q8Builder b;
    OpParams p;
    p.paddings = pads;
    std::vector<int> out = in;
    std::vector<int32_t> flat;
    std::string name = shape_name(in) + " PADV2 value " + std::to_string(value) + " pads";
    for (size_t d = 0; d < in.size(); d++) {
      out[d] += pads[d].first + pads[d].second;
      flat.push_back(pads[d].first);
      flat.push_back(pads[d].second);
      name += " " + std::to_string(pads[d].first) + "," + std::to_string(pads[d].second);
    }
    const int pt = b.int32_constant({(int)in.size(), 2}, flat);
    if (!q8) {
      const int x = b.input(in);
      b.output(b.op(OpType::Pad, {x, pt, b.constant({1}, {value})}, out, p));
      return make_case(name, b.g).gradients(1);
    }
    const int x = b.q8_input(in, 0.05f, zp, dt);
    const int vt = b.q8({1}, 0.05f, zp, dt);
    Tensor& t = b.g.tensors[(size_t)vt];
    t.is_const = true;
    const int q = std::clamp((int)std::lround(value / 0.05f) + zp, dt == I8 ? -128 : 0, dt == I8 ? 127 : 255);
    t.data = {(uint8_t)q};
    b.q8_output_op(OpType::Pad, {x, pt, vt}, out, p, 0.05f, zp, dt);
    return make_case(name + " " + dtype_name(dt), b.g);
  };
  v.push_back(padv2_case({1, 5, 6, 3}, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}, -1.5f, false, I8, 0));
  v.push_back(padv2_case({2, 4, 5, 7}, {{1, 0}, {0, 2}, {3, 1}, {2, 3}}, 2.25f, false, I8, 0));
  v.push_back(padv2_case({1, 3, 3, 8}, {{0, 0}, {1, 0}, {0, 1}, {4, 4}}, 0.5f, false, I8, 0));  // aligned channels
  v.push_back(padv2_case({3, 10}, {{2, 1}, {3, 4}}, -7.0f, false, I8, 0));
  v.push_back(padv2_case({9}, {{2, 5}}, 3.0f, false, I8, 0));
  v.push_back(padv2_case({1, 1, 2, 2}, {{0, 0}, {0, 0}, {1, 0}, {1, 2}}, 9.0f, false, I8, 0)
                  .fixed_floats({{1, 2, 3, 4}})
                  .expecting({9, 9, 9, 9, 9, 9, 1, 2, 9, 9, 9, 3, 4, 9, 9}));
  auto zero_pad_q8 = [](const Q& c) {
    Q8Builder b;
    const int x = b.q8_input(c.in, 0.05f, c.zp, c.dt);
    OpParams p;
    p.paddings = c.pads;
    std::vector<int> out = c.in;
    for (size_t d = 0; d < c.in.size(); d++) out[d] += c.pads[d].first + c.pads[d].second;
    b.q8_output_op(OpType::Pad, {x}, out, p, 0.05f, c.zp, c.dt);
    return make_case(shape_name(c.in) + " -> " + shape_name(out) + " " + dtype_name(c.dt), b.g);
  };
  // 8-bit, PAD and PADV2 mixed in the first three (the ones TFLite's own kernels check).
  v.push_back(padv2_case({1, 5, 6, 3}, {{0, 0}, {1, 1}, {2, 1}, {0, 0}}, -1.5f, true, I8, 7));
  v.push_back(zero_pad_q8(q8[0]));
  v.push_back(padv2_case({2, 4, 3, 5}, {{1, 0}, {0, 2}, {1, 0}, {2, 3}}, 2.0f, true, U8, 128));
  for (size_t i = 1; i < q8.size(); i++) v.push_back(zero_pad_q8(q8[i]));
  v.push_back(padv2_case({1, 3, 3, 8}, {{0, 0}, {1, 1}, {1, 1}, {4, 4}}, 20.0f, true, I8, -128));  // aligned, clamped
  v.push_back(padv2_case({5, 7}, {{1, 2}, {3, 1}}, -3.0f, true, U8, 30));
  return v;
}

// ---- layout ops by index map: SLICE, STRIDED_SLICE, TRANSPOSE, DEPTH_TO_SPACE, SPACE_TO_DEPTH, GATHER ------------

// One op on input `in` with parameters `ints` (params.ints, the descriptor's layout); `out` is the expected shape.
struct Layout {
  std::vector<int> in, out, ints;
  std::string what;
};
Case layout_case(OpType t, const Layout& l) {
  GraphBuilder b;
  const int x = b.input(l.in);
  OpParams p;
  p.ints = l.ints;
  b.output(b.op(t, {x}, l.out, p));
  return make_case(shape_name(l.in) + " -> " + shape_name(l.out) + " " + l.what, b.g).gradients(1);
}
// 8-bit: input and output share their quantization (TFLite copies the stored values).
Case q8_layout_case(OpType t, const Layout& l, DType dt, int zp) {
  Q8Builder b;
  const int x = b.q8_input(l.in, 0.05f, zp, dt);
  OpParams p;
  p.ints = l.ints;
  b.q8_output_op(t, {x}, l.out, p, 0.05f, zp, dt);
  return make_case(shape_name(l.in) + " -> " + shape_name(l.out) + " " + l.what + " " + dtype_name(dt), b.g);
}
struct Q8Layout {
  size_t index;  // into the float list
  DType dt;
  int zp;
};
std::vector<Case> layout_cases(OpType t, const std::vector<Layout>& fwd, const std::vector<Q8Layout>& q8) {
  std::vector<Case> v;
  for (const Layout& l : fwd) v.push_back(layout_case(t, l));
  for (const Q8Layout& q : q8) v.push_back(q8_layout_case(t, fwd[q.index], q.dt, q.zp));
  return v;
}

std::vector<Case> slice_cases() {
  // params.ints = begin, size (-1: to the end).
  const std::vector<Layout> fwd = {
      {{1, 5, 6, 3}, {1, 3, 4, 3}, {0, 1, 2, 0, 1, 3, -1, 3}, "size -1"},
      {{2, 4, 5, 7}, {1, 4, 3, 5}, {1, 0, 1, 2, 1, 4, 3, 5}, "channels from 2"},
      {{3, 11}, {2, 8}, {1, 3, 2, -1}, "rank 2"},
      {{9}, {5}, {2, 5}, "rank 1"},
      {{2, 3, 13}, {2, 2, 8}, {0, 1, 4, 2, 2, 8}, "rank 3"},
  };
  return layout_cases(OpType::Slice, fwd, {{0, I8, -3}, {1, U8, 131}, {2, I8, 5}, {3, U8, 0}});
}

std::vector<Case> strided_slice_cases() {
  // params.ints = begin, end, ellipsis, new-axis and shrink masks, offset, then begin, end, strides.
  const std::vector<Layout> fwd = {
      {{1, 6, 7, 5}, {1, 2, 3, 5}, {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 5, 7, 5, 1, 2, 3, 1}, "strides 2,3"},
      {{2, 5, 6, 7}, {2, 4, 3, 5}, {1, 9, 0, 0, 0, 0, 1, -4, 0, 2, 0, 5, -1, 0, 1, 1, 2, 1}, "begin/end masks"},
      {{1, 4, 5, 6}, {1, 3, 5, 3}, {0, 0, 0, 0, 0, 0, 0, -1, 0, 5, 1, 0, 5, 0, 1, -1, 1, -2}, "negative strides"},
      {{2, 3, 4, 3}, {2, 3, 4, 3}, {6, 6, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 3, 1, -1, -1, 1}, "reversed H,W"},
      {{1, 5, 6, 7}, {5, 6, 7}, {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 5, 6, 7, 1, 1, 1, 1}, "shrink batch"},
      {{2, 5, 8}, {2, 3}, {0, 0, 0, 0, 4, 0, 0, 1, -1, 2, 4, 0, 1, 1, 1}, "shrink last at -1"},
      {{2, 3, 4, 6}, {2, 3, 4, 2}, {0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 1, 2}, "ellipsis"},
      {{3, 4, 5}, {1, 3, 3, 5}, {0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 3, 4, 1, 1, 1}, "new axis"},
      {{10}, {3}, {0, 0, 0, 0, 0, 0, 8, 1, -3}, "rank 1 stride -3"},
      {{2, 3, 13}, {2, 3, 4}, {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 13, 1, 1, 3}, "channels stride 3"},
  };
  // The oracle's TFLite refuses ellipsis and new-axis masks: those come after the first three.
  return layout_cases(OpType::StridedSlice, fwd,
                      {{0, I8, 4}, {2, U8, 128}, {4, I8, -128}, {1, U8, 77}, {6, I8, 9}, {7, U8, 3}, {5, I8, 0}});
}

std::vector<Case> transpose_cases() {
  const std::vector<Layout> fwd = {
      {{1, 5, 6, 3}, {1, 3, 5, 6}, {0, 3, 1, 2}, "NHWC->NCHW"},
      {{2, 3, 4, 5}, {5, 4, 3, 2}, {3, 2, 1, 0}, "reversed"},
      {{2, 7, 5}, {2, 5, 7}, {0, 2, 1}, "rank 3"},
      {{3, 11}, {11, 3}, {1, 0}, "rank 2"},
      {{13}, {13}, {0}, "rank 1"},
      {{2, 3, 4, 13}, {2, 4, 3, 13}, {0, 2, 1, 3}, "H,W"},
  };
  return layout_cases(OpType::Transpose, fwd, {{0, I8, -7}, {1, U8, 140}, {3, I8, 0}, {2, U8, 99}});
}

std::vector<Case> depth_to_space_cases() {
  const std::vector<Layout> fwd = {
      {{1, 3, 4, 12}, {1, 6, 8, 3}, {2}, "block 2"},
      {{2, 2, 3, 18}, {2, 6, 9, 2}, {3}, "block 3"},
      {{1, 3, 3, 4}, {1, 6, 6, 1}, {2}, "to 1 channel"},
      {{2, 4, 5, 20}, {2, 8, 10, 5}, {2}, "block 2"},
  };
  std::vector<Case> v = layout_cases(OpType::DepthToSpace, fwd, {{0, I8, 2}, {1, U8, 128}, {2, I8, -20}});
  // TFLite's order: channel block (dy * b + dx) * C + c.
  v.push_back(layout_case(OpType::DepthToSpace, {{1, 1, 2, 4}, {1, 2, 4, 1}, {2}, "hand-computed"})
                  .fixed_floats({{1, 2, 3, 4, 5, 6, 7, 8}})
                  .expecting({1, 2, 5, 6, 3, 4, 7, 8}));
  return v;
}

std::vector<Case> space_to_depth_cases() {
  const std::vector<Layout> fwd = {
      {{1, 6, 8, 3}, {1, 3, 4, 12}, {2}, "block 2"},
      {{2, 6, 9, 5}, {2, 2, 3, 45}, {3}, "block 3"},
      {{1, 4, 4, 1}, {1, 2, 2, 4}, {2}, "from 1 channel"},
      {{2, 4, 6, 7}, {2, 2, 3, 28}, {2}, "block 2"},
  };
  std::vector<Case> v = layout_cases(OpType::SpaceToDepth, fwd, {{0, I8, 2}, {1, U8, 128}, {2, I8, -20}});
  v.push_back(layout_case(OpType::SpaceToDepth, {{1, 2, 4, 1}, {1, 1, 2, 4}, {2}, "hand-computed"})
                  .fixed_floats({{1, 2, 5, 6, 3, 4, 7, 8}})
                  .expecting({1, 2, 3, 4, 5, 6, 7, 8}));
  return v;
}

std::vector<Case> gather_cases() {
  // params.ints = axis, the indices' rank, their shape, their values (repeats: the gradient adds up).
  const std::vector<Layout> fwd = {
      {{5, 7}, {3, 7}, {0, 1, 3, 4, 0, 2}, "axis 0"},
      {{2, 5, 6, 3}, {2, 5, 6, 2}, {3, 1, 2, 2, 0}, "axis 3"},
      {{2, 5, 6, 3}, {2, 4, 6, 3}, {1, 1, 4, 4, 1, 1, 0}, "axis 1 repeated"},
      {{10}, {6}, {0, 1, 6, 9, 0, 3, 3, 7, 1}, "rank 1"},
      {{4, 13}, {4, 5}, {1, 1, 5, 12, 0, 5, 5, 1}, "axis 1 of 13"},
      {{3, 4, 5}, {3, 4, 2, 1}, {2, 2, 2, 1, 4, 0}, "2-D indices"},
  };
  return layout_cases(OpType::Gather, fwd, {{0, I8, 6}, {1, U8, 128}, {4, I8, -1}});
}

// ---- MIRROR_PAD, TILE (index maps with paddings / multiples) -----------------------------------------------------

// MIRROR_PAD: mode 0 REFLECT, 1 SYMMETRIC (params.ints[0]), paddings in params.paddings.
std::vector<Case> mirror_pad_cases() {
  using Pads = std::vector<std::pair<int, int>>;
  struct M {
    std::vector<int> in;
    Pads pads;
    int mode;
  };
  auto build = [](const M& m, bool q8, DType dt, int zp) {
    OpParams p;
    p.paddings = m.pads;
    p.ints = {m.mode};
    std::vector<int> out = m.in;
    std::string name = shape_name(m.in) + (m.mode ? " SYMMETRIC" : " REFLECT") + " pads";
    for (size_t d = 0; d < m.in.size(); d++) {
      out[d] += m.pads[d].first + m.pads[d].second;
      name += " " + std::to_string(m.pads[d].first) + "," + std::to_string(m.pads[d].second);
    }
    if (!q8) {
      GraphBuilder b;
      const int x = b.input(m.in);
      b.output(b.op(OpType::MirrorPad, {x}, out, p));
      return make_case(name, b.g).gradients(1);
    }
    Q8Builder b;
    const int x = b.q8_input(m.in, 0.05f, zp, dt);
    b.q8_output_op(OpType::MirrorPad, {x}, out, p, 0.05f, zp, dt);
    return make_case(name + " " + dtype_name(dt), b.g);
  };
  const std::vector<M> fwd = {
      {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {2, 2}, {0, 0}}, 0},
      {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {2, 2}, {0, 0}}, 1},
      {{2, 4, 5, 7}, {{1, 0}, {0, 3}, {4, 1}, {2, 6}}, 0},  // every dimension, channels: REFLECT's limit n - 1
      {{2, 4, 5, 7}, {{2, 1}, {4, 0}, {1, 5}, {7, 3}}, 1},  // SYMMETRIC up to n
      {{3, 4, 13}, {{1, 1}, {2, 3}, {5, 0}}, 0},            // rank 3
      {{5, 9}, {{4, 4}, {3, 1}}, 1},                        // rank 2
      {{9}, {{8, 2}}, 0},                                   // rank 1
      {{6}, {{6, 5}}, 1},
  };
  std::vector<Case> v;
  for (const M& m : fwd) v.push_back(build(m, false, I8, 0));
  // Hand-computed: [1 2 3] REFLECT 2,2 -> 3 2 1 2 3 2 1; SYMMETRIC 2,2 -> 2 1 1 2 3 3 2.
  v.push_back(build({{3}, {{2, 2}}, 0}, false, I8, 0).fixed_floats({{1, 2, 3}}).expecting({3, 2, 1, 2, 3, 2, 1}));
  v.push_back(build({{3}, {{2, 2}}, 1}, false, I8, 0).fixed_floats({{1, 2, 3}}).expecting({2, 1, 1, 2, 3, 3, 2}));
  const std::vector<std::tuple<size_t, DType, int>> q8 = {
      {0, I8, -5}, {1, U8, 130}, {3, I8, 7}, {2, U8, 0}, {6, I8, -128}};
  for (const auto& [i, dt, zp] : q8) v.push_back(build(fwd[i], true, dt, zp));
  return v;
}

std::vector<Case> tile_cases() {
  // params.ints = multiples.
  const std::vector<Layout> fwd = {
      {{1, 3, 4, 3}, {2, 3, 8, 9}, {2, 1, 2, 3}, "x2,1,2,3"},
      {{2, 2, 3, 5}, {2, 6, 3, 10}, {1, 3, 1, 2}, "odd channels"},
      {{3, 7, 5}, {6, 7, 5}, {2, 1, 1}, "rank 3"},
      {{2, 13}, {6, 26}, {3, 2}, "rank 2"},
      {{5}, {20}, {4}, "rank 1"},
      {{2, 3, 4, 1}, {2, 3, 4, 7}, {1, 1, 1, 7}, "broadcast a channel"},
  };
  std::vector<Case> v = layout_cases(OpType::Tile, fwd, {{0, I8, 3}, {1, U8, 129}, {3, I8, -128}, {2, U8, 0}});
  v.push_back(layout_case(OpType::Tile, {{2, 2}, {2, 4}, {1, 2}, "hand-computed"})
                  .fixed_floats({{1, 2, 3, 4}})
                  .expecting({1, 2, 1, 2, 3, 4, 3, 4}));
  return v;
}

// ---- LOG_SOFTMAX ------------------------------------------------------------------------------------------------

// Rows of hundreds of channels skip the finite-difference checks: float32 differences of a log-sum-exp that long are
// good to about 1e-3 only (the short rows check the derivative; the kernel still matches the backward reference).
Case log_softmax_case(const std::vector<int>& shape, float scale = 1) {
  GraphBuilder b;
  int x = b.input(shape);
  if (scale != 1.0f) x = b.op(OpType::Mul, {x, b.constant({1}, {scale})}, shape);
  b.output(b.op(OpType::LogSoftmax, {x}, shape));
  Case c = make_case(shape_name(shape) + (scale != 1 ? " input x" + std::to_string(scale) : ""), b.g);
  if (shape.back() > 64) c.no_grad_fd().skipping(bit(Path::GradFd));
  return c;
}

std::vector<Case> log_softmax_cases() {
  std::vector<Case> v;
  // Both schedules, a partial last group, many short rows, ranks 1 to 4.
  for (const std::vector<int>& s : std::vector<std::vector<int>>{
           {1, 1001}, {2, 1001}, {1, 257}, {7}, {3, 7, 13}, {2, 2, 2, 3}, {1, 300, 21}, {4, 1}, {300, 259}})
    v.push_back(log_softmax_case(s));
  v.push_back(log_softmax_case({2, 1001}, 40).only_paths(bit(Path::Fp32) | bit(Path::RoundTrip)));
  for (const std::vector<int>& s :
       std::vector<std::vector<int>>{{2, 10}, {3, 300}, {2, 3, 4, 7}, {300, 5}, {5, 257}, {1, 2, 2, 5}, {9}})
    v.push_back(log_softmax_case(s).grad_inputs_in(-3, 3).inputs_in(-3, 3).gradients(1));
  // Hand-computed: logits ln 3, 0 -> log 0.75, log 0.25.
  v.push_back(log_softmax_case({1, 2})
                  .fixed_floats({{std::log(3.0f), 0.0f}})
                  .expecting({std::log(0.75), std::log(0.25)}, 1e-5)
                  .only_paths(bit(Path::Fp32)));
  // 8-bit (TFLite's builtin kernel: a float exp table and logf; output 16/256, zero point 127 / uint8 255), each on
  // TFLite too: input scales from fine to coarse (rows whose other values vanish), long rows, one-channel rows.
  const auto q8_case = [](const std::vector<int>& shape, float scale, int zp, DType dt) {
    Q8Builder b;
    const int x = b.q8_input(shape, scale, zp, dt);
    b.q8_output_op(OpType::LogSoftmax, {x}, shape, {}, 16.0f / 256.0f, dt == U8 ? 255 : 127, dt);
    return make_case(shape_name(shape) + " " + dtype_name(dt) + " scale " + std::to_string(scale), b.g).on_tflite();
  };
  for (const auto& [shape, scale, zp, dt] :
       std::vector<std::tuple<std::vector<int>, float, int, DType>>{{{1, 10}, 0.05f, 3, I8},
                                                                    {{2, 1001}, 0.1f, -20, I8},
                                                                    {{3, 7, 13}, 0.02f, 0, I8},
                                                                    {{4, 1}, 0.1f, 0, I8},
                                                                    {{300, 5}, 0.25f, -128, I8},
                                                                    {{2, 2, 3, 33}, 1.0f, 5, I8},
                                                                    {{5, 257}, 0.004f, 60, I8},
                                                                    {{1, 4000}, 0.5f, -7, I8},
                                                                    {{2, 64}, 0.0625f, 100, I8},
                                                                    {{9}, 3.0f, 0, I8},
                                                                    {{3, 7, 13}, 0.03f, 128, U8},
                                                                    {{300, 5}, 0.25f, 0, U8},
                                                                    {{2, 1001}, 0.08f, 200, U8}})
    v.push_back(q8_case(shape, scale, zp, dt));
  // Hand-computed: two equal logits -> log(1/2) = -0.693 = 127 - 11 steps of 1/16.
  v.push_back(q8_case({1, 2}, 0.1f, 0, I8).fixed_bytes({{5, 5}}).expecting({116, 116}));
  return v;
}

// ---- SOFTMAX ----------------------------------------------------------------------------------------------------

// Input times `scale`, plus `shift` (large magnitudes: exp overflows without the max subtraction), then SOFTMAX.
Case softmax_case(const std::vector<int>& shape, float beta, float scale = 1, float shift = 0) {
  GraphBuilder b;
  int x = b.input(shape);
  if (scale != 1.0f) x = b.op(OpType::Mul, {x, b.constant({1}, {scale})}, shape);
  if (shift != 0.0f) x = b.op(OpType::Add, {x, b.constant({1}, {shift})}, shape);
  OpParams p;
  p.beta = beta;
  b.output(b.op(OpType::Softmax, {x}, shape, p));
  return make_case(shape_name(shape) + " beta " + std::to_string(beta) +
                       (scale != 1 ? " input x" + std::to_string(scale) : "") +
                       (shift != 0 ? " input " + std::to_string(shift) : ""),
                   b.g);
}

std::vector<Case> softmax_cases() {
  std::vector<Case> v;
  // Both schedules (invocation per row, workgroup per row), 1 lane in the last group, many short rows, the grid
  // split past 65535 workgroups.
  v.push_back(softmax_case({1, 1001}, 1.0f));
  v.push_back(softmax_case({2, 1001}, 1.0f, 4));
  v.push_back(softmax_case({1, 257}, 0.5f));
  v.push_back(softmax_case({1, 1, 1, 1024}, 2.0f));
  v.push_back(softmax_case({1, 5}, 1.0f));
  v.push_back(softmax_case({3, 7, 13}, 1.0f, 3));
  v.push_back(softmax_case({2, 2, 2, 3}, 0.25f));
  v.push_back(softmax_case({1, 300, 21}, 1.0f, 2));
  v.push_back(softmax_case({4, 1}, 1.0f));
  v.push_back(softmax_case({300, 259}, 1.0f));
  v.push_back(softmax_case({1, 70000, 3}, 1.0f));
  // The gradient sweep (logits in [-3, 3]: a spread-out distribution).
  for (const auto& [shape, beta] : std::vector<std::pair<std::vector<int>, float>>{{{2, 10}, 1.0f},
                                                                                   {{3, 300}, 0.5f},
                                                                                   {{2, 3, 4, 7}, 1.0f},
                                                                                   {{300, 5}, 2.0f},
                                                                                   {{5, 257}, 1.0f},
                                                                                   {{3, 7}, 0.6f},
                                                                                   {{1, 2, 2, 5}, 1.0f}})
    v.push_back(softmax_case(shape, beta).grad_inputs_in(-3, 3).inputs_in(-3, 3).gradients(1));
  // Large magnitudes (fp16 keeps to the range it can represent).
  for (const std::vector<int>& s : {std::vector<int>{2, 1001}, std::vector<int>{3, 13}}) {
    v.push_back(softmax_case(s, 1.0f, 60).only_paths(bit(Path::Fp32) | bit(Path::RoundTrip)));
    v.push_back(softmax_case(s, 1.0f, 1, -1000).only_paths(bit(Path::Fp32) | bit(Path::RoundTrip)));
    v.push_back(softmax_case(s, 1.0f, 8).only_paths(bit(Path::Fp16)));
  }
  // Hand-computed on both schedules: two logits 1000 and 1000 - ln 3 (0.75, 0.25), the rest far below.
  for (int c : {3, 400}) {
    std::vector<float> x((size_t)c, -1000.0f);
    x[0] = 1000.0f;
    x[1] = 1000.0f - std::log(3.0f);
    std::vector<double> want((size_t)c, 0.0);
    want[0] = 0.75;
    want[1] = 0.25;
    v.push_back(softmax_case({1, c}, 1.0f).fixed_floats({x}).expecting(want, 1e-5).only_paths(bit(Path::Fp32)));
  }
  // 8-bit.
  struct Q {
    std::vector<int> shape;
    DType dt;
    float si;
    int zi;
    float so;
    int zo;
    float beta;
  };
  const std::vector<Q> q8 = {
      {{1, 1001}, I8, 0.1f, -20, 1.0f / 256, -128, 1.0f}, {{1, 1001}, U8, 0.15f, 90, 1.0f / 256, 0, 1.0f},
      {{2, 13}, I8, 0.05f, 3, 1.0f / 256, -128, 1.0f},    {{2, 3, 5, 7}, I8, 0.2f, 0, 1.0f / 256, -128, 0.5f},
      {{3, 1}, I8, 0.2f, 0, 1.0f / 256, -128, 1.0f},      {{4, 33}, U8, 0.02f, 128, 1.0f / 256, 0, 2.0f},
      {{2, 2, 6}, U8, 0.3f, 10, 1.0f / 256, 0, 1.0f},     {{5, 9}, I8, 0.07f, 5, 1.0f / 128, -20, 1.0f},
  };
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.si, c.zi, c.dt);
    OpParams p;
    p.beta = c.beta;
    b.q8_output_op(OpType::Softmax, {x}, c.shape, p, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.shape) + " " + dtype_name(c.dt) + " beta " + std::to_string(c.beta), b.g));
  }
  return v;
}

// ---- LOGISTIC / RELU / RELU6 / HARD_SWISH ---------------------------------------------------------------------------

std::vector<Case> unary_cases(OpType t) {
  std::vector<Case> v;
  // input * 5 -> op: values cover [-10, 10] (every region of RELU6 and HARD_SWISH), kept away from the kinks.
  const std::vector<std::vector<int>> shapes = {{1, 5, 6, 3},    {2, 3, 4, 13},   {1, 7, 33}, {5},
                                                {2, 1, 1, 1001}, {1, 16, 16, 32}, {3, 1},     {2, 9, 7, 7}};
  for (const auto& s : shapes) {
    GraphBuilder b;
    const int x = b.input(s);
    const int y = b.op(OpType::Mul, {x, b.constant({1}, {5.0f})}, s);
    b.output(b.op(t, {y}, s));
    v.push_back(make_case(shape_name(s) + " after x5", b.g).generated(away_from({-0.6f, 0, 0.6f, 1.2f}, -2, 2, 0.01f)));
  }
  // The op alone on inputs in [-8, 8] away from the kinks.
  for (const auto& s : {std::vector<int>{1, 5, 7, 3}, std::vector<int>{2, 3, 3, 9}, std::vector<int>{3, 11},
                        std::vector<int>{2, 3, 4, 5}}) {
    GraphBuilder b;
    const int x = b.input(s);
    b.output(b.op(t, {x}, s));
    v.push_back(
        make_case(shape_name(s), b.g).generated(away_from({-3, 0, 3, 6}, -8, 8, 0.05f)).gradients(1).grad_within(1e-6));
  }
  // Hand-computed.
  {
    const std::vector<float> x = {-8.0f, -3.5f, -3.0f, -1.0f, 0.0f, 0.5f, 3.0f, 4.0f, 7.0f};
    std::vector<double> y;
    switch (t) {
      case OpType::Relu: y = {0, 0, 0, 0, 0, 0.5, 3, 4, 7}; break;
      case OpType::Relu6: y = {0, 0, 0, 0, 0, 0.5, 3, 4, 6}; break;
      case OpType::HardSwish: y = {0, 0, 0, -1.0 / 3.0, 0, 0.5 * 3.5 / 6.0, 3, 4, 7}; break;
      default:
        y = {0.000335350130, 0.0293122308, 0.0474258732, 0.268941421, 0.5,
             0.622459331,    0.952574127,  0.982013790,  0.999088949};
    }
    GraphBuilder b;
    const int in = b.input({1, 9});
    b.output(b.op(t, {in}, {1, 9}));
    v.push_back(make_case("hand-computed", b.g).fixed_floats({x}).expecting(y, 1e-6).only_paths(bit(Path::Fp32)));
  }
  // 8-bit.
  struct Q {
    std::vector<int> shape;
    DType dt;
    float si;
    int zi;
    float so;
    int zo;
  };
  std::vector<Q> q8;
  if (t == OpType::Logistic)
    q8 = {{{1, 7, 7, 33}, I8, 0.1f, -3, 1.0f / 256, -128},
          {{2, 5, 3, 13}, U8, 0.05f, 130, 1.0f / 256, 0},
          {{1, 3, 3, 5}, I8, 0.5f, 20, 0.01f, 7},
          {{3, 7}, U8, 0.02f, 0, 0.005f, 10}};
  else if (t == OpType::HardSwish)
    q8 = {{{1, 7, 7, 33}, I8, 0.05f, -3, 0.03f, -100},
          {{2, 5, 3, 13}, U8, 0.04f, 130, 0.025f, 20},
          {{1, 3, 3, 5}, I8, 0.1f, 20, 0.1f, -20},
          {{1, 4, 4, 16}, I8, 0.2f, 0, 0.15f, -90},
          {{3, 7}, U8, 0.01f, 0, 0.02f, 10}};
  else
    q8 = {{{1, 7, 7, 33}, I8, 0.1f, -3, 0.1f, -128},
          {{2, 5, 3, 13}, U8, 0.05f, 130, 0.03f, 0},
          {{1, 3, 3, 5}, I8, 0.02f, 20, 0.05f, 7},
          {{3, 7}, U8, 0.02f, 0, 0.005f, 10}};
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.si, c.zi, c.dt);
    b.q8_output_op(t, {x}, c.shape, {}, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.shape) + " " + dtype_name(c.dt) + " scales " + std::to_string(c.si) + " -> " +
                              std::to_string(c.so),
                          b.g));
  }
  return v;
}

// ---- LEAKY_RELU -------------------------------------------------------------------------------------------------

std::vector<Case> leaky_relu_cases() {
  std::vector<Case> v;
  const auto with_alpha = [](float a) {
    OpParams p;
    p.floats = {a};
    return p;
  };
  // alpha below 1, tiny, above 1 and negative; odd channels, batch > 1, ranks 1 to 4; away from the kink at 0.
  const std::vector<std::pair<std::vector<int>, float>> shapes = {{{1, 5, 6, 3}, 0.2f},    {{2, 3, 4, 13}, 0.01f},
                                                                  {{1, 7, 33}, 1.5f},      {{5}, -0.5f},
                                                                  {{2, 1, 1, 1001}, 0.3f}, {{3, 11}, 0.1f}};
  for (const auto& [s, a] : shapes) {
    GraphBuilder b;
    const int x = b.input(s);
    b.output(b.op(OpType::LeakyRelu, {x}, s, with_alpha(a)));
    v.push_back(make_case(shape_name(s) + " alpha " + std::to_string(a), b.g)
                    .generated(away_from({0}, -4, 4, 0.05f))
                    .gradients(1)
                    .grad_within(1e-6));
  }
  {
    GraphBuilder b;
    const int in = b.input({1, 6});
    b.output(b.op(OpType::LeakyRelu, {in}, {1, 6}, with_alpha(0.25f)));
    v.push_back(make_case("hand-computed", b.g)
                    .fixed_floats({{-8.0f, -1.0f, 0.0f, 0.5f, 3.0f, -0.004f}})
                    .expecting({-2, -0.25, 0, 0.5, 3, -0.001}, 1e-7)
                    .only_paths(bit(Path::Fp32)));
  }
  // 8-bit: both multipliers below and above 1, uint8 and int8, a negative alpha.
  struct Q {
    std::vector<int> shape;
    DType dt;
    float si;
    int zi;
    float so;
    int zo;
    float alpha;
  };
  const std::vector<Q> q8 = {{{1, 7, 7, 33}, I8, 0.1f, -3, 0.08f, -20, 0.2f},
                             {{2, 5, 3, 13}, U8, 0.05f, 130, 0.03f, 100, 0.1f},
                             {{1, 3, 3, 5}, I8, 0.02f, 20, 0.05f, 7, 2.5f},
                             {{3, 7}, U8, 0.02f, 0, 0.005f, 10, 0.3f},
                             {{2, 4, 4, 9}, I8, 0.04f, 5, 0.04f, 5, -0.4f}};
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.si, c.zi, c.dt);
    b.q8_output_op(OpType::LeakyRelu, {x}, c.shape, with_alpha(c.alpha), c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.shape) + " " + dtype_name(c.dt) + " alpha " + std::to_string(c.alpha), b.g));
  }
  return v;
}

// ---- ABS, NEG, SQUARE, SQRT, RSQRT, EXP, LOG, TANH, ELU, RELU_N1_TO_1 ---------------------------------------------

std::vector<Case> math_cases(OpType t) {
  std::vector<Case> v;
  const bool positive = t == OpType::Sqrt || t == OpType::Rsqrt || t == OpType::Log;
  // Inputs inside the domain (SQRT, RSQRT, LOG: positive) and away from the kinks (ABS and ELU at 0, RELU_N1_TO_1
  // at -1 and 1).
  InputGen gen = positive                 ? away_from({}, 0.2f, 4, 0)
                 : t == OpType::Exp       ? away_from({}, -4, 3, 0)
                 : t == OpType::ReluN1To1 ? away_from({-1, 1}, -3, 3, 0.05f)
                                          : away_from({0}, -4, 4, 0.05f);
  // Odd channels, batch > 1, ranks 1 to 4.
  for (const auto& s :
       std::vector<std::vector<int>>{{1, 5, 6, 3}, {2, 3, 4, 13}, {1, 7, 33}, {5}, {2, 1, 1, 1001}, {3, 11}}) {
    GraphBuilder b;
    const int x = b.input(s);
    b.output(b.op(t, {x}, s));
    v.push_back(make_case(shape_name(s), b.g).generated(gen).gradients(1));
  }
  // Hand-computed.
  {
    std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f};
    std::vector<double> y;
    switch (t) {
      case OpType::Abs: y = {2, 0.5, 0, 0.5, 2}; break;
      case OpType::Neg: y = {2, 0.5, 0, -0.5, -2}; break;
      case OpType::Square: y = {4, 0.25, 0, 0.25, 4}; break;
      case OpType::Sqrt:
        x = {0.0f, 0.25f, 1.0f, 2.0f, 9.0f};
        y = {0, 0.5, 1, 1.41421356237, 3};
        break;
      case OpType::Rsqrt:
        x = {0.25f, 1.0f, 2.0f, 4.0f, 100.0f};
        y = {2, 1, 0.707106781187, 0.5, 0.1};
        break;
      case OpType::Exp: y = {0.135335283237, 0.606530659713, 1, 1.6487212707, 7.38905609893}; break;
      case OpType::Log:
        x = {0.5f, 1.0f, 2.0f, 2.718281828f, 10.0f};
        y = {-0.69314718056, 0, 0.69314718056, 1, 2.30258509299};
        break;
      case OpType::Tanh: y = {-0.964027580076, -0.46211715726, 0, 0.46211715726, 0.964027580076}; break;
      case OpType::Elu: y = {-0.864664716763, -0.393469340287, 0, 0.5, 2}; break;
      default: y = {-1, -0.5, 0, 0.5, 1};
    }
    GraphBuilder b;
    const int in = b.input({1, 5});
    b.output(b.op(t, {in}, {1, 5}));
    // Within 2 float32 ulps of the largest value (GPU exp / log are not correctly rounded).
    double top = 1;
    for (double e : y) top = std::max(top, std::fabs(e));
    v.push_back(
        make_case("hand-computed", b.g).fixed_floats({x}).expecting(y, 2.5e-7 * top).only_paths(bit(Path::Fp32)));
  }
  // 8-bit: int8 and uint8, scales below and above each other; SQRT, RSQRT, LOG mostly with the zero point at the
  // bottom of the range (TFLite refuses negative inputs to SQRT and RSQRT at run time).
  struct Q {
    std::vector<int> shape;
    DType dt;
    float si;
    int zi;
    float so;
    int zo;
  };
  std::vector<Q> q8;
  switch (t) {
    case OpType::Abs:
      q8 = {{{1, 7, 7, 33}, I8, 0.1f, -3, 0.06f, -128},
            {{2, 5, 3, 13}, I8, 0.05f, 10, 0.05f, -128},
            {{1, 3, 3, 5}, I8, 0.02f, 20, 0.05f, 7},
            {{3, 7}, U8, 0.02f, 128, 0.01f, 0},
            {{5}, I8, 0.3f, 0, 0.1f, -20}};
      break;
    case OpType::Sqrt:
      q8 = {{{1, 7, 7, 33}, I8, 0.05f, -128, 0.015f, -128},
            {{2, 5, 3, 13}, I8, 0.02f, -128, 0.01f, -100},
            {{1, 3, 3, 5}, I8, 0.1f, -128, 0.03f, -128},
            {{3, 7}, U8, 0.04f, 0, 0.02f, 0},
            {{5}, I8, 0.01f, 0, 0.005f, -128}};
      break;
    case OpType::Rsqrt:
      q8 = {{{1, 7, 7, 33}, I8, 0.05f, -128, 0.04f, -128},
            {{2, 5, 3, 13}, I8, 0.01f, -128, 0.1f, -128},
            {{1, 3, 3, 5}, I8, 0.2f, -128, 0.02f, -100},
            {{3, 7}, U8, 0.05f, 0, 0.03f, 0},
            {{5}, I8, 0.003f, -120, 0.2f, -128}};
      break;
    case OpType::Exp:
      q8 = {{{1, 7, 7, 33}, I8, 0.03f, 0, 0.2f, -128},
            {{2, 5, 3, 13}, I8, 0.02f, -20, 0.05f, -128},
            {{1, 3, 3, 5}, I8, 0.05f, 40, 0.01f, -128},
            {{3, 7}, U8, 0.02f, 128, 0.03f, 0}};
      break;
    case OpType::Log:
      q8 = {{{1, 7, 7, 33}, I8, 0.05f, -128, 0.03f, 60},
            {{2, 5, 3, 13}, I8, 0.02f, -100, 0.04f, 20},
            {{1, 3, 3, 5}, I8, 0.1f, -128, 0.02f, -10},
            {{3, 7}, U8, 0.03f, 0, 0.05f, 128}};
      break;
    case OpType::Tanh:
      q8 = {{{1, 7, 7, 33}, I8, 0.05f, -3, 1.0f / 128, 0},
            {{2, 5, 3, 13}, U8, 0.03f, 130, 1.0f / 128, 128},
            {{1, 3, 3, 5}, I8, 0.02f, 20, 0.01f, 7},
            {{3, 7}, I8, 0.1f, 0, 1.0f / 128, 0}};
      break;
    case OpType::Elu:
      q8 = {{{1, 7, 7, 33}, I8, 0.05f, -3, 0.04f, -60},
            {{2, 5, 3, 13}, I8, 0.02f, 30, 0.03f, -20},
            {{1, 3, 3, 5}, I8, 0.1f, 0, 0.08f, -100},
            {{3, 7}, U8, 0.03f, 128, 0.02f, 50}};
      break;
    case OpType::ReluN1To1:
      q8 = {{{1, 7, 7, 33}, I8, 0.02f, -3, 1.0f / 128, 0},
            {{2, 5, 3, 13}, U8, 0.01f, 128, 0.008f, 128},
            {{1, 3, 3, 5}, I8, 0.05f, 10, 0.02f, -5},
            {{3, 7}, I8, 0.005f, 0, 0.01f, 0}};
      break;
    default: break;  // NEG, SQUARE: float only in TFLite
  }
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.si, c.zi, c.dt);
    b.q8_output_op(t, {x}, c.shape, {}, c.so, c.zo, c.dt);
    v.push_back(make_case(shape_name(c.shape) + " " + dtype_name(c.dt) + " scales " + std::to_string(c.si) + " -> " +
                              std::to_string(c.so),
                          b.g));
  }
  return v;
}

// ---- RESIZE_BILINEAR --------------------------------------------------------------------------------------------

const char* resize_mode(int mode) { return mode == 1 ? " align_corners" : mode == 2 ? " half_pixel_centers" : ""; }

// RESIZE_BILINEAR or RESIZE_NEAREST_NEIGHBOR of `in` to oh x ow; mode 1: align_corners, 2: half_pixel_centers.
Case resize_case(OpType t, const std::vector<int>& in, int oh, int ow, int mode) {
  GraphBuilder b;
  const int x = b.input(in);
  OpParams p;
  p.align_corners = mode == 1;
  p.half_pixel_centers = mode == 2;
  p.new_height = oh;
  p.new_width = ow;
  const int sz = b.int32_constant({2}, {oh, ow});
  b.output(b.op(t, {x, sz}, {in[0], oh, ow, in[3]}, p));
  return make_case(shape_name(in) + " -> " + std::to_string(oh) + "x" + std::to_string(ow) + resize_mode(mode), b.g)
      .gradients(1);
}

std::vector<Case> resize_bilinear_cases() {
  std::vector<Case> v;
  struct R {
    std::vector<int> in;
    int oh, ow;
  };
  // Up (x2, odd), down (inputs read by no output), mixed, to and from one pixel, same size; every corner mode.
  const std::vector<R> sizes = {
      {{1, 5, 7, 3}, 10, 14}, {{2, 5, 7, 5}, 9, 13}, {{1, 9, 13, 33}, 4, 5}, {{1, 6, 4, 1}, 3, 11},
      {{1, 4, 4, 7}, 1, 1},   {{1, 1, 1, 4}, 3, 2},  {{2, 7, 7, 13}, 7, 7},  {{1, 3, 5, 2}, 1, 8},
      {{1, 9, 13, 6}, 4, 5},  {{2, 1, 1, 4}, 3, 2},  {{1, 4, 4, 9}, 4, 4},   {{2, 4, 5, 3}, 7, 9},
      {{2, 4, 5, 3}, 3, 2},   {{2, 4, 5, 3}, 2, 3},
  };
  for (const R& r : sizes)
    for (int mode = 0; mode < 3; mode++) v.push_back(resize_case(OpType::ResizeBilinear, r.in, r.oh, r.ow, mode));
  // Hand-computed 1x2 -> 1x4: default (src 0, 0.5, 1, 1.5 with the high index clamped), align_corners (src 0, 1/3,
  // 2/3, 1), half_pixel_centers (src -0.25 clamped, 0.25, 0.75, 1.25).
  const std::vector<double> want[3] = {{0, 4, 8, 8}, {0, 8.0 / 3, 16.0 / 3, 8}, {0, 2, 6, 8}};
  for (int mode = 0; mode < 3; mode++)
    v.push_back(resize_case(OpType::ResizeBilinear, {1, 1, 2, 1}, 1, 4, mode)
                    .fixed_floats({{0, 8}})
                    .expecting(want[mode], 1e-5));
  // 8-bit, every corner mode TFLite allows (align_corners with half_pixel_centers it refuses), int8 and uint8; up,
  // down and mixed, odd sizes, to one pixel, x8 with 16 channels.  Every case runs on TFLite too: int8 its
  // ResizeBilinearInteger (10-bit fractions), uint8 its float kernel (ResizeBilinearGenericSmallChannel; x8 with
  // half_pixel_centers and channels in 8s takes its 8.8 fixed-point ResizeBilinear888Uint8, whose exact sums the
  // float kernel's reproduce: every weight is k/256).
  const std::vector<R> q8 = {{{1, 4, 5, 3}, 8, 10},  {{2, 7, 7, 13}, 14, 9}, {{1, 9, 6, 5}, 4, 3},
                             {{1, 1, 1, 33}, 3, 4},  {{1, 5, 5, 1}, 5, 5},   {{1, 3, 8, 4}, 7, 17},
                             {{1, 7, 5, 3}, 3, 2},   {{2, 5, 3, 6}, 11, 7},  {{1, 6, 9, 2}, 1, 1},
                             {{1, 13, 11, 4}, 5, 4}, {{1, 2, 3, 16}, 16, 24}};
  for (const R& r : q8)
    for (int mode = 0; mode < 3; mode++)
      for (DType dt : {I8, U8}) {
        Q8Builder b;
        const int zp = dt == U8 ? 140 : -9;
        const int x = b.q8_input(r.in, 0.05f, zp, dt);
        OpParams p;
        p.new_height = r.oh;
        p.new_width = r.ow;
        p.align_corners = mode == 1;
        p.half_pixel_centers = mode == 2;
        b.q8_output_op(OpType::ResizeBilinear, {x}, {r.in[0], r.oh, r.ow, r.in[3]}, p, 0.05f, zp, dt);
        v.push_back(make_case(shape_name(r.in) + " -> " + std::to_string(r.oh) + "x" + std::to_string(r.ow) +
                                  resize_mode(mode) + " " + dtype_name(dt),
                              b.g));
        v.back().on_tflite();
      }
  return v;
}

// ---- RESIZE_NEAREST_NEIGHBOR ----------------------------------------------------------------------------------

std::vector<Case> resize_nearest_neighbor_cases() {
  std::vector<Case> v;
  struct R {
    std::vector<int> in;
    int oh, ow;
  };
  // Up (x2, odd), down, mixed, to and from one pixel, same size; every corner mode; odd channels, batch > 1.
  const std::vector<R> sizes = {
      {{1, 5, 7, 3}, 10, 14}, {{2, 5, 7, 5}, 9, 13}, {{1, 9, 13, 33}, 4, 5}, {{1, 6, 4, 1}, 3, 11},
      {{1, 4, 4, 7}, 1, 1},   {{1, 1, 1, 4}, 3, 2},  {{2, 7, 7, 13}, 7, 7},  {{2, 4, 5, 3}, 7, 9},
      {{2, 4, 5, 3}, 3, 2},   {{1, 3, 5, 2}, 1, 8},
  };
  for (const R& r : sizes)
    for (int mode = 0; mode < 3; mode++)
      v.push_back(resize_case(OpType::ResizeNearestNeighbor, r.in, r.oh, r.ow, mode));
  // Hand-computed 1x3 -> 1x5 source columns: default floor(x * 0.6) = 0,0,1,1,2; align_corners round(x * 0.5) =
  // 0,1,1,2,2 (half away from zero); half_pixel_centers floor((x + 0.5) * 0.6) = 0,0,1,2,2.
  const std::vector<double> want[3] = {{0, 0, 5, 5, 9}, {0, 5, 5, 9, 9}, {0, 0, 5, 9, 9}};
  for (int mode = 0; mode < 3; mode++)
    v.push_back(resize_case(OpType::ResizeNearestNeighbor, {1, 1, 3, 1}, 1, 5, mode)
                    .fixed_floats({{0, 5, 9}})
                    .expecting(want[mode], 0));
  // 8-bit, every corner mode, int8 and uint8 (equal parameters).
  const std::vector<R> q8 = {
      {{1, 4, 5, 3}, 8, 10}, {{2, 7, 7, 13}, 14, 9}, {{1, 9, 6, 5}, 4, 3}, {{1, 1, 1, 33}, 3, 4}, {{1, 5, 5, 1}, 5, 5}};
  for (const R& r : q8)
    for (int mode = 0; mode < 3; mode++)
      for (DType dt : {I8, U8}) {
        Q8Builder b;
        const int zp = dt == U8 ? 140 : -9;
        const int x = b.q8_input(r.in, 0.05f, zp, dt);
        OpParams p;
        p.new_height = r.oh;
        p.new_width = r.ow;
        p.align_corners = mode == 1;
        p.half_pixel_centers = mode == 2;
        b.q8_output_op(OpType::ResizeNearestNeighbor, {x}, {r.in[0], r.oh, r.ow, r.in[3]}, p, 0.05f, zp, dt);
        v.push_back(make_case(shape_name(r.in) + " -> " + std::to_string(r.oh) + "x" + std::to_string(r.ow) +
                                  resize_mode(mode) + " " + dtype_name(dt),
                              b.g));
        if (dt == I8) v.back().on_tflite();
      }
  return v;
}

// ---- QUANTIZE / DEQUANTIZE ------------------------------------------------------------------------------------

Graph quantize_graph(const std::vector<int>& shape, DType in_dt, float si, int zi, DType out_dt, float so, int zo) {
  Q8Builder b;
  const int x = in_dt == DType::F32 ? b.input(shape) : b.q8_input(shape, si, zi, in_dt);
  const int o = b.op(OpType::Quantize, {x}, shape);
  Tensor& t = b.g.tensors[(size_t)o];
  t.dtype = out_dt;
  t.quant.scale = {so};
  t.quant.zero_point = {zo};
  b.output(o);
  return b.g;
}

// float16-exact inputs (multiples of 1/64 in [-4, 4]) of a [2,3,5,7] float -> int8 QUANTIZE -> DEQUANTIZE chain.
// The fp16 session reads and writes the graph's float input and output in float32 (claim_input_staging,
// claim_output_staging), so its results are the float32 ones, exactly.
Case fp16_chain_case() {
  Q8Builder b;
  const int x = b.input({2, 3, 5, 7});
  const int q = b.op(OpType::Quantize, {x}, {2, 3, 5, 7});
  b.g.tensors[(size_t)q].dtype = I8;
  b.g.tensors[(size_t)q].quant.scale = {0.03f};
  b.g.tensors[(size_t)q].quant.zero_point = {-5};
  const int d = b.op(OpType::Dequantize, {q}, {2, 3, 5, 7});
  b.output(q);
  b.output(d);
  std::vector<float> in(210);
  for (size_t i = 0; i < in.size(); i++) in[i] = (float)((int)((i * 37) % 513) - 256) / 64.0f;
  return make_case("float -> int8 -> float chain, float16-exact inputs", b.g)
      .fixed_floats({in})
      .fp16_within(0)
      .only_paths(kAll);
}

std::vector<Case> quantize_cases() {
  std::vector<Case> v;
  // float -> 8-bit.
  struct F {
    std::vector<int> shape;
    DType dt;
    float scale;
    int zp;
  };
  const std::vector<F> fq = {{{1, 7, 7, 3}, I8, 0.0078125f, 0}, {{2, 5, 3, 13}, I8, 0.023f, -7},
                             {{1, 9, 9, 33}, U8, 0.0117f, 128}, {{3, 17}, U8, 0.1f, 3},
                             {{1, 4, 4, 5}, I8, 0.3f, 100},     {{11}, I8, 1e-5f, 0}};
  // fp16 sessions too: their QUANTIZE of a float graph input reads the caller's float32 values (claim_input_staging),
  // so it quantizes exactly as the others do.
  for (const F& c : fq)
    v.push_back(
        make_case("float " + shape_name(c.shape) + " -> " + dtype_name(c.dt) + " scale " + std::to_string(c.scale),
                  quantize_graph(c.shape, DType::F32, 0, 0, c.dt, c.scale, c.zp))
            .only_paths(kAll));
  // Two readers of the float input: neither reads the caller's floats from the staging (claim_input_staging), both
  // the packed input.
  {
    Graph g = quantize_graph({2, 5, 3, 13}, DType::F32, 0, 0, I8, 0.023f, -7);
    Tensor second = g.tensors[(size_t)g.outputs[0]];
    second.name += "_u8";
    second.dtype = U8;
    second.quant.scale = {0.031f};
    second.quant.zero_point = {128};
    g.tensors.push_back(second);
    const int o2 = (int)g.tensors.size() - 1;
    Op q2 = g.ops[0];
    q2.outputs = {o2};
    q2.source_index = 1;
    g.ops.push_back(q2);
    g.outputs.push_back(o2);
    v.push_back(make_case("float [2,5,3,13] read by two QUANTIZEs (int8, uint8)", g));
  }
  // Halfway and special values, hand-checked: std::round(x / scale) in double (TFLite's AffineQuantize), half away
  // from zero, clamped; scale 0.1 (x / 0.1f is an inexact float32 division) and 0.5 (exact halves).
  {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x = {0.05f,   -0.05f, 0.15f, -0.25f, 0.35f,  1e-30f,  -1e-42f,   12.7f, 12.75f,
                                  -12.85f, 1e9f,   -1e9f, inf,    -inf,   nan,     0.0f,      -0.0f, 0.65f,
                                  0.25f,   -0.75f, 1.25f, -1.25f, 63.25f, -63.75f, 0.2500001f};
    for (float scale : {0.1f, 0.5f}) {
      std::vector<double> want;
      for (float f : x) {
        const double r = std::round((double)f / (double)scale);
        want.push_back(std::isnan(r) ? -128 : std::max(-128.0, std::min(127.0, r)));
      }
      v.push_back(make_case("halfway and special values, scale " + std::to_string(scale),
                            quantize_graph({(int)x.size()}, DType::F32, 0, 0, I8, scale, 0))
                      .fixed_floats({x})
                      .expecting(want)
                      .only_paths(kAll));
    }
  }
  // Values within 24 ulps of (k + 0.5) * scale: any inexact division (float32 included) changes the result near
  // the boundary, as TFLite divides in double; the GPU's float fast path decides those beyond ~8 ulps (q8_exact.glsl,
  // round_div_exact), so both sides of its margin are here.
  for (float scale : {0.1f, 0.0117f, 0.3f, 0.0078125f, 1.7e-3f}) {
    std::vector<float> x;
    for (int k = -130; k <= 130; k++) {
      const float b = (float)((k + 0.5) * (double)scale);
      float lo = b, hi = b;
      for (int u = 0; u < 24; u++) {
        lo = std::nextafter(lo, -1e30f);
        hi = std::nextafter(hi, 1e30f);
      }
      for (float f = lo; f <= hi; f = std::nextafter(f, 1e30f)) x.push_back(f);
    }
    std::vector<double> want;
    for (float f : x) want.push_back(std::max(-128.0, std::min(127.0, std::round((double)f / (double)scale) - 1)));
    v.push_back(make_case("rounding boundaries, scale " + std::to_string(scale),
                          quantize_graph({(int)x.size()}, DType::F32, 0, 0, I8, scale, -1))
                    .fixed_floats({x})
                    .expecting(want)
                    .only_paths(kAll));
  }
  // 8-bit -> 8-bit requantization: uint8 -> int8, multipliers below and above 1.
  struct R {
    std::vector<int> shape;
    DType di;
    float si;
    int zi;
    DType dout;
    float so;
    int zo;
  };
  const std::vector<R> rq = {{{1, 7, 7, 13}, U8, 0.02f, 128, I8, 0.02f, 0},
                             {{2, 3, 5, 6}, I8, 0.02f, -3, I8, 0.05f, 10},
                             {{1, 3, 3, 33}, I8, 0.05f, 7, U8, 0.01f, 100},
                             {{9, 5}, U8, 0.1f, 0, U8, 0.3f, 255}};
  for (const R& c : rq)
    v.push_back(make_case(std::string(dtype_name(c.di)) + " " + shape_name(c.shape) + " -> " + dtype_name(c.dout) +
                              " scales " + std::to_string(c.si) + " -> " + std::to_string(c.so),
                          quantize_graph(c.shape, c.di, c.si, c.zi, c.dout, c.so, c.zo)));
  v.push_back(fp16_chain_case());
  return v;
}

std::vector<Case> dequantize_cases() {
  std::vector<Case> v;
  struct D {
    std::vector<int> shape;
    DType dt;
    std::vector<float> scales;
    std::vector<int64_t> zps;
  };
  // int8 / uint8 -> float32 (exact), per-tensor and per-channel; exact on fp16 sessions too, which write a graph
  // output's float32 values straight into its staging (claim_output_staging).
  const std::vector<D> cases = {{{1, 7, 7, 13}, I8, {0.0235f}, {-3}},
                                {{2, 5, 3, 33}, U8, {0.0117f}, {128}},
                                {{3, 1001}, U8, {0.1f}, {0}},
                                {{2, 5}, I8, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, {0, 1, -2, 3, 4}}};
  for (const D& c : cases) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.scales[0], (int)c.zps[0], c.dt);
    Tensor& in = b.g.tensors[(size_t)x];
    in.quant.scale = c.scales;
    in.quant.zero_point = c.zps;
    in.quant.axis = (int)c.shape.size() - 1;
    b.output(b.op(OpType::Dequantize, {x}, c.shape));
    v.push_back(make_case(std::string(dtype_name(c.dt)) + " " + shape_name(c.shape) +
                              (c.scales.size() > 1 ? " per-channel" : ""),
                          b.g)
                    .fp16_within(0)
                    .only_paths(kAll));
  }
  // The output also read by an operator: written to device storage (float16 on fp16 sessions) and unpacked.
  {
    Q8Builder b;
    const int x = b.q8_input({1, 7, 7, 13}, 0.0235f, -3, I8);
    const int d = b.op(OpType::Dequantize, {x}, {1, 7, 7, 13});
    b.output(d);
    b.output(b.op(OpType::Add, {d, d}, {1, 7, 7, 13}));
    v.push_back(make_case("INT8 [1,7,7,13], the output also read by an ADD", b.g).fp16_within(1e-3).only_paths(kAll));
  }
  v.push_back(fp16_chain_case());
  return v;
}

// ---- FAKE_QUANT ---------------------------------------------------------------------------------------------------

OpParams fq_params(float scale, int zp, int qmin, int qmax) {
  OpParams p;
  p.fq_scale = scale;
  p.fq_zero_point = zp;
  p.fq_qmin = qmin;
  p.fq_qmax = qmax;
  return p;
}

Case fq_case(const std::vector<int>& shape, const OpParams& p) {
  GraphBuilder b;
  const int x = b.input(shape);
  b.output(b.op(OpType::FakeQuant, {x}, shape, p));
  const char* act[] = {"", " relu", " relu_n1_to_1", " relu6"};
  return make_case(shape_name(shape) + " scale " + std::to_string(p.fq_scale) + " zp " +
                       std::to_string(p.fq_zero_point) + " [" + std::to_string(p.fq_qmin) + ", " +
                       std::to_string(p.fq_qmax) + "]" + act[(int)p.activation],
                   b.g)
      .gradients(1)
      .no_grad_fd();  // piecewise constant: finite differences see no slope
}

std::vector<Case> fake_quant_cases() {
  std::vector<Case> v;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // Hand-computed: scale 0.5 (exact halves: ties away from zero), zero point 3, int8 range: representable reals
  // are (q - 3) * 0.5 in [-65.5, 62]; special values.
  v.push_back(fq_case({18}, fq_params(0.5f, 3, -128, 127))
                  .fixed_floats({{0.25f, -0.25f, 0.74f, 0.75f, -0.75f, 100.0f, -100.0f, 62.2f, 62.25f, -65.5f, -65.75f,
                                  0.0f, -0.0f, nan, inf, -inf, 1e-30f, -1e-42f}})
                  .expecting({0.5, -0.5, 0.5, 1.0, -1.0, 62.0, -65.5, 62.0, 62.0, -65.5, -65.5, 0.0, 0.0, -65.5, 62.0,
                              -65.5, 0.0, 0.0})
                  .only_paths(bit(Path::Fp32) | bit(Path::Grad)));  // grad: the range's ends, NaN, infinities
  // scale 0.1f, zero point 0, uint8 range: the quotient is rounded as QUANTIZE rounds it (the exact quotient), not
  // a float32 quotient: 0.25f / 0.1f = 2.49999996 -> 2; 25.45f -> 254.5000038 -> 255; 0.05f -> 0.5 exactly -> 1.
  const float s = 0.1f;
  v.push_back(fq_case({11}, fq_params(s, 0, 0, 255))
                  .fixed_floats({{0.25f, 0.35f, 0.45f, 0.65f, 12.75f, 2.55f, 25.45f, 30.0f, -0.3f, 0.05f, 0.15f}})
                  .expecting({2 * s, 3 * s, 4 * s, 6 * s, 127 * s, 25 * s, 255 * s, 255 * s, 0.0, 1 * s, 2 * s})
                  .only_paths(bit(Path::Fp32)));
  // uint8 with zero point 128: -12.85f / 0.1f = -128.5000019 -> -129 -> q = -1 clamps to 0; -0.05f -> -1.
  v.push_back(fq_case({5}, fq_params(s, 128, 0, 255))
                  .fixed_floats({{-12.85f, -12.75f, 12.75f, 12.65f, -0.05f}})
                  .expecting({-128 * s, -127 * s, 127 * s, 126 * s, -1 * s})
                  .only_paths(bit(Path::Fp32)));
  // fp32 bit for bit at rounding ties: values at (k + 0.5) * scale nudged by -2..2 ulps, over and beyond the range.
  struct P {
    float scale;
    int zp, qmin, qmax;
  };
  const std::vector<P> params = {{0.0235294f, -128, -128, 127},
                                 {0.1f, 0, 0, 255},
                                 {0.0078125f, 0, -128, 127},
                                 {3.7e-5f, 17, -128, 127},
                                 {0.6666667f, 200, 0, 255},
                                 {1.3e-3f, -5, -128, 127},
                                 {47.5f, 0, -128, 127},
                                 {0.0137f, 100, 0, 255},
                                 // 16 bits (the widest level table) and wider (exact division on the device)
                                 {1.7e-3f, 11, -32768, 32767},
                                 {0.37f, -3, -(1 << 20), 1 << 20}};
  const std::vector<std::vector<int>> shapes = {{2, 7, 5, 13}, {1, 3, 3, 8}, {37}, {3, 1001}};
  // Nudged by up to 2 ulps: the device's float estimate cannot decide these; by up to 100 ulps: those farther than
  // its margin (32 to 64 ulps) are decided by the estimate alone, the others by the level table.
  for (int ulps : {2, 100})
    for (size_t i = 0; i < params.size(); i++) {
      const P p = params[i];
      if (ulps > 2 && i % 3 != 0) continue;
      v.push_back(fq_case(shapes[i % shapes.size()], fq_params(p.scale, p.zp, p.qmin, p.qmax))
                      .generated([p, ulps](const Graph& g, size_t index, std::mt19937& rng) {
                        std::uniform_int_distribution<int> k(p.qmin - p.zp - 10, p.qmax - p.zp + 10);
                        std::uniform_int_distribution<int> nudge(-ulps, ulps);
                        std::vector<float> x((size_t)g.tensors[g.inputs[index]].elements());
                        for (auto& f : x) {
                          f = ((float)k(rng) + 0.5f) * p.scale;
                          for (int u = nudge(rng); u != 0; u += u > 0 ? -1 : 1)
                            f = std::nextafter(f, u > 0 ? std::numeric_limits<float>::infinity()
                                                        : -std::numeric_limits<float>::infinity());
                        }
                        return x;
                      })
                      .fp32_within(0)
                      .only_paths(bit(Path::Fp32) | bit(Path::Grad)));  // grad: ties at the range's ends
    }
  // fp16 within a quantization step (inputs in [-2, 2], range about [-2, 2]: one step is 1/127.5 of max |ref|).
  for (const auto& shape : std::vector<std::vector<int>>{{1, 9, 9, 7}, {2, 3, 4, 16}, {1001}})
    v.push_back(fq_case(shape, fq_params(4.0f / 255, -1, -128, 127)).fp16_within(0.012).only_paths(bit(Path::Fp16)));
  // A fused activation clamps first (BFT's student: a layer's RELU6 and its output's FAKE_QUANT in one op): scale
  // 0.5, zero point 3 as above; RELU6 of -1, -0, 0.2, 0.25 (a tie: 1 step), 5.9, 6, 6.3, 100, NaN (stays NaN: qmin),
  // +-inf, 2.74.
  OpParams relu6 = fq_params(0.5f, 3, -128, 127);
  relu6.activation = Activation::Relu6;
  v.push_back(fq_case({12}, relu6)
                  .fixed_floats({{-1.0f, -0.0f, 0.2f, 0.25f, 5.9f, 6.0f, 6.3f, 100.0f, nan, inf, -inf, 2.74f}})
                  .expecting({0.0, 0.0, 0.0, 0.5, 6.0, 6.0, 6.0, 6.0, -65.5, 6.0, 0.0, 2.5})
                  .only_paths(bit(Path::Fp32) | bit(Path::Grad)));  // grad: 0 < x < 6 and the level in range
  // Every activation bit for bit on a typical grid, inputs around and beyond its clamp (and the gradient's edges).
  for (Activation a : {Activation::Relu, Activation::ReluN1To1, Activation::Relu6}) {
    OpParams p = fq_params(a == Activation::ReluN1To1 ? 2.0f / 255 : 6.0f / 255, -128, -128, 127);
    p.activation = a;
    v.push_back(fq_case({1, 7, 9, 13}, p).inputs_in(-2, 8).fp32_within(0).grad_within(0));
    v.push_back(fq_case({2, 3, 4, 16}, p).inputs_in(-2, 8).fp16_within(0.03).only_paths(bit(Path::Fp16)));
  }
  // Straight-through gradient: identity inside the clamp range [-5.4, 7.35], zero outside (half the inputs).
  v.push_back(fq_case({2, 4, 5, 6}, fq_params(0.05f, -20, -128, 127))
                  .generated(away_from({-5.4f, 7.35f}, -12, 14, 0.1f))
                  .grad_within(0));
  return v;
}

// ---- several outputs or inputs: SPLIT, SPLIT_V, UNPACK (pieces of the input), PACK (pieces into the output) -----

// One op cutting input `in` along `axis` (params.axis, normalised as import leaves it) into outputs shaped `outs`;
// PACK stacks inputs shaped `outs` into `in`.  `ints` is params.ints (num_splits, size_splits, num, values_count).
struct Pieces {
  std::vector<int> in;
  int axis;
  std::vector<int> ints;
  std::vector<std::vector<int>> outs;
  std::string what;
};
std::string pieces_name(const Pieces& c) {
  std::string r = shape_name(c.in) + " axis " + std::to_string(c.axis) + " ->";
  for (const auto& o : c.outs) r += " " + shape_name(o);
  return r + (c.what.empty() ? "" : " " + c.what);
}
OpParams pieces_params(const Pieces& c) {
  OpParams p;
  p.axis = c.axis;
  p.ints = c.ints;
  return p;
}
// SPLIT, SPLIT_V, UNPACK: every output a graph output, but those `unused` lists (no gradient reaches them).
Case split_case(OpType t, const Pieces& c, std::vector<size_t> unused = {}) {
  GraphBuilder b;
  const int x = b.input(c.in);
  const std::vector<int> outs = b.ops(t, {x}, c.outs, pieces_params(c));
  for (size_t k = 0; k < outs.size(); k++)
    if (std::find(unused.begin(), unused.end(), k) == unused.end()) b.output(outs[k]);
  // The input's gradient, and the zeros of each unused output's.
  return make_case(pieces_name(c) + (unused.empty() ? "" : " (an output unused)"), b.g)
      .gradients(1 + (int)unused.size());
}
Case q8_split_case(OpType t, const Pieces& c, DType dt, int zp) {
  Q8Builder b;
  const int x = b.q8_input(c.in, 0.04f, zp, dt);
  b.q8_output_ops(t, {x}, c.outs, pieces_params(c), 0.04f, zp, dt);
  return make_case(pieces_name(c) + " " + dtype_name(dt), b.g);
}
std::vector<Case> split_family_cases(OpType t, const std::vector<Pieces>& fwd, const std::vector<Q8Layout>& q8) {
  std::vector<Case> v;
  for (const Pieces& c : fwd) v.push_back(split_case(t, c));
  v.push_back(split_case(t, fwd[0], {1}));
  for (const Q8Layout& q : q8) v.push_back(q8_split_case(t, fwd[q.index], q.dt, q.zp));
  return v;
}

std::vector<Case> split_cases() {
  // params.ints = {num_splits}.
  const std::vector<Pieces> fwd = {
      {{2, 4, 6, 9}, 3, {3}, {{2, 4, 6, 3}, {2, 4, 6, 3}, {2, 4, 6, 3}}, "odd channels"},
      {{1, 6, 5, 3}, 1, {2}, {{1, 3, 5, 3}, {1, 3, 5, 3}}, ""},
      {{3, 4, 10, 5}, 2, {5}, {{3, 4, 2, 5}, {3, 4, 2, 5}, {3, 4, 2, 5}, {3, 4, 2, 5}, {3, 4, 2, 5}}, ""},
      {{4, 3, 2, 5}, 0, {2}, {{2, 3, 2, 5}, {2, 3, 2, 5}}, "batch"},
      {{1, 2, 3, 16}, 3, {4}, {{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}}, "aligned channels"},
      {{3, 12}, 1, {2}, {{3, 6}, {3, 6}}, "rank 2"},
      {{5, 2, 6}, 0, {5}, {{1, 2, 6}, {1, 2, 6}, {1, 2, 6}, {1, 2, 6}, {1, 2, 6}}, "rank 3"},
      {{8}, 0, {1}, {{8}}, "one piece"},
  };
  return split_family_cases(OpType::Split, fwd, {{0, I8, -3}, {3, U8, 131}, {2, I8, 7}, {5, U8, 0}, {6, I8, -128}});
}

std::vector<Case> split_v_cases() {
  // params.ints = size_splits as written (one -1: the rest).
  const std::vector<Pieces> fwd = {
      {{1, 4, 5, 9}, 3, {2, -1, 3}, {{1, 4, 5, 2}, {1, 4, 5, 4}, {1, 4, 5, 3}}, "odd channels, -1"},
      {{2, 8, 3, 5}, 1, {5, 3}, {{2, 5, 3, 5}, {2, 3, 3, 5}}, ""},
      {{2, 3, 7, 6}, 2, {1, 4, 2}, {{2, 3, 1, 6}, {2, 3, 4, 6}, {2, 3, 2, 6}}, ""},
      {{4, 6}, 0, {-1, 3}, {{1, 6}, {3, 6}}, "batch, -1 first"},
      {{3, 2, 13}, 2, {4, 8, 1}, {{3, 2, 4}, {3, 2, 8}, {3, 2, 1}}, "rank 3"},
      {{9}, 0, {4, -1}, {{4}, {5}}, "rank 1"},
  };
  return split_family_cases(OpType::SplitV, fwd, {{0, I8, 5}, {1, U8, 120}, {2, I8, -1}, {4, U8, 255}});
}

std::vector<Case> unpack_cases() {
  // params.ints = {num}.
  const std::vector<Pieces> fwd = {
      {{2, 3, 4, 5}, 0, {2}, {{3, 4, 5}, {3, 4, 5}}, "batch"},
      {{2, 3, 4, 5}, 1, {3}, {{2, 4, 5}, {2, 4, 5}, {2, 4, 5}}, ""},
      {{2, 3, 4, 5}, 2, {4}, {{2, 3, 5}, {2, 3, 5}, {2, 3, 5}, {2, 3, 5}}, ""},
      {{2, 3, 4, 5}, 3, {5}, {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, "last axis"},
      {{3, 7}, 1, {7}, {{3}, {3}, {3}, {3}, {3}, {3}, {3}}, "rank 2"},
      {{1, 6, 9}, 0, {1}, {{6, 9}}, "one piece"},
  };
  return split_family_cases(OpType::Unpack, fwd, {{3, I8, 2}, {1, U8, 128}, {4, I8, -100}, {0, U8, 17}});
}

// PACK: `c.outs` are the inputs, `c.in` the output; `constant` makes input 1 a constant.
Case pack_case(const Pieces& c, bool constant = false) {
  GraphBuilder b;
  std::vector<int> xs;
  for (size_t k = 0; k < c.outs.size(); k++)
    xs.push_back(constant && k == 1 ? b.random_constant(c.outs[k]) : b.input(c.outs[k]));
  b.output(b.op(OpType::Pack, xs, c.in, pieces_params(c)));
  return make_case(pieces_name(c) + (constant ? " (a constant input)" : ""), b.g)
      .gradients((int)c.outs.size() - (constant ? 1 : 0));
}
Case q8_pack_case(const Pieces& c, DType dt, int zp) {
  Q8Builder b;
  std::vector<int> xs;
  for (const auto& s : c.outs) xs.push_back(b.q8_input(s, 0.03f, zp, dt));
  b.q8_output_op(OpType::Pack, xs, c.in, pieces_params(c), 0.03f, zp, dt);
  return make_case(pieces_name(c) + " " + dtype_name(dt), b.g);
}

std::vector<Case> pack_cases() {
  // params.ints = {values_count}; axis against the output's rank.
  const std::vector<Pieces> fwd = {
      {{3, 2, 3, 5}, 0, {3}, {{2, 3, 5}, {2, 3, 5}, {2, 3, 5}}, ""},
      {{2, 3, 3, 5}, 1, {3}, {{2, 3, 5}, {2, 3, 5}, {2, 3, 5}}, ""},
      {{2, 3, 2, 5}, 2, {2}, {{2, 3, 5}, {2, 3, 5}}, ""},
      {{2, 3, 5, 3}, 3, {3}, {{2, 3, 5}, {2, 3, 5}, {2, 3, 5}}, "last axis, odd"},
      {{7, 4}, 1, {4}, {{7}, {7}, {7}, {7}}, "rank 1"},
      {{2, 3, 5}, 0, {2}, {{3, 5}, {3, 5}}, "rank 2"},
      {{1, 4, 4, 1}, 0, {1}, {{4, 4, 1}}, "one input"},
  };
  std::vector<Case> v;
  for (const Pieces& c : fwd) v.push_back(pack_case(c));
  v.push_back(pack_case(fwd[1], true));
  v.push_back(q8_pack_case(fwd[3], I8, -5));
  v.push_back(q8_pack_case(fwd[0], U8, 133));
  v.push_back(q8_pack_case(fwd[4], I8, 0));
  v.push_back(q8_pack_case(fwd[2], U8, 1));
  return v;
}

// ---- BATCH_MATMUL -------------------------------------------------------------------------------------------------

OpParams adjoints(bool ax, bool ay) {
  OpParams p;
  p.ints = {ax ? 1 : 0, ay ? 1 : 0};
  return p;
}
std::string adj_name(bool ax, bool ay) { return std::string(ax ? " adj_x" : "") + (ay ? " adj_y" : ""); }

// A x B with B (or A) a float constant when `const_b` (`const_a`).
Case bmm_case(const std::vector<int>& a, const std::vector<int>& bs, const std::vector<int>& out, bool ax, bool ay,
              bool const_a = false, bool const_b = false) {
  GraphBuilder b;
  const int x = const_a ? b.random_constant(a, -2, 2) : b.input(a);
  const int y = const_b ? b.random_constant(bs, -2, 2) : b.input(bs);
  b.output(b.op(OpType::BatchMatmul, {x, y}, out, adjoints(ax, ay)));
  return make_case(shape_name(a) + (const_a ? " const" : "") + " x " + shape_name(bs) + (const_b ? " const" : "") +
                       adj_name(ax, ay),
                   b.g);
}

struct Bmm {
  std::vector<int> a, b, out;
  bool ax = false, ay = false;
};
// Odd sizes, tiles cut at both edges, ranks 2 to 4, batch broadcast either way, every adjoint combination.
const std::vector<Bmm>& bmm_shapes() {
  static const std::vector<Bmm> v = {
      {{2, 3}, {3, 5}, {2, 5}},
      {{7, 13}, {13, 9}, {7, 9}},
      {{2, 5, 6}, {2, 6, 7}, {2, 5, 7}},
      {{3, 4, 5}, {5, 6}, {3, 4, 6}},
      {{5, 6}, {3, 6, 4}, {3, 5, 4}},
      {{2, 1, 3, 5}, {1, 4, 5, 2}, {2, 4, 3, 2}},
      {{2, 6, 5}, {2, 6, 3}, {2, 5, 3}, true, false},
      {{2, 5, 6}, {2, 3, 6}, {2, 5, 3}, false, true},
      {{3, 7, 5}, {9, 7}, {3, 5, 9}, true, true},
      {{2, 3, 1, 17}, {2, 3, 17, 1}, {2, 3, 1, 1}},
      {{1, 9, 4}, {2, 4, 9}, {2, 9, 9}},
      {{2, 2, 11, 6}, {2, 1, 11, 10}, {2, 2, 6, 10}, true, false},
  };
  return v;
}

std::vector<Case> batch_matmul_cases() {
  std::vector<Case> v;
  for (const Bmm& c : bmm_shapes()) v.push_back(bmm_case(c.a, c.b, c.out, c.ax, c.ay));
  // Constant operands (a weight on the right or on the left), a larger product.
  v.push_back(bmm_case({4, 10}, {10, 6}, {4, 6}, false, false, false, true));
  v.push_back(bmm_case({2, 3, 8}, {5, 8}, {2, 3, 5}, false, true, false, true));
  v.push_back(bmm_case({3, 4}, {2, 4, 5}, {2, 3, 5}, false, false, true, false));
  v.push_back(bmm_case({1, 64, 96}, {96, 80}, {1, 64, 80}, false, false).only_paths(kFloatPaths));
  // One tensor on both sides (x x^T): both gradients add into the same tensor.
  {
    GraphBuilder b;
    const int x = b.input({2, 4, 6});
    b.output(b.op(OpType::BatchMatmul, {x, x}, {2, 4, 4}, adjoints(false, true)));
    v.push_back(make_case("x x^T [2,4,6]", b.g));
  }
  // Hand-computed: [[1,2],[3,4]] x [[5,6],[7,8]].
  {
    GraphBuilder b;
    const int x = b.input({2, 2});
    const int y = b.input({2, 2});
    b.output(b.op(OpType::BatchMatmul, {x, y}, {2, 2}));
    v.push_back(make_case("hand-computed", b.g)
                    .fixed_floats({{1, 2, 3, 4}, {5, 6, 7, 8}})
                    .expecting({19, 22, 43, 50})
                    .only_paths(bit(Path::Fp32)));
  }
  // 8-bit (int8 only: TFLite refuses uint8): zero points of every sign, the same shapes, constant operands (zero point
  // 0 and not), a long inner dimension.  Output scale about 3 standard deviations of the accumulator over 127.
  unsigned seed = 900;
  auto q8 = [&](const std::vector<int>& a, const std::vector<int>& bs, const std::vector<int>& out, bool ax, bool ay,
                int za, int zb, int zo, int const_zp = -1000) {
    Q8Builder b;
    b.rng.seed(seed++);
    const float sa = 0.02f, sb = 0.03f;
    const int k = ax ? a[a.size() - 2] : a.back();
    const int x = b.q8_input(a, sa, za);
    int y;
    if (const_zp != -1000) {
      y = b.int8_weights(bs, {sb});
      b.g.tensors[(size_t)y].quant.zero_point = {const_zp};
    } else {
      y = b.q8_input(bs, sb, zb);
    }
    b.q8_output_op(OpType::BatchMatmul, {x, y}, out, adjoints(ax, ay), sa * sb * 120.0f * std::sqrt((float)k), zo);
    v.push_back(make_case(shape_name(a) + " x " + shape_name(bs) + (const_zp != -1000 ? " const" : "") +
                              adj_name(ax, ay) + " int8 zp " + std::to_string(za) + "," +
                              std::to_string(const_zp != -1000 ? const_zp : zb) + "," + std::to_string(zo),
                          b.g)
                    .seeded(seed + 1000));
  };
  // The first three (those TFLite's oracle runs): both adjoints with a rank-2 operand, batch broadcast both ways, a
  // constant with a non-zero zero point.
  q8({3, 7, 5}, {9, 7}, {3, 5, 9}, true, true, 6, -9, 4);
  q8({2, 1, 3, 5}, {1, 4, 5, 2}, {2, 4, 3, 2}, false, false, -20, 11, -3);
  q8({2, 3, 8}, {5, 8}, {2, 3, 5}, false, true, 10, 0, -1, -9);
  const int zps[][3] = {{3, -7, 5}, {0, 0, 0}, {-20, 11, -3}, {100, -128, 1}, {-5, 2, 127}, {7, 7, -128}};
  int i = 0;
  for (const Bmm& c : bmm_shapes()) {
    const int* z = zps[i++ % 6];
    q8(c.a, c.b, c.out, c.ax, c.ay, z[0], z[1], z[2]);
  }
  q8({4, 10}, {10, 6}, {4, 6}, false, false, -3, 0, 2, 0);
  q8({1, 8, 300}, {300, 12}, {1, 8, 12}, false, false, -1, 4, 0);
  return v;
}

// ---- L2_NORMALIZATION ---------------------------------------------------------------------------------------------

Case l2_norm_case(const std::vector<int>& shape) {
  GraphBuilder b;
  const int x = b.input(shape);
  b.output(b.op(OpType::L2Normalization, {x}, shape));
  return make_case(shape_name(shape), b.g);
}

std::vector<Case> l2_normalization_cases() {
  std::vector<Case> v;
  // Ranks 1 to 4, partial last groups, one channel, many rows, a long row.
  for (const std::vector<int>& s : std::vector<std::vector<int>>{
           {1, 7}, {2, 13}, {3, 5, 17}, {2, 3, 4, 9}, {1, 1001}, {5}, {300, 6}, {2, 2, 2, 64}})
    v.push_back(l2_norm_case(s));
  // One channel: y = sign(x), whose gradient is 0 (only rounding residue is left to compare).
  v.push_back(l2_norm_case({4, 1}).skipping(kGradPaths));
  // Hand-computed: (3, 4) -> (0.6, 0.8); a zero row stays 0 (the norm is clamped to 1e-6); a tiny row is divided by
  // 1e-6, not by its norm.
  v.push_back(l2_norm_case({3, 2})
                  .fixed_floats({{3, 4, 0, 0, 1e-7f, 0}})
                  .expecting({0.6, 0.8, 0, 0, 0.1, 0}, 1e-6)
                  .only_paths(bit(Path::Fp32)));
  // 8-bit: int8 with input zero points of every sign, output scale 1/128 and zero point 0 (TFLite's requirement).
  struct Q {
    std::vector<int> shape;
    float si;
    int zi;
  };
  const std::vector<Q> q8 = {{{1, 7}, 0.1f, 3},           {{2, 5, 13}, 0.02f, -10}, {{3, 64}, 0.05f, 0},
                             {{2, 2, 3, 33}, 0.01f, 100}, {{1, 1001}, 0.3f, -128},  {{6, 1}, 0.1f, -2},
                             {{2, 3}, 0.1f, 127}};
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, c.si, c.zi);
    b.q8_output_op(OpType::L2Normalization, {x}, c.shape, {}, 1.0f / 128.0f, 0);
    v.push_back(make_case(shape_name(c.shape) + " int8 zp " + std::to_string(c.zi), b.g));
  }
  return v;
}

// ---- CAST ---------------------------------------------------------------------------------------------------------

std::vector<Case> cast_cases() {
  std::vector<Case> v;
  // FLOAT32 -> FLOAT32 (an alias) between two kernels, as RESHAPE's aliases are tested.
  for (const std::vector<int>& s : std::vector<std::vector<int>>{{2, 3, 5}, {7}, {1, 4, 4, 9}}) {
    GraphBuilder b;
    const int x = b.input(s);
    const int r = b.op(OpType::Logistic, {x}, s);
    const int y = b.op(OpType::Cast, {r}, s);
    b.output(b.op(OpType::Logistic, {y}, s));
    v.push_back(make_case("FLOAT32 -> FLOAT32 " + shape_name(s), b.g));
  }
  // Same 8-bit type (the stored values), INT8 / UINT8 -> FLOAT32 (the raw integers).
  struct Q {
    std::vector<int> shape;
    DType in, out;
    int zp;
  };
  const std::vector<Q> q8 = {{{2, 3, 5}, I8, I8, -4},           {{3, 9}, U8, U8, 131},
                             {{2, 7, 9}, I8, DType::F32, -4},   {{3, 5}, U8, DType::F32, 128},
                             {{1, 3, 3, 6}, I8, DType::F32, 0}, {{1001}, U8, DType::F32, 0}};
  for (const Q& c : q8) {
    Q8Builder b;
    const int x = b.q8_input(c.shape, 0.05f, c.zp, c.in);
    if (c.out == DType::F32) b.output(b.op(OpType::Cast, {x}, c.shape));
    else b.q8_output_op(OpType::Cast, {x}, c.shape, {}, 0.05f, c.zp, c.out);
    v.push_back(make_case(std::string(dtype_name(c.in)) + " -> " + dtype_name(c.out) + " " + shape_name(c.shape), b.g)
                    .only_paths(kAll));
  }
  // Hand-computed raw values: int8 -128, -1, 0, 127 -> float.
  {
    Q8Builder b;
    const int x = b.q8_input({4}, 0.5f, 3);
    b.output(b.op(OpType::Cast, {x}, {4}));
    v.push_back(make_case("hand-computed INT8 -> FLOAT32", b.g)
                    .fixed_bytes({{0x80, 0xff, 0x00, 0x7f}})
                    .expecting({-128, -1, 0, 127}));
  }
  return v;
}

}  // namespace

const std::vector<Entry>& table() {
  // Paths: every operator but FAKE_QUANT has 8-bit kernels and TFLite export; QUANTIZE / DEQUANTIZE have no
  // backward (kernel or reference), and their fp32 sessions are the q8 paths (the float reference does not run
  // QUANTIZE: the integer reference is their oracle); FAKE_QUANT's straight-through gradient is no derivative, so
  // finite differences do not apply.
  const Paths all = kAllPaths;
  const Paths no_grad = kAllPaths & ~kGradPaths & ~bit(Path::Fp32);
  // NEG, SQUARE: TFLite's builtin kernels are float only, so no 8-bit paths (and no oracle).
  const Paths float_only = kFloatPaths | kGradPaths | bit(Path::RoundTrip);
  // SQRT, EXP, LOG: TFLite's int8 kernels are newer than the oracle's build, which refuses them.
  const Paths no_oracle = kAllPaths & ~bit(Path::Tflite);
  static const char* const kOracleTooOld =
      "the TFLite of the oracle (tfjs-tflite 0.0.1-alpha.10) predates its int8 kernel (\"Type INT8 is unsupported\")";
  static const std::vector<Entry> t =
      {
          {OpType::Conv2D, all, conv2d_cases},
          {OpType::DepthwiseConv2D, all, depthwise_conv2d_cases},
          {OpType::FullyConnected, all, fully_connected_cases},
          {OpType::Add, all, [] { return binary_cases(OpType::Add); }},
          {OpType::Mul, all, [] { return binary_cases(OpType::Mul); }},
          {OpType::Sub, all, [] { return binary_family_cases(OpType::Sub); }},
          {OpType::Maximum, all, [] { return binary_family_cases(OpType::Maximum); }},
          {OpType::Minimum, all,
           [] {
    std::vector<Case> v = binary_family_cases(OpType::Minimum);
    for (ClipCase& c : clip_fusion_cases()) v.push_back(std::move(c.c));
    return v;
           }},
          {OpType::SquaredDifference, all, [] { return binary_family_cases(OpType::SquaredDifference); }},
          {OpType::Div, all,
           [] {
    return binary_family_cases(OpType::Div);
           }},
                                  {OpType::AveragePool2D, all,
                                   [] {
    return pool_cases(OpType::AveragePool2D);
                                   }},
      {OpType::MaxPool2D, all, [] { return pool_cases(OpType::MaxPool2D); }}, {OpType::Mean, all, mean_cases},
      {OpType::Sum, all, [] { return reduce_cases(OpType::Sum); }},
      {OpType::ReduceMax, all, [] { return reduce_cases(OpType::ReduceMax); }},
      {OpType::ReduceMin, all, [] { return reduce_cases(OpType::ReduceMin); }},
      {OpType::ReduceProd, float_only, [] { return reduce_cases(OpType::ReduceProd); }},
      {OpType::Concatenation, all, concatenation_cases}, {OpType::Reshape, all, reshape_cases},
      {OpType::Squeeze, all, squeeze_cases}, {OpType::Pad, all, pad_cases}, {OpType::Slice, all, slice_cases},
      {OpType::StridedSlice, all, strided_slice_cases}, {OpType::Transpose, all, transpose_cases},
      {OpType::DepthToSpace, all, depth_to_space_cases}, {OpType::SpaceToDepth, all, space_to_depth_cases},
      {OpType::Gather, all, gather_cases}, {OpType::Softmax, all, softmax_cases},
      {OpType::Logistic, all, [] { return unary_cases(OpType::Logistic); }},
      {OpType::Relu, all, [] { return unary_cases(OpType::Relu); }},
      {OpType::Relu6, all, [] { return unary_cases(OpType::Relu6); }},
      {OpType::HardSwish, all, [] { return unary_cases(OpType::HardSwish); }},
      {OpType::LeakyRelu, all, leaky_relu_cases}, {OpType::ResizeBilinear, all, resize_bilinear_cases},
      {OpType::ResizeNearestNeighbor, all, resize_nearest_neighbor_cases},
      {OpType::Dequantize, no_grad, dequantize_cases, bit(Path::Fp32) | bit(Path::GradFd),
       "its float kernel and identity gradient serve float or constant inputs only, which import folds away"},
      {OpType::Quantize, no_grad, quantize_cases},
      {OpType::FakeQuant, kFloatPaths | bit(Path::Grad), fake_quant_cases, bit(Path::GradFd),
       "the straight-through estimator is not the derivative"},
      {OpType::Abs, all, [] { return math_cases(OpType::Abs); }},
      {OpType::Neg, float_only, [] { return math_cases(OpType::Neg); }},
      {OpType::Square, float_only, [] { return math_cases(OpType::Square); }},
      {OpType::Sqrt, no_oracle, [] { return math_cases(OpType::Sqrt); }, bit(Path::Tflite), kOracleTooOld},
      {OpType::Rsqrt, all, [] { return math_cases(OpType::Rsqrt); }},
      {OpType::Exp, no_oracle, [] { return math_cases(OpType::Exp); }, bit(Path::Tflite), kOracleTooOld},
      {OpType::Log, no_oracle, [] { return math_cases(OpType::Log); }, bit(Path::Tflite), kOracleTooOld},
      {OpType::Tanh, all, [] { return math_cases(OpType::Tanh); }},
      {OpType::Elu, all, [] { return math_cases(OpType::Elu); }},
      {OpType::ReluN1To1, all, [] { return math_cases(OpType::ReluN1To1); }}, {OpType::Prelu, all, prelu_cases},
      // POW: TFLite's kernels are float32 and int32 only (pow.cc), so no 8-bit paths.
      {OpType::Pow, float_only, pow_cases}, {OpType::MirrorPad, all, mirror_pad_cases}, {OpType::Tile, all, tile_cases},
      {OpType::LogSoftmax, all, log_softmax_cases}, {OpType::TransposeConv, all, transpose_conv_cases},
      {OpType::Split, all, split_cases}, {OpType::SplitV, all, split_v_cases}, {OpType::Unpack, all, unpack_cases},
      {OpType::Pack, all, pack_cases}, {OpType::BatchMatmul, all, batch_matmul_cases},
      {OpType::L2Normalization, all, l2_normalization_cases}, {OpType::Cast, all, cast_cases},
      };
  return t;
}

Case bench_add_case(const std::vector<int>& shape) {
  return binary_family_case(OpType::Add, shape, shape, 1, Activation::None);
}

std::vector<Case> bench_cases() {
  const std::vector<int> x = {1, 56, 56, 64}, half = {1, 28, 28, 64};
  const auto one = [](OpType t, const std::vector<int>& in, const std::vector<int>& out, OpParams p = {}) {
    GraphBuilder b;
    b.output(b.op(t, {b.input(in)}, out, std::move(p)));
    return make_case(shape_name(in), b.g);
  };
  const auto ints = [](std::vector<int> v) {
    OpParams p;
    p.ints = std::move(v);
    return p;
  };
  const auto pads = [](int mode) {
    OpParams p;
    p.paddings = {{0, 0}, {1, 1}, {1, 1}, {0, 0}};
    p.ints = {mode};
    return p;
  };
  std::vector<Case> v;
  for (OpType t : {OpType::Add, OpType::Mul, OpType::Sub, OpType::Div, OpType::Maximum, OpType::Minimum,
                   OpType::SquaredDifference})
    v.push_back(binary_family_case(t, x, x, 1, Activation::None));
  v.push_back(binary_family_case(OpType::Add, x, {64}, 1, Activation::None));
  v.push_back(binary_family_case(OpType::Div, {1, 112, 112, 32}, {1}, 1, Activation::None));  // a scalar divisor
  for (OpType t : {OpType::Relu, OpType::Relu6, OpType::ReluN1To1, OpType::Logistic, OpType::Tanh, OpType::HardSwish,
                   OpType::Elu, OpType::Abs, OpType::Neg, OpType::Square, OpType::Exp})
    v.push_back(one(t, x, x).inputs_in(-4, 4));
  for (OpType t : {OpType::Sqrt, OpType::Rsqrt, OpType::Log}) v.push_back(one(t, x, x).inputs_in(0.2f, 4));
  OpParams alpha;
  alpha.floats = {0.2f};
  v.push_back(one(OpType::LeakyRelu, x, x, alpha));
  {
    GraphBuilder b;
    b.output(b.op(OpType::Prelu, {b.input(x), b.random_constant({1, 1, 64}, 0, 0.5f)}, x));
    v.push_back(make_case(shape_name(x) + " alpha per channel", b.g));
  }
  {
    GraphBuilder b;
    b.output(b.op(OpType::Pow, {b.input(x), b.random_constant({64}, -2, 3)}, x));
    v.push_back(make_case(shape_name(x) + " exponent per channel", b.g).inputs_in(0.5f, 2));
  }
  v.push_back(softmax_case(x, 1));
  v.push_back(log_softmax_case(x));
  for (OpType t : {OpType::MaxPool2D, OpType::AveragePool2D})
    v.push_back(pool_case(t, {x, 3, 3, 2, 2, SAME, Activation::None}));
  v.push_back(mean_case(x, {1, 2}, true));
  for (OpType t : {OpType::Sum, OpType::ReduceMax, OpType::ReduceMin, OpType::ReduceProd})
    v.push_back(reduce_case(t, x, {1, 2}, true));
  v.push_back(concat_case({{1, 56, 56, 32}, {1, 56, 56, 32}}, 3, 1, Activation::None));
  {
    GraphBuilder b;
    OpParams p;
    p.paddings = {{0, 0}, {1, 1}, {1, 1}, {0, 0}};
    b.output(b.op(OpType::Pad, {b.input(x), b.int32_constant({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0})}, {1, 58, 58, 64}, p));
    v.push_back(make_case(shape_name(x) + " pads 1", b.g));
  }
  v.push_back(one(OpType::MirrorPad, x, {1, 58, 58, 64}, pads(0)));
  v.push_back(one(OpType::Slice, x, {1, 28, 28, 64}, ints({0, 8, 8, 0, 1, 28, 28, 64})));
  v.push_back(
      one(OpType::StridedSlice, x, {1, 28, 28, 64}, ints({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 56, 56, 64, 1, 2, 2, 1})));
  v.push_back(one(OpType::Transpose, x, {1, 56, 56, 64}, ints({0, 2, 1, 3})));
  v.push_back(one(OpType::Transpose, x, {1, 64, 56, 56}, ints({0, 3, 1, 2})));
  v.push_back(one(OpType::DepthToSpace, {1, 28, 28, 256}, x, ints({2})));
  v.push_back(one(OpType::SpaceToDepth, {1, 112, 112, 16}, x, ints({2})));
  {
    std::vector<int> g = {3, 1, 64};  // axis 3, indices of rank 1 and shape [64]: the channels reversed
    for (int i = 63; i >= 0; i--) g.push_back(i);
    v.push_back(one(OpType::Gather, x, x, ints(g)));
  }
  v.push_back(one(OpType::Tile, {1, 28, 56, 64}, x, ints({1, 2, 1, 1})));
  v.push_back(resize_case(OpType::ResizeBilinear, half, 56, 56, 0));
  v.push_back(resize_case(OpType::ResizeNearestNeighbor, half, 56, 56, 0));
  v.push_back(tconv_case(1, 28, 28, 64, 64, 3, 2, SAME, Activation::None, true));
  v.push_back(split_case(OpType::Split, {x, 3, {2}, {{1, 56, 56, 32}, {1, 56, 56, 32}}, ""}));
  v.push_back(split_case(OpType::SplitV, {x, 3, {16, -1}, {{1, 56, 56, 16}, {1, 56, 56, 48}}, ""}));
  // Axis 1: calibration rebatches dimension 0.
  v.push_back(split_case(OpType::Unpack, {{1, 2, 3136, 64}, 1, {2}, {{1, 3136, 64}, {1, 3136, 64}}, ""}));
  v.push_back(pack_case({{1, 2, 3136, 64}, 1, {2}, {{1, 3136, 64}, {1, 3136, 64}}, ""}, true));
  v.push_back(bmm_case({1, 3136, 64}, {64, 64}, {1, 3136, 64}, false, false, false, true));
  v.push_back(l2_norm_case(x));
  // Calibration's fake quantization of a RELU6 output (int8, scale 6/255).
  v.push_back(one(OpType::FakeQuant, x, x, fq_params(6.0f / 255, -128, -128, 127)).inputs_in(-1, 7));
  return v;
}

}  // namespace tare::test::conformance

TEST_SUITE("ops") {
  TEST_CASE("conformance: every operator on every path it has") {
    using namespace tare::test::conformance;
    for (tare::OpType t : all_op_types()) {
      if (!selected(t)) continue;
      for (const Entry& e : table())
        if (e.op == t) run_entry(e);
    }
    std::vector<std::string> problems;
    const std::string counts = count_table(problems);
    std::printf("conformance: cases run per operator and path\n%s", counts.c_str());
    std::fflush(stdout);
    for (const std::string& p : problems) FAIL_CHECK(p);
  }

  // The conformance cases above check the clipped values on every path; this checks which MINIMUMs an inference
  // session runs inside the convolution (no MINIMUM in its per-op profile) on the float and every 8-bit path.
  TEST_CASE("clip fusion: a MINIMUM by a constant bound runs inside the convolution before it") {
    using namespace tare::test;
    using namespace tare::test::conformance;
    auto ctx = gpu();
    if (!ctx) return;
    const Q8Path paths[] = {{true, Q8Dot::Off, "packed"},
                            {true, Q8Dot::On, "packed dot"},
                            {false, Q8Dot::Off, "storage"},
                            {false, Q8Dot::On, "storage dot"}};
    int fused = 0, kept = 0;
    for (ClipCase& cc : clip_fusion_cases()) {
      INFO(cc.c.name);
      tare::Graph g = cc.c.graph;
      tare::infer_shapes(g);
      const bool q8 = tare::ops::is_q8(g.tensors[(size_t)g.outputs[0]]);
      for (const Q8Path& path : paths) {
        if (!q8 && &path != &paths[0]) break;
        if (!q8_path_offered(*ctx, path)) continue;
        INFO(path.name);
        tare::SessionOptions o;
        o.profiling = true;
        tare::Session s = q8_session(ctx, g, path, o);
        s.run();
        int minimums = 0;
        for (const auto& [region, ms] : s.profile()) minimums += region.rfind("MINIMUM#", 0) == 0;
        CHECK(minimums == (cc.fused ? 0 : 1));
        (cc.fused ? fused : kept)++;
      }
    }
    std::printf("clip fusion: %d sessions fused the MINIMUM, %d kept it\n", fused, kept);
    check_validation();
  }

  // The QUANTIZE and DEQUANTIZE cases above check the values on every path; this checks which graph inputs and
  // outputs an inference session keeps in their staging alone (claim_input_staging, claim_output_staging): a
  // QUANTIZE of a float graph input reads the caller's floats, a general-window 8-bit CONV_2D of an 8-bit graph input
  // the caller's bytes, a DEQUANTIZE of a graph output writes the caller's floats, and that input or output then has
  // no device storage.
  TEST_CASE("graph edges: inputs and outputs kept in the staging alone") {
    using namespace tare::test;
    using namespace tare::test::conformance;
    auto ctx = gpu();
    if (!ctx) return;
    struct Form {
      std::string name;
      tare::Graph g;
      bool input;  // the tensor in question: graph input 0, else graph output 0
      bool staged;
    };
    auto named = [](const std::vector<Case>& cases, const std::string& part) {
      for (const Case& c : cases)
        if (c.name.find(part) != std::string::npos) return c.graph;
      FAIL("no case named '" << part << "'");
      return tare::Graph{};
    };
    tare::Graph in_also_output = quantize_graph({1, 7, 7, 3}, tare::DType::F32, 0, 0, I8, 0.0078125f, 0);
    in_also_output.outputs.push_back(in_also_output.inputs[0]);
    tare::Graph in_twice = quantize_graph({1, 7, 7, 3}, tare::DType::F32, 0, 0, I8, 0.0078125f, 0);
    in_twice.inputs.push_back(in_twice.inputs[0]);
    tare::Graph out_twice = named(dequantize_cases(), "INT8 [1,7,7,13]");
    out_twice.outputs.push_back(out_twice.outputs[0]);
    const Form forms[] = {
        {"QUANTIZE of the input", quantize_graph({1, 7, 7, 3}, tare::DType::F32, 0, 0, I8, 0.0078125f, 0), true, true},
        {"QUANTIZE to uint8", quantize_graph({3, 17}, tare::DType::F32, 0, 0, U8, 0.1f, 3), true, true},
        {"two QUANTIZEs of the input", named(quantize_cases(), "two QUANTIZEs"), true, false},
        {"the input also an output", in_also_output, true, false},
        {"the input listed twice", in_twice, true, false},
        {"DEQUANTIZE of the output", named(dequantize_cases(), "INT8 [1,7,7,13]"), false, true},
        {"DEQUANTIZE per channel", named(dequantize_cases(), "per-channel"), false, true},
        {"the output also read by an ADD", named(dequantize_cases(), "also read by an ADD"), false, false},
        {"the output listed twice", out_twice, false, false},
        {"CONV_2D of a uint8 input", named(conv2d_cases(), "[1,9,11,3] -> 8 3x3 s2,2 d1,1 SAME RELU6 UINT8"), true,
         true},
        {"CONV_2D of an int8 input", named(conv2d_cases(), "[1,9,11,3] -> 8 3x3 s2,2 d1,1 SAME RELU6 INT8"), true,
         true},
        {"1x1 CONV_2D of an 8-bit input (the GEMM)",
         named(conv2d_cases(), "[1,7,9,16] -> 24 1x1 s1,1 d1,1 SAME RELU6 INT8"), true, false},
        {"an 8-bit input read by two CONV_2Ds", named(conv2d_cases(), "read by a second CONV_2D"), true, false}};
    for (const Form& f : forms)
      for (bool fp16 : {false, true}) {
        if (fp16 && !(ctx->caps().fp16_arithmetic && ctx->caps().fp16_storage)) continue;
        INFO(f.name << (fp16 ? ", fp16" : ", fp32"));
        tare::SessionOptions o;
        o.fp16 = fp16;
        tare::Session s(ctx, f.g, o);
        CHECK(s.has_storage(f.input ? f.g.inputs[0] : f.g.outputs[0]) == !f.staged);
      }
    check_validation();
  }
}
