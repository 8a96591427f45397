// Training sessions on graphs of several operators (the backward kernels of single operators are in the
// conformance table, tests/test_conformance.cpp): a convolution chain, a tensor with several consumers, whole float
// models, and the refusal of fused activations.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "calib/layer_runner.h"
#include "common/error.h"
#include "conformance.h"
#include "engine/training_session.h"
#include "model/tflite_import.h"
#include "op_harness.h"
#include "ops/kernel.h"
#include "ref/backward.h"

using namespace tare;
using namespace tare::test;
using conformance::Path;

namespace {

constexpr double kTol = 1e-5;  // GPU vs CPU backward reference (fp32), relative to max |reference|

}  // namespace

TEST_SUITE("grad") {
  TEST_CASE("conv -> depthwise -> 1x1 conv -> fully connected chain: every intermediate gradient") {
    if (!gpu()) return;
    GraphBuilder b;
    const int n = 2;
    int x = b.input({n, 13, 11, 3});
    const Win stem{3, 3, 2, 2, 1, 1, Padding::Same}, dw{3, 3, 1, 1, 1, 1, Padding::Same};
    const Win dw2{3, 3, 2, 2, 1, 1, Padding::Same}, pw{1, 1, 1, 1, 1, 1, Padding::Valid};
    int t1 = b.op(OpType::Conv2D, {x, b.random_constant({10, 3, 3, 3}), b.random_constant({10})},
                  win_out(n, 13, 11, 10, stem), win_params(stem));  // 7x6x10
    int t2 = b.op(OpType::DepthwiseConv2D, {t1, b.random_constant({1, 3, 3, 10}), b.random_constant({10})},
                  win_out(n, 7, 6, 10, dw), win_params(dw));
    int t3 = b.op(OpType::Conv2D, {t2, b.random_constant({6, 1, 1, 10}), b.random_constant({6})},
                  win_out(n, 7, 6, 6, pw), win_params(pw));
    OpParams dp = win_params(dw2);
    dp.depth_multiplier = 2;
    int t4 = b.op(OpType::DepthwiseConv2D, {t3, b.random_constant({1, 3, 3, 12}), b.random_constant({12})},
                  win_out(n, 7, 6, 12, dw2), dp);  // 4x3x12
    int y = b.op(OpType::FullyConnected, {t4, b.random_constant({5, 4 * 3 * 12}), b.random_constant({5})}, {n, 5});
    b.output(y);
    conformance::check_case(conformance::make_case("chain", b.g).gradients(5), Path::Grad);  // x, t1 .. t4
    // The gradients' padding lanes (channels C..C4-1 of every NHWC4 row) stay 0.
    Graph g = b.g;
    infer_shapes(g);
    TrainingSession s(gpu(), g, {});
    std::vector<float> in = b.random_values((size_t)g.tensors[x].elements(), -1, 1);
    s.set_input(0, in.data(), in.size());
    s.run();
    s.backward({{y, b.random_values((size_t)g.tensors[y].elements(), -1, 1)}});
    for (int t : {x, t1, t2, t3, t4}) {
      const ops::Shape4 sh = ops::shape4(g.tensors[t].shape);
      const vk::BufferRange r = s.grad_storage(t);
      std::vector<float> packed((size_t)sh.padded_elements());
      const_cast<vk::Buffer*>(r.buffer)->download(packed.data(), packed.size() * 4, r.offset);
      int nonzero_pad = 0, nonzero = 0;
      for (int64_t row = 0; row < sh.rows(); row++)
        for (int c = 0; c < sh.c4() * 4; c++) {
          const float v = packed[(size_t)(row * sh.c4() * 4 + c)];
          (c < sh.c ? nonzero : nonzero_pad) += v != 0.0f;
        }
      CAPTURE(t);
      CHECK(nonzero > 0);
      CHECK(nonzero_pad == 0);
    }
    check_validation();
  }

  TEST_CASE("weighted ops' backward refuses fused activations") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    OpParams p = win_params({3, 3, 1, 1, 1, 1, Padding::Same});
    p.activation = Activation::Relu6;
    b.output(b.op(OpType::Conv2D, {b.input({1, 4, 4, 3}), b.random_constant({4, 3, 3, 3}), b.random_constant({4})},
                  {1, 4, 4, 4}, p));
    Graph g = b.g;
    infer_shapes(g);
    try {
      TrainingSession s(ctx, g, {});
      FAIL("a fused RELU6 was accepted by the backward kernel");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
      CHECK(std::string(e.what()).find("split fused activations first") != std::string::npos);
    }
    check_validation();
  }

  TEST_CASE("gradients of a tensor with several consumers add up") {
    if (!gpu()) return;
    // x feeds MEAN, MUL (both operands through the mean), ADD (x + x), CONCATENATION and PAD; the output is the
    // softmax of an average pool of all of it, reshaped to rows.
    GraphBuilder b;
    int x = b.input({2, 6, 6, 5});
    OpParams mp;
    mp.axes = {1, 2};
    mp.keep_dims = true;
    int a = b.op(OpType::Mean, {x, b.int32_constant({2}, {1, 2})}, {2, 1, 1, 5}, mp);
    int m = b.op(OpType::Mul, {x, a}, {2, 6, 6, 5});
    int e = b.op(OpType::Add, {x, x}, {2, 6, 6, 5});
    OpParams cp;
    cp.axis = 3;
    int c = b.op(OpType::Concatenation, {m, e, x}, {2, 6, 6, 15}, cp);
    OpParams pp;
    pp.paddings = {{0, 0}, {1, 1}, {1, 1}, {0, 0}};
    int pd = b.op(OpType::Pad, {c, b.int32_constant({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0})}, {2, 8, 8, 15}, pp);
    OpParams ap = pool_params(3, 3, 2, 2, Padding::Same, Activation::None);
    int pl = b.op(OpType::AveragePool2D, {pd}, {2, 4, 4, 15}, ap);
    OpParams rp;
    rp.new_shape = {2, 240};
    int r = b.op(OpType::Reshape, {pl}, {2, 240}, rp);
    b.output(b.op(OpType::Softmax, {r}, {2, 240}));
    conformance::check_case(conformance::make_case("several consumers", b.g).inputs_in(-1, 1).gradients(8), Path::Grad);
    // ... and the backward reference against finite differences.
    conformance::check_case(conformance::make_case("several consumers", b.g).inputs_in(-1, 1), Path::GradFd);
    check_validation();
  }

  TEST_CASE("residual blocks: a gradient's first writer stores it, the later writers add") {
    auto ctx = gpu();
    if (!ctx) return;
    // q1 feeds a depthwise -> 1x1 conv branch and the residual ADD t4 = t3 + q1; t4 feeds FAKE_QUANT -> 1x1 conv and
    // the residual ADD y = t5 + t4.  In backward order each ADD is its operands' first writer and stores their
    // gradients; the depthwise and the FAKE_QUANT write q1's and t4's after it and must add.  A planner that let them
    // store too would drop the ADDs' share; one that let an ADD add without zeroing would keep NaN (below).
    GraphBuilder b;
    const int n = 2;
    const Win k3{3, 3, 1, 1, 1, 1, Padding::Same}, pw{1, 1, 1, 1, 1, 1, Padding::Valid};
    OpParams fq;
    fq.fq_scale = 0.02f;  // [-2.56, 2.54]: some values clamp, so the straight-through mask matters
    fq.fq_zero_point = 0;
    fq.fq_qmin = -128;
    fq.fq_qmax = 127;
    const std::vector<int> shape{n, 9, 9, 7};
    const int x = b.input({n, 9, 9, 5});
    const int t1 = b.op(OpType::Conv2D, {x, b.random_constant({7, 3, 3, 5}), b.random_constant({7})}, shape,
                        win_params(k3));
    const int q1 = b.op(OpType::FakeQuant, {t1}, shape, fq);
    const int t2 = b.op(OpType::DepthwiseConv2D, {q1, b.random_constant({1, 3, 3, 7}), b.random_constant({7})}, shape,
                        win_params(k3));
    const int t3 = b.op(OpType::Conv2D, {t2, b.random_constant({7, 1, 1, 7}), b.random_constant({7})}, shape,
                        win_params(pw));
    const int t4 = b.op(OpType::Add, {t3, q1}, shape);
    const int q4 = b.op(OpType::FakeQuant, {t4}, shape, fq);
    const int t5 = b.op(OpType::Conv2D, {q4, b.random_constant({7, 1, 1, 7}), b.random_constant({7})}, shape,
                        win_params(pw));
    const int y = b.op(OpType::Add, {t5, t4}, shape);
    b.output(y);
    // x, t1 .. t5; FAKE_QUANT is piecewise constant: no finite differences
    conformance::check_case(conformance::make_case("residual", b.g).gradients(8).no_grad_fd(), Path::Grad);

    // The same on a session whose gradient storage starts as NaN, twice: a gradient left unzeroed where a writer
    // adds, or a stale one from the first pass, shows.
    Graph g = b.g;
    infer_shapes(g);
    TrainingSession s(ctx, g, {});
    for (int t : {x, t1, t2, t3, t4, q1, q4, t5}) CHECK_MESSAGE(!s.grad_zeroed(t), "tensor " << t);
    CHECK(s.grad_zeroed(y));  // the seed: a graph output adds into its zeroed gradient
    const vk::BufferRange all = s.grad_storage(x);
    std::vector<uint32_t> nan(all.buffer->size() / 4, 0x7fc00000u);
    const_cast<vk::Buffer*>(all.buffer)->upload(nan.data(), nan.size() * 4);
    for (int pass = 0; pass < 2; pass++) {
      CAPTURE(pass);
      std::vector<float> in = b.random_values((size_t)g.tensors[x].elements(), -1, 1);
      std::vector<float> seed = b.random_values((size_t)g.tensors[y].elements(), -1, 1);
      s.set_input(0, in.data(), in.size());
      s.run();
      s.backward({{y, seed}});
      ref::Values fwd = ref::run(g, {in});
      for (size_t t = 0; t < g.tensors.size(); t++)  // differentiate at the GPU's values (FAKE_QUANT's ties)
        if (!g.tensors[t].is_const && !fwd[t].empty()) fwd[t] = s.value((int)t);
      const ref::Gradients want = ref::backward(g, fwd, {{y, seed}});
      for (int t : {x, t1, q1, t2, t3, t4, q4, t5}) {
        CAPTURE(t);
        const std::vector<float> got = s.grad(t);
        REQUIRE(got.size() == want.activations[t].size());
        CHECK(std::all_of(got.begin(), got.end(), [](float v) { return std::isfinite(v); }));
        CHECK(max_rel_error(got, want.activations[t]) <= kTol);
      }
    }
    check_validation();
  }

  TEST_CASE(
      "FAKE_QUANT's backward folded into its reader's: the reference's gradients, the unfolded session's values") {
    auto ctx = gpu();
    if (!ctx) return;
    // Each FAKE_QUANT output has one reader, each FAKE_QUANT input no other reader: a window conv, a depthwise (with
    // the FAKE_QUANT's fused RELU6), a 1x1 conv and an ADD each write the FAKE_QUANT input's gradient, masked.
    GraphBuilder b;
    const int n = 2;
    const Win k3{3, 3, 1, 1, 1, 1, Padding::Same}, s2{3, 3, 2, 2, 1, 1, Padding::Same},
        pw{1, 1, 1, 1, 1, 1, Padding::Valid};
    auto fq = [](float scale, int zp, Activation act) {
      OpParams p;
      p.fq_scale = scale;
      p.fq_zero_point = zp;
      p.fq_qmin = -128;
      p.fq_qmax = 127;
      p.activation = act;
      return p;
    };
    const std::vector<int> s9{n, 9, 9, 6}, s5{n, 5, 5, 6};
    const int x = b.input({n, 9, 9, 5});
    const int x2 = b.input(s5);
    const int q0 = b.op(OpType::FakeQuant, {x}, {n, 9, 9, 5}, fq(0.006f, 0, Activation::None));  // clamps |x| > 0.77
    const int t1 = b.op(OpType::Conv2D, {q0, b.random_constant({6, 3, 3, 5}), b.random_constant({6})}, s9,
                        win_params(k3));
    const int q1 = b.op(OpType::FakeQuant, {t1}, s9, fq(6.0f / 255, -128, Activation::Relu6));
    const int t2 = b.op(OpType::DepthwiseConv2D, {q1, b.random_constant({1, 3, 3, 6}), b.random_constant({6})}, s5,
                        win_params(s2));
    const int q2 = b.op(OpType::FakeQuant, {t2}, s5, fq(0.01f, 3, Activation::None));
    const int t3 = b.op(OpType::Conv2D, {q2, b.random_constant({6, 1, 1, 6}), b.random_constant({6})}, s5,
                        win_params(pw));
    const int q3 = b.op(OpType::FakeQuant, {t3}, s5, fq(0.01f, -3, Activation::None));
    const int y = b.op(OpType::Add, {q3, x2}, s5);
    b.output(y);
    Graph g = b.g;
    infer_shapes(g);
    TrainingOptions unfolded;
    unfolded.fold_fake_quant = false;
    TrainingSession s(ctx, g, {}), u(ctx, g, unfolded);
    const std::vector<std::vector<float>> in = {b.random_values((size_t)g.tensors[x].elements(), -1, 1),
                                                b.random_values((size_t)g.tensors[x2].elements(), -1, 1)};
    const std::vector<float> seed = b.random_values((size_t)g.tensors[y].elements(), -1, 1);
    for (TrainingSession* t : {&s, &u}) {
      for (size_t i = 0; i < in.size(); i++) t->set_input(i, in[i].data(), in[i].size());
      t->run();
      t->backward({{y, seed}});
    }
    ref::Values fwd = ref::run(g, in);
    for (size_t t = 0; t < g.tensors.size(); t++)  // differentiate at the GPU's values (FAKE_QUANT's ties)
      if (!g.tensors[t].is_const && !fwd[t].empty()) fwd[t] = s.value((int)t);
    const ref::Gradients want = ref::backward(g, fwd, {{y, seed}});
    for (int t : {x, x2, t1, t2, t3}) {
      CAPTURE(t);
      const std::vector<float> got = s.grad(t);
      REQUIRE(got.size() == want.activations[t].size());
      CHECK(std::all_of(got.begin(), got.end(), [](float v) { return std::isfinite(v); }));
      CHECK(max_rel_error(got, want.activations[t]) <= kTol);
      if (t != x2) {
        CHECK(std::count(got.begin(), got.end(), 0.0f) > 0);                 // the masks cut somewhere ...
        CHECK(std::count(got.begin(), got.end(), 0.0f) < (long)got.size());  // ... not everywhere
      }
      CHECK(got == u.grad(t));  // the same arithmetic: the same values (zeros' signs aside)
    }
    for (int t : {q0, q1, q2, q3}) {  // never computed: asking for them is an error, not stale numbers
      CAPTURE(t);
      CHECK(u.grad(t).size() == (size_t)g.tensors[t].elements());
      try {
        s.grad(t);
        FAIL("the gradient of a folded FAKE_QUANT's output was handed out");
      } catch (const tare::Error& e) {
        CHECK(e.status() == TARE_ERROR_INVALID_ARGUMENT);
        CHECK(std::string(e.what()).find("folded") != std::string::npos);
      }
    }
    check_validation();
  }

  TEST_CASE("whole float models with split activations: GPU backward equals the CPU reference") {
    auto ctx = gpu();
    if (!ctx) return;
    // Every operator of BlazeFace and the MobileNets (pools, pads, ADD, CONCATENATION, RESHAPE, SQUEEZE, SOFTMAX
    // next to the convolutions) runs its backward kernel.  The CPU reference differentiates at the GPU's forward
    // values, so that activations sitting on a ReLU kink (rounding apart) take the same branch on both sides.
    for (const char* model :
         {"face_detection_short_range.tflite", "mobilenet_v1_0.25_224.tflite", "mobilenet_v2_1.0_224_float.tflite"}) {
      CAPTURE(model);
      if (!have_data(std::string("models/") + model)) continue;
      auto file = read_file(data_path(std::string("models/") + model));
      std::vector<int> index;
      Graph g = calib::split_activations(import_tflite(file.data(), file.size()), index, true);
      infer_shapes(g);
      std::mt19937 rng(7);
      std::uniform_real_distribution<float> d(-1, 1);
      std::vector<std::vector<float>> inputs;
      for (int t : g.inputs) {
        std::vector<float> v((size_t)g.tensors[t].elements());
        for (auto& x : v) x = d(rng);
        inputs.push_back(std::move(v));
      }
      const int out = g.outputs.at(0);
      std::vector<float> seed((size_t)g.tensors[out].elements());
      for (auto& x : seed) x = d(rng);
      TrainingSession s(ctx, g, {});
      for (size_t i = 0; i < inputs.size(); i++) s.set_input(i, inputs[i].data(), inputs[i].size());
      s.run();
      s.backward({{out, seed}});
      ref::Values fwd = ref::run(g, inputs);
      for (size_t t = 0; t < g.tensors.size(); t++)
        if (!g.tensors[t].is_const && !fwd[t].empty()) fwd[t] = s.value((int)t);
      ref::Gradients want = ref::backward(g, fwd, {{out, seed}});
      double worst = 0;
      int compared = 0;
      std::string where;
      for (size_t t = 0; t < g.tensors.size(); t++) {
        if (g.tensors[t].is_const || want.activations[t].empty() || (int)t == out) continue;
        std::vector<float> got = s.grad((int)t);
        double m = 0, e = 0;
        for (size_t i = 0; i < got.size(); i++) {
          m = std::max(m, (double)std::fabs(want.activations[t][i]));
          e = std::max(e, (double)std::fabs(got[i] - want.activations[t][i]));
        }
        const double rel = m > 0 ? e / m : e;
        if (rel > worst) where = g.tensors[t].name;
        worst = std::max(worst, rel);
        compared++;
      }
      char buf[300];
      std::snprintf(buf, sizeof buf, "%s: %d gradients, max rel error vs reference %.3g (%s)", model, compared, worst,
                    where.c_str());
      MESSAGE(buf);
      CHECK(compared > 20);
      CHECK(worst <= kTol);
    }
    check_validation();
  }

  TEST_CASE("backward kernels refuse a fused activation") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    int x = b.input({1, 2, 2, 3});
    int y = b.input({1, 2, 2, 3});
    OpParams p;
    p.activation = Activation::Relu;
    b.output(b.op(OpType::Add, {x, y}, {1, 2, 2, 3}, p));
    infer_shapes(b.g);
    try {
      TrainingSession s(ctx, b.g, {});
      FAIL("a training session accepted ADD with a fused RELU");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
      CHECK(std::string(e.what()).find("ADD") != std::string::npos);
    }
    check_validation();
  }
}
