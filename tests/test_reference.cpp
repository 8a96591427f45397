// The CPU reference executor: hand-computed small cases per operator, then whole models against TFLite's outputs.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "common/error.h"
#include "common/fp16.h"
#include "model/tflite_import.h"
#include "ref/reference.h"
#include "test_util.h"

using tare::Activation;
using tare::DType;
using tare::Graph;
using tare::Op;
using tare::OpParams;
using tare::OpType;
using tare::Padding;

namespace {

// ---- tiny graph builder -------------------------------------------------------------------------------------------

struct In {
  std::vector<int> shape;
  std::vector<float> data;
  bool is_const = false;
};

In act(std::vector<int> shape, std::vector<float> data) { return In{std::move(shape), std::move(data), false}; }
In cst(std::vector<int> shape, std::vector<float> data) { return In{std::move(shape), std::move(data), true}; }

int add_tensor(Graph& g, const std::vector<int>& shape, const std::vector<float>* const_data) {
  tare::Tensor t;
  t.name = "t" + std::to_string(g.tensors.size());
  t.shape = shape;
  if (const_data) {
    t.is_const = true;
    t.data.resize(const_data->size() * 4);
    std::memcpy(t.data.data(), const_data->data(), t.data.size());
  }
  g.tensors.push_back(t);
  return (int)g.tensors.size() - 1;
}

// Builds a one-operator graph (non-constant inputs become graph inputs; an empty `In` shape with no data marks an
// omitted optional input), runs it and returns the output.
std::vector<float> run_op(OpType type, const OpParams& params, const std::vector<In>& inputs,
                          const std::vector<int>& out_shape) {
  Graph g;
  Op op;
  op.type = type;
  op.params = params;
  std::vector<std::vector<float>> feeds;
  for (const In& in : inputs) {
    if (in.shape.empty() && in.data.empty()) {
      op.inputs.push_back(-1);
      continue;
    }
    int t = add_tensor(g, in.shape, in.is_const ? &in.data : nullptr);
    op.inputs.push_back(t);
    if (!in.is_const) {
      g.inputs.push_back(t);
      feeds.push_back(in.data);
    }
  }
  int o = add_tensor(g, out_shape, nullptr);
  op.outputs = {o};
  g.outputs = {o};
  g.ops.push_back(op);
  auto values = tare::ref::run(g, feeds);
  return values[o];
}

std::vector<float> iota(int n, float start = 1.0f, float step = 1.0f) {
  std::vector<float> v((size_t)n);
  for (int i = 0; i < n; i++) v[i] = start + step * (float)i;
  return v;
}

// Deterministic pseudo-random values in [-1, 1].
std::vector<float> noise(int n, uint32_t seed) {
  std::vector<float> v((size_t)n);
  uint32_t s = seed * 2654435761u + 12345u;
  for (int i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    v[i] = (float)((s >> 8) & 0xffff) / 32767.5f - 1.0f;
  }
  return v;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); i++) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= tol * std::max(1.0, std::fabs(want[i])));
  }
}

// ---- independent straightforward formulas (double precision) --------------------------------------------------------

// TFLite's window arithmetic written out directly: SAME -> out = ceil(in / stride), pad total = the overhang,
// pad before = total / 2; VALID -> out = ceil((in - effective_filter + 1) / stride), no pad.
void window_1d(int in, int k, int stride, int dil, bool same, int& out, int& before) {
  const int eff = (k - 1) * dil + 1;
  if (same) {
    out = (in + stride - 1) / stride;
    const int total = std::max((out - 1) * stride + eff - in, 0);
    before = total / 2;
  } else {
    out = (in - eff + stride) / stride;
    before = 0;
  }
}

double activate(double x, Activation a) {
  if (a == Activation::Relu) return std::max(x, 0.0);
  if (a == Activation::Relu6) return std::min(std::max(x, 0.0), 6.0);
  if (a == Activation::ReluN1To1) return std::min(std::max(x, -1.0), 1.0);
  return x;
}

// Naive convolution. depthwise: weights [1,KH,KW,Cin*M]; else [Cout,KH,KW,Cin].
std::vector<double> naive_conv(const std::vector<float>& in, int n, int h, int w, int ci, const std::vector<float>& wt,
                               int co, int kh, int kw, const std::vector<float>& bias, const OpParams& p,
                               bool depthwise, int& oh, int& ow) {
  int pt, pl;
  window_1d(h, kh, p.stride_h, p.dilation_h, p.padding == Padding::Same, oh, pt);
  window_1d(w, kw, p.stride_w, p.dilation_w, p.padding == Padding::Same, ow, pl);
  std::vector<double> out((size_t)n * oh * ow * co);
  const int m = depthwise ? co / ci : 0;
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        for (int o = 0; o < co; o++) {
          double s = bias.empty() ? 0.0 : bias[o];
          for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
              const int iy = y * p.stride_h - pt + ky * p.dilation_h, ix = x * p.stride_w - pl + kx * p.dilation_w;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              if (depthwise) {
                s += (double)in[((b * h + iy) * w + ix) * ci + o / m] * wt[(ky * kw + kx) * co + o];
              } else {
                for (int i = 0; i < ci; i++)
                  s += (double)in[((b * h + iy) * w + ix) * ci + i] * wt[((o * kh + ky) * kw + kx) * ci + i];
              }
            }
          out[((b * oh + y) * ow + x) * co + o] = activate(s, p.activation);
        }
  return out;
}

OpParams conv_params(Padding pad, int stride, int dil = 1, Activation a = Activation::None) {
  OpParams p;
  p.padding = pad;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dil;
  p.activation = a;
  return p;
}

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

TEST_SUITE("reference") {
  TEST_CASE("conv2d: SAME stride 2 on even and odd sizes, by hand") {
    const std::vector<float> ones9(9, 1.0f);
    // 4x4 input 1..16, 3x3 box filter, stride 2: out 2x2, pad total 1 -> before 0 (window rows 0-2 and 2-3).
    auto even = run_op(OpType::Conv2D, conv_params(Padding::Same, 2),
                       {act({1, 4, 4, 1}, iota(16)), cst({1, 3, 3, 1}, ones9), cst({1}, {0.5f})}, {1, 2, 2, 1});
    check_close(even, {54.5, 45.5, 72.5, 54.5});
    // 5x5 input 1..25: out 3x3, pad total 2 -> before 1.
    auto odd = run_op(OpType::Conv2D, conv_params(Padding::Same, 2),
                      {act({1, 5, 5, 1}, iota(25)), cst({1, 3, 3, 1}, ones9)}, {1, 3, 3, 1});
    check_close(odd, {16, 33, 28, 69, 117, 87, 76, 123, 88});
    // VALID, stride 2 on 5x5: windows at 0 and 2.
    auto valid = run_op(OpType::Conv2D, conv_params(Padding::Valid, 2),
                        {act({1, 5, 5, 1}, iota(25)), cst({1, 3, 3, 1}, ones9)}, {1, 2, 2, 1});
    check_close(valid, {63, 81, 153, 171});
  }

  TEST_CASE("conv2d: dilation 2 and fused activations, by hand") {
    const std::vector<float> ones9(9, 1.0f);
    auto v = run_op(OpType::Conv2D, conv_params(Padding::Valid, 1, 2),
                    {act({1, 5, 5, 1}, iota(25)), cst({1, 3, 3, 1}, ones9)}, {1, 1, 1, 1});
    check_close(v, {1 + 3 + 5 + 11 + 13 + 15 + 21 + 23 + 25});
    // SAME with dilation 2 on 5x5: effective filter 5, pad before 2; corner taps rows/cols {0, 2}.
    auto s = run_op(OpType::Conv2D, conv_params(Padding::Same, 1, 2),
                    {act({1, 5, 5, 1}, iota(25)), cst({1, 3, 3, 1}, ones9)}, {1, 5, 5, 1});
    CHECK(s[0] == doctest::Approx(1 + 3 + 11 + 13));
    CHECK(s[12] == doctest::Approx(117));
    // Two output channels (weights +1 and -1 per tap, 1x1 kernel) with each activation.
    const std::vector<float> x = {-3, -0.5f, 0.5f, 8};
    for (Activation a : {Activation::None, Activation::Relu, Activation::Relu6, Activation::ReluN1To1}) {
      auto r = run_op(OpType::Conv2D, conv_params(Padding::Valid, 1, 1, a),
                      {act({1, 2, 2, 1}, x), cst({2, 1, 1, 1}, {1, -1})}, {1, 2, 2, 2});
      std::vector<double> want;
      for (float xi : x) {
        want.push_back(activate(xi, a));
        want.push_back(activate(-xi, a));
      }
      check_close(r, want);
    }
  }

  TEST_CASE("conv2d: multi-channel, batch 2, strides and dilations against the naive formula") {
    struct Case {
      int h, w, ci, co, kh, kw, stride, dil;
      Padding pad;
    };
    const Case cases[] = {{7, 6, 3, 5, 3, 3, 2, 1, Padding::Same},  {8, 8, 4, 2, 3, 3, 2, 1, Padding::Same},
                          {9, 7, 2, 3, 3, 2, 1, 2, Padding::Same},  {9, 9, 3, 4, 3, 3, 2, 1, Padding::Valid},
                          {6, 5, 2, 3, 1, 1, 1, 1, Padding::Valid}, {10, 9, 3, 3, 5, 5, 3, 1, Padding::Same},
                          {8, 9, 2, 2, 3, 3, 1, 3, Padding::Valid}};
    int seed = 1;
    for (const Case& k : cases) {
      const int n = 2;
      auto in = noise(n * k.h * k.w * k.ci, seed++);
      auto wt = noise(k.co * k.kh * k.kw * k.ci, seed++);
      auto bias = noise(k.co, seed++);
      OpParams p = conv_params(k.pad, k.stride, k.dil, Activation::Relu6);
      int oh, ow;
      auto want = naive_conv(in, n, k.h, k.w, k.ci, wt, k.co, k.kh, k.kw, bias, p, false, oh, ow);
      auto got = run_op(OpType::Conv2D, p,
                        {act({n, k.h, k.w, k.ci}, in), cst({k.co, k.kh, k.kw, k.ci}, wt), cst({k.co}, bias)},
                        {n, oh, ow, k.co});
      INFO("case h=" << k.h << " w=" << k.w << " stride " << k.stride << " dilation " << k.dil);
      check_close(got, want, 1e-5);
    }
  }

  TEST_CASE("depthwise conv2d: depth multiplier 2 by hand, and against the naive formula") {
    // Input 1x2x2x2: channel 0 = 1,2,3,4; channel 1 = 10,20,30,40.  2x2 filter, M=2 -> 4 output channels:
    // c0,c1 read input channel 0, c2,c3 read input channel 1.
    std::vector<float> in = {1, 10, 2, 20, 3, 30, 4, 40};
    // weights [1,2,2,4]: tap t (row-major) weight for channel c = (c+1) * (t==0 ? 1 : 0) + (c==1 ? 1 : 0)
    std::vector<float> wt = {1, 2, 3, 4,   // tap (0,0)
                             0, 1, 0, 0,   // tap (0,1)
                             0, 1, 0, 0,   // tap (1,0)
                             0, 1, 0, 1};  // tap (1,1)
    OpParams p = conv_params(Padding::Valid, 1);
    p.depth_multiplier = 2;
    auto r = run_op(OpType::DepthwiseConv2D, p, {act({1, 2, 2, 2}, in), cst({1, 2, 2, 4}, wt), cst({4}, {0, 0, 0, 1})},
                    {1, 1, 1, 4});
    check_close(r, {1 * 1, 2 * 1 + 2 + 3 + 4, 3 * 10, 4 * 10 + 40 + 1});

    struct Case {
      int h, w, ci, m, k, stride, dil;
      Padding pad;
    };
    const Case cases[] = {{7, 7, 3, 1, 3, 2, 1, Padding::Same},
                          {8, 6, 4, 1, 3, 2, 1, Padding::Same},
                          {6, 6, 2, 2, 3, 1, 1, Padding::Same},
                          {9, 8, 3, 3, 3, 2, 2, Padding::Same},
                          {7, 9, 2, 2, 5, 1, 1, Padding::Valid}};
    int seed = 100;
    for (const Case& k : cases) {
      const int n = 2, co = k.ci * k.m;
      auto x = noise(n * k.h * k.w * k.ci, seed++);
      auto w = noise(k.k * k.k * co, seed++);
      auto b = noise(co, seed++);
      OpParams q = conv_params(k.pad, k.stride, k.dil, Activation::Relu);
      q.depth_multiplier = k.m;
      int oh, ow;
      auto want = naive_conv(x, n, k.h, k.w, k.ci, w, co, k.k, k.k, b, q, true, oh, ow);
      auto got = run_op(OpType::DepthwiseConv2D, q,
                        {act({n, k.h, k.w, k.ci}, x), cst({1, k.k, k.k, co}, w), cst({co}, b)}, {n, oh, ow, co});
      INFO("case h=" << k.h << " m=" << k.m << " stride " << k.stride << " dilation " << k.dil);
      check_close(got, want, 1e-5);
    }
  }

  TEST_CASE("fully connected, with and without keep_num_dims and bias") {
    std::vector<float> x = {1, 2, 3, -1, 0, 1};
    std::vector<float> w = {1, 0, -1, 0.5f, 0.5f, 0.5f};  // [2 units, 3]
    OpParams p;
    auto r = run_op(OpType::FullyConnected, p, {act({2, 3}, x), cst({2, 3}, w), cst({2}, {10, 20})}, {2, 2});
    check_close(r, {10 - 2, 20 + 3, 10 - 2, 20 + 0});
    p.keep_num_dims = true;
    p.activation = Activation::Relu;
    auto k = run_op(OpType::FullyConnected, p, {act({1, 2, 3}, x), cst({2, 3}, w), In{}}, {1, 2, 2});
    check_close(k, {0, 3, 0, 0});
    p.keep_num_dims = false;
    p.activation = Activation::None;
    auto flat = run_op(OpType::FullyConnected, p, {act({1, 1, 2, 3}, x), cst({2, 3}, w)}, {2, 2});
    check_close(flat, {-2, 3, -2, 0});
  }

  TEST_CASE("add and mul broadcasting") {
    // [1,4,4,3] + [3]
    auto a = noise(48, 7);
    std::vector<float> b = {1, 10, 100};
    auto r = run_op(OpType::Add, OpParams{}, {act({1, 4, 4, 3}, a), cst({3}, b)}, {1, 4, 4, 3});
    std::vector<double> want(48);
    for (int i = 0; i < 48; i++) want[i] = (double)a[i] + b[i % 3];
    check_close(r, want);
    // [2,1,3,1] * [1,5,1,4] -> [2,5,3,4]
    auto x = iota(6, 1);
    auto y = iota(20, 0.5f, 0.25f);
    auto m = run_op(OpType::Mul, OpParams{}, {act({2, 1, 3, 1}, x), act({1, 5, 1, 4}, y)}, {2, 5, 3, 4});
    std::vector<double> wm;
    for (int n = 0; n < 2; n++)
      for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++)
          for (int k = 0; k < 4; k++) wm.push_back((double)x[n * 3 + j] * y[i * 4 + k]);
    check_close(m, wm);
    // Lower-rank on the left, broadcast both ways, and a scalar; fused activation.
    OpParams relu;
    relu.activation = Activation::Relu;
    auto s = run_op(OpType::Add, relu, {cst({1}, {-2}), act({2, 2}, {1, 2, 3, 4})}, {2, 2});
    check_close(s, {0, 0, 1, 2});
    auto t = run_op(OpType::Mul, OpParams{}, {act({3, 1}, {1, 2, 3}), act({1, 2}, {10, -1})}, {3, 2});
    check_close(t, {10, -1, 20, -2, 30, -3});
    auto same = run_op(OpType::Add, OpParams{}, {act({2, 2}, {1, 2, 3, 4}), act({2, 2}, {4, 3, 2, 1})}, {2, 2});
    check_close(same, {5, 5, 5, 5});
    CHECK_THROWS_AS(run_op(OpType::Add, OpParams{}, {act({2, 3}, iota(6)), act({2}, {1, 2})}, {2, 3}), tare::Error);
  }

  TEST_CASE("average and max pool at the borders") {
    OpParams p = conv_params(Padding::Same, 2);
    p.filter_h = p.filter_w = 2;
    // 3x3 input 1..9, 2x2 window stride 2 SAME: pad total 1 -> before 0; border windows are partial.
    auto r = run_op(OpType::AveragePool2D, p, {act({1, 3, 3, 1}, iota(9))}, {1, 2, 2, 1});
    check_close(r, {3, 4.5, 7.5, 9});
    // 3x3 window stride 1 SAME: the divisor counts only in-bounds elements.
    p = conv_params(Padding::Same, 1);
    p.filter_h = p.filter_w = 3;
    r = run_op(OpType::AveragePool2D, p, {act({1, 3, 3, 1}, iota(9))}, {1, 3, 3, 1});
    check_close(r, {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7});
    // Max pool on negative values: padding never contributes a 0.
    r = run_op(OpType::MaxPool2D, p, {act({1, 3, 3, 1}, iota(9, -1, -1))}, {1, 3, 3, 1});
    check_close(r, {-1, -1, -2, -1, -1, -2, -4, -4, -5});
    // Two channels, batch 2, VALID 2x2 stride 2 on 4x4 (floor), with Relu6.
    p = conv_params(Padding::Valid, 2, 1, Activation::Relu6);
    p.filter_h = p.filter_w = 2;
    auto x = iota(2 * 5 * 5 * 2, 0, 0.25f);
    r = run_op(OpType::AveragePool2D, p, {act({2, 5, 5, 2}, x)}, {2, 2, 2, 2});
    std::vector<double> want;
    for (int b = 0; b < 2; b++)
      for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++)
          for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int ky = 0; ky < 2; ky++)
              for (int kx = 0; kx < 2; kx++) s += x[((b * 5 + oy * 2 + ky) * 5 + ox * 2 + kx) * 2 + c];
            want.push_back(std::min(s / 4, 6.0));
          }
    check_close(r, want);
    // Global average pool (the MobileNet-v1 shape).
    p = conv_params(Padding::Valid, 2);
    p.filter_h = p.filter_w = 3;
    r = run_op(OpType::AveragePool2D, p, {act({1, 3, 3, 2}, iota(18))}, {1, 1, 1, 2});
    check_close(r, {9, 10});
  }

  TEST_CASE("mean over axes") {
    auto x = iota(2 * 2 * 3 * 2);  // [2,2,3,2]
    OpParams p;
    p.axes = {1, 2};
    p.keep_dims = true;
    auto r = run_op(OpType::Mean, p, {act({2, 2, 3, 2}, x), cst({2}, {1, 2})}, {2, 1, 1, 2});
    // batch 0 channel 0: 1,3,5,7,9,11 -> 6; channel 1 -> 7; batch 1: +12.
    check_close(r, {6, 7, 18, 19});
    p.keep_dims = false;
    r = run_op(OpType::Mean, p, {act({2, 2, 3, 2}, x), cst({2}, {1, 2})}, {2, 2});
    check_close(r, {6, 7, 18, 19});
    p.axes = {3};
    r = run_op(OpType::Mean, p, {act({2, 2, 3, 2}, x), cst({1}, {3})}, {2, 2, 3});
    std::vector<double> want;
    for (int i = 0; i < 12; i++) want.push_back(2 * i + 1.5);
    check_close(r, want);
    p.axes = {0, 3};
    p.keep_dims = true;
    r = run_op(OpType::Mean, p, {act({2, 2, 3, 2}, x), cst({2}, {0, 3})}, {1, 2, 3, 1});
    check_close(r, {7.5, 9.5, 11.5, 13.5, 15.5, 17.5});
  }

  TEST_CASE("concatenation on every axis") {
    auto a = iota(4);  // [1,2,2,1] / [2,2]
    auto b = iota(4, 10);
    OpParams p;
    p.axis = 3;
    auto r = run_op(OpType::Concatenation, p, {act({1, 2, 2, 1}, a), act({1, 2, 2, 1}, b)}, {1, 2, 2, 2});
    check_close(r, {1, 10, 2, 11, 3, 12, 4, 13});
    p.axis = 1;
    r = run_op(OpType::Concatenation, p, {act({1, 2, 2, 1}, a), act({1, 2, 2, 1}, b)}, {1, 4, 2, 1});
    check_close(r, {1, 2, 3, 4, 10, 11, 12, 13});
    p.axis = 2;
    r = run_op(OpType::Concatenation, p, {act({1, 2, 2, 1}, a), cst({1, 2, 1, 1}, {-1, -2})}, {1, 2, 3, 1});
    check_close(r, {1, 2, -1, 3, 4, -2});
    p.axis = 0;
    p.activation = Activation::ReluN1To1;
    r = run_op(OpType::Concatenation, p, {act({2, 2}, {-5, 0.5f, 2, 0}), act({1, 2}, {0.25f, -0.75f})}, {3, 2});
    check_close(r, {-1, 0.5, 1, 0, 0.25, -0.75});
    p.axis = 1;
    p.activation = Activation::None;
    r = run_op(OpType::Concatenation, p, {act({2, 1}, {1, 2}), act({2, 2}, {3, 4, 5, 6}), act({2, 1}, {7, 8})}, {2, 4});
    check_close(r, {1, 3, 4, 7, 2, 5, 6, 8});
  }

  TEST_CASE("reshape, squeeze and pad") {
    OpParams p;
    p.new_shape = {-1, 6};
    auto r = run_op(OpType::Reshape, p, {act({1, 2, 3, 1}, iota(6)), cst({2}, {-1, 6})}, {1, 6});
    check_close(r, to_double(iota(6)));
    OpParams s;
    r = run_op(OpType::Squeeze, s, {act({1, 1, 1, 5}, iota(5))}, {5});
    check_close(r, to_double(iota(5)));
    s.axes = {1, 2};
    r = run_op(OpType::Squeeze, s, {act({1, 1, 1, 5}, iota(5))}, {1, 5});
    check_close(r, to_double(iota(5)));
    CHECK_THROWS_AS(run_op(OpType::Squeeze, s, {act({1, 1, 1, 5}, iota(5))}, {5}), tare::Error);

    OpParams q;
    q.paddings = {{0, 0}, {1, 0}, {0, 2}, {0, 0}};
    r = run_op(OpType::Pad, q, {act({1, 2, 2, 1}, {1, 2, 3, 4}), cst({4, 2}, {0, 0, 1, 0, 0, 2, 0, 0})}, {1, 3, 4, 1});
    check_close(r, {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
    q.paddings = {{0, 0}, {1, 1}, {1, 1}, {1, 0}};
    r = run_op(OpType::Pad, q, {act({1, 1, 1, 1}, {7})}, {1, 3, 3, 2});
    std::vector<double> want(18, 0.0);
    want[(1 * 3 + 1) * 2 + 1] = 7;
    check_close(r, want);
  }

  TEST_CASE("softmax, logistic, relu, relu6, hard swish") {
    OpParams p;
    auto r = run_op(OpType::Softmax, p, {act({2, 3}, {1, 2, 3, 1000, 1000, 1000})}, {2, 3});
    const double e = std::exp(1.0), s = 1 + e + e * e;
    check_close(r, {1 / s, e / s, e * e / s, 1 / 3.0, 1 / 3.0, 1 / 3.0}, 1e-6);
    p.beta = 0.5f;
    r = run_op(OpType::Softmax, p, {act({1, 2}, {0, 2})}, {1, 2});
    check_close(r, {1 / (1 + e), e / (1 + e)}, 1e-6);

    const std::vector<float> x = {-100, -4, -3, -1, 0, 0.5f, 1, 3, 4, 7, 100};
    std::vector<double> lg, rl, r6, hs;
    for (float v : x) {
      lg.push_back(1 / (1 + std::exp(-(double)v)));
      rl.push_back(v > 0 ? v : 0);
      r6.push_back(v < 0 ? 0 : v > 6 ? 6 : v);
    }
    hs = {0, 0, 0, -1.0 / 3, 0, 0.5 * 3.5 / 6, 4.0 / 6, 3, 4, 7, 100};
    const std::vector<int> sh = {1, 1, 1, (int)x.size()};
    check_close(run_op(OpType::Logistic, p, {act(sh, x)}, sh), lg, 1e-6);
    check_close(run_op(OpType::Relu, p, {act(sh, x)}, sh), rl);
    check_close(run_op(OpType::Relu6, p, {act(sh, x)}, sh), r6);
    check_close(run_op(OpType::HardSwish, p, {act(sh, x)}, sh), hs, 1e-6);
  }

  TEST_CASE("resize bilinear: default, align_corners and half_pixel_centers") {
    // On a linear ramp value(y, x) = 2y + x the result is 2*cy + cx with the source coordinates clamped to [0, 1].
    const std::vector<float> ramp = {0, 1, 2, 3};
    auto grid = [](const std::vector<double>& c) {
      std::vector<double> v;
      for (double cy : c)
        for (double cx : c) v.push_back(2 * cy + cx);
      return v;
    };
    OpParams p;
    auto r = run_op(OpType::ResizeBilinear, p, {act({1, 2, 2, 1}, ramp), cst({2}, {4, 4})}, {1, 4, 4, 1});
    check_close(r, grid({0, 0.5, 1, 1}));  // scale 1/2: 0, .5, 1, 1.5 -> clamped
    p.align_corners = true;
    r = run_op(OpType::ResizeBilinear, p, {act({1, 2, 2, 1}, ramp), cst({2}, {4, 4})}, {1, 4, 4, 1});
    check_close(r, grid({0, 1 / 3.0, 2 / 3.0, 1}));  // scale (2-1)/(4-1)
    p.align_corners = false;
    p.half_pixel_centers = true;
    r = run_op(OpType::ResizeBilinear, p, {act({1, 2, 2, 1}, ramp), cst({2}, {4, 4})}, {1, 4, 4, 1});
    check_close(r, grid({0, 0.25, 0.75, 1}));  // (o+.5)/2-.5: -.25, .25, .75, 1.25 -> clamped

    // A peak (not linear) downscaled 3x3 -> 2x2; neighbours and weights by hand.
    const std::vector<float> peak = {0, 0, 0, 0, 9, 0, 0, 0, 0};
    p = OpParams{};
    r = run_op(OpType::ResizeBilinear, p, {act({1, 3, 3, 1}, peak), cst({2}, {2, 2})}, {1, 2, 2, 1});
    check_close(r, {0, 0, 0, 9 * 0.5 * 0.5});  // scale 1.5: sources 0 and 1.5
    p.half_pixel_centers = true;
    r = run_op(OpType::ResizeBilinear, p, {act({1, 3, 3, 1}, peak), cst({2}, {2, 2})}, {1, 2, 2, 1});
    check_close(r, {9 * 0.0625, 9 * 0.0625, 9 * 0.0625, 9 * 0.0625});  // sources .25 and 1.75
    p.half_pixel_centers = false;
    p.align_corners = true;
    r = run_op(OpType::ResizeBilinear, p, {act({1, 3, 3, 1}, peak), cst({2}, {3, 5})}, {1, 3, 5, 1});
    // scale_y = 1, scale_x = 0.5: row 1 = 0, 4.5, 9, 4.5, 0; rows 0 and 2 zero.
    check_close(r, {0, 0, 0, 0, 0, 0, 4.5, 9, 4.5, 0, 0, 0, 0, 0, 0});
    // Non-square, two channels, batch 2, upscale 2x3 -> 3x4 half-pixel, checked per channel on ramps.
    std::vector<float> two;
    for (int b = 0; b < 2; b++)
      for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) {
          two.push_back((float)(10 * y + x + 100 * b));
          two.push_back((float)(-x));
        }
    p = OpParams{};
    p.half_pixel_centers = true;
    r = run_op(OpType::ResizeBilinear, p, {act({2, 2, 3, 2}, two), cst({2}, {3, 4})}, {2, 3, 4, 2});
    std::vector<double> want;
    const double cy[3] = {0, 0.5, 1};           // (o+.5)*2/3-.5: -1/6, .5, 7/6 -> clamped
    const double cx[4] = {0, 0.625, 1.375, 2};  // (o+.5)*.75-.5: -.125, .625, 1.375, 2.125 -> clamped
    for (int b = 0; b < 2; b++)
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) {
          want.push_back(10 * cy[y] + cx[x] + 100 * b);
          want.push_back(-cx[x]);
        }
    check_close(r, want, 1e-5);
  }

  TEST_CASE("constants: float16, quantized per-tensor and per-channel; dequantize") {
    Graph g;
    tare::Tensor h;
    h.name = "fp16";
    h.dtype = DType::F16;
    h.shape = {3};
    h.is_const = true;
    for (float v : {1.5f, -0.25f, 65504.0f}) {
      uint16_t b = tare::float_to_half(v);
      h.data.push_back((uint8_t)(b & 0xff));
      h.data.push_back((uint8_t)(b >> 8));
    }
    g.tensors.push_back(h);
    tare::Tensor q8;  // int8 per-channel along axis 0: [2,2]
    q8.name = "q8";
    q8.dtype = DType::I8;
    q8.shape = {2, 2};
    q8.is_const = true;
    q8.data = {(uint8_t)(int8_t)-128, 5, (uint8_t)(int8_t)-3, 127};
    q8.quant.scale = {0.5f, 0.25f};
    q8.quant.zero_point = {0, 1};
    q8.quant.axis = 0;
    g.tensors.push_back(q8);
    tare::Tensor u8;  // uint8 per-tensor with zero point 128
    u8.name = "u8";
    u8.dtype = DType::U8;
    u8.shape = {3};
    u8.is_const = true;
    u8.data = {0, 128, 255};
    u8.quant.scale = {0.125f};
    u8.quant.zero_point = {128};
    g.tensors.push_back(u8);
    tare::Tensor i32;  // plain int32 (e.g. a shape), not quantized
    i32.name = "i32";
    i32.dtype = DType::I32;
    i32.shape = {2};
    i32.is_const = true;
    int32_t iv[2] = {-7, 224};
    i32.data.resize(8);
    std::memcpy(i32.data.data(), iv, 8);
    g.tensors.push_back(i32);
    tare::Tensor out;
    out.name = "out";
    out.shape = {3};
    g.tensors.push_back(out);
    Op dq;
    dq.type = OpType::Dequantize;
    dq.inputs = {0};
    dq.outputs = {4};
    g.ops.push_back(dq);
    g.outputs = {4};

    auto v = tare::ref::run(g, {});
    check_close(v[0], {1.5, -0.25, 65504});
    check_close(v[1], {-64, 2.5, -1, 31.5});
    check_close(v[2], {-16, 0, 15.875});
    check_close(v[3], {-7, 224});
    check_close(v[4], {1.5, -0.25, 65504});
  }

  TEST_CASE("errors: unsupported QUANTIZE, wrong declared shapes, wrong inputs") {
    CHECK_THROWS_AS(run_op(OpType::Quantize, OpParams{}, {act({2}, {1, 2})}, {2}), tare::Error);
    try {
      run_op(OpType::Quantize, OpParams{}, {act({2}, {1, 2})}, {2});
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
    }
    // A declared output shape that disagrees with the operator's arithmetic.
    try {
      run_op(OpType::Conv2D, conv_params(Padding::Same, 2), {act({1, 5, 5, 1}, iota(25)), cst({1, 3, 3, 1}, iota(9))},
             {1, 2, 2, 1});
      FAIL("expected an error");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_INVALID_MODEL);
    }
    // Input data of the wrong size.
    Graph g;
    std::vector<float> w(9, 1.0f);
    int x = add_tensor(g, {1, 3, 3, 1}, nullptr);
    int wt = add_tensor(g, {1, 3, 3, 1}, &w);
    int y = add_tensor(g, {1, 1, 1, 1}, nullptr);
    Op op;
    op.type = OpType::Conv2D;
    op.params = conv_params(Padding::Valid, 1);
    op.inputs = {x, wt, -1};
    op.outputs = {y};
    g.ops.push_back(op);
    g.inputs = {x};
    g.outputs = {y};
    CHECK_THROWS_AS(tare::ref::run(g, {iota(8)}), tare::Error);
    CHECK_THROWS_AS(tare::ref::run(g, {}), tare::Error);
    auto ok = tare::ref::run(g, {iota(9)});
    CHECK(ok[y][0] == doctest::Approx(45));
  }

  // ---- whole models against TFLite ------------------------------------------------------------------------------------

  namespace {

  using tare::test::RefCase;

  void check_model_against_tflite(const std::string& model) {
    if (!tare::test::have_data("ref/index.json") || !tare::test::have_data("models/" + model)) return;
    auto bytes = tare::test::read_file(tare::test::data_path("ref/index.json"));
    auto cases = tare::test::parse_ref_index(std::string(bytes.begin(), bytes.end()));
    auto file = tare::test::read_file(tare::test::data_path("models/" + model));
    Graph g = tare::import_tflite(file.data(), file.size());
    int n = 0;
    std::vector<const RefCase*> mine;
    for (const RefCase& c : cases) {
      if (c.model_file != "models/" + model) continue;
      mine.push_back(&c);
      n++;
      INFO(model << " case " << c.name);
      auto input = tare::test::read_floats(tare::test::data_path("ref/" + c.input_file));
      auto t0 = std::chrono::steady_clock::now();
      auto values = tare::ref::run(g, {input});
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      REQUIRE(c.outputs.size() == g.outputs.size());
      for (size_t i = 0; i < c.outputs.size(); i++) {
        // Match by name when the graph output carries the same name, else by position.
        size_t gi = i;
        for (size_t j = 0; j < g.outputs.size(); j++)
          if (g.tensors[g.outputs[j]].name == c.outputs[i].name) gi = j;
        auto want = tare::test::read_floats(tare::test::data_path("ref/" + c.outputs[i].file));
        const auto& got = values[g.outputs[gi]];
        REQUIRE(got.size() == want.size());
        double rel = tare::test::max_rel_error(got, want);
        double abs = tare::test::max_abs_error(got, want);
        std::printf("reference %-40s %-10s output %-12s max|err| %.3g (rel %.3g)  %.0f ms\n", model.c_str(),
                    c.name.c_str(), c.outputs[i].name.c_str(), abs, rel, ms);
        CHECK(rel <= 1e-4);
        if (c.kind.rfind("classifier", 0) == 0) CHECK(tare::test::argmax(got) == tare::test::argmax(want));
      }
    }
    CHECK(n > 0);

    // All cases again as one batch (the graph re-shaped by with_batch): each batch slice must match its reference.
    if (n < 2) return;
    Graph gb = tare::with_batch(g, n);
    std::vector<float> batch_in;
    for (const RefCase* c : mine) {
      auto input = tare::test::read_floats(tare::test::data_path("ref/" + c->input_file));
      batch_in.insert(batch_in.end(), input.begin(), input.end());
    }
    auto t0 = std::chrono::steady_clock::now();
    auto values = tare::ref::run(gb, {batch_in});
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    double worst = 0;
    for (size_t i = 0; i < gb.outputs.size(); i++) {
      const auto& got = values[gb.outputs[i]];
      REQUIRE(got.size() % (size_t)n == 0);
      const size_t per = got.size() / (size_t)n;
      for (int b = 0; b < n; b++) {
        INFO(model << " batch " << n << " slice " << b << " output " << i);
        size_t oi = i;
        for (size_t j = 0; j < mine[b]->outputs.size(); j++)
          if (mine[b]->outputs[j].name == gb.tensors[gb.outputs[i]].name) oi = j;
        auto want = tare::test::read_floats(tare::test::data_path("ref/" + mine[b]->outputs[oi].file));
        std::vector<float> slice(got.begin() + (ptrdiff_t)(b * per), got.begin() + (ptrdiff_t)((b + 1) * per));
        double rel = tare::test::max_rel_error(slice, want);
        worst = std::max(worst, rel);
        CHECK(rel <= 1e-4);
      }
    }
    std::printf("reference %-40s batch %d: worst rel %.3g  %.0f ms\n", model.c_str(), n, worst, ms);
  }

  }  // namespace

  TEST_CASE("whole model vs TFLite: mobilenet_v1_0.25_224") {
    check_model_against_tflite("mobilenet_v1_0.25_224.tflite");
  }
  TEST_CASE("whole model vs TFLite: mobilenet_v2_1.0_224_float") {
    check_model_against_tflite("mobilenet_v2_1.0_224_float.tflite");
  }
  TEST_CASE("whole model vs TFLite: mobilenet_v2_1.0_224_qat_float") {
    check_model_against_tflite("mobilenet_v2_1.0_224_qat_float.tflite");
  }
  TEST_CASE("whole model vs TFLite: face_detection_short_range") {
    check_model_against_tflite("face_detection_short_range.tflite");
  }

}  // TEST_SUITE
