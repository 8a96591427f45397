// Helpers for backward-kernel tests: run a small graph forward and backward on the GPU (a training session) and
// compare every gradient with the CPU backward reference (src/ref/backward.h), and the graph inputs' gradients with
// central finite differences of the CPU forward reference.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "engine/training_session.h"
#include "op_harness.h"
#include "ref/backward.h"
#include "ref/reference.h"
#include "test_util.h"

namespace tare::test {

struct GradCheck {
  double max_rel = 0;     // max over tensors of max |gpu - cpu| / max |cpu| (CPU backward reference)
  double fd_max_rel = 0;  // graph inputs vs finite differences: max |gpu - fd| / max |gpu|
  int tensors = 0;        // gradients compared
};

// L = sum r * y over the graph's first output, r random in [-1, 1] (the seed).  Inputs: `inputs` if given, else
// random in [lo, hi] (choose ranges away from the kinks of the ops under test: the GPU and the CPU forward values
// may differ by rounding).  Compares the gradient of every non-constant tensor the reference reaches.
inline GradCheck check_grad(Graph g, std::vector<std::vector<float>> inputs = {}, float lo = -1, float hi = 1,
                            unsigned seed = 7, int fd_samples = 12) {
  GradCheck r;
  auto ctx = gpu();
  if (!ctx) return r;
  infer_shapes(g);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi), dr(-1, 1);
  if (inputs.empty())
    for (int t : g.inputs) {
      std::vector<float> v((size_t)g.tensors[t].elements());
      for (auto& x : v) x = d(rng);
      inputs.push_back(std::move(v));
    }
  const int out = g.outputs.at(0);
  std::vector<float> seed_grad((size_t)g.tensors[out].elements());
  for (auto& x : seed_grad) x = dr(rng);

  ref::Values fwd = ref::run(g, inputs);
  ref::Gradients want = ref::backward(g, fwd, {{out, seed_grad}});

  TrainingSession s(ctx, g, {});
  for (size_t i = 0; i < inputs.size(); i++) s.set_input(i, inputs[i].data(), inputs[i].size());
  s.run();
  s.backward({{out, seed_grad}});
  for (size_t t = 0; t < g.tensors.size(); t++) {
    if (g.tensors[t].is_const || want.activations[t].empty() || (int)t == out) continue;
    std::vector<float> got = s.grad((int)t);
    REQUIRE(got.size() == want.activations[t].size());
    double m = 0, e = 0;
    for (size_t i = 0; i < got.size(); i++) {
      m = std::max(m, (double)std::fabs(want.activations[t][i]));
      e = std::max(e, (double)std::fabs(got[i] - want.activations[t][i]));
    }
    r.max_rel = std::max(r.max_rel, m > 0 ? e / m : e);
    r.tensors++;
  }
  // Finite differences of the CPU forward reference for a few elements of each graph input.
  auto loss = [&](const std::vector<std::vector<float>>& in) {
    ref::Values v = ref::run(g, in);
    double l = 0;
    for (size_t i = 0; i < seed_grad.size(); i++) l += (double)seed_grad[i] * v[out][i];
    return l;
  };
  for (size_t k = 0; k < g.inputs.size(); k++) {
    std::vector<float> got = s.grad(g.inputs[k]);
    double m = 0;
    for (float x : got) m = std::max(m, (double)std::fabs(x));
    std::uniform_int_distribution<size_t> pick(0, got.size() - 1);
    for (int n = 0; n < fd_samples; n++) {
      const size_t i = pick(rng);
      const float x0 = inputs[k][i];
      const float h = std::ldexp(1.0f, -9) * std::max(1.0f, std::fabs(x0));
      auto in = inputs;
      in[k][i] = x0 + h;
      const double lp = loss(in);
      in[k][i] = x0 - h;
      const double lm = loss(in);
      const double fd = (lp - lm) / ((double)(x0 + h) - (double)(x0 - h));
      r.fd_max_rel = std::max(r.fd_max_rel, std::fabs(fd - got[i]) / std::max(m, 1e-12));
    }
  }
  return r;
}

}  // namespace tare::test
