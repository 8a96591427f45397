// 8-bit LOGISTIC / RELU / RELU6 / HARD_SWISH operators on every GPU path vs the integer reference (bit-exact).
#include "q8_harness.h"

namespace tare::test {

namespace {

struct UnaryCase {
  std::vector<int> shape;
  DType dtype;
  float si;
  int zi;
  float so;
  int zo;
};

Graph unary_graph(OpType type, const UnaryCase& c) {
  Q8Builder b;
  int x = b.q8_input(c.shape, c.si, c.zi, c.dtype);
  b.q8_output_op(type, {x}, c.shape, {}, c.so, c.zo, c.dtype);
  return b.g;
}

void run(OpType type, const std::vector<UnaryCase>& cases) {
  for (size_t i = 0; i < cases.size(); i++) {
    CAPTURE(i);
    if (!check_q8_gpu_vs_ref(unary_graph(type, cases[i]), 0)) return;
  }
}

const DType I8 = DType::I8, U8 = DType::U8;

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 LOGISTIC matches the integer reference bit-exactly") {
    run(OpType::Logistic, {{{1, 7, 7, 33}, I8, 0.1f, -3, 1.0f / 256, -128},
                           {{2, 5, 3, 13}, U8, 0.05f, 130, 1.0f / 256, 0},
                           {{1, 3, 3, 5}, I8, 0.5f, 20, 0.01f, 7},
                           {{3, 7}, U8, 0.02f, 0, 0.005f, 10}});
  }
  TEST_CASE("q8 RELU and RELU6 operators match the integer reference bit-exactly") {
    const std::vector<UnaryCase> cases = {{{1, 7, 7, 33}, I8, 0.1f, -3, 0.1f, -128},
                                          {{2, 5, 3, 13}, U8, 0.05f, 130, 0.03f, 0},
                                          {{1, 3, 3, 5}, I8, 0.02f, 20, 0.05f, 7},
                                          {{3, 7}, U8, 0.02f, 0, 0.005f, 10}};
    run(OpType::Relu, cases);
    run(OpType::Relu6, cases);
  }
  TEST_CASE("q8 HARD_SWISH matches the integer reference bit-exactly") {
    run(OpType::HardSwish, {{{1, 7, 7, 33}, I8, 0.05f, -3, 0.03f, -100},
                            {{2, 5, 3, 13}, U8, 0.04f, 130, 0.025f, 20},
                            {{1, 3, 3, 5}, I8, 0.1f, 20, 0.1f, -20},
                            {{1, 4, 4, 16}, I8, 0.2f, 0, 0.15f, -90},
                            {{3, 7}, U8, 0.01f, 0, 0.02f, 10}});
  }
}

}  // namespace tare::test
