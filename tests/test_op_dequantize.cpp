// DEQUANTIZE (int8 / uint8 -> float32) on every GPU path vs the integer reference (exact float results).
#include "q8_harness.h"

namespace tare::test {

namespace {

Graph dequantize_graph(std::vector<int> shape, DType dtype, std::vector<float> scales, std::vector<int64_t> zps) {
  Q8Builder b;
  int x = b.q8_input(shape, scales[0], (int)zps[0], dtype);
  Tensor& in = b.g.tensors[x];
  in.quant.scale = scales;
  in.quant.zero_point = zps;
  in.quant.axis = (int)shape.size() - 1;
  int o = b.op(OpType::Dequantize, {x}, shape);
  b.output(o);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 DEQUANTIZE matches the integer reference exactly") {
    CHECK(check_q8_gpu_vs_ref(dequantize_graph({1, 7, 7, 13}, DType::I8, {0.0235f}, {-3}), 0));
    CHECK(check_q8_gpu_vs_ref(dequantize_graph({2, 5, 3, 33}, DType::U8, {0.0117f}, {128}), 0));
    CHECK(check_q8_gpu_vs_ref(dequantize_graph({3, 1001}, DType::U8, {0.1f}, {0}), 0));
    CHECK(
        check_q8_gpu_vs_ref(dequantize_graph({2, 5}, DType::I8, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, {0, 1, -2, 3, 4}), 0));
  }
}

}  // namespace tare::test
