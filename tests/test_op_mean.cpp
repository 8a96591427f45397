// MEAN on the GPU vs the CPU reference (and one hand-computed case).
#include <algorithm>

#include "op_harness.h"

namespace tare::test {

namespace {

struct MeanCase {
  std::vector<int> in;
  std::vector<int> axes;  // sorted, >= 0
  bool keep_dims;
};

Graph mean_graph(const MeanCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.axes = c.axes;
  p.keep_dims = c.keep_dims;
  std::vector<int> os;
  for (size_t i = 0; i < c.in.size(); i++) {
    bool r = std::find(c.axes.begin(), c.axes.end(), (int)i) != c.axes.end();
    if (!r) os.push_back(c.in[i]);
    else if (c.keep_dims) os.push_back(1);
  }
  std::vector<int32_t> axes(c.axes.begin(), c.axes.end());
  int a = b.int32_constant({(int)axes.size()}, axes);
  b.output(b.op(OpType::Mean, {x, a}, os, p));
  return b.g;
}

const std::vector<MeanCase> kMeanCases = {
    {{1, 7, 7, 1280}, {1, 2}, false},  // MobileNet-v2 head
    {{1, 7, 7, 1280}, {1, 2}, true},
    {{2, 5, 6, 13}, {1, 2}, false},
    {{2, 5, 6, 3}, {1, 2}, true},
    {{2, 5, 6, 7}, {2}, false},   // over W only
    {{2, 5, 6, 7}, {1}, true},    // over H only
    {{2, 5, 6, 7}, {3}, false},   // over C
    {{2, 5, 6, 33}, {3}, true},
    {{2, 5, 6, 5}, {1, 2, 3}, true},
    {{2, 3, 4, 5}, {0}, false},
    {{2, 3, 4, 9}, {0, 1, 2, 3}, false},
    {{2, 3, 4, 1}, {0, 2}, true},
    {{4, 5, 7}, {1}, false},      // rank 3
    {{3, 10}, {1}, true},         // rank 2
    {{3, 10}, {0}, false},
    {{1, 33, 29, 4}, {1, 2}, false},
};

void run_mean(bool fp16) {
  for (const MeanCase& c : kMeanCases) {
    CAPTURE(c.in.size());
    CAPTURE(c.in[0]);
    CAPTURE(c.in.back());
    CAPTURE(c.axes.size());
    CAPTURE(c.axes[0]);
    CAPTURE(c.keep_dims);
    if (!check_gpu_vs_ref(mean_graph(c), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op mean: fp32") { run_mean(false); }
  TEST_CASE("op mean: fp16") { run_mean(true); }

  TEST_CASE("op mean: hand-computed over H,W and over C") {
    auto ctx = gpu();
    if (!ctx) return;
    std::vector<float> in(2 * 2 * 3);  // [1,2,2,3]: value = pixel*10 + channel
    for (int px = 0; px < 4; px++)
      for (int ch = 0; ch < 3; ch++) in[px * 3 + ch] = (float)(px * 10 + ch);
    {
      Graph g = mean_graph({{1, 2, 2, 3}, {1, 2}, false});
      infer_shapes(g);
      Session s(ctx, g, {});
      s.set_input(0, in.data(), in.size());
      s.run();
      std::vector<float> got(3);
      s.get_output(0, got.data(), got.size());
      CHECK(max_abs_error(got, {15, 16, 17}) <= 1e-5);
    }
    {
      Graph g = mean_graph({{1, 2, 2, 3}, {3}, true});
      infer_shapes(g);
      Session s(ctx, g, {});
      s.set_input(0, in.data(), in.size());
      s.run();
      std::vector<float> got(4);
      s.get_output(0, got.data(), got.size());
      CHECK(max_abs_error(got, {1, 11, 21, 31}) <= 1e-5);
    }
    check_validation();
  }
}

}  // namespace tare::test
