// PAD on the GPU vs the CPU reference (and one hand-computed case).
#include "op_harness.h"

namespace tare::test {

namespace {

struct PadCase {
  std::vector<int> in;
  std::vector<std::pair<int, int>> pads;
};

Graph pad_graph(const PadCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.paddings = c.pads;
  std::vector<int> os = c.in;
  std::vector<int32_t> flat;
  for (size_t i = 0; i < c.in.size(); i++) {
    os[i] += c.pads[i].first + c.pads[i].second;
    flat.push_back(c.pads[i].first);
    flat.push_back(c.pads[i].second);
  }
  int pt = b.int32_constant({(int)c.in.size(), 2}, flat);
  b.output(b.op(OpType::Pad, {x, pt}, os, p));
  return b.g;
}

const std::vector<PadCase> kPadCases = {
    {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}},
    {{1, 9, 9, 32}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}},  // MobileNet-v2 style stride-2 padding
    {{2, 4, 5, 7}, {{1, 0}, {0, 2}, {3, 1}, {2, 3}}},    // everything, channel padding not a multiple of 4
    {{1, 3, 3, 5}, {{0, 0}, {0, 0}, {0, 0}, {4, 5}}},    // channels only, aligned before
    {{1, 3, 2, 1}, {{0, 0}, {2, 0}, {0, 3}, {1, 0}}},
    {{2, 2, 3, 13}, {{0, 1}, {1, 1}, {0, 0}, {3, 2}}},
    {{4, 5, 7}, {{1, 1}, {0, 2}, {1, 0}}},               // rank 3
    {{3, 10}, {{2, 1}, {3, 4}}},                         // rank 2
};

void run_pad(bool fp16) {
  for (const PadCase& c : kPadCases) {
    CAPTURE(c.in.size());
    CAPTURE(c.in[0]);
    CAPTURE(c.in.back());
    if (!check_gpu_vs_ref(pad_graph(c), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op pad: fp32") { run_pad(false); }
  TEST_CASE("op pad: fp16") { run_pad(true); }

  TEST_CASE("op pad: hand-computed channel and width padding") {
    auto ctx = gpu();
    if (!ctx) return;
    Graph g = pad_graph({{1, 1, 2, 2}, {{0, 0}, {0, 0}, {1, 0}, {1, 2}}});
    infer_shapes(g);
    Session s(ctx, g, {});
    std::vector<float> in = {1, 2, 3, 4}, got(3 * 5);
    s.set_input(0, in.data(), in.size());
    s.run();
    s.get_output(0, got.data(), got.size());
    std::vector<float> want = {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0};
    CHECK(max_abs_error(got, want) == 0.0);
    check_validation();
  }
}

}  // namespace tare::test
