// Bias fine-tuning (src/calib/bft.h): GPU bias gradients vs the CPU backward reference, the loss going down, only
// biases changing, the memory budget shrinking the batch.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "calib/bft.h"
#include "calib/layer_runner.h"
#include "calib_harness.h"
#include "common/error.h"
#include "op_harness.h"
#include "quant/fake_quant.h"
#include "quant/quantizer.h"
#include "ref/backward.h"
#include "ref/reference.h"

using namespace tare;
using namespace tare::test;

namespace {

// conv 3x3 (relu6) -> depthwise 3x3 (relu6) -> conv 1x1 -> LOGISTIC: a two-channel mask the size of the input, no
// softmax (BFT distills the output by squared error); `boxes`: a second output, a 1x1 conv of the depthwise output
// (3 channels, no activation), as a detector's regressors.
Graph segmenter(int h, int w, int cin, int c1, std::mt19937& rng, bool boxes = false) {
  GraphBuilder b;
  b.rng = rng;
  int x = b.input({1, h, w, cin});
  OpParams p;
  p.padding = Padding::Same;
  p.activation = Activation::Relu6;
  int y = b.op(OpType::Conv2D, {x, b.random_constant({c1, 3, 3, cin}, -0.3f, 0.5f), b.random_constant({c1}, 0, 0.2f)},
               {1, h, w, c1}, p);
  y = b.op(OpType::DepthwiseConv2D,
           {y, b.random_constant({1, 3, 3, c1}, -0.3f, 0.6f), b.random_constant({c1}, 0, 0.2f)}, {1, h, w, c1}, p);
  p.activation = Activation::None;
  const int dw = y;
  y = b.op(OpType::Conv2D, {y, b.random_constant({2, 1, 1, c1}, -0.5f, 0.5f), b.random_constant({2}, -0.2f, 0.2f)},
           {1, h, w, 2}, p);
  y = b.op(OpType::Logistic, {y}, {1, h, w, 2});
  b.output(y);
  if (boxes)
    b.output(b.op(OpType::Conv2D,
                  {dw, b.random_constant({3, 1, 1, c1}, -0.5f, 0.5f), b.random_constant({3}, -0.2f, 0.2f)},
                  {1, h, w, 3}, p));
  infer_shapes(b.g);
  return b.g;
}

std::vector<float> concat(const Images& v, size_t first, size_t count) {
  std::vector<float> r;
  for (size_t i = first; i < first + count; i++) r.insert(r.end(), v[i].begin(), v[i].end());
  return r;
}

// The GPU's bias gradients of every trained layer (`got`) against the CPU backward reference's (`cpu`, over the
// student graph `s` of the quantized graph with biases `qb`): within 1e-4 of the largest, which is not 0.
void check_bias_gradients(const calib::BftGradients& got, const Graph& qb, const Graph& s, const ref::Gradients& cpu) {
  for (size_t k = 0; k < got.bias.size(); k++) {
    CAPTURE(k);
    const Op& qop = qb.ops[got.q_ops[k]];
    int sop = -1;
    for (size_t i = 0; i < s.ops.size(); i++)
      if (s.ops[i].type == qop.type && s.ops[i].source_index == qop.source_index) sop = (int)i;
    REQUIRE(sop >= 0);
    const std::vector<float>& want = cpu.biases.at(s.ops[sop].inputs[2]);
    REQUIRE(want.size() == got.bias[k].size());
    double m = 0, e = 0;
    for (size_t c = 0; c < want.size(); c++) {
      m = std::max(m, (double)std::fabs(want[c]));
      e = std::max(e, (double)std::fabs(want[c] - got.bias[k][c]));
    }
    MESSAGE("layer " << k << " (" << std::string(op_name(qop.type)) << "): max |dL/db| " << m << ", max error " << e);
    CHECK(m > 0);
    CHECK(e <= 1e-4 * m);
  }
}

}  // namespace

TEST_SUITE("calib") {
  TEST_CASE("BFT: GPU loss and bias gradients equal the CPU backward reference's") {
    auto ctx = gpu();
    if (!ctx) return;
    for (bool tconv : {false, true}) {
      CAPTURE(tconv);
      std::mt19937 rng(4);
      Graph g = classifier(10, 9, 3, 8, 12, 10, rng, tconv);
      Images im = random_images(12, 10 * 9 * 3, rng, -0.2f, 1.0f);
      Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 8));
      const uint32_t count = 4;
      calib::BftGradients got = calib::bft_gradients(ctx, g, q, count, from(im, 8));
      REQUIRE(got.bias.size() == (tconv ? 5 : 4));
      // CPU: teacher softmax, student logits, loss, backward.
      std::vector<std::vector<float>> batch = {concat(im, 8, count)};
      Graph t = with_batch(calib::logits_graph(g), count);
      // The student's logits found independently of logits_graph: the input of the fake-quant graph's SOFTMAX (a
      // FAKE_QUANT of the FC's output), not its probabilities.
      std::vector<int> idx;
      Graph qb = calib::with_biases(q);
      Graph s = with_batch(calib::split_activations(quant::fake_quant_graph(qb), idx, true), count);
      int logits = -1;
      for (const Op& op : s.ops)
        if (op.type == OpType::Softmax) logits = op.inputs[0];
      REQUIRE(logits >= 0);
      ref::Values tv = ref::run(t, batch), sv = ref::run(s, batch);
      std::vector<float> dlogits;
      const int classes = 10;
      const float loss = ref::distillation_loss(tv[t.outputs[0]], sv[logits], classes, &dlogits);
      CHECK(got.loss == doctest::Approx(loss).epsilon(1e-4));
      ref::Gradients cpu = ref::backward(s, sv, {{logits, dlogits}});
      check_bias_gradients(got, qb, s, cpu);
    }
    check_validation();
  }

  TEST_CASE("BFT on dense outputs (no softmax): squared-error loss and bias gradients equal the CPU reference's") {
    auto ctx = gpu();
    if (!ctx) return;
    for (bool boxes : {false, true}) {
      CAPTURE(boxes);
      std::mt19937 rng(9);
      Graph g = segmenter(9, 7, 3, 8, rng, boxes);
      Images im = random_images(12, 9 * 7 * 3, rng, -0.2f, 1.0f);
      Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 8));
      const uint32_t count = 4;
      calib::BftGradients got = calib::bft_gradients(ctx, g, q, count, from(im, 8));
      REQUIRE(got.bias.size() == (boxes ? 4 : 3));
      // CPU: L = the sum over outputs of the mean over images of the mean over their values of (student - teacher)^2.
      std::vector<std::vector<float>> batch = {concat(im, 8, count)};
      Graph t = with_batch(g, count);
      std::vector<int> idx;
      Graph qb = calib::with_biases(q);
      Graph s = with_batch(calib::split_activations(quant::fake_quant_graph(qb), idx, true), count);
      ref::Values tv = ref::run(t, batch), sv = ref::run(s, batch);
      REQUIRE(s.outputs.size() == t.outputs.size());
      double loss = 0;
      std::map<int, std::vector<float>> seeds;
      for (size_t k = 0; k < s.outputs.size(); k++) {
        const std::vector<float>& want_out = tv[t.outputs[k]];
        const std::vector<float>& got_out = sv[s.outputs[k]];
        REQUIRE(want_out.size() == got_out.size());
        const double values = (double)want_out.size() / count;
        std::vector<float>& dout = seeds[s.outputs[k]];
        dout.resize(got_out.size());
        for (size_t i = 0; i < got_out.size(); i++) {
          const double d = (double)got_out[i] - want_out[i];
          loss += d * d / values / count;
          dout[i] = (float)(2 * d / (values * count));
        }
      }
      CHECK(loss > 0);
      CHECK(got.loss == doctest::Approx(loss).epsilon(1e-4));
      ref::Gradients cpu = ref::backward(s, sv, {seeds.begin(), seeds.end()});
      check_bias_gradients(got, qb, s, cpu);
      // Training lowers that loss.
      calib::BftOptions o;
      o.rates = {1e-2f, 1e-3f};
      o.mini_epochs = {5, 5};
      o.batch = 4;
      o.validation_images = 0;  // the training loss on all 8 images, every mini-epoch the same ones
      calib::BftResult r = calib::bias_fine_tuning(ctx, g, q, 8, from(im, 0), o, nullptr);
      REQUIRE(r.loss.size() == 10);
      MESSAGE("dense BFT: initial " << r.initial_loss << ", last mini-epoch " << r.loss.back());
      CHECK(r.loss.back() < r.loss.front());
    }
    check_validation();
  }

  TEST_CASE("BFT lowers the distillation loss across mini-epochs and changes nothing but biases") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(6);
    Graph g = classifier(10, 10, 3, 8, 16, 10, rng);
    Images im = random_images(40, 10 * 10 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 8));
    calib::BftOptions o;
    o.rates = {1e-2f, 1e-3f};
    o.mini_epochs = {6, 6};
    o.batch = 8;
    o.validation_images = 0;  // every mini-epoch averages the same 32 images (4 steps of 8): comparable losses
    std::vector<double> seen;
    calib::BftResult r = calib::bias_fine_tuning(ctx, g, q, 32, from(im, 8), o, [&](uint32_t, uint32_t, double l) {
      seen.push_back(l);
      return true;
    });
    REQUIRE(r.loss.size() == 12);
    CHECK(seen == r.loss);
    CHECK(r.batch == 8);
    CHECK(r.layers == 4);
    std::string curve;
    for (double l : r.loss) curve += std::to_string(l) + " ";
    MESSAGE("initial " << r.initial_loss << "; per mini-epoch: " << curve);
    const double first = std::accumulate(r.loss.begin(), r.loss.begin() + 3, 0.0) / 3;
    const double last = std::accumulate(r.loss.end() - 3, r.loss.end(), 0.0) / 3;
    CHECK(last < first);
    CHECK(r.loss.back() < r.loss.front());
    // Nothing but biases changed.
    Graph qb = calib::with_biases(q);
    REQUIRE(r.corrected.tensors.size() == qb.tensors.size());
    int changed = 0;
    for (size_t t = 0; t < qb.tensors.size(); t++)
      if (qb.tensors[t].data != r.corrected.tensors[t].data) {
        CHECK(qb.tensors[t].dtype == DType::I32);
        changed++;
      }
    CHECK(changed == 4);
    check_validation();
  }

  TEST_CASE("BFT keeps the biases with the lowest validation loss: a diverging rate ends at the starting biases") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(12);
    Graph g = classifier(10, 10, 3, 8, 16, 10, rng);
    Images im = random_images(24, 10 * 10 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 8));
    calib::BftOptions o;
    o.rates = {1e3f};  // every Adam step moves each bias by about 1000: the logits saturate
    o.mini_epochs = {3};
    o.batch = 4;
    const uint32_t count = 13;  // 13 / 8 < 4: the last 4 held out, 9 trained on (batches of 4 pad the last)
    calib::BftResult r = calib::bias_fine_tuning(ctx, g, q, count, from(im, 8), o);
    CHECK(r.validation_images == 4);
    REQUIRE(r.validation_loss.size() == 4);  // before the first update and after each mini-epoch
    // The starting biases' validation loss against the CPU reference on the 4 held-out images.
    std::vector<std::vector<float>> held = {concat(im, 8 + 9, 4)};
    Graph t = with_batch(calib::logits_graph(g), 4);
    std::vector<int> idx;
    Graph qb = calib::with_biases(q);
    Graph st = with_batch(calib::logits_graph(calib::split_activations(quant::fake_quant_graph(qb), idx, true)), 4);
    ref::Values tv = ref::run(t, held), sv = ref::run(st, held);
    const float want = ref::distillation_loss(tv[t.outputs[0]], sv[st.outputs[0]], 10, nullptr);
    CHECK(r.validation_loss[0] == doctest::Approx(want).epsilon(1e-4));
    std::string curve;
    for (double l : r.validation_loss) curve += std::to_string(l) + " ";
    MESSAGE("diverging BFT, validation loss: " << curve);
    for (size_t e = 1; e < r.validation_loss.size(); e++) CHECK(r.validation_loss[e] > r.validation_loss[0]);
    CHECK(r.best_mini_epoch == 0);
    // The result is the starting model, bit for bit.
    REQUIRE(r.corrected.tensors.size() == qb.tensors.size());
    for (size_t i = 0; i < qb.tensors.size(); i++) CHECK(r.corrected.tensors[i].data == qb.tensors[i].data);
    // A useful rate is kept where it lowers the validation loss.
    o.rates = {1e-2f};
    o.mini_epochs = {4};
    calib::BftResult good = calib::bias_fine_tuning(ctx, g, q, count, from(im, 8), o);
    REQUIRE(good.best_mini_epoch >= 0);
    CHECK(good.validation_loss.at((size_t)good.best_mini_epoch) ==
          *std::min_element(good.validation_loss.begin(), good.validation_loss.end()));
    o.validation_images = (int)count;  // nothing left to train on
    CHECK_THROWS_AS(calib::bias_fine_tuning(ctx, g, q, count, from(im, 8), o), tare::Error);
    check_validation();
  }

  TEST_CASE("BFT: a small memory budget shrinks the batch; bad options are refused") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(7);
    Graph g = classifier(8, 8, 3, 4, 8, 5, rng);
    Images im = random_images(12, 8 * 8 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 4));
    calib::BftOptions o;
    o.rates = {1e-3f};
    o.mini_epochs = {1};
    o.batch = 8;
    o.memory_budget = 1;  // not even one image fits
    CHECK_THROWS_AS(calib::bias_fine_tuning(ctx, g, q, 8, from(im, 4), o), tare::Error);
    o.memory_budget = 0;
    o.batch = 1;
    const uint64_t one = calib::bias_fine_tuning(ctx, g, q, 8, from(im, 4), o).training_bytes;
    o.batch = 8;
    o.memory_budget = 3 * one;  // about three images
    calib::BftResult r = calib::bias_fine_tuning(ctx, g, q, 8, from(im, 4), o);
    MESSAGE("batch " << r.batch << ", training bytes " << r.training_bytes);
    CHECK(r.batch >= 1);
    CHECK(r.batch < 8);
    o.memory_budget = 0;
    o.mini_epochs = {1, 2};
    CHECK_THROWS_AS(calib::bias_fine_tuning(ctx, g, q, 8, from(im, 4), o), tare::Error);
    check_validation();
  }
}
