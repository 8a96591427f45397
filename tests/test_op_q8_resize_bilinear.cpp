// 8-bit RESIZE_BILINEAR on every GPU path vs the integer reference (bit-exact), every corner mode.
#include "q8_harness.h"

namespace tare::test {

namespace {

Graph resize_graph(std::vector<int> in, int oh, int ow, bool align, bool half, DType dtype, int zp) {
  Q8Builder b;
  int x = b.q8_input(in, 0.05f, zp, dtype);
  OpParams p;
  p.new_height = oh;
  p.new_width = ow;
  p.align_corners = align;
  p.half_pixel_centers = half;
  b.q8_output_op(OpType::ResizeBilinear, {x}, {in[0], oh, ow, in[3]}, p, 0.05f, zp, dtype);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 RESIZE_BILINEAR matches the integer reference bit-exactly") {
    struct Case {
      std::vector<int> in;
      int oh, ow;
    };
    const std::vector<Case> cases = {
        {{1, 4, 5, 3}, 8, 10}, {{2, 7, 7, 13}, 14, 9}, {{1, 9, 6, 5}, 4, 3},
        {{1, 1, 1, 33}, 3, 4}, {{1, 5, 5, 1}, 5, 5},   {{1, 3, 8, 4}, 7, 17},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      for (int mode = 0; mode < 3; mode++) {
        for (DType dt : {DType::I8, DType::U8}) {
          CAPTURE(i);
          CAPTURE(mode);
          CAPTURE((int)dt);
          const Case& c = cases[i];
          if (!check_q8_gpu_vs_ref(resize_graph(c.in, c.oh, c.ow, mode == 1, mode == 2, dt, dt == DType::U8 ? 140 : -9),
                                   0))
            return;
        }
      }
    }
  }
}

}  // namespace tare::test
