// 8-bit RESHAPE / SQUEEZE that repack (the channel count changes) on every GPU path vs the integer reference.
#include "q8_harness.h"

namespace tare::test {

namespace {

// A RESHAPE (or SQUEEZE with `axes`) from `in` to `out`, same quantization on both sides.
Graph repack_graph(OpType type, std::vector<int> in, std::vector<int> axes, std::vector<int> out, DType dtype, int zp) {
  Q8Builder b;
  int x = b.q8_input(in, 0.05f, zp, dtype);
  OpParams p;
  if (type == OpType::Reshape) p.new_shape = out;
  else p.axes = axes;
  b.q8_output_op(type, {x}, out, p, 0.05f, zp, dtype);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 RESHAPE / SQUEEZE repacks match the integer reference bit-exactly") {
    struct Case {
      std::vector<int> in, out;
      DType dtype;
      int zp;
    };
    const std::vector<Case> cases = {
        {{1, 1, 1, 1001}, {1, 1001}, DType::I8, -5},  // alias (no kernel)
        {{1, 7, 7, 13}, {1, 637}, DType::I8, -5},    {{2, 3, 5, 6}, {2, 5, 18}, DType::U8, 130},
        {{1, 35}, {1, 5, 7}, DType::I8, 3},          {{2, 4, 3, 5}, {2, 4, 15}, DType::U8, 0},
        {{3, 33}, {9, 11}, DType::I8, 100},          {{1, 2, 2, 3}, {12}, DType::I8, -128},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      const Case& c = cases[i];
      if (!check_q8_gpu_vs_ref(repack_graph(OpType::Reshape, c.in, {}, c.out, c.dtype, c.zp), 0)) return;
    }
    CHECK(check_q8_gpu_vs_ref(repack_graph(OpType::Squeeze, {1, 5, 1, 7}, {2}, {1, 5, 7}, DType::I8, 9), 0));
    CHECK(check_q8_gpu_vs_ref(repack_graph(OpType::Squeeze, {2, 6, 1}, {}, {2, 6}, DType::U8, 140), 0));
  }
}

}  // namespace tare::test
