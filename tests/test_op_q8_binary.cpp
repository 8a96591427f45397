// 8-bit ADD / MUL on every GPU path vs the integer reference (bit-exact).
#include "q8_harness.h"

namespace tare::test {

namespace {

struct BinCase {
  std::vector<int> a, b, out;
  float sa, sb, so;
  int za, zb, zo;
  DType dtype;
  Activation act;
  bool b_const;
};

Graph bin_graph(OpType type, const BinCase& c) {
  Q8Builder b;
  int x = b.q8_input(c.a, c.sa, c.za, c.dtype);
  int y = c.b_const ? b.q8_constant(c.b, c.sb, c.zb, c.dtype) : b.q8_input(c.b, c.sb, c.zb, c.dtype);
  OpParams p;
  p.activation = c.act;
  b.q8_output_op(type, {x, y}, c.out, p, c.so, c.zo, c.dtype);
  return b.g;
}

const DType I8 = DType::I8, U8 = DType::U8;
const Activation NONE = Activation::None, RELU = Activation::Relu, RELU6 = Activation::Relu6,
                 RELU1 = Activation::ReluN1To1;

// ADD: output scales keep TFLite's output multiplier < 1 (ADD rejects others).
const std::vector<BinCase> kAddCases = {
    {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.07f, 3, -7, 1, I8, NONE, false},
    {{2, 5, 3, 13}, {2, 5, 3, 13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.11f, -128, 5, -20, I8, RELU, false},
    {{1, 4, 6, 5}, {1, 4, 6, 5}, {1, 4, 6, 5}, 0.1f, 0.1f, 0.05f, 0, 0, 10, I8, RELU6, false},
    {{1, 3, 3, 3}, {1, 1, 1, 3}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.09f, 2, 100, -3, I8, RELU1, true},
    {{2, 4, 5, 7}, {2, 4, 5, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.08f, -5, 9, 4, I8, NONE, false},
    {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.03f, 0.05f, 0.06f, 1, -1, 0, I8, NONE, false},
    {{1, 1, 1, 1}, {2, 3, 4, 6}, {2, 3, 4, 6}, 0.2f, 0.01f, 0.25f, 7, -2, 5, I8, RELU, true},
    {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.0392f, 128, 120, 130, U8, NONE, false},
    {{1, 3, 7, 13}, {13}, {1, 3, 7, 13}, 0.01f, 0.02f, 0.025f, 100, 140, 128, U8, RELU6, true},
    {{17}, {17}, {17}, 0.01f, 0.3f, 0.4f, 0, 255, 17, U8, RELU, false},
};

// MUL: output scales give multipliers below and above 1.
const std::vector<BinCase> kMulCases = {
    {{1, 7, 9, 33}, {1, 7, 9, 33}, {1, 7, 9, 33}, 0.05f, 0.031f, 0.07f, 3, -7, 1, I8, NONE, false},
    {{2, 5, 3, 13}, {2, 5, 3, 13}, {2, 5, 3, 13}, 0.02f, 0.1f, 0.0001f, -128, 5, -20, I8, RELU, false},
    {{1, 4, 6, 5}, {1, 1, 1, 5}, {1, 4, 6, 5}, 0.1f, 0.1f, 0.3f, 0, 0, 10, I8, RELU6, true},
    {{1, 3, 3, 3}, {1, 3, 3, 1}, {1, 3, 3, 3}, 0.07f, 0.02f, 0.0009f, 2, 100, -3, I8, RELU1, false},
    {{2, 4, 5, 7}, {1, 1, 1, 1}, {2, 4, 5, 7}, 0.04f, 0.06f, 0.08f, -5, 9, 4, I8, NONE, true},
    {{1, 6, 1, 9}, {1, 1, 5, 9}, {1, 6, 5, 9}, 0.03f, 0.05f, 0.006f, 1, -1, 0, I8, NONE, false},
    {{1, 5, 5, 33}, {1, 5, 5, 33}, {1, 5, 5, 33}, 0.0235f, 0.0196f, 0.0392f, 128, 120, 130, U8, NONE, false},
    {{1, 3, 7, 13}, {1, 1, 1, 13}, {1, 3, 7, 13}, 0.01f, 0.02f, 0.00002f, 100, 140, 128, U8, RELU6, true},
    {{2, 2, 2, 1}, {2, 2, 2, 6}, {2, 2, 2, 6}, 0.01f, 0.3f, 0.004f, 0, 255, 17, U8, RELU, false},
};

void run_cases(OpType type, const std::vector<BinCase>& cases) {
  for (size_t i = 0; i < cases.size(); i++) {
    CAPTURE(i);
    if (!check_q8_gpu_vs_ref(bin_graph(type, cases[i]), 0)) return;
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 ADD matches the integer reference bit-exactly") { run_cases(OpType::Add, kAddCases); }
  TEST_CASE("q8 MUL matches the integer reference bit-exactly") { run_cases(OpType::Mul, kMulCases); }
}

}  // namespace tare::test
