// Iterative bias correction and the layer error analysis (src/calib), checked against the CPU float reference
// running the float graph and the fake-quant graph.
#include <algorithm>
#include <cmath>

#include "calib/bft.h"
#include "calib/ibc.h"
#include "calib/ibc_heads.h"
#include "calib/layer_runner.h"
#include "calib_harness.h"
#include "common/error.h"
#include "model/op_desc.h"
#include "op_harness.h"
#include "q8_harness.h"
#include "quant/fake_quant.h"
#include "quant/quantizer.h"
#include "ref/int_reference.h"
#include "ref/reference.h"
#include "tflite_oracle.h"

using namespace tare;
using namespace tare::test;

namespace {

// Per layer (k-th weighted op) the CPU sums of e = fq - float at the pre- and post-activation points.
struct CpuLayer {
  std::vector<double> se, se2, sx, sx2;
  double count = 0;
};
struct CpuErrors {
  std::vector<CpuLayer> pre, post;
};

// One channel's GPU sums against the CPU's.  fp32 sums on the device; the GPU's and the CPU's float convolutions
// may round a value to different sides of a quantization tie now and then (one step), hence the error-relative
// tolerances.
bool mean_error_close(const calib::ChannelError& g, const CpuLayer& c, size_t ch) {
  const double rms_e = std::sqrt(c.se2[ch] / c.count), rms_x = std::sqrt(c.sx2[ch] / c.count);
  return std::fabs(g.mean_e() - c.se[ch] / c.count) <= 0.02 * rms_e + 1e-6 * rms_x + 1e-9;
}
bool sum_e2_close(const calib::ChannelError& g, const CpuLayer& c, size_t ch) {
  return std::fabs(g.sum_e2 - c.se2[ch]) <= 0.05 * c.se2[ch] + 1e-9;
}
bool sum_x_close(const calib::ChannelError& g, const CpuLayer& c, size_t ch) {
  return std::fabs(g.sum_x - c.sx[ch]) <= 1e-5 * std::sqrt(c.sx2[ch] * c.count) + 1e-9;
}
bool sum_x2_close(const calib::ChannelError& g, const CpuLayer& c, size_t ch) {
  return std::fabs(g.sum_x2 - c.sx2[ch]) <= 1e-5 * c.sx2[ch] + 1e-9;
}

std::vector<int> weighted(const Graph& g) {
  std::vector<int> r;
  for (size_t i = 0; i < g.ops.size(); i++)
    if (g.ops[i].type == OpType::Conv2D || g.ops[i].type == OpType::DepthwiseConv2D ||
        g.ops[i].type == OpType::FullyConnected)
      r.push_back((int)i);
  return r;
}

// The tensor after the split activation of weighted op i (or its own output).  A split activation keeps its
// layer's source index; a standalone RELU of the model is another operator.
int post_of(const Graph& g, int i) {
  int t = g.ops[i].outputs[0];
  if (i + 1 < (int)g.ops.size() && (g.ops[i + 1].type == OpType::Relu || g.ops[i + 1].type == OpType::Relu6) &&
      g.ops[i + 1].inputs[0] == t && g.ops[i + 1].source_index == g.ops[i].source_index)
    return g.ops[i + 1].outputs[0];
  return t;
}

CpuErrors cpu_errors(const Graph& float_graph, const Graph& quantized, const Images& images, size_t first,
                     size_t count) {
  std::vector<int> idx;
  Graph f = calib::split_activations(float_graph, idx);
  Graph fq = calib::split_activations(quant::fake_quant_graph(calib::with_biases(quantized)), idx);
  std::vector<int> fw = weighted(f), qw = weighted(fq);
  REQUIRE(fw.size() == qw.size());
  CpuErrors r;
  r.pre.resize(fw.size());
  r.post.resize(fw.size());
  for (size_t i = first; i < first + count; i++) {
    ref::Values vf = ref::run(f, {images[i]}), vq = ref::run(fq, {images[i]});
    for (size_t k = 0; k < fw.size(); k++) {
      for (int point = 0; point < 2; point++) {
        int tf = point == 0 ? f.ops[fw[k]].outputs[0] : post_of(f, fw[k]);
        int tq = fq.ops[qw[k]].outputs[0];
        if (point == 1) {  // the FAKE_QUANT after the (split) activation
          int pf = post_of(fq, qw[k]);
          for (size_t j = qw[k]; j < fq.ops.size(); j++)
            if (fq.ops[j].type == OpType::FakeQuant && fq.ops[j].inputs[0] == pf) {
              tq = fq.ops[j].outputs[0];
              break;
            }
        }
        const std::vector<float>&xf = vf[tf], &xq = vq[tq];
        REQUIRE(xf.size() == xq.size());
        const int C = f.tensors[tf].shape.back();
        CpuLayer& L = point == 0 ? r.pre[k] : r.post[k];
        if (L.se.empty()) L.se.assign(C, 0), L.se2.assign(C, 0), L.sx.assign(C, 0), L.sx2.assign(C, 0);
        for (size_t j = 0; j < xf.size(); j++) {
          double e = (double)xq[j] - xf[j];
          L.se[j % C] += e;
          L.se2[j % C] += e * e;
          L.sx[j % C] += xf[j];
          L.sx2[j % C] += (double)xf[j] * xf[j];
        }
        L.count += (double)xf.size() / C;
      }
    }
  }
  return r;
}

// conv 3x3 (relu6) -> depthwise 3x3 (relu6) -> conv 1x1 (relu6) -> depthwise 3x3 (relu) -> conv 1x1 -> mean.
// One output channel of each conv gets weights 4x larger than the rest, so that per-tensor weight scales are coarse
// for the others (the situation of the paper's depthwise layers).
Graph dw_net(int h, int w, int cin, int c1, int c2, std::mt19937& rng, float wlo = -0.4f, float whi = 0.4f,
             float blo = -0.1f) {
  GraphBuilder b;
  b.rng = rng;
  int x = b.input({1, h, w, cin});
  auto weights = [&](std::vector<int> shape, int channels, int axis_last) {
    size_t n = 1;
    for (int d : shape) n *= d;
    std::vector<float> v = b.random_values(n, wlo, whi);
    for (size_t i = 0; i < n; i++)
      if ((axis_last ? (int)(i % channels) : (int)(i / (n / channels))) == 0) v[i] *= 4.0f;
    return b.constant(shape, v);
  };
  OpParams p;
  p.padding = Padding::Same;
  p.activation = Activation::Relu6;
  int y = b.op(OpType::Conv2D, {x, weights({c1, 3, 3, cin}, c1, 0), b.random_constant({c1}, blo, 0.3f)}, {1, h, w, c1},
               p);
  y = b.op(OpType::DepthwiseConv2D, {y, weights({1, 3, 3, c1}, c1, 1), b.random_constant({c1}, blo, 0.3f)},
           {1, h, w, c1}, p);
  y = b.op(OpType::Conv2D, {y, weights({c2, 1, 1, c1}, c2, 0), b.random_constant({c2}, blo, 0.3f)}, {1, h, w, c2}, p);
  p.activation = Activation::Relu;
  y = b.op(OpType::DepthwiseConv2D, {y, weights({1, 3, 3, c2}, c2, 1), b.random_constant({c2}, blo, 0.3f)},
           {1, h, w, c2}, p);
  p.activation = Activation::None;
  y = b.op(OpType::Conv2D, {y, weights({c1, 1, 1, c2}, c1, 0), b.random_constant({c1}, -0.1f, 0.1f)}, {1, h, w, c1}, p);
  OpParams m;
  m.axes = {1, 2};
  m.keep_dims = false;
  int out = b.op(OpType::Mean, {y}, {1, c1}, m);
  b.output(out);
  infer_shapes(b.g);
  return b.g;
}

// A detector-like net: conv 3x3 (relu) trunk T, then from T: two raw heads A (2 channels) and B (1) concatenated
// and reshaped into one output (like BlazeFace's score logits), and a classifier head C (5) read through MEAN and
// SOFTMAX.  Weights with a positive mean and one large channel, so that quantization shifts every layer's mean.
Graph heads_net(std::mt19937& rng) {
  GraphBuilder b;
  b.rng = rng;
  const int x = b.input({1, 8, 8, 3});
  auto conv = [&](int in, int cin, int cout, int k, Activation act) {
    std::vector<float> w = b.random_values((size_t)(cout * k * k * cin), -0.2f, 0.4f);
    for (int i = 0; i < k * k * cin; i++) w[(size_t)i] *= 5.0f;
    OpParams p;
    p.padding = Padding::Same;
    p.activation = act;
    return b.op(OpType::Conv2D, {in, b.constant({cout, k, k, cin}, w), b.random_constant({cout}, -0.1f, 0.1f)},
                {1, 8, 8, cout}, p);
  };
  const int t = conv(x, 3, 6, 3, Activation::Relu);
  auto reshape = [&](int in, std::vector<int> shape) {
    OpParams p;
    p.new_shape = shape;
    return b.op(OpType::Reshape, {in}, shape, p);
  };
  const int a = conv(t, 6, 2, 1, Activation::None), hb = conv(t, 6, 1, 1, Activation::None);
  OpParams cat;
  cat.axis = 3;
  b.output(reshape(b.op(OpType::Concatenation, {a, hb}, {1, 8, 8, 3}, cat), {1, 192, 1}));
  OpParams mean;
  mean.axes = {1, 2};
  const int c = b.op(OpType::Mean, {conv(t, 6, 5, 1, Activation::None)}, {1, 5}, mean);
  b.output(b.op(OpType::Softmax, {c}, {1, 5}));
  infer_shapes(b.g);
  return b.g;
}

// The int32 biases of two IBC results of the same graph (everything else equal): batches add the fp32 device sums
// in another order, so E(e) / bias scale differs by a few ulps of the sum and a value whose exact correction lies
// within that of .5 may round the other way: at most one bias step, and rarely.
void check_same_biases(const calib::IbcResult& a_result, const calib::IbcResult& b_result) {
  size_t values = 0, off_by_one = 0;
  REQUIRE(a_result.corrected.tensors.size() == b_result.corrected.tensors.size());
  for (size_t t = 0; t < a_result.corrected.tensors.size(); t++) {
    const Tensor& a = a_result.corrected.tensors[t];
    const Tensor& b = b_result.corrected.tensors[t];
    REQUIRE(a.data.size() == b.data.size());
    if (a.dtype != DType::I32 || !a.is_const) {
      CHECK(a.data == b.data);
      continue;
    }
    for (size_t i = 0; i < a.data.size() / 4; i++) {
      int32_t x, y;
      std::memcpy(&x, a.data.data() + 4 * i, 4);
      std::memcpy(&y, b.data.data() + 4 * i, 4);
      CHECK(std::abs((int64_t)x - y) <= 1);
      off_by_one += x != y;
      values++;
    }
  }
  MESSAGE("multi-batch IBC: " << off_by_one << " of " << values << " bias values one step off");
  CHECK(values >= 40);
  CHECK(off_by_one * 20 <= values);
}

// The "after" errors (post-activation) of two IBC results of the same graph, layer by layer.
void check_same_after(const calib::IbcResult& one, const calib::IbcResult& other) {
  REQUIRE(other.diagnostics.layers.size() == one.diagnostics.layers.size());
  for (size_t l = 0; l < one.diagnostics.layers.size(); l++) {
    const calib::ErrorSums &a = one.diagnostics.layers[l].after.post, &b = other.diagnostics.layers[l].after.post;
    REQUIRE(a.size() == b.size());
    for (size_t c = 0; c < a.size(); c++) {
      CHECK(b[c].count == a[c].count);
      CHECK(b[c].sum_e2 == doctest::Approx(a[c].sum_e2).epsilon(1e-3).scale(1e-6 * a[c].count));
    }
  }
}

}  // namespace

TEST_SUITE("calib") {
  TEST_CASE("layer errors: GPU reductions equal the CPU reference's sums (odd sizes, > 64 channel groups)") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(5);
    // 13x11 = 143 rows per image (batches of 2 and 1: 286 and 143 rows, not multiples of the 64-row chunks);
    // 300 channels = 75 groups of 4 (> the 64-invocation workgroup), 7 channels (padding lanes).
    Graph g = dw_net(13, 11, 3, 7, 300, rng);
    Images im = random_images(7, 13 * 11 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 4));
    calib::Diagnostics d = calib::analyze(ctx, g, q, 3, from(im, 4), 2);
    CpuErrors cpu = cpu_errors(g, q, im, 4, 3);
    REQUIRE(d.layers.size() == 5);
    REQUIRE(d.images == 3);
    for (size_t k = 0; k < d.layers.size(); k++) {
      CAPTURE(k);
      for (int point = 0; point < 2; point++) {
        CAPTURE(point);
        const calib::ErrorSums& gpu = point == 0 ? d.layers[k].before.pre : d.layers[k].before.post;
        const CpuLayer& c = point == 0 ? cpu.pre[k] : cpu.post[k];
        REQUIRE(gpu.size() == c.se.size());
        for (size_t ch = 0; ch < gpu.size(); ch++) {
          CHECK(gpu[ch].count == c.count);
          CHECK(mean_error_close(gpu[ch], c, ch));
          CHECK(sum_e2_close(gpu[ch], c, ch));
          CHECK(sum_x_close(gpu[ch], c, ch));
          CHECK(sum_x2_close(gpu[ch], c, ch));
        }
      }
    }
    check_validation();
  }

  TEST_CASE("layer errors: a runner measuring post-activation points only (float activations fused) matches the CPU") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(15);
    Graph g = dw_net(13, 11, 3, 7, 40, rng);  // layers with a fused RELU6, a fused RELU and none
    Images im = random_images(6, 13 * 11 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 3));
    CpuErrors cpu = cpu_errors(g, q, im, 3, 3);
    calib::LayerRunner run(ctx, g, calib::with_biases(q), 3, calib::LayerRunner::kPost);
    std::vector<float> batch;
    for (size_t i = 3; i < 6; i++) batch.insert(batch.end(), im[i].begin(), im[i].end());
    run.set_images(batch.data(), batch.size());
    run.run_all(0);
    REQUIRE(run.layers().size() == cpu.post.size());
    for (size_t k = 0; k < run.layers().size(); k++) {
      CAPTURE(k);
      const calib::StageErrors s = run.sums((int)k, 0);
      const CpuLayer& c = cpu.post[k];
      REQUIRE(s.post.size() == c.se.size());
      for (size_t ch = 0; ch < s.post.size(); ch++) {
        CHECK(s.pre[ch].count == 0);  // never measured
        CHECK(s.post[ch].count == c.count);
        CHECK(mean_error_close(s.post[ch], c, ch));
        CHECK(sum_e2_close(s.post[ch], c, ch));
        CHECK(sum_x_close(s.post[ch], c, ch));
        CHECK(sum_x2_close(s.post[ch], c, ch));
      }
    }
    // Its float network has no pre-activation tensors: asking for them is an error, not a wrong sum.
    CHECK_THROWS_AS(run.advance(0, 1, calib::LayerRunner::kPre), tare::Error);
    CHECK_THROWS_AS(calib::LayerRunner(ctx, g, calib::with_biases(q), 1, calib::LayerRunner::kNone), tare::Error);
    check_validation();
  }

  TEST_CASE("layer errors: a runner summing the mean error alone gives the same sum e bits, the other moments NaN") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(31);
    // 143 and 286 rows (not whole 64-row chunks), 300 channels (> 64 channel groups), 7 channels (padding lanes).
    Graph g = dw_net(13, 11, 3, 7, 300, rng);
    Images im = random_images(5, 13 * 11 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 3));
    CpuErrors cpu = cpu_errors(g, q, im, 3, 2);
    std::vector<float> batch;
    for (size_t i = 3; i < 5; i++) batch.insert(batch.end(), im[i].begin(), im[i].end());
    calib::LayerRunner all(ctx, g, calib::with_biases(q), 2, calib::LayerRunner::kBoth);
    calib::LayerRunner mean(ctx, g, calib::with_biases(q), 2, calib::LayerRunner::kBoth, false);
    for (calib::LayerRunner* run : {&all, &mean}) {
      run->set_images(batch.data(), batch.size());
      run->run_all(0);
      run->set_images(batch.data(), batch.size());  // two runs: the merge adds to what the sums hold
      run->run_all(0);
    }
    REQUIRE(mean.layers().size() == cpu.post.size());
    for (size_t k = 0; k < mean.layers().size(); k++) {
      CAPTURE(k);
      const calib::StageErrors a = all.sums((int)k, 0), m = mean.sums((int)k, 0);
      for (int point = 0; point < 2; point++) {
        CAPTURE(point);
        const calib::ErrorSums &ea = point ? a.post : a.pre, &em = point ? m.post : m.pre;
        const CpuLayer& c = point ? cpu.post[k] : cpu.pre[k];
        REQUIRE(em.size() == c.se.size());
        for (size_t ch = 0; ch < em.size(); ch++) {
          CHECK(em[ch].count == 2 * c.count);
          CHECK(em[ch].sum_e == ea[ch].sum_e);     // bit for bit: IBC corrects the same biases
          CHECK(mean_error_close(em[ch], c, ch));  // both runs saw the same images: the same mean
          CHECK(std::isnan(em[ch].sum_e2));
          CHECK(std::isnan(em[ch].sum_x));
          CHECK(std::isnan(em[ch].sum_x2));
        }
      }
    }
    check_validation();
  }

  TEST_CASE(
      "layer errors: an advance that leaves its FAKE_QUANT unwritten measures the same bits, quantizing on the fly") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(25);
    // 7 channels (padding lanes) and 300 (> 64 channel groups); fused RELU6, RELU and none.
    Graph g = dw_net(13, 11, 3, 7, 300, rng);
    Images im = random_images(5, 13 * 11 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 3));
    std::vector<float> batch;
    for (size_t i = 3; i < 5; i++) batch.insert(batch.end(), im[i].begin(), im[i].end());
    CpuErrors cpu = cpu_errors(g, q, im, 3, 2);
    for (uint8_t points : {(uint8_t)calib::LayerRunner::kPost, (uint8_t)calib::LayerRunner::kBoth}) {
      CAPTURE((int)points);
      // Written: every layer but the last advanced in one submission, each FAKE_QUANT run and its output measured.
      calib::LayerRunner written(ctx, g, calib::with_biases(q), 2, points);
      written.set_images(batch.data(), batch.size());
      written.run_all(0);
      // Unwritten: one submission per layer, the last pass of each; the next advance runs the FAKE_QUANT left out.
      calib::LayerRunner fused(ctx, g, calib::with_biases(q), 2, points);
      fused.set_images(batch.data(), batch.size());
      const int L = (int)fused.layers().size();
      for (int l = 0; l < L; l++) fused.advance(l, 0, points);
      for (int l = 0; l < L; l++) {
        CAPTURE(l);
        const calib::StageErrors a = written.sums(l, 0), b = fused.sums(l, 0);
        REQUIRE(a.post.size() == b.post.size());
        const CpuLayer& c = cpu.post[l];
        for (size_t ch = 0; ch < b.post.size(); ch++) {
          if (l + 1 < L) {  // run_all leaves only its last layer's FAKE_QUANT unwritten
            CHECK(a.post[ch].sum_e == b.post[ch].sum_e);
            CHECK(a.post[ch].sum_e2 == b.post[ch].sum_e2);
            CHECK(a.post[ch].sum_x == b.post[ch].sum_x);
          }
          CHECK(a.pre[ch].sum_e == b.pre[ch].sum_e);
          CHECK(b.post[ch].count == c.count);
          CHECK(mean_error_close(b.post[ch], c, ch));
          CHECK(sum_e2_close(b.post[ch], c, ch));
        }
      }
    }
    check_validation();
  }

  TEST_CASE("layer errors: the BFT stage of the diagnostics equals the CPU reference's sums of the fine-tuned model") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(7);
    Graph g = dw_net(9, 7, 3, 6, 10, rng);
    Images im = random_images(8, 9 * 7 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 4));
    calib::IbcResult ibc = calib::iterative_bias_correction(ctx, g, q, 4, from(im), calib::IbcOptions{});
    calib::BftOptions o;
    o.rates = {1e-2f};
    o.mini_epochs = {2};
    o.batch = 2;
    calib::BftResult bft = calib::bias_fine_tuning(ctx, g, ibc.corrected, 4, from(im), o);
    calib::Diagnostics d = ibc.diagnostics;
    calib::merge_stage(d, calib::ErrorStage::kBft, calib::analyze(ctx, g, bft.corrected, 4, from(im), 3));
    CpuErrors cpu = cpu_errors(g, bft.corrected, im, 0, 4);
    REQUIRE(d.layers.size() == cpu.pre.size());
    double moved = 0;  // BFT changed the biases, so its errors are its own, not IBC's
    for (size_t k = 0; k < d.layers.size(); k++) {
      CAPTURE(k);
      CHECK(d.layers[k].before.pre.size() == ibc.diagnostics.layers[k].before.pre.size());  // the others kept
      CHECK(!d.layers[k].after.empty());
      for (int point = 0; point < 2; point++) {
        CAPTURE(point);
        const calib::ErrorSums& gpu = point == 0 ? d.layers[k].bft.pre : d.layers[k].bft.post;
        const CpuLayer& c = point == 0 ? cpu.pre[k] : cpu.post[k];
        REQUIRE(gpu.size() == c.se.size());
        for (size_t ch = 0; ch < gpu.size(); ch++) {
          CHECK(gpu[ch].count == c.count);
          CHECK(mean_error_close(gpu[ch], c, ch));
          CHECK(sum_x2_close(gpu[ch], c, ch));
          const calib::ErrorSums& ibc_sums = point == 0 ? d.layers[k].after.pre : d.layers[k].after.post;
          moved += std::fabs(gpu[ch].mean_e() - ibc_sums[ch].mean_e());
        }
      }
    }
    CHECK(moved > 0);
    // A model with other layers is refused with a message, the diagnostics unchanged.
    calib::Diagnostics other = d;
    other.layers.pop_back();
    CHECK_THROWS_WITH_AS(calib::merge_stage(d, calib::ErrorStage::kBft, other),
                         doctest::Contains("the measured model has 4 layers, the diagnostics 5"), tare::Error);
    other = d;
    other.layers[1].channels += 1;
    CHECK_THROWS_WITH_AS(calib::merge_stage(d, calib::ErrorStage::kUnequalized, other),
                         doctest::Contains("layer 1 of the measured model"), tare::Error);
    CHECK(d.layers[1].unequalized.empty());
    check_validation();
  }

  TEST_CASE("layer errors: a standalone RELU after a layer is not its activation (MediaPipe's BlazeFace form)") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(6);
    // conv 3x3 (no fused activation) -> RELU (its own op, own quantization) -> conv 1x1 (relu6) -> mean.
    GraphBuilder b;
    b.rng = rng;
    const int x = b.input({1, 9, 7, 3});
    OpParams p;
    p.padding = Padding::Same;
    int y = b.op(OpType::Conv2D, {x, b.random_constant({6, 3, 3, 3}, -0.5f, 0.5f), b.random_constant({6}, -0.3f, 0.3f)},
                 {1, 9, 7, 6}, p);
    y = b.op(OpType::Relu, {y}, {1, 9, 7, 6});
    p.activation = Activation::Relu6;
    y = b.op(OpType::Conv2D, {y, b.random_constant({5, 1, 1, 6}, -0.5f, 0.5f), b.random_constant({5}, -0.1f, 0.3f)},
             {1, 9, 7, 5}, p);
    OpParams m;
    m.axes = {1, 2};
    m.keep_dims = false;
    b.output(b.op(OpType::Mean, {y}, {1, 5}, m));
    infer_shapes(b.g);
    Images im = random_images(6, 9 * 7 * 3, rng);
    Graph q = quantize(ctx, b.g, Images(im.begin(), im.begin() + 3));
    calib::Diagnostics d = calib::analyze(ctx, b.g, q, 3, from(im, 3), 3);
    CpuErrors cpu = cpu_errors(b.g, q, im, 3, 3);
    REQUIRE(d.layers.size() == 2);
    for (size_t k = 0; k < 2; k++) {
      for (int point = 0; point < 2; point++) {
        CAPTURE(k);
        CAPTURE(point);
        const calib::ErrorSums& gpu = point == 0 ? d.layers[k].before.pre : d.layers[k].before.post;
        const CpuLayer& c = point == 0 ? cpu.pre[k] : cpu.post[k];
        REQUIRE(gpu.size() == c.se.size());
        for (size_t ch = 0; ch < gpu.size(); ch++) {
          CHECK(mean_error_close(gpu[ch], c, ch));
          CHECK(sum_x_close(gpu[ch], c, ch));
        }
      }
    }
    // The first layer has no activation of its own: its post-activation point is its output.
    for (size_t ch = 0; ch < d.layers[0].before.pre.size(); ch++) {
      CHECK(d.layers[0].before.post[ch].sum_x == d.layers[0].before.pre[ch].sum_x);
    }
    check_validation();
  }

  TEST_CASE("IBC on one linear layer: zero mean error within bias rounding, and no other bias is better") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(11);
    GraphBuilder b;
    b.rng = rng;
    int x = b.input({1, 9, 9, 4});
    OpParams p;
    p.padding = Padding::Valid;
    std::vector<float> w = b.random_values(5 * 3 * 3 * 4, -0.3f, 0.3f);
    for (int k = 0; k < 36; k++) w[k] *= 5.0f;  // channel 0 large: coarse per-tensor steps for the others
    int y = b.op(OpType::Conv2D, {x, b.constant({5, 3, 3, 4}, w), b.random_constant({5}, -0.2f, 0.2f)}, {1, 7, 7, 5},
                 p);
    b.output(y);
    infer_shapes(b.g);
    // Inputs with a non-zero mean, so that the weights' rounding errors shift the output's mean.
    Images im = random_images(16, 9 * 9 * 4, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, b.g, Images(im.begin(), im.begin() + 8));
    calib::IbcOptions o;
    o.pre_activation = true;
    calib::IbcResult r = calib::iterative_bias_correction(ctx, b.g, q, 8, from(im, 8), o);
    REQUIRE(r.layers == 1);
    CpuErrors before = cpu_errors(b.g, q, im, 8, 8), after = cpu_errors(b.g, r.corrected, im, 8, 8);
    // The corrected bias tensor and its grid.
    const Op& conv = r.corrected.ops[weighted(r.corrected)[0]];
    const Tensor& bias = r.corrected.tensors[conv.inputs[2]];
    REQUIRE(bias.dtype == DType::I32);
    const double step = bias.quant.scale.at(0);
    double moved = 0;
    for (int c = 0; c < 5; c++) {
      CAPTURE(c);
      const double mean_before = before.pre[0].se[c] / before.pre[0].count;
      const double mean_after = after.pre[0].se[c] / after.pre[0].count;
      moved = std::max(moved, std::fabs(mean_before));
      // Zero within the bias rounding (half a step) and the float sums' rounding.
      CHECK(std::fabs(mean_after) <= 0.5 * step + 1e-6);
      // GPU diagnostics agree with the CPU.
      CHECK(r.diagnostics.layers[0].before.pre[c].mean_e() == doctest::Approx(mean_before).epsilon(1e-3));
    }
    CHECK(moved > 20 * step);  // there was a shift to correct
    // No other bias is better: moving any channel's bias by +-1 or +-5 grid steps raises its mean squared error
    // (measured by the CPU reference on the same images).
    for (int delta : {-5, -1, 1, 5}) {
      Graph other = r.corrected;
      Tensor& bt = other.tensors[conv.inputs[2]];
      for (int c = 0; c < 5; c++) reinterpret_cast<int32_t*>(bt.data.data())[c] += delta;
      CpuErrors e = cpu_errors(b.g, other, im, 8, 8);
      for (int c = 0; c < 5; c++) CHECK(e.pre[0].se2[c] > after.pre[0].se2[c]);
    }
    check_validation();
  }

  TEST_CASE("IBC lowers |MAS| in every corrected layer of a depthwise-separable net, on held-out images") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(21);
    // Weights with a positive mean and inputs like images ([-0.2, 1]): activations have non-zero means, so that the
    // weights' rounding errors shift them, and most ReLUs are active (as in MobileNets).
    Graph g = dw_net(16, 16, 3, 16, 32, rng, -0.2f, 0.4f, 0.0f);
    Images im = random_images(56, 16 * 16 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 16));
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      calib::IbcOptions o;
      o.pre_activation = pre;
      calib::IbcResult r = calib::iterative_bias_correction(ctx, g, q, 8, from(im, 16), o);
      REQUIRE(r.layers == 5);
      // Held out: images 24..55.
      calib::Diagnostics d = calib::analyze(ctx, g, q, 32, from(im, 24), 8);
      calib::merge_after(d, calib::analyze(ctx, g, r.corrected, 32, from(im, 24), 8));
      for (size_t k = 0; k < d.layers.size(); k++) {
        CAPTURE(k);
        const calib::ErrorSums& b0 = pre ? d.layers[k].before.pre : d.layers[k].before.post;
        const calib::ErrorSums& a0 = pre ? d.layers[k].after.pre : d.layers[k].after.post;
        const double mb = calib::summarize(b0).mas_rms, ma = calib::summarize(a0).mas_rms;
        MESSAGE("layer " << k << " MAS rms " << mb << " -> " << ma);
        CHECK(ma < mb);
      }
    }
    check_validation();
  }

  TEST_CASE("IBC is deterministic and leaves weights and everything but the biases alone") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(8);
    Graph g = dw_net(12, 12, 3, 8, 12, rng);
    Images im = random_images(16, 12 * 12 * 3, rng);
    Graph q = quantize(ctx, g, Images(im.begin(), im.begin() + 8), /*per_channel=*/true);
    calib::IbcResult a = calib::iterative_bias_correction(ctx, g, q, 8, from(im, 8), {});
    calib::IbcResult b = calib::iterative_bias_correction(ctx, g, q, 8, from(im, 8), {});
    REQUIRE(a.corrected.tensors.size() == b.corrected.tensors.size());
    int changed = 0;
    for (size_t t = 0; t < a.corrected.tensors.size(); t++) {
      CHECK(a.corrected.tensors[t].data == b.corrected.tensors[t].data);
      if (t < q.tensors.size() && q.tensors[t].is_const && q.tensors[t].data != a.corrected.tensors[t].data) {
        CHECK(q.tensors[t].dtype == DType::I32);  // only biases change
        changed++;
      }
    }
    CHECK(changed >= 4);
    REQUIRE(a.corrected.ops.size() == q.ops.size());
    check_validation();
  }

  TEST_CASE("IBC without diagnostics measures only what it corrects with, and corrects the same biases") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(9);
    Graph g = dw_net(12, 12, 3, 8, 12, rng);
    Images im = random_images(8, 12 * 12 * 3, rng);
    Graph q = quantize(ctx, g, im, /*per_channel=*/false);
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      calib::IbcOptions full, lean;
      full.pre_activation = lean.pre_activation = pre;
      lean.diagnostics = false;
      calib::IbcResult a = calib::iterative_bias_correction(ctx, g, q, 8, from(im), full);
      calib::IbcResult b = calib::iterative_bias_correction(ctx, g, q, 8, from(im), lean);
      CHECK(b.diagnostics.layers.empty());
      REQUIRE(a.layers == b.layers);
      REQUIRE(a.corrected.tensors.size() == b.corrected.tensors.size());
      int changed = 0;
      for (size_t t = 0; t < a.corrected.tensors.size(); t++) {
        CHECK(a.corrected.tensors[t].data == b.corrected.tensors[t].data);
        changed += t < q.tensors.size() && q.tensors[t].data != b.corrected.tensors[t].data;
      }
      CHECK(changed >= 4);
    }
    check_validation();
  }

  TEST_CASE("SPLIT feeding two convolutions: quantized (outputs share the input's parameters), IBC, export, TFLite") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(31);
    // conv 3x3 (relu6) -> SPLIT into 2 x 5 channels -> conv 1x1 on each -> ADD -> mean.
    GraphBuilder b;
    b.rng = rng;
    OpParams p;
    p.padding = Padding::Same;
    p.activation = Activation::Relu6;
    const int x = b.input({1, 8, 8, 3});
    const int y = b.op(OpType::Conv2D, {x, b.random_constant({10, 3, 3, 3}, -0.2f, 0.4f), b.random_constant({10})},
                       {1, 8, 8, 10}, p);
    OpParams sp;
    sp.axis = 3;
    sp.ints = {2};
    // As imported: the constant axis is the second input.
    const std::vector<int> halves = b.ops(OpType::Split, {y, b.int32_constant({}, {3})}, {{1, 8, 8, 5}, {1, 8, 8, 5}},
                                          sp);
    p.activation = Activation::None;
    const int a = b.op(OpType::Conv2D,
                       {halves[0], b.random_constant({6, 1, 1, 5}, -0.2f, 0.4f), b.random_constant({6})}, {1, 8, 8, 6},
                       p);
    const int c = b.op(OpType::Conv2D,
                       {halves[1], b.random_constant({6, 1, 1, 5}, -0.2f, 0.4f), b.random_constant({6})}, {1, 8, 8, 6},
                       p);
    const int j = b.op(OpType::Add, {a, c}, {1, 8, 8, 6});
    OpParams m;
    m.axes = {1, 2};
    b.output(b.op(OpType::Mean, {j}, {1, 6}, m));
    infer_shapes(b.g);
    Images im = random_images(24, 8 * 8 * 3, rng, -0.2f, 1.0f);
    const Graph q = quantize(ctx, b.g, Images(im.begin(), im.begin() + 8));
    int splits = 0;
    for (const Op& op : q.ops) {
      if (op.type != OpType::Split) continue;
      splits++;
      REQUIRE(op.outputs.size() == 2);
      const QuantParams& in = q.tensors[op.inputs[0]].quant;
      for (int t : op.outputs) {  // TFLite's int8 SPLIT copies the stored values
        CHECK(q.tensors[t].dtype == DType::I8);
        CHECK(q.tensors[t].quant.scale == in.scale);
        CHECK(q.tensors[t].quant.zero_point == in.zero_point);
      }
    }
    CHECK(splits == 1);
    // IBC corrects all three convolutions, the two behind SPLIT included, and lowers their mean shift on its batch.
    calib::IbcResult r = calib::iterative_bias_correction(ctx, b.g, q, 8, from(im, 8), {});
    CHECK(r.layers == 3);
    REQUIRE(r.diagnostics.layers.size() == 3);
    for (size_t k = 0; k < 3; k++) {
      const double mb = calib::summarize(r.diagnostics.layers[k].before.post).mas_rms;
      const double ma = calib::summarize(r.diagnostics.layers[k].after.post).mas_rms;
      MESSAGE("layer " << k << " MAS rms " << mb << " -> " << ma);
      CHECK(ma <= mb);
    }
    // The corrected graph exports and runs bit for bit on the GPU and in TFLite against the integer reference.
    std::vector<uint8_t> raw(im[20].size() * 4);
    std::memcpy(raw.data(), im[20].data(), raw.size());
    const auto want = ref::run_int(r.corrected, {raw});
    Session s = q8_session(ctx, r.corrected, {true, Q8Dot::Default, "packed"});
    s.set_input_bytes(0, raw.data(), raw.size());
    s.run();
    std::vector<uint8_t> got(s.output(0).bytes());
    s.get_output_bytes(0, got.data(), got.size());
    CHECK(got == want[0]);
    check_validation();
    if (!tflite_available()) return;
    const TfliteRun run = run_tflite_graph(r.corrected, {raw});
    REQUIRE_MESSAGE(run.ok, run.log);
    REQUIRE(run.outputs.size() == 1);
    CHECK(run.outputs[0] == want[0]);
  }

  TEST_CASE("IBC in several GPU batches equals IBC in one batch (sums added over batches)") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(23);
    Graph g = dw_net(12, 12, 3, 8, 12, rng, -0.2f, 0.4f, 0.0f);
    Images im = random_images(10, 12 * 12 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, im);
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      calib::IbcOptions o;
      o.pre_activation = pre;
      const calib::IbcResult one = calib::iterative_bias_correction(ctx, g, q, 10, from(im), o);
      o.batch = 4;  // batches of 4, 4 and 2: two runner sizes
      const calib::IbcResult split = calib::iterative_bias_correction(ctx, g, q, 10, from(im), o);
      REQUIRE(split.layers == one.layers);
      // Layer 0's errors do not depend on any correction: the summed batches against the CPU reference.
      const CpuErrors cpu = cpu_errors(g, q, im, 0, 10);
      const calib::ErrorSums& e0 = split.diagnostics.layers[0].before.post;
      REQUIRE(e0.size() == cpu.post[0].se.size());
      for (size_t c = 0; c < e0.size(); c++) {
        CHECK(e0[c].count == doctest::Approx(cpu.post[0].count));
        CHECK(e0[c].sum_e == doctest::Approx(cpu.post[0].se[c]).epsilon(1e-4).scale(1e-3 * cpu.post[0].count));
      }
      check_same_biases(one, split);
      // "After" diagnostics: one pass with every bias corrected equals the per-layer reruns of one batch.
      check_same_after(one, split);
    }
    check_validation();
  }

  TEST_CASE("IBC with batch 0 runs as many images per GPU batch as the device can bind") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(29);
    Graph g = dw_net(12, 12, 3, 8, 12, rng, -0.2f, 0.4f, 0.0f);
    Images im = random_images(10, 12 * 12 * 3, rng, -0.2f, 1.0f);
    Graph q = quantize(ctx, g, im);
    // The largest float activation is [n,12,12,12]: 12 x 12 x 12 floats, 6912 bytes per image.  A device that binds
    // four images' worth of it.
    vk::ContextOptions co;
    co.max_storage_buffer_range = 4 * 6912;
    auto small = std::make_shared<vk::Context>(co);
    calib::IbcOptions o;
    o.batch = 10;  // all at once does not fit
    try {
      calib::iterative_bias_correction(small, g, q, 10, from(im), o);
      FAIL("ten images in one binding were not refused");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
    }
    // Batches of 4, 4 and 2, each on a runner of its own that keeps its batch's state between layers: the biases of
    // one batch of ten (on the device's own limit) up to the fp32 summation order, and the same "after" errors.
    o.batch = 0;
    const calib::IbcResult fit = calib::iterative_bias_correction(small, g, q, 10, from(im), o);
    const calib::IbcResult one = calib::iterative_bias_correction(ctx, g, q, 10, from(im), o);
    check_same_biases(one, fit);
    check_same_after(one, fit);
    check_validation();
  }

  TEST_CASE("IBC: clear errors for mismatched models and bad arguments") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(9);
    Graph g = dw_net(8, 8, 3, 4, 8, rng);
    Graph other = dw_net(8, 8, 3, 4, 12, rng);
    Images im = random_images(4, 8 * 8 * 3, rng);
    Graph q = quantize(ctx, g, im);
    CHECK_THROWS_AS(calib::iterative_bias_correction(ctx, other, q, 2, from(im), {}), tare::Error);
    CHECK_THROWS_AS(calib::iterative_bias_correction(ctx, g, q, 0, from(im), {}), tare::Error);
    CHECK_THROWS_AS(calib::iterative_bias_correction(ctx, g, g, 2, from(im), {}), tare::Error);  // nothing quantized
    int calls = 0;
    try {
      calib::iterative_bias_correction(ctx, g, q, 2, from(im), {}, [&](uint32_t, uint32_t) { return ++calls < 2; });
      FAIL("not cancelled");
    } catch (const tare::Error& e) {
      CHECK(e.status() == TARE_ERROR_CANCELLED);
    }
    check_validation();
  }

  TEST_CASE("raw output heads: read through layout ops only, not through SOFTMAX, MEAN or another layer") {
    std::mt19937 rng(31);
    Graph g = heads_net(rng);
    const std::vector<int> w = weighted(g);  // T, A, B, C
    REQUIRE(w.size() == 4);
    CHECK(!calib::is_raw_head(g, w[0]));  // read by the heads
    CHECK(calib::is_raw_head(g, w[1]));   // RESHAPE -> CONCATENATION -> output
    CHECK(calib::is_raw_head(g, w[2]));
    CHECK(!calib::is_raw_head(g, w[3]));  // MEAN -> SOFTMAX
    // A head that is also read by another layer is not raw.
    Graph fed = g;
    fed.ops[(size_t)w[3]].inputs[0] = fed.ops[(size_t)w[1]].outputs[0];
    CHECK(!calib::is_raw_head(fed, w[1]));
    // Nothing reaching an output is no head either (an output dropped).
    Graph dropped = g;
    dropped.outputs.erase(dropped.outputs.begin());
    CHECK(!calib::is_raw_head(dropped, w[1]));
  }

  TEST_CASE("IBC keeping the raw heads: their biases stay, the other layers' equal full IBC's (CPU reference)") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(32);
    Graph g = heads_net(rng);
    Images im = random_images(8, 8 * 8 * 3, rng, -0.2f, 1.0f);
    Graph q = calib::with_biases(quantize(ctx, g, im));
    // The quantized graph (QUANTIZE / DEQUANTIZE at the ends) has the same raw heads.
    const std::vector<int> qw = weighted(q);
    REQUIRE(qw.size() == 4);
    CHECK((!calib::is_raw_head(q, qw[0]) && calib::is_raw_head(q, qw[1]) && calib::is_raw_head(q, qw[2]) &&
           !calib::is_raw_head(q, qw[3])));
    calib::IbcOptions all, keep;
    all.pre_activation = keep.pre_activation = true;
    keep.keep_heads = true;
    calib::IbcResult ra = calib::iterative_bias_correction(ctx, g, q, 8, from(im), all);
    calib::IbcResult rk = calib::iterative_bias_correction(ctx, g, q, 8, from(im), keep);
    CHECK((ra.layers == 4 && ra.kept == 0));
    CHECK((rk.layers == 2 && rk.kept == 2));
    auto bias = [](const Graph& graph, int op) { return graph.tensors[(size_t)graph.ops[(size_t)op].inputs[2]].data; };
    for (int k : {1, 2}) {
      CAPTURE(k);
      CHECK(bias(rk.corrected, qw[k]) == bias(q, qw[k]));  // kept
      CHECK(bias(ra.corrected, qw[k]) != bias(q, qw[k]));  // full IBC had a shift to correct there
    }
    for (int k : {0, 3}) {
      CAPTURE(k);
      CHECK(bias(rk.corrected, qw[k]) == bias(ra.corrected, qw[k]));  // no later layer reads a head
      CHECK(bias(rk.corrected, qw[k]) != bias(q, qw[k]));
    }
    // On the CPU reference: full IBC zeroes a head's mean error (within half a bias step); kept, the head has the
    // error of the quantized head on the corrected trunk, which the diagnostics' "after" stage reports.
    CpuErrors ea = cpu_errors(g, ra.corrected, im, 0, 8), ek = cpu_errors(g, rk.corrected, im, 0, 8);
    for (int k : {1, 2}) {
      const double step = q.tensors[(size_t)q.ops[(size_t)qw[k]].inputs[2]].quant.scale.at(0);
      double kept_shift = 0;
      for (size_t c = 0; c < ea.pre[(size_t)k].se.size(); c++) {
        CAPTURE(k);
        CAPTURE(c);
        CHECK(std::fabs(ea.pre[(size_t)k].se[c] / ea.pre[(size_t)k].count) <= 0.5 * step + 1e-6);
        CHECK(mean_error_close(rk.diagnostics.layers[(size_t)k].after.pre[c], ek.pre[(size_t)k], c));
        kept_shift = std::max(kept_shift, std::fabs(ek.pre[(size_t)k].se[c] / ek.pre[(size_t)k].count));
      }
      CHECK(kept_shift > 2 * step);
    }
    check_validation();
  }
}
