// ADD and MUL on the GPU vs the CPU reference: numpy broadcasting (rank <= 4), constant operands on either side,
// channel broadcasting, fused activations.
#include "op_harness.h"

namespace tare::test {

namespace {

struct BinaryCase {
  std::vector<int> a, b;
  int const_operand;  // -1: both inputs; 0 / 1: that operand is a constant
};

std::vector<int> broadcast_shape(const std::vector<int>& a, const std::vector<int>& b) {
  size_t r = std::max(a.size(), b.size());
  std::vector<int> o(r);
  for (size_t i = 0; i < r; i++) {
    int da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    int db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    o[i] = da == 1 ? db : da;
  }
  return o;
}

const std::vector<BinaryCase> kBinaryCases = {
    {{1, 5, 6, 3}, {1, 5, 6, 3}, -1},      // same shape
    {{2, 3, 4, 13}, {2, 3, 4, 13}, -1},
    {{2, 3, 4, 13}, {13}, 1},             // per-channel constant (bias-like)
    {{13}, {2, 3, 4, 13}, 0},             // constant first
    {{1, 4, 4, 7}, {1}, 1},               // scalar constant, channels not a multiple of 4
    {{1, 4, 4, 8}, {}, 1},                // rank-0 constant
    {{2, 3, 4, 7}, {2, 3, 4, 1}, -1},     // channel broadcast [..,C] vs [..,1]
    {{2, 3, 4, 1}, {2, 3, 4, 5}, -1},
    {{2, 1, 4, 5}, {1, 3, 1, 5}, -1},     // both broadcast rows
    {{1, 8, 8, 1}, {1, 1, 1, 6}, -1},     // both broadcast, output bigger than each
    {{1, 7, 5, 32}, {1, 1, 1, 32}, -1},   // squeeze-excite style
    {{3, 1}, {1, 5}, -1},                 // rank 2
    {{4, 5, 7}, {5, 1}, -1},              // rank 3 vs rank 2
    {{2, 3}, {}, -1},                     // rank-0 input
    {{1, 9, 9, 33}, {1, 9, 9, 33}, 1},    // constant same shape
    {{2, 1, 1, 3}, {1, 6, 5, 1}, 0},
};

Graph binary_graph(OpType type, const BinaryCase& c, Activation act) {
  GraphBuilder b;
  int x = c.const_operand == 0 ? b.random_constant(c.a, -2, 2) : b.input(c.a);
  int y = c.const_operand == 1 ? b.random_constant(c.b, -2, 2) : b.input(c.b);
  OpParams p;
  p.activation = act;
  b.output(b.op(type, {x, y}, broadcast_shape(c.a, c.b), p));
  return b.g;
}

void run_binary(bool fp16) {
  last_max_rel_error = 0;
  const Activation acts[] = {Activation::None, Activation::Relu, Activation::ReluN1To1, Activation::Relu6};
  int k = 0;
  for (OpType t : {OpType::Add, OpType::Mul})
    for (const BinaryCase& c : kBinaryCases) {
      Activation act = acts[k++ % 4];
      CAPTURE(op_name(t));
      CAPTURE(k);
      if (!check_gpu_vs_ref(binary_graph(t, c, act), fp16 ? 1e-2 : 1e-5, fp16)) return;
    }
  MESSAGE("binary " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op binary: fp32") { run_binary(false); }
  TEST_CASE("op binary: fp16") { run_binary(true); }

  TEST_CASE("op binary: every fused activation on one shape") {
    const Activation acts[] = {Activation::None, Activation::Relu, Activation::ReluN1To1, Activation::Relu6};
    for (Activation a : acts)
      for (OpType t : {OpType::Add, OpType::Mul}) {
        CAPTURE((int)a);
        if (!check_gpu_vs_ref(binary_graph(t, {{2, 3, 5, 7}, {2, 3, 5, 1}, -1}, a), 1e-5)) return;
      }
  }

  TEST_CASE("op binary: hand-computed broadcast") {
    auto ctx = gpu();
    if (!ctx) return;
    // [2,1,3] + [2,1] -> [2,2,3]; MUL of the result by 2 through a scalar constant, RELU fused.
    GraphBuilder b;
    int x = b.input({2, 1, 3});
    int y = b.input({2, 1});
    int s = b.op(OpType::Add, {x, y}, {2, 2, 3});
    int two = b.constant({}, {2.0f});
    OpParams p;
    p.activation = Activation::Relu;
    b.output(b.op(OpType::Mul, {s, two}, {2, 2, 3}, p));
    infer_shapes(b.g);
    Session sess(ctx, b.g, {});
    std::vector<float> xv = {1, -2, 3, 4, 5, -6}, yv = {10, -10};
    sess.set_input(0, xv.data(), xv.size());
    sess.set_input(1, yv.data(), yv.size());
    sess.run();
    std::vector<float> got(12);
    sess.get_output(0, got.data(), got.size());
    const std::vector<float> want = {22, 16, 26, 0, 0, 0, 28, 30, 8, 0, 0, 0};
    for (size_t i = 0; i < want.size(); i++) CHECK(got[i] == want[i]);
    check_validation();
  }
}

}  // namespace tare::test
