// Finite differences of the forward reference (ref::run), shared by the conformance table's grad-fd path and the
// multi-operator backward tests: the central difference of a loss at a float, and how far the values a graph
// differentiates through lie from the kinks (ReLU / clamp boundaries, hard-swish corners, max-pool ties), so that
// inputs can be redrawn until no perturbation crosses one.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/graph.h"
#include "ref/reference.h"

namespace tare::test {

inline constexpr float kFdStep = 1.0f / 512;  // relative (to max(1, |x|))
inline constexpr double kKinkMargin = 1e-2;   // no kink this close to a value the finite differences move

// Central difference of `f` at the float `x`, which `set` writes.
template <typename Set, typename Eval>
inline double central_difference(float x, Set set, Eval f) {
  const float h = kFdStep * std::max(1.0f, std::fabs(x));
  const float xp = x + h, xm = x - h;
  set(xp);
  const double lp = f();
  set(xm);
  const double lm = f();
  set(x);
  return (lp - lm) / ((double)xp - (double)xm);
}

inline std::vector<double> kinks_of(Activation a) {
  switch (a) {
    case Activation::Relu: return {0.0};
    case Activation::Relu6: return {0.0, 6.0};
    case Activation::ReluN1To1: return {-1.0, 1.0};
    default: return {};
  }
}

// Distance of the nearest kink from a value the graph differentiates through: pre-activations of fused
// activations, inputs of RELU / RELU6 / HARD_SWISH, the gap between the two largest values of a max-pool window.
inline double kink_margin(const Graph& g, const ref::Values& fwd) {
  double m = std::numeric_limits<double>::infinity();
  auto near = [&](const std::vector<float>& v, const std::vector<double>& ks) {
    for (float x : v)
      for (double k : ks) m = std::min(m, std::fabs((double)x - k));
  };
  for (const Op& op : g.ops) {
    if (op.params.activation != Activation::None) {
      ref::Values v = fwd;
      Op plain = op;
      plain.params.activation = Activation::None;
      ref::eval_op(g, plain, v);
      near(v[op.outputs[0]], kinks_of(op.params.activation));
    }
    if (op.type == OpType::Relu) near(fwd[op.inputs[0]], {0.0});
    if (op.type == OpType::Relu6) near(fwd[op.inputs[0]], {0.0, 6.0});
    if (op.type == OpType::HardSwish) near(fwd[op.inputs[0]], {-3.0, 3.0});
    if (op.type == OpType::MaxPool2D) {
      const std::vector<int>& s = g.tensors[op.inputs[0]].shape;
      const std::vector<float>& in = fwd[op.inputs[0]];
      const OpParams& p = op.params;
      const int oh = conv_out_size(s[1], p.filter_h, p.stride_h, 1, p.padding);
      const int ow = conv_out_size(s[2], p.filter_w, p.stride_w, 1, p.padding);
      const int pt = conv_pad_before(s[1], p.filter_h, p.stride_h, 1, p.padding);
      const int pl = conv_pad_before(s[2], p.filter_w, p.stride_w, 1, p.padding);
      for (int b = 0; b < s[0]; b++)
        for (int oy = 0; oy < oh; oy++)
          for (int ox = 0; ox < ow; ox++)
            for (int ch = 0; ch < s[3]; ch++) {
              double top = -1e30, second = -1e30;
              for (int ky = 0; ky < p.filter_h; ky++)
                for (int kx = 0; kx < p.filter_w; kx++) {
                  const int y = oy * p.stride_h - pt + ky, x = ox * p.stride_w - pl + kx;
                  if (y < 0 || y >= s[1] || x < 0 || x >= s[2]) continue;
                  const double v = in[(((size_t)b * s[1] + y) * s[2] + x) * s[3] + ch];
                  if (v > top) {
                    second = top;
                    top = v;
                  } else if (v > second) {
                    second = v;
                  }
                }
              if (second > -1e30) m = std::min(m, top - second);
            }
    }
  }
  return m;
}

inline double projected(const std::vector<float>& y, const std::vector<float>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); i++) s += (double)r[i] * (double)y[i];
  return s;
}

}  // namespace tare::test
