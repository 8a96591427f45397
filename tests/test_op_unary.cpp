// LOGISTIC, RELU, RELU6, HARD_SWISH on the GPU vs the CPU reference, plus hand-computed values.
#include "op_harness.h"

namespace tare::test {

namespace {

const std::vector<std::vector<int>> kUnaryShapes = {
    {1, 5, 6, 3}, {2, 3, 4, 13}, {1, 7, 33}, {5}, {2, 1, 1, 1001}, {1, 16, 16, 32}, {3, 1}, {2, 9, 7, 7},
};
const OpType kUnaryOps[] = {OpType::Logistic, OpType::Relu, OpType::Relu6, OpType::HardSwish};

// input * 5 (so values cover [-10, 10]: every region of relu6 / hard swish) -> op.
Graph unary_graph(OpType type, const std::vector<int>& shape) {
  GraphBuilder b;
  int x = b.input(shape);
  int five = b.constant({1}, {5.0f});
  int y = b.op(OpType::Mul, {x, five}, shape);
  b.output(b.op(type, {y}, shape));
  return b.g;
}

void run_unary(bool fp16) {
  last_max_rel_error = 0;
  for (OpType t : kUnaryOps)
    for (const auto& s : kUnaryShapes) {
      CAPTURE(op_name(t));
      CAPTURE(s.back());
      CAPTURE(s.size());
      if (!check_gpu_vs_ref(unary_graph(t, s), fp16 ? 1e-2 : 1e-5, fp16)) return;
    }
  MESSAGE("unary " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op unary: fp32") { run_unary(false); }
  TEST_CASE("op unary: fp16") { run_unary(true); }

  TEST_CASE("op unary: hand-computed values") {
    auto ctx = gpu();
    if (!ctx) return;
    const std::vector<float> x = {-8.0f, -3.5f, -3.0f, -1.0f, 0.0f, 0.5f, 3.0f, 4.0f, 7.0f};
    struct Want {
      OpType type;
      std::vector<float> y;
    };
    const std::vector<Want> wants = {
        {OpType::Relu, {0, 0, 0, 0, 0, 0.5f, 3, 4, 7}},
        {OpType::Relu6, {0, 0, 0, 0, 0, 0.5f, 3, 4, 6}},
        {OpType::HardSwish, {0, 0, 0, -1.0f / 3.0f, 0, 0.5f * 3.5f / 6.0f, 3, 4, 7}},
        {OpType::Logistic,
         {0.000335350130f, 0.0293122308f, 0.0474258732f, 0.268941421f, 0.5f, 0.622459331f, 0.952574127f,
          0.982013790f, 0.999088949f}},
    };
    for (const Want& w : wants) {
      CAPTURE(op_name(w.type));
      GraphBuilder b;
      int in = b.input({1, 9});
      b.output(b.op(w.type, {in}, {1, 9}));
      infer_shapes(b.g);
      Session s(ctx, b.g, {});
      s.set_input(0, x.data(), x.size());
      s.run();
      std::vector<float> got(9);
      s.get_output(0, got.data(), got.size());
      for (size_t i = 0; i < got.size(); i++) CHECK(got[i] == doctest::Approx(w.y[i]).epsilon(1e-6));
    }
    check_validation();
  }
}

}  // namespace tare::test
