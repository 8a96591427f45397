// 8-bit SOFTMAX on every GPU path vs the integer reference (bit-exact).
#include "q8_harness.h"

namespace tare::test {

namespace {

Graph softmax_graph(std::vector<int> shape, DType dtype, float si, int zi, float so, int zo, float beta) {
  Q8Builder b;
  int x = b.q8_input(shape, si, zi, dtype);
  OpParams p;
  p.beta = beta;
  b.q8_output_op(OpType::Softmax, {x}, shape, p, so, zo, dtype);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 SOFTMAX matches the integer reference bit-exactly") {
    struct Case {
      std::vector<int> shape;
      DType dtype;
      float si;
      int zi;
      float so;
      int zo;
      float beta;
    };
    const std::vector<Case> cases = {
        {{1, 1001}, DType::I8, 0.1f, -20, 1.0f / 256, -128, 1.0f},  // classifier head
        {{1, 1001}, DType::U8, 0.15f, 90, 1.0f / 256, 0, 1.0f},
        {{2, 13}, DType::I8, 0.05f, 3, 1.0f / 256, -128, 1.0f},
        {{2, 3, 5, 7}, DType::I8, 0.2f, 0, 1.0f / 256, -128, 0.5f},
        {{3, 1}, DType::I8, 0.2f, 0, 1.0f / 256, -128, 1.0f},
        {{4, 33}, DType::U8, 0.02f, 128, 1.0f / 256, 0, 2.0f},
        {{2, 2, 6}, DType::U8, 0.3f, 10, 1.0f / 256, 0, 1.0f},
        {{5, 9}, DType::I8, 0.07f, 5, 1.0f / 128, -20, 1.0f},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      const auto& c = cases[i];
      if (!check_q8_gpu_vs_ref(softmax_graph(c.shape, c.dtype, c.si, c.zi, c.so, c.zo, c.beta), 0)) return;
    }
  }
}

}  // namespace tare::test
