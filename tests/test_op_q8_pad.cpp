// 8-bit PAD on every GPU path vs the integer reference (bit-exact): padding holds the output zero point.
#include "q8_harness.h"

namespace tare::test {

namespace {

Graph pad_graph(std::vector<int> in, std::vector<std::pair<int, int>> pads, DType dtype, int zp) {
  Q8Builder b;
  int x = b.q8_input(in, 0.05f, zp, dtype);
  OpParams p;
  p.paddings = pads;
  std::vector<int> out = in;
  for (size_t d = 0; d < in.size(); d++) out[d] += pads[d].first + pads[d].second;
  b.q8_output_op(OpType::Pad, {x}, out, p, 0.05f, zp, dtype);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 PAD matches the integer reference bit-exactly") {
    struct Case {
      std::vector<int> in;
      std::vector<std::pair<int, int>> pads;
      DType dtype;
      int zp;
    };
    const std::vector<Case> cases = {
        {{1, 7, 7, 16}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}, DType::I8, -128},  // MobileNet-v2 stride-2 pad
        {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {2, 1}, {0, 0}}, DType::I8, 7},
        {{2, 4, 3, 5}, {{1, 0}, {0, 2}, {1, 0}, {2, 3}}, DType::U8, 128},
        {{1, 3, 3, 13}, {{0, 0}, {0, 0}, {0, 0}, {4, 0}}, DType::I8, -3},
        {{1, 3, 3, 13}, {{0, 0}, {1, 1}, {1, 1}, {1, 6}}, DType::U8, 3},
        {{5, 7}, {{1, 2}, {3, 1}}, DType::I8, 11},
        {{9}, {{2, 5}}, DType::U8, 200},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      if (!check_q8_gpu_vs_ref(pad_graph(cases[i].in, cases[i].pads, cases[i].dtype, cases[i].zp), 0)) return;
    }
  }
}

}  // namespace tare::test
