// Helpers shared by the calibration tests (IBC, BFT): random image sets, an image source over them, and the
// quantization of a test graph calibrated on the GPU, a small classifier.
#pragma once

#include <algorithm>
#include <random>
#include <vector>

#include "calib/calibrate.h"
#include "calib/ibc.h"
#include "op_harness.h"
#include "quant/quantizer.h"

namespace tare::test {

using Images = std::vector<std::vector<float>>;

inline Images random_images(int count, size_t size, std::mt19937& rng, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  Images v(count, std::vector<float>(size));
  for (auto& im : v)
    for (auto& x : im) x = d(rng);
  return v;
}

// Images first, first + 1, ... of `v` (which must outlive the function).
inline calib::ImageFn from(const Images& v, size_t first = 0) {
  return [&v, first](uint32_t i, float* dst) { std::copy(v[first + i].begin(), v[first + i].end(), dst); };
}

inline Graph quantize(std::shared_ptr<vk::Context> ctx, const Graph& g, const Images& calib, bool per_channel = false) {
  quant::Stats st = calib::calibrate(ctx, g, (uint32_t)calib.size(), 4, from(calib), nullptr);
  quant::QuantizeOptions o;
  o.per_channel = per_channel;
  return quant::quantize_graph(g, st, o, nullptr);
}

// conv 3x3 (relu6) -> depthwise 3x3 (relu6) -> conv 1x1 (relu6) -> mean -> FC (10) -> softmax: a classifier.
// tconv: a 3x3 stride-2 TRANSPOSE_CONV (relu6) after the depthwise one brings the size back up.
inline Graph classifier(int h, int w, int cin, int c1, int c2, int classes, std::mt19937& rng, bool tconv = false) {
  GraphBuilder b;
  b.rng = rng;
  int x = b.input({1, h, w, cin});
  OpParams p;
  p.padding = Padding::Same;
  p.activation = Activation::Relu6;
  int y = b.op(OpType::Conv2D, {x, b.random_constant({c1, 3, 3, cin}, -0.3f, 0.5f), b.random_constant({c1}, 0, 0.2f)},
               {1, h, w, c1}, p);
  p.stride_h = p.stride_w = 2;
  y = b.op(OpType::DepthwiseConv2D,
           {y, b.random_constant({1, 3, 3, c1}, -0.3f, 0.6f), b.random_constant({c1}, 0, 0.2f)},
           {1, (h + 1) / 2, (w + 1) / 2, c1}, p);
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  if (tconv) {
    oh *= 2;
    ow *= 2;
    OpParams t = p;
    t.ints = {oh, ow};
    y = b.op(OpType::TransposeConv,
             {y, b.random_constant({c1, 3, 3, c1}, -0.3f, 0.5f), b.random_constant({c1}, 0, 0.2f)}, {1, oh, ow, c1}, t);
  }
  p.stride_h = p.stride_w = 1;
  y = b.op(OpType::Conv2D, {y, b.random_constant({c2, 1, 1, c1}, -0.3f, 0.5f), b.random_constant({c2}, 0, 0.2f)},
           {1, oh, ow, c2}, p);
  OpParams m;
  m.axes = {1, 2};
  m.keep_dims = false;
  y = b.op(OpType::Mean, {y}, {1, c2}, m);
  OpParams f;
  y = b.op(OpType::FullyConnected,
           {y, b.random_constant({classes, c2}, -1, 1), b.random_constant({classes}, -0.5f, 0.5f)}, {1, classes}, f);
  OpParams sm;
  sm.beta = 1.0f;
  y = b.op(OpType::Softmax, {y}, {1, classes}, sm);
  b.output(y);
  infer_shapes(b.g);
  return b.g;
}

}  // namespace tare::test
