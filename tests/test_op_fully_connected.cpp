// FULLY_CONNECTED on the GPU vs the CPU reference: MobileNet's 1280 -> 1001, odd sizes, batches (1..6: the
// 1/2/4-rows-per-invocation variants and their tails), no bias, keep_num_dims, inputs whose last dimension is not
// the depth (gather path), every fused activation.
#include <cmath>

#include "op_harness.h"

namespace tare::test {

namespace {

struct FcCase {
  std::vector<int> in;
  int units, depth;
  bool bias, keep_num_dims;
};

Graph fc_graph(const FcCase& c, Activation act) {
  GraphBuilder b;
  int x = b.input(c.in);
  // Weights scaled by 1/sqrt(depth): outputs of order 1, so the clamping activations keep values that matter.
  const float r = 2.0f / std::sqrt((float)c.depth);
  int w = b.random_constant({c.units, c.depth}, -r, r);
  std::vector<int> ins = {x, w};
  if (c.bias) ins.push_back(b.random_constant({c.units}));
  OpParams p;
  p.activation = act;
  p.keep_num_dims = c.keep_num_dims;
  int64_t n = 1;
  for (int d : c.in) n *= d;
  std::vector<int> os = {(int)(n / c.depth), c.units};
  if (c.keep_num_dims) {
    os = c.in;
    os.back() = c.units;
  }
  b.output(b.op(OpType::FullyConnected, ins, os, p));
  return b.g;
}

const std::vector<FcCase> kFcCases = {
    {{1, 1280}, 1001, 1280, true, false},       // MobileNet-v2 classifier
    {{2, 1280}, 1001, 1280, true, false},
    {{1, 1, 1, 1024}, 1001, 1024, true, false}, // MobileNet-v1 (4-D input)
    {{3, 13}, 7, 13, false, false},
    {{5, 33}, 5, 33, true, false},              // 4 rows per invocation + tail
    {{6, 20}, 3, 20, true, false},
    {{4, 1}, 1, 1, true, false},
    {{2, 3, 12}, 8, 12, true, true},            // keep_num_dims
    {{2, 3, 4}, 9, 12, true, false},            // gather: last dim 4, depth 12
    {{1, 7, 7, 3}, 10, 147, false, false},      // gather: flatten
    {{2, 5, 6}, 11, 15, true, false},           // gather: rows split across input rows
};

void run_fc(bool fp16) {
  last_max_rel_error = 0;
  const Activation acts[] = {Activation::None, Activation::Relu, Activation::ReluN1To1, Activation::Relu6};
  int k = 0;
  for (const FcCase& c : kFcCases) {
    Activation act = acts[k++ % 4];
    CAPTURE(k);
    double before = last_max_rel_error;
    last_max_rel_error = 0;
    if (!check_gpu_vs_ref(fc_graph(c, act), fp16 ? 1e-2 : 1e-5, fp16)) return;
    if (std::getenv("TARE_PRINT_ERRORS")) MESSAGE("case " << k << ": " << last_max_rel_error);
    last_max_rel_error = std::max(before, last_max_rel_error);
  }
  MESSAGE("fully_connected " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op fully_connected: fp32") { run_fc(false); }
  TEST_CASE("op fully_connected: fp16") { run_fc(true); }

  TEST_CASE("op fully_connected: hand-computed") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    int x = b.input({2, 3});
    int w = b.constant({2, 3}, {1, 2, 3, -1, 0, 1});
    int bias = b.constant({2}, {0.5f, -10});
    OpParams p;
    p.activation = Activation::Relu;
    b.output(b.op(OpType::FullyConnected, {x, w, bias}, {2, 2}, p));
    infer_shapes(b.g);
    Session s(ctx, b.g, {});
    std::vector<float> xv = {1, 1, 1, 2, -1, 30};
    s.set_input(0, xv.data(), xv.size());
    s.run();
    std::vector<float> got(4);
    s.get_output(0, got.data(), got.size());
    const std::vector<float> want = {6.5f, 0, 90.5f, 18};
    for (size_t i = 0; i < want.size(); i++) CHECK(got[i] == want[i]);
    check_validation();
  }
}

}  // namespace tare::test
