// RESIZE_BILINEAR on the GPU vs the CPU reference (and hand-computed cases).
#include "op_harness.h"

namespace tare::test {

namespace {

struct ResizeCase {
  std::vector<int> in;
  int oh, ow;
};

Graph resize_graph(const ResizeCase& c, bool align_corners, bool half_pixel) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.align_corners = align_corners;
  p.half_pixel_centers = half_pixel;
  p.new_height = c.oh;
  p.new_width = c.ow;
  int sz = b.int32_constant({2}, {c.oh, c.ow});
  b.output(b.op(OpType::ResizeBilinear, {x, sz}, {c.in[0], c.oh, c.ow, c.in[3]}, p));
  return b.g;
}

const std::vector<ResizeCase> kResizeCases = {
    {{1, 5, 7, 3}, 10, 14},   // x2 up
    {{2, 5, 7, 5}, 9, 13},    // odd up
    {{1, 9, 13, 33}, 4, 5},   // down
    {{1, 6, 4, 1}, 3, 11},    // down in y, up in x
    {{1, 4, 4, 7}, 1, 1},
    {{1, 1, 1, 4}, 3, 2},
    {{2, 7, 7, 13}, 7, 7},    // same size
    {{1, 3, 5, 2}, 1, 8},
};

void run_resize(bool fp16) {
  const bool modes[3][2] = {{false, false}, {true, false}, {false, true}};
  for (const ResizeCase& c : kResizeCases)
    for (const auto& m : modes) {
      CAPTURE(c.in[0]);
      CAPTURE(c.in[1]);
      CAPTURE(c.in[2]);
      CAPTURE(c.in[3]);
      CAPTURE(c.oh);
      CAPTURE(c.ow);
      CAPTURE(m[0]);
      CAPTURE(m[1]);
      if (!check_gpu_vs_ref(resize_graph(c, m[0], m[1]), fp16 ? 1e-2 : 1e-5, fp16)) return;
    }
}

std::vector<float> run_hand(const ResizeCase& c, bool ac, bool hp, const std::vector<float>& in) {
  auto ctx = gpu();
  Graph g = resize_graph(c, ac, hp);
  infer_shapes(g);
  Session s(ctx, g, {});
  s.set_input(0, in.data(), in.size());
  s.run();
  std::vector<float> got((size_t)c.in[0] * c.oh * c.ow * c.in[3]);
  s.get_output(0, got.data(), got.size());
  return got;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op resize_bilinear: fp32") { run_resize(false); }
  TEST_CASE("op resize_bilinear: fp16") { run_resize(true); }

  TEST_CASE("op resize_bilinear: hand-computed 1x2 -> 1x4 in each mode") {
    if (!gpu()) return;
    const std::vector<float> in = {0, 8};
    const ResizeCase c{{1, 1, 2, 1}, 1, 4};
    // Default: scale 0.5, src = 0, 0.5, 1, 1.5 -> (high index clamped to 1).
    CHECK(max_abs_error(run_hand(c, false, false, in), {0, 4, 8, 8}) <= 1e-6);
    // align_corners: scale 1/3, src = 0, 1/3, 2/3, 1.
    CHECK(max_abs_error(run_hand(c, true, false, in), {0, 8.0f / 3, 16.0f / 3, 8}) <= 1e-5);
    // half_pixel_centers: src = -0.25 (low clamped to 0, weight -0.25 on equal pixels), 0.25, 0.75, 1.25.
    CHECK(max_abs_error(run_hand(c, false, true, in), {0, 2, 6, 8}) <= 1e-6);
    check_validation();
  }
}

}  // namespace tare::test
