// 8-bit AVERAGE_POOL_2D / MAX_POOL_2D on every GPU path vs the integer reference (bit-exact).
#include "q8_harness.h"

namespace tare::test {

namespace {

struct PoolCase {
  std::vector<int> in;
  int fh, fw, sh, sw;
  Padding padding;
  Activation act;
  DType dtype;
  float scale;
  int zp;
};

Graph pool_graph(OpType type, const PoolCase& c) {
  Q8Builder b;
  int x = b.q8_input(c.in, c.scale, c.zp, c.dtype);
  const OpParams p = pool_params(c.fh, c.fw, c.sh, c.sw, c.padding, c.act);
  b.q8_output_op(type, {x}, pool_out_shape(c.in, p), p, c.scale, c.zp, c.dtype);
  return b.g;
}

const DType I8 = DType::I8, U8 = DType::U8;

const std::vector<PoolCase> kPoolCases = {
    {{1, 7, 7, 64}, 7, 7, 2, 2, Padding::Valid, Activation::None, I8, 0.02f, -128},  // MobileNet head
    {{1, 7, 7, 33}, 7, 7, 1, 1, Padding::Valid, Activation::Relu6, I8, 0.05f, 3},
    {{2, 9, 11, 5}, 3, 3, 2, 2, Padding::Same, Activation::None, I8, 0.1f, 0},
    {{2, 9, 11, 13}, 3, 3, 2, 2, Padding::Valid, Activation::Relu, I8, 0.03f, 20},
    {{1, 8, 8, 7}, 2, 2, 2, 2, Padding::Valid, Activation::ReluN1To1, I8, 0.01f, -10},
    {{1, 10, 13, 3}, 3, 2, 1, 3, Padding::Same, Activation::None, U8, 0.02f, 128},
    {{1, 5, 6, 1}, 5, 5, 1, 1, Padding::Same, Activation::Relu6, U8, 0.04f, 0},
    {{1, 6, 17, 4}, 1, 3, 1, 1, Padding::Same, Activation::None, U8, 0.1f, 200},
    {{2, 12, 12, 3}, 4, 4, 3, 3, Padding::Same, Activation::Relu, U8, 0.02f, 77},
};

void run_pool(OpType type) {
  for (size_t i = 0; i < kPoolCases.size(); i++) {
    CAPTURE(i);
    if (!check_q8_gpu_vs_ref(pool_graph(type, kPoolCases[i]), 0)) return;
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 AVERAGE_POOL_2D matches the integer reference bit-exactly") { run_pool(OpType::AveragePool2D); }
  TEST_CASE("q8 MAX_POOL_2D matches the integer reference bit-exactly") { run_pool(OpType::MaxPool2D); }
}

}  // namespace tare::test
