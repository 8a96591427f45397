// 8-bit MEAN on every GPU path vs the integer reference (bit-exact): TFLite's three arithmetic paths (4-D keep_dims
// H,W with a quantized multiplier; equal parameters; float requantization).
#include "q8_harness.h"

namespace tare::test {

namespace {

struct MeanCase {
  std::vector<int> in;
  std::vector<int> axes;
  bool keep_dims;
  DType dtype;
  float si, so;
  int zi, zo;
};

std::vector<int> reduced_shape(const MeanCase& c) {
  std::vector<int> o;
  for (size_t d = 0; d < c.in.size(); d++) {
    bool r = std::find(c.axes.begin(), c.axes.end(), (int)d) != c.axes.end();
    if (!r)
      o.push_back(c.in[d]);
    else if (c.keep_dims)
      o.push_back(1);
  }
  return o;
}

Graph mean_graph(const MeanCase& c) {
  Q8Builder b;
  int x = b.q8_input(c.in, c.si, c.zi, c.dtype);
  OpParams p;
  p.axes = c.axes;
  p.keep_dims = c.keep_dims;
  b.q8_output_op(OpType::Mean, {x}, reduced_shape(c), p, c.so, c.zo, c.dtype);
  return b.g;
}

const DType I8 = DType::I8, U8 = DType::U8;

const std::vector<MeanCase> kMeanCases = {
    // 4-D keep_dims H,W (TFLite's Mean4D): multipliers below and above 1, batch 2, odd channels
    {{1, 7, 7, 33}, {1, 2}, true, I8, 0.05f, 0.02f, -3, 5},
    {{2, 5, 3, 13}, {1, 2}, true, I8, 0.02f, 0.05f, 10, -128},
    {{1, 4, 4, 5}, {1, 2}, true, I8, 0.02f, 0.0002f, 0, 0},
    {{1, 7, 7, 64}, {1, 2}, true, U8, 0.0235f, 0.0235f, 128, 128},
    {{2, 3, 9, 3}, {1, 2}, true, U8, 0.01f, 0.03f, 100, 3},
    // equal parameters: integer division
    {{1, 7, 7, 33}, {1, 2}, false, I8, 0.05f, 0.05f, -3, -3},
    {{2, 5, 3, 13}, {3}, false, I8, 0.1f, 0.1f, 7, 7},
    {{2, 5, 3, 13}, {0, 3}, true, U8, 0.1f, 0.1f, 130, 130},
    {{3, 4, 5}, {1}, false, I8, 0.02f, 0.02f, -128, -128},
    // different parameters, not the Mean4D case: float path
    {{1, 7, 7, 33}, {1, 2}, false, I8, 0.05f, 0.02f, -3, 5},
    {{2, 5, 3, 13}, {2}, true, I8, 0.02f, 0.07f, 10, -100},
    {{2, 5, 3, 13}, {1, 2, 3}, false, U8, 0.01f, 0.013f, 120, 0},
    {{2, 6, 5, 7}, {0, 1}, true, U8, 0.04f, 0.01f, 0, 255},
    {{9, 17}, {1}, false, I8, 0.03f, 0.011f, 5, -9},
};

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 MEAN matches the integer reference bit-exactly") {
    for (size_t i = 0; i < kMeanCases.size(); i++) {
      CAPTURE(i);
      if (!check_q8_gpu_vs_ref(mean_graph(kMeanCases[i]), 0)) return;
    }
  }
}

}  // namespace tare::test
