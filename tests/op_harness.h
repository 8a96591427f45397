// Helpers that build small Graphs in code (one op or a few) for the tests: GraphBuilder, convolution and pool
// options and output shapes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/session.h"
#include "model/graph.h"
#include "ref/reference.h"
#include "test_util.h"

namespace tare::test {

// A convolution / pool window (filter size, strides, dilations, padding) of the test graphs.
struct Win {
  int kh, kw, sh, sw, dh, dw;
  Padding pad;
};
inline OpParams win_params(const Win& v, Activation act = Activation::None) {
  OpParams p;
  p.stride_h = v.sh;
  p.stride_w = v.sw;
  p.dilation_h = v.dh;
  p.dilation_w = v.dw;
  p.padding = v.pad;
  p.activation = act;
  return p;
}
// The NHWC output shape of the window over an [n, h, w, *] input, with c channels.
inline std::vector<int> win_out(int n, int h, int w, int c, const Win& v) {
  return {n, conv_out_size(h, v.kh, v.sh, v.dh, v.pad), conv_out_size(w, v.kw, v.sw, v.dw, v.pad), c};
}

// The first field in which two operators' parameters differ ("" when none does).
inline std::string params_diff(const OpParams& a, const OpParams& b) {
#define TARE_SAME(f) \
  if (!(a.f == b.f)) return #f
  TARE_SAME(padding);
  TARE_SAME(stride_h);
  TARE_SAME(stride_w);
  TARE_SAME(dilation_h);
  TARE_SAME(dilation_w);
  TARE_SAME(filter_h);
  TARE_SAME(filter_w);
  TARE_SAME(depth_multiplier);
  TARE_SAME(activation);
  TARE_SAME(keep_num_dims);
  TARE_SAME(axis);
  TARE_SAME(beta);
  TARE_SAME(axes);
  TARE_SAME(keep_dims);
  TARE_SAME(align_corners);
  TARE_SAME(half_pixel_centers);
  TARE_SAME(new_height);
  TARE_SAME(new_width);
  TARE_SAME(new_shape);
  TARE_SAME(paddings);
  TARE_SAME(fq_scale);
  TARE_SAME(fq_zero_point);
  TARE_SAME(fq_qmin);
  TARE_SAME(fq_qmax);
  TARE_SAME(ints);
  TARE_SAME(floats);
#undef TARE_SAME
  return "";
}

class GraphBuilder {
 public:
  // An activation tensor (float32).
  int activation(std::vector<int> shape, const std::string& name = "") {
    Tensor t;
    t.name = name.empty() ? "t" + std::to_string(g.tensors.size()) : name;
    t.shape = std::move(shape);
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  }
  int input(std::vector<int> shape) {
    int t = activation(std::move(shape), "input" + std::to_string(g.inputs.size()));
    g.inputs.push_back(t);
    return t;
  }
  // A float32 constant.
  int constant(std::vector<int> shape, const std::vector<float>& values) {
    int t = activation(std::move(shape));
    Tensor& x = g.tensors[t];
    REQUIRE((int64_t)values.size() == x.elements());
    x.is_const = true;
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(values.data());
    x.data.assign(bytes, bytes + values.size() * 4);
    return t;
  }
  int int32_constant(std::vector<int> shape, const std::vector<int32_t>& values) {
    int t = activation(std::move(shape));
    Tensor& x = g.tensors[t];
    x.dtype = DType::I32;
    x.is_const = true;
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(values.data());
    x.data.assign(bytes, bytes + values.size() * 4);
    return t;
  }
  // Random constant in [lo, hi].
  int random_constant(std::vector<int> shape, float lo = -1, float hi = 1) {
    int64_t n = 1;
    for (int d : shape) n *= d;
    return constant(std::move(shape), random_values((size_t)n, lo, hi));
  }
  // Adds an op; its output tensor gets `out_shape` (shape inference then checks it).
  int op(OpType type, std::vector<int> inputs, std::vector<int> out_shape, OpParams params = {}) {
    return ops(type, std::move(inputs), {std::move(out_shape)}, std::move(params))[0];
  }
  // Adds an op with one output tensor per shape (SPLIT, UNPACK); returns them.
  std::vector<int> ops(OpType type, std::vector<int> inputs, const std::vector<std::vector<int>>& out_shapes,
                       OpParams params = {}) {
    Op o;
    o.type = type;
    o.inputs = std::move(inputs);
    for (const auto& s : out_shapes) o.outputs.push_back(activation(s));
    o.params = std::move(params);
    o.source_index = (int)g.ops.size();
    g.ops.push_back(o);
    return o.outputs;
  }
  void output(int t) { g.outputs.push_back(t); }
  void outputs(const std::vector<int>& ts) {
    for (int t : ts) output(t);
  }
  std::vector<float> random_values(size_t n, float lo = -1, float hi = 1) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  }
  Graph g;
  std::mt19937 rng{12345};
};

// CONV_2D / DEPTHWISE_CONV_2D options (equal strides and dilations), and the output shape [n, oh, ow, c] they give an
// [n, h, w, *] input with a kh x kw filter.
inline OpParams conv_params(int stride, int dil, Padding padding, Activation act) {
  OpParams p;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dil;
  p.padding = padding;
  p.activation = act;
  return p;
}
inline std::vector<int> conv_out_shape(int n, int h, int w, int c, int kh, int kw, const OpParams& p) {
  return {n, conv_out_size(h, kh, p.stride_h, p.dilation_h, p.padding),
          conv_out_size(w, kw, p.stride_w, p.dilation_w, p.padding), c};
}

// AVERAGE_POOL_2D / MAX_POOL_2D options, and the output shape they give an NHWC input.
inline OpParams pool_params(int fh, int fw, int sh, int sw, Padding padding, Activation act) {
  OpParams p;
  p.filter_h = fh;
  p.filter_w = fw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.padding = padding;
  p.activation = act;
  return p;
}
inline std::vector<int> pool_out_shape(const std::vector<int>& in, const OpParams& p) {
  return {in[0], conv_out_size(in[1], p.filter_h, p.stride_h, 1, p.padding),
          conv_out_size(in[2], p.filter_w, p.stride_w, 1, p.padding), in[3]};
}

}  // namespace tare::test
