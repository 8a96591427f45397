// Backward kernels of the element-wise activations and FAKE_QUANT (straight-through estimator) vs the CPU backward
// reference and finite differences.
#include "common/error.h"
#include "grad_harness.h"

using namespace tare;
using namespace tare::test;

namespace {

Graph unary_graph(OpType type, std::vector<int> shape) {
  GraphBuilder b;
  int x = b.input(shape);
  int y = b.op(type, {x}, shape);
  b.output(y);
  return b.g;
}

// Values in [lo, hi] kept at least `margin` away from the given kinks.
std::vector<float> away_from(std::vector<float> kinks, size_t n, float lo, float hi, float margin, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) {
    do x = d(rng);
    while (std::any_of(kinks.begin(), kinks.end(), [&](float k) { return std::fabs(x - k) < margin; }));
  }
  return v;
}

}  // namespace

TEST_SUITE("grad") {
  TEST_CASE("backward of RELU, RELU6, HARD_SWISH, LOGISTIC equals the CPU reference and finite differences") {
    if (!gpu()) return;
    for (OpType t : {OpType::Relu, OpType::Relu6, OpType::HardSwish, OpType::Logistic}) {
      for (std::vector<int> shape :
           {std::vector<int>{1, 5, 7, 3}, std::vector<int>{2, 3, 3, 9}, std::vector<int>{3, 11}}) {
        CAPTURE(op_name(t));
        CAPTURE(shape.size());
        Graph g = unary_graph(t, shape);
        size_t n = 1;
        for (int d : shape) n *= d;
        GradCheck r = check_grad(g, {away_from({-3, 0, 3, 6}, n, -8, 8, 0.05f, 3)});
        CHECK(r.tensors == 1);
        CHECK(r.max_rel <= 1e-6);
        CHECK(r.fd_max_rel <= 1e-3);
      }
    }
    check_validation();
  }

  TEST_CASE("FAKE_QUANT backward: straight-through inside the clamp range, zero outside") {
    if (!gpu()) return;
    GraphBuilder b;
    int x = b.input({2, 4, 5, 6});
    OpParams p;
    p.fq_scale = 0.05f;
    p.fq_zero_point = -20;
    p.fq_qmin = -128;
    p.fq_qmax = 127;
    int y = b.op(OpType::FakeQuant, {x}, {2, 4, 5, 6}, p);
    // A smooth consumer so that finite differences see a gradient: y * 1 through LOGISTIC would add curvature; keep
    // it linear (RELU of values kept positive by construction is the identity there).
    b.output(y);
    // Range of representable values: [(-128 + 20) * 0.05, (127 + 20) * 0.05] = [-5.4, 7.35]; half the inputs outside.
    std::vector<float> v = away_from({-5.4f, 7.35f}, 2 * 4 * 5 * 6, -12, 14, 0.1f, 5);
    GradCheck r = check_grad(b.g, {v}, 0, 0, 7, 0);  // FAKE_QUANT is piecewise constant: no finite differences
    CHECK(r.tensors == 1);
    CHECK(r.max_rel == 0.0);
    // And directly: zero outside, identity inside.
    auto ctx = gpu();
    TrainingSession s(ctx, b.g, {});
    s.set_input(0, v.data(), v.size());
    s.run();
    std::vector<float> seed(v.size(), 1.0f);
    s.backward({{y, seed}});
    std::vector<float> dx = s.grad(x);
    int inside = 0, outside = 0;
    for (size_t i = 0; i < v.size(); i++) {
      bool in = v[i] > -5.4f && v[i] < 7.35f;
      CHECK(dx[i] == (in ? 1.0f : 0.0f));
      (in ? inside : outside)++;
    }
    CHECK(inside > 20);
    CHECK(outside > 20);
    check_validation();
  }

  TEST_CASE("training sessions: an op without a backward kernel is refused by name") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    int x = b.input({1, 2, 2, 3});
    int y = b.op(OpType::Quantize, {x}, {1, 2, 2, 3});
    b.g.tensors[y].dtype = DType::I8;
    b.g.tensors[y].quant.scale = {0.1f};
    b.g.tensors[y].quant.zero_point = {0};
    b.output(y);
    infer_shapes(b.g);
    try {
      TrainingSession s(ctx, b.g, {});
      FAIL("a training session with QUANTIZE was built");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
      CHECK(std::string(e.what()).find("QUANTIZE") != std::string::npos);
    }
    check_validation();
  }
}
