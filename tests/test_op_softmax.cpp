// SOFTMAX on the GPU vs the CPU reference: both schedules (invocation per row, workgroup per row), channels not a
// multiple of 4, beta, large-magnitude inputs (max subtraction), plus hand-computed values.
#include <cmath>

#include "op_harness.h"

namespace tare::test {

namespace {

struct SoftmaxCase {
  std::vector<int> shape;
  float beta;
  float scale;  // input multiplied by this constant first (1: plain input)
  float shift;  // then this constant added (0: none)
};

Graph softmax_graph(const SoftmaxCase& c) {
  GraphBuilder b;
  int x = b.input(c.shape);
  if (c.scale != 1.0f) x = b.op(OpType::Mul, {x, b.constant({1}, {c.scale})}, c.shape);
  if (c.shift != 0.0f) x = b.op(OpType::Add, {x, b.constant({1}, {c.shift})}, c.shape);
  OpParams p;
  p.beta = c.beta;
  b.output(b.op(OpType::Softmax, {x}, c.shape, p));
  return b.g;
}

const std::vector<SoftmaxCase> kSoftmaxCases = {
    {{1, 1001}, 1.0f, 1, 0},           // classifier: workgroup per row
    {{2, 1001}, 1.0f, 4, 0},
    {{1, 257}, 0.5f, 1, 0},            // workgroup per row, 1 lane in the last group
    {{1, 1, 1, 1024}, 2.0f, 1, 0},
    {{1, 5}, 1.0f, 1, 0},              // invocation per row
    {{3, 7, 13}, 1.0f, 3, 0},
    {{2, 2, 2, 3}, 0.25f, 1, 0},
    {{1, 300, 21}, 1.0f, 2, 0},        // segmentation-like: many short rows
    {{4, 1}, 1.0f, 1, 0},
    {{300, 259}, 1.0f, 1, 0},          // many long rows: invocation per row
    {{1, 70000, 3}, 1.0f, 1, 0},       // more than 65535 * 64 / 64 workgroups in x: grid split
};

void run_softmax(bool fp16) {
  last_max_rel_error = 0;
  for (const SoftmaxCase& c : kSoftmaxCases) {
    CAPTURE(c.shape.size());
    CAPTURE(c.shape.back());
    CAPTURE(c.beta);
    if (!check_gpu_vs_ref(softmax_graph(c), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
  // Large magnitudes: exp would overflow without the max subtraction (fp16 keeps the range fp16 can represent).
  if (fp16) {
    CHECK(check_gpu_vs_ref(softmax_graph({{2, 1001}, 1.0f, 8, 0}), 1e-2, true));
    CHECK(check_gpu_vs_ref(softmax_graph({{3, 13}, 1.0f, 8, 0}), 1e-2, true));
  } else {
    CHECK(check_gpu_vs_ref(softmax_graph({{2, 1001}, 1.0f, 60, 0}), 1e-5));
    CHECK(check_gpu_vs_ref(softmax_graph({{3, 13}, 1.0f, 60, 0}), 1e-5));
    CHECK(check_gpu_vs_ref(softmax_graph({{2, 1001}, 1.0f, 1, -1000}), 1e-5));
    CHECK(check_gpu_vs_ref(softmax_graph({{3, 13}, 1.0f, 1, -1000}), 1e-5));
  }
  MESSAGE("softmax " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op softmax: fp32") { run_softmax(false); }
  TEST_CASE("op softmax: fp16") { run_softmax(true); }

  TEST_CASE("op softmax: hand-computed values") {
    auto ctx = gpu();
    if (!ctx) return;
    for (int c : {3, 400}) {  // both schedules
      CAPTURE(c);
      GraphBuilder b;
      int in = b.input({1, c});
      b.output(b.op(OpType::Softmax, {in}, {1, c}));
      infer_shapes(b.g);
      Session s(ctx, b.g, {});
      std::vector<float> x((size_t)c, -1000.0f);  // all but the first two far below: they contribute exp(-inf)
      x[0] = 1000.0f;
      x[1] = 1000.0f - std::log(3.0f);
      s.set_input(0, x.data(), x.size());
      s.run();
      std::vector<float> got((size_t)c);
      s.get_output(0, got.data(), got.size());
      CHECK(got[0] == doctest::Approx(0.75f).epsilon(1e-5));
      CHECK(got[1] == doctest::Approx(0.25f).epsilon(1e-5));
      for (int i = 2; i < c; i++) CHECK(got[i] == 0.0f);
    }
    check_validation();
  }
}

}  // namespace tare::test
