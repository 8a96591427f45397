// 8-bit RESHAPE / SQUEEZE that repack (the channel count changes) on every GPU path vs the integer reference.
#include "q8_harness.h"

namespace tare::test {

namespace {

Graph reshape_graph(std::vector<int> in, std::vector<int> out, DType dtype, int zp) {
  Q8Builder b;
  int x = b.q8_input(in, 0.05f, zp, dtype);
  OpParams p;
  p.new_shape = out;
  int o = b.op(OpType::Reshape, {x}, out, p);
  Tensor& t = b.g.tensors[o];
  t.dtype = dtype;
  t.quant.scale = {0.05f};
  t.quant.zero_point = {zp};
  b.output(o);
  return b.g;
}

Graph squeeze_graph(std::vector<int> in, std::vector<int> axes, std::vector<int> out, DType dtype, int zp) {
  Q8Builder b;
  int x = b.q8_input(in, 0.05f, zp, dtype);
  OpParams p;
  p.axes = axes;
  int o = b.op(OpType::Squeeze, {x}, out, p);
  Tensor& t = b.g.tensors[o];
  t.dtype = dtype;
  t.quant.scale = {0.05f};
  t.quant.zero_point = {zp};
  b.output(o);
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
      if (!check_q8_gpu_vs_ref(reshape_graph(cases[i].in, cases[i].out, cases[i].dtype, cases[i].zp), 0)) return;
    }
    CHECK(check_q8_gpu_vs_ref(squeeze_graph({1, 5, 1, 7}, {2}, {1, 5, 7}, DType::I8, 9), 0));
    CHECK(check_q8_gpu_vs_ref(squeeze_graph({2, 6, 1}, {}, {2, 6}, DType::U8, 140), 0));
  }
}

}  // namespace tare::test
