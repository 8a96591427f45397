// The CPU backward reference (src/ref/backward.h) against central finite differences of the forward reference
// (ref::run) on graphs of several operators and on a small network with the distillation loss; the loss, the
// fake-quant straight-through estimator and the conventions at the kinks against hand-computed values.  (Operator
// by operator, the conformance table checks it: the grad-fd path of tests/test_conformance.cpp.)
//
// Finite differences: L = sum_i r_i y_i (r random, the seed of the backward pass) is summed in double from ref::run's
// float outputs; each input element and bias element x is moved to the float values x+h and x-h, h = 2^-9 max(1,|x|),
// and dL/dx = (L+ - L-) / ((x+h) - (x-h)) with the denominator the exact float difference.  Inputs are redrawn
// (another seed) until no kink (ReLU / clamp boundaries, hard-swish corners, max-pool ties) lies within a margin of
// the values the perturbations can reach.  The error of a gradient tensor is max|analytic - fd| / max|fd|.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "common/error.h"
#include "finite_differences.h"
#include "ref/backward.h"
#include "ref/reference.h"
#include "test_util.h"

using tare::Activation;
using tare::Graph;
using tare::Op;
using tare::OpParams;
using tare::OpType;
using tare::Padding;
using tare::test::central_difference;
using tare::test::kink_margin;
using tare::test::kKinkMargin;
using tare::test::projected;

namespace {

constexpr double kTolerance = 1e-3;

// ---- graph builder ------------------------------------------------------------------------------------------------

struct Net {
  Graph g;
  std::vector<std::vector<float>> feeds;  // one per graph input
  std::mt19937 rng;

  explicit Net(uint32_t seed) : rng(seed) {}

  std::vector<float> random(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
  }
  int tensor(const std::vector<int>& shape) {
    tare::Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = shape;
    g.tensors.push_back(t);
    return (int)g.tensors.size() - 1;
  }
  int input(const std::vector<int>& shape, float lo = -2.0f, float hi = 2.0f) {
    const int t = tensor(shape);
    g.inputs.push_back(t);
    feeds.push_back(random((size_t)g.tensors[t].elements(), lo, hi));
    return t;
  }
  int constant(const std::vector<int>& shape, const std::vector<float>& data) {
    const int t = tensor(shape);
    tare::Tensor& ts = g.tensors[t];
    ts.is_const = true;
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(data.data());
    ts.data.assign(bytes, bytes + data.size() * 4);
    return t;
  }
  int random_constant(const std::vector<int>& shape, float lo = -1.0f, float hi = 1.0f) {
    int64_t n = 1;
    for (int d : shape) n *= d;
    return constant(shape, random((size_t)n, lo, hi));
  }
  // Appends an operator; its output shape comes from infer_shapes.  The last operator's output is the graph output.
  int op(OpType type, const std::vector<int>& inputs, const OpParams& p = {}) {
    Op o;
    o.type = type;
    o.inputs = inputs;
    o.params = p;
    o.outputs = {tensor({})};
    g.ops.push_back(o);
    tare::infer_shapes(g);
    g.outputs = o.outputs;
    return o.outputs[0];
  }
};

OpParams conv_params(int stride, Padding pad, int dil, Activation act) {
  OpParams p;
  p.stride_h = p.stride_w = stride;
  p.padding = pad;
  p.dilation_h = p.dilation_w = dil;
  p.activation = act;
  return p;
}

// ---- finite differences -------------------------------------------------------------------------------------------

double rel_error(const std::vector<float>& analytic, const std::vector<double>& fd) {
  REQUIRE(analytic.size() == fd.size());
  double err = 0.0, scale = 0.0;
  for (size_t i = 0; i < fd.size(); i++) {
    err = std::max(err, std::fabs((double)analytic[i] - fd[i]));
    scale = std::max(scale, std::fabs(fd[i]));
  }
  return scale > 0 ? err / scale : err;
}

// Checks the gradients of every graph input and every bias of net against finite differences of
// L = sum r * output.  Returns the largest relative error.
double check_net(Net& net, const std::string& what) {
  Graph& g = net.g;
  const int out = g.outputs[0];
  const tare::ref::Values fwd = tare::ref::run(g, net.feeds);
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> r(fwd[out].size());
  for (float& v : r) v = d(rng);
  const tare::ref::Gradients grads = tare::ref::backward(g, fwd, {{out, r}});
  auto loss = [&] { return projected(tare::ref::run(g, net.feeds)[out], r); };

  double worst = 0.0;
  for (size_t k = 0; k < g.inputs.size(); k++) {
    std::vector<float>& x = net.feeds[k];
    std::vector<double> fd(x.size());
    for (size_t j = 0; j < x.size(); j++)
      fd[j] = central_difference(
          x[j], [&](float v) { x[j] = v; }, loss);
    const std::vector<float>& a = grads.activations[g.inputs[k]];
    REQUIRE_MESSAGE(a.size() == x.size(), what << ": no gradient for input " << k);
    const double e = rel_error(a, fd);
    CHECK_MESSAGE(e <= kTolerance, what << ": input " << k << " relative error " << e);
    worst = std::max(worst, e);
  }
  for (const auto& [b, gb] : grads.biases) {
    tare::Tensor& t = g.tensors[b];
    std::vector<double> fd(gb.size());
    for (size_t j = 0; j < gb.size(); j++) {
      float x;
      std::memcpy(&x, t.data.data() + 4 * j, 4);
      fd[j] = central_difference(
          x, [&](float v) { std::memcpy(t.data.data() + 4 * j, &v, 4); }, loss);
    }
    const double e = rel_error(gb, fd);
    CHECK_MESSAGE(e <= kTolerance, what << ": bias " << b << " relative error " << e);
    worst = std::max(worst, e);
  }
  MESSAGE(what << ": max relative error " << worst);
  return worst;
}

// Builds the net with seeds 1, 2, ... until no kink is within kKinkMargin, then checks it.
template <typename Build>
double check_op(const std::string& what, Build build) {
  for (uint32_t seed = 1; seed <= 500; seed++) {
    Net net(seed);
    build(net);
    const tare::ref::Values fwd = tare::ref::run(net.g, net.feeds);
    if (kink_margin(net.g, fwd) < kKinkMargin) continue;
    return check_net(net, what);
  }
  FAIL(what << ": no input without kinks found");
  return 1.0;
}

}  // namespace

TEST_SUITE("reference") {
  TEST_CASE("backward: a tensor with several consumers sums their gradients") {
    // x * logistic(x) (x read by LOGISTIC and MUL), then x + that (x read a third time), then MUL by itself.
    check_op("several consumers", [](Net& n) {
      const int x = n.input({2, 3, 4});
      const int s = n.op(OpType::Logistic, {x});
      const int m = n.op(OpType::Mul, {x, s});
      const int a = n.op(OpType::Add, {x, m});
      n.op(OpType::Mul, {a, a});
    });
  }

  TEST_CASE("backward: distillation_loss by hand") {
    // Row 0: teacher softmax (0.25, 0.75), student (0.5, 0.5): L0 = ln 2, grad (0.25, -0.25).
    // Row 1: teacher (0.75, 0.25), student (0.25, 0.75): L1 = -(0.75 ln 0.25 + 0.25 ln 0.75), grad (-0.5, 0.5).
    const float ln3 = std::log(3.0f);
    const std::vector<float> teacher = {0.0f, ln3, ln3, 0.0f};
    const std::vector<float> student = {0.0f, 0.0f, 0.0f, ln3};
    std::vector<float> grad;
    const float loss = tare::ref::distillation_loss(teacher, student, 2, &grad);
    const double l0 = std::log(2.0), l1 = -(0.75 * std::log(0.25) + 0.25 * std::log(0.75));
    CHECK(loss == doctest::Approx((l0 + l1) / 2).epsilon(1e-6));
    CHECK(loss == doctest::Approx(0.902395).epsilon(1e-6));
    REQUIRE(grad.size() == 4);
    CHECK(grad[0] == doctest::Approx(0.125).epsilon(1e-6));
    CHECK(grad[1] == doctest::Approx(-0.125).epsilon(1e-6));
    CHECK(grad[2] == doctest::Approx(-0.25).epsilon(1e-6));
    CHECK(grad[3] == doctest::Approx(0.25).epsilon(1e-6));
    // Equal distributions: the loss is the teacher's entropy and the gradient vanishes.
    std::vector<float> g2;
    CHECK(tare::ref::distillation_loss({1.0f, 1.0f}, {5.0f, 5.0f}, 2, &g2) == doctest::Approx(std::log(2.0)));
    CHECK(std::fabs(g2[0]) < 1e-7f);
    CHECK(tare::ref::distillation_loss(teacher, student, 2, nullptr) == loss);
    CHECK_THROWS_AS(tare::ref::distillation_loss({1.0f, 2.0f, 3.0f}, {1.0f, 2.0f, 3.0f}, 2, nullptr), tare::Error);
    CHECK_THROWS_AS(tare::ref::distillation_loss({1.0f, 2.0f}, {1.0f}, 1, nullptr), tare::Error);
  }

  TEST_CASE("backward: FAKE_QUANT straight-through estimator") {
    // scale 0.1, zero point 3, range [0, 10]: real values -0.3 .. 0.7; x passes where 0 <= round(x/0.1)+3 <= 10,
    // i.e. for x/0.1 in (-3.5, 7.5) (-3.5 rounds to -4).
    Net n(1);
    const int x = n.input({1, 10});
    n.feeds[0] = {-0.5f, -0.36f, -0.34f, 0.0f, 0.2f, 0.7f, 0.74f, 0.76f, 3.0f, -100.0f};
    const std::vector<float> expect_pass = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0};
    OpParams p;
    p.fq_scale = 0.1f;
    p.fq_zero_point = 3;
    p.fq_qmin = 0;
    p.fq_qmax = 10;
    const int y = n.op(OpType::FakeQuant, {x}, p);
    const tare::ref::Values fwd = tare::ref::run(n.g, n.feeds);
    const std::vector<float> seed = {1.5f, -2.0f, 3.0f, 0.25f, -1.0f, 2.0f, 7.0f, 1.0f, 1.0f, 1.0f};
    const tare::ref::Gradients gr = tare::ref::backward(n.g, fwd, {{y, seed}});
    REQUIRE(gr.activations[x].size() == 10);
    for (size_t i = 0; i < 10; i++) {
      INFO("x = " << n.feeds[0][i]);
      CHECK(gr.activations[x][i] == (expect_pass[i] != 0 ? seed[i] : 0.0f));  // identity inside, zero outside
    }
    // Through a network: CONV_2D -> FAKE_QUANT -> FULLY_CONNECTED has the gradients of the same network without the
    // FAKE_QUANT (evaluated at the same forward values) where every value is inside the range.
    Net a(3);
    const int ax = a.input({1, 3, 3, 2}, -1.0f, 1.0f);
    const int aw = a.random_constant({3, 3, 3, 2}, -0.3f, 0.3f);
    const int ab = a.random_constant({3}, -0.2f, 0.2f);
    const int ac = a.op(OpType::Conv2D, {ax, aw, ab}, conv_params(1, Padding::Same, 1, Activation::None));
    OpParams wide = p;
    wide.fq_qmin = -128;
    wide.fq_qmax = 127;
    wide.fq_scale = 0.05f;
    const int aq = a.op(OpType::FakeQuant, {ac}, wide);
    OpParams rs;
    rs.new_shape = {1, 27};
    const int ar = a.op(OpType::Reshape, {aq}, rs);
    const int afw = a.random_constant({4, 27});
    const int afb = a.random_constant({4});
    const int ao = a.op(OpType::FullyConnected, {ar, afw, afb});
    tare::ref::Values fa = tare::ref::run(a.g, a.feeds);
    const std::vector<float> r = {1.0f, -0.5f, 0.25f, 2.0f};
    const tare::ref::Gradients ga = tare::ref::backward(a.g, fa, {{ao, r}});
    // The same graph with the FAKE_QUANT made an identity (RESHAPE to the same shape).
    Graph plain = a.g;
    plain.ops[1].type = OpType::Reshape;
    plain.ops[1].params.new_shape = a.g.tensors[ac].shape;
    const tare::ref::Gradients gp = tare::ref::backward(plain, fa, {{ao, r}});
    CHECK(ga.activations[ax] == gp.activations[ax]);
    CHECK(ga.biases.at(ab) == gp.biases.at(ab));
    CHECK(ga.biases.at(afb) == gp.biases.at(afb));
    // Now a range that clips: the conv bias gets gradient only from the positions inside.
    OpParams narrow = wide;
    narrow.fq_qmin = -4;
    narrow.fq_qmax = 4;
    narrow.fq_zero_point = 0;
    a.g.ops[1].params = narrow;
    fa = tare::ref::run(a.g, a.feeds);
    const tare::ref::Gradients gn = tare::ref::backward(a.g, fa, {{ao, r}});
    std::vector<double> expect(3, 0.0);
    const std::vector<float>& conv_out = fa[ac];
    const std::vector<float>& gq = gn.activations[aq];
    int inside = 0, outside = 0;
    for (size_t i = 0; i < conv_out.size(); i++) {
      const double q = std::round((double)conv_out[i] / 0.05);
      if (q >= -4 && q <= 4) {
        expect[i % 3] += gq[i];
        inside++;
      } else {
        outside++;
      }
    }
    CHECK(inside > 0);
    CHECK(outside > 0);
    for (int c = 0; c < 3; c++) CHECK(gn.biases.at(ab)[c] == doctest::Approx(expect[c]).epsilon(1e-6));
  }

  TEST_CASE("backward: conv RELU6 -> depthwise -> conv -> mean -> FC with the distillation loss") {
    // Bias gradients of the loss against finite differences of the loss itself.
    for (uint32_t seed = 1;; seed++) {
      REQUIRE(seed < 500);
      Net n(seed);
      const int x = n.input({2, 4, 4, 3}, -1.0f, 1.0f);
      const int c1 = n.op(OpType::Conv2D,
                          {x, n.random_constant({8, 3, 3, 3}, -0.6f, 0.6f), n.random_constant({8}, 0, 3)},
                          conv_params(2, Padding::Same, 1, Activation::Relu6));
      OpParams dp = conv_params(1, Padding::Same, 1, Activation::None);
      const int d = n.op(OpType::DepthwiseConv2D,
                         {c1, n.random_constant({1, 3, 3, 8}, -0.5f, 0.5f), n.random_constant({8})}, dp);
      const int c2 = n.op(OpType::Conv2D, {d, n.random_constant({6, 1, 1, 8}, -0.5f, 0.5f), n.random_constant({6})},
                          conv_params(1, Padding::Same, 1, Activation::None));
      OpParams mp;
      mp.axes = {1, 2};
      const int m = n.op(OpType::Mean, {c2}, mp);
      const int logits = n.op(OpType::FullyConnected, {m, n.random_constant({5, 6}), n.random_constant({5})});
      (void)logits;
      const tare::ref::Values fwd = tare::ref::run(n.g, n.feeds);
      if (kink_margin(n.g, fwd) < kKinkMargin) continue;

      const std::vector<float> teacher = n.random(10, -4.0f, 4.0f);  // far from the student: large gradients
      std::vector<float> dl;
      tare::ref::distillation_loss(teacher, fwd[logits], 5, &dl);
      const tare::ref::Gradients gr = tare::ref::backward(n.g, fwd, {{logits, dl}});
      REQUIRE(gr.biases.size() == 4);
      auto loss = [&] {
        // The loss in double from the student's float logits (distillation_loss rounds its result to float).
        const std::vector<float> s = tare::ref::run(n.g, n.feeds)[logits];
        double l = 0.0;
        for (int r = 0; r < 2; r++) {
          double mt = -1e30, ms = -1e30, st = 0, ss = 0;
          for (int c = 0; c < 5; c++) {
            mt = std::max(mt, (double)teacher[r * 5 + c]);
            ms = std::max(ms, (double)s[r * 5 + c]);
          }
          for (int c = 0; c < 5; c++) {
            st += std::exp(teacher[r * 5 + c] - mt);
            ss += std::exp(s[r * 5 + c] - ms);
          }
          for (int c = 0; c < 5; c++) {
            const double pt = std::exp(teacher[r * 5 + c] - mt) / st;
            l -= pt * (s[r * 5 + c] - ms - std::log(ss));
          }
        }
        return l / 2;
      };
      double worst = 0.0;
      for (const auto& [b, gb] : gr.biases) {
        tare::Tensor& t = n.g.tensors[b];
        std::vector<double> fd(gb.size());
        for (size_t j = 0; j < gb.size(); j++) {
          float v;
          std::memcpy(&v, t.data.data() + 4 * j, 4);
          fd[j] = central_difference(
              v, [&](float u) { std::memcpy(t.data.data() + 4 * j, &u, 4); }, loss);
        }
        const double e = rel_error(gb, fd);
        CHECK_MESSAGE(e <= kTolerance, "bias " << b << " relative error " << e);
        worst = std::max(worst, e);
      }
      // The input gradient too.
      std::vector<float>& xin = n.feeds[0];
      std::vector<double> fdx(xin.size());
      for (size_t j = 0; j < xin.size(); j++)
        fdx[j] = central_difference(
            xin[j], [&](float u) { xin[j] = u; }, loss);
      const double ex = rel_error(gr.activations[x], fdx);
      CHECK(ex <= kTolerance);
      MESSAGE("network (seed " << seed << "): bias max relative error " << worst << ", input " << ex);

      // Without input gradients: the same bias gradients, and the image's gradient is not computed.
      tare::ref::BackwardOptions no_input;
      no_input.input_gradients = false;
      const tare::ref::Gradients gb = tare::ref::backward(n.g, fwd, {{logits, dl}}, no_input);
      CHECK(gb.activations[x].empty());
      for (const auto& [b, v] : gr.biases) CHECK(gb.biases.at(b) == v);
      break;
    }
  }

  TEST_CASE("backward: conventions at the kinks") {
    const std::vector<float> xs = {-3.0f, 0.0f, 1e-6f, 3.0f, 5.999f, 6.0f, 7.0f};
    const std::vector<float> seed(xs.size(), 2.0f);
    auto grad_of = [&](OpType t) {
      Net n(1);
      const int x = n.input({1, (int)xs.size()});
      n.feeds[0] = xs;
      const int y = n.op(t, {x});
      return tare::ref::backward(n.g, tare::ref::run(n.g, n.feeds), {{y, seed}}).activations[x];
    };
    // RELU / RELU6: strictly inside the range only.
    CHECK(grad_of(OpType::Relu) == std::vector<float>{0, 0, 2, 2, 2, 2, 2});
    CHECK(grad_of(OpType::Relu6) == std::vector<float>{0, 0, 2, 2, 2, 0, 0});
    // HARD_SWISH: x/3 + 1/2 on the closed interval [-3, 3].
    const std::vector<float> hs = grad_of(OpType::HardSwish);
    const std::vector<double> hs_expect = {-1.0, 1.0, 1.0 + 2e-6 / 3, 3.0, 2.0, 2.0, 2.0};
    for (size_t i = 0; i < hs.size(); i++) CHECK(hs[i] == doctest::Approx(hs_expect[i]).epsilon(1e-6));
    // A fused RELU6 whose output is exactly 6 or 0 passes nothing; the bias then gets nothing from those positions.
    Net n(1);
    const int x = n.input({1, 1, 1, 3});
    n.feeds[0] = {1.0f, 1.0f, 1.0f};
    const int w = n.constant({3, 1, 1, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
    const int b = n.constant({3}, {5.0f, -1.0f, 2.0f});  // pre-activations 6, 0, 3
    const int y = n.op(OpType::Conv2D, {x, w, b}, conv_params(1, Padding::Same, 1, Activation::Relu6));
    const tare::ref::Gradients gr = tare::ref::backward(n.g, tare::ref::run(n.g, n.feeds), {{y, {1.0f, 1.0f, 1.0f}}});
    CHECK(gr.biases.at(b) == std::vector<float>{0.0f, 0.0f, 1.0f});
    CHECK(gr.activations[x] == std::vector<float>{0.0f, 0.0f, 1.0f});
  }

  TEST_CASE("backward: errors") {
    Net n(1);
    const int x = n.input({1, 4});
    const int y = n.op(OpType::Relu, {x});
    const tare::ref::Values fwd = tare::ref::run(n.g, n.feeds);
    // Seeds of the wrong size, on a bad index, forward values missing.
    CHECK_THROWS_AS(tare::ref::backward(n.g, fwd, {{y, {1.0f}}}), tare::Error);
    CHECK_THROWS_AS(tare::ref::backward(n.g, fwd, {{99, {1.0f}}}), tare::Error);
    CHECK_THROWS_AS(tare::ref::backward(n.g, {}, {{y, {1, 1, 1, 1}}}), tare::Error);
    // An operator without a backward rule: UNSUPPORTED, naming it.
    Graph q = n.g;
    q.ops[0].type = OpType::Quantize;
    try {
      tare::ref::backward(q, fwd, {{y, {1, 1, 1, 1}}});
      FAIL("QUANTIZE has no backward rule");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
      CHECK(std::string(e.what()).find("QUANTIZE") != std::string::npos);
    }
  }

}  // TEST_SUITE
