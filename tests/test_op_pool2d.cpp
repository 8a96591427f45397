// AVERAGE_POOL_2D / MAX_POOL_2D on the GPU vs the CPU reference (and one hand-computed case).
#include <algorithm>

#include "op_harness.h"

namespace tare::test {

namespace {

struct PoolCase {
  std::vector<int> in;  // NHWC
  int fh, fw, sh, sw;
  Padding padding;
  Activation act;
};

Graph pool_graph(OpType type, const PoolCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  const OpParams p = pool_params(c.fh, c.fw, c.sh, c.sw, c.padding, c.act);
  b.output(b.op(type, {x}, pool_out_shape(c.in, p), p));
  return b.g;
}

const std::vector<PoolCase> kPoolCases = {
    {{1, 7, 7, 1024}, 7, 7, 2, 2, Padding::Valid, Activation::None},  // MobileNet-v1 head
    {{1, 7, 7, 33}, 7, 7, 1, 1, Padding::Valid, Activation::Relu6},
    {{2, 9, 11, 5}, 3, 3, 2, 2, Padding::Same, Activation::None},
    {{2, 9, 11, 13}, 3, 3, 2, 2, Padding::Valid, Activation::Relu},
    {{1, 8, 8, 7}, 2, 2, 2, 2, Padding::Valid, Activation::ReluN1To1},
    {{1, 10, 13, 3}, 3, 2, 1, 3, Padding::Same, Activation::None},
    {{1, 5, 6, 1}, 5, 5, 1, 1, Padding::Same, Activation::Relu6},
    {{1, 6, 17, 4}, 1, 3, 1, 1, Padding::Same, Activation::None},
    {{2, 12, 12, 3}, 4, 4, 3, 3, Padding::Same, Activation::Relu},
};

void run_pool(OpType type, bool fp16) {
  for (const PoolCase& c : kPoolCases) {
    CAPTURE(c.in[0]);
    CAPTURE(c.in[1]);
    CAPTURE(c.in[2]);
    CAPTURE(c.in[3]);
    CAPTURE(c.fh);
    CAPTURE(c.fw);
    CAPTURE(c.sh);
    CAPTURE(c.sw);
    CAPTURE((int)c.padding);
    CAPTURE((int)c.act);
    if (!check_gpu_vs_ref(pool_graph(type, c), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op pool2d: average fp32") { run_pool(OpType::AveragePool2D, false); }
  TEST_CASE("op pool2d: average fp16") { run_pool(OpType::AveragePool2D, true); }
  TEST_CASE("op pool2d: max fp32") { run_pool(OpType::MaxPool2D, false); }
  TEST_CASE("op pool2d: max fp16") { run_pool(OpType::MaxPool2D, true); }

  TEST_CASE("op pool2d: hand-computed SAME average divides by the in-bounds count") {
    auto ctx = gpu();
    if (!ctx) return;
    // 1x3x3x1 input 1..9, 2x2 window, stride 2, SAME: output 2x2 (padding after only).
    PoolCase c{{1, 3, 3, 1}, 2, 2, 2, 2, Padding::Same, Activation::None};
    Graph g = pool_graph(OpType::AveragePool2D, c);
    infer_shapes(g);
    Session s(ctx, g, {});
    std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9}, got(4);
    s.set_input(0, in.data(), in.size());
    s.run();
    s.get_output(0, got.data(), got.size());
    std::vector<float> want = {(1 + 2 + 4 + 5) / 4.0f, (3 + 6) / 2.0f, (7 + 8) / 2.0f, 9.0f};
    CHECK(max_abs_error(got, want) <= 1e-6);
    check_validation();
  }
}

}  // namespace tare::test
