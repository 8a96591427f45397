// RESHAPE and SQUEEZE that repack (the channel count changes) on the GPU vs the CPU reference; aliases are checked
// to stay correct too.
#include "op_harness.h"

namespace tare::test {

namespace {

struct ReshapeCase {
  std::vector<int> in, out;
};

// input -> RELU (so the reshape reads an arena tensor written by a kernel) -> RESHAPE -> RELU6 (so the repacked
// tensor is consumed by a kernel that reads whole vec4s).
Graph reshape_graph(const ReshapeCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  int r = b.op(OpType::Relu, {x}, c.in);
  OpParams p;
  p.new_shape = c.out;
  int y = b.op(OpType::Reshape, {r}, c.out, p);
  b.output(b.op(OpType::Logistic, {y}, c.out));
  return b.g;
}

const std::vector<ReshapeCase> kReshapeCases = {
    {{1, 7, 7, 3}, {1, 147}},        // flatten
    {{2, 6, 5}, {2, 3, 10}},
    {{2, 12}, {2, 3, 4}},
    {{4, 6}, {24}},
    {{1, 5, 5, 8}, {1, 5, 40}},
    {{1, 1, 1, 1001}, {1, 7, 11, 13}},
    {{3, 13}, {13, 3}},
    {{2, 3, 4, 5}, {5, 4, 3, 2}},
    {{1, 2, 2, 1}, {1, 4}},
    {{1, 1280}, {1, 1, 1, 1280}},    // alias (same channel count)
    {{1, 3, 3, 7}, {1, 9, 7}},       // alias
};

void run_reshape(bool fp16) {
  last_max_rel_error = 0;
  for (const ReshapeCase& c : kReshapeCases) {
    CAPTURE(c.in.back());
    CAPTURE(c.out.back());
    if (!check_gpu_vs_ref(reshape_graph(c), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
  // SQUEEZE: of the last axis (repack) and of a middle axis (alias).
  for (auto [in, axes] : std::vector<std::pair<std::vector<int>, std::vector<int>>>{
           {{2, 3, 1}, {2}}, {{1, 5, 1, 1}, {}}, {{1, 3, 1, 7}, {2}}, {{4, 1}, {1}}}) {
    GraphBuilder b;
    int x = b.input(in);
    int r = b.op(OpType::Relu, {x}, in);
    OpParams p;
    p.axes = axes;
    std::vector<int> out;
    for (size_t i = 0; i < in.size(); i++) {
      bool sq = axes.empty() ? in[i] == 1 : std::find(axes.begin(), axes.end(), (int)i) != axes.end();
      if (!sq) out.push_back(in[i]);
    }
    int y = b.op(OpType::Squeeze, {r}, out, p);
    b.output(b.op(OpType::Logistic, {y}, out));
    if (!check_gpu_vs_ref(b.g, fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
  MESSAGE("reshape " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op reshape: fp32") { run_reshape(false); }
  TEST_CASE("op reshape: fp16") { run_reshape(true); }

  TEST_CASE("op reshape: hand-computed repack") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    int x = b.input({2, 3});
    int r = b.op(OpType::Relu, {x}, {2, 3});
    OpParams p;
    p.new_shape = {3, 2};
    b.output(b.op(OpType::Reshape, {r}, {3, 2}, p));
    infer_shapes(b.g);
    Session s(ctx, b.g, {});
    std::vector<float> xv = {1, 2, 3, 4, 5, 6};
    s.set_input(0, xv.data(), xv.size());
    s.run();
    std::vector<float> got(6);
    s.get_output(0, got.data(), got.size());
    for (size_t i = 0; i < 6; i++) CHECK(got[i] == xv[i]);
    check_validation();
  }
}

}  // namespace tare::test
