// Calibration statistics on the GPU and the post-training quantizer (docs/quantization.md).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "calib/calibrate.h"
#include "model/op_desc.h"
#include "model/tflite_export.h"
#include "op_harness.h"
#include "q8_harness.h"
#include "quant/quantizer.h"
#include "ref/int_reference.h"
#include "tflite_oracle.h"

using namespace tare;
using namespace tare::test;

namespace {

// conv 3x3 (relu6) -> depthwise 3x3 (relu) -> conv 1x1 -> mean over H,W: a tiny depthwise-separable net.
Graph small_net(int h, int w, int cin, int c1, int c2, std::mt19937& rng, bool dead_channel = false) {
  GraphBuilder b;
  b.rng = rng;
  int x = b.input({1, h, w, cin});
  OpParams p;
  p.padding = Padding::Same;
  p.activation = Activation::Relu6;
  std::vector<float> w1 = b.random_values((size_t)c1 * 9 * cin, -0.5f, 0.5f);
  std::vector<float> b1 = b.random_values((size_t)c1, -0.2f, 0.2f);
  if (dead_channel) {  // channel 1: all weights 0 and a negative bias: relu6 makes it exactly 0 everywhere
    for (int k = 0; k < 9 * cin; k++) w1[(size_t)1 * 9 * cin + k] = -0.0f;
    b1[1] = -1.0f;
  }
  int y1 = b.op(OpType::Conv2D, {x, b.constant({c1, 3, 3, cin}, w1), b.constant({c1}, b1)}, {1, h, w, c1}, p);
  p.activation = Activation::Relu;
  int y2 = b.op(OpType::DepthwiseConv2D, {y1, b.random_constant({1, 3, 3, c1}), b.random_constant({c1}, -0.1f, 0.1f)},
                {1, h, w, c1}, p);
  p.activation = Activation::None;
  int y3 = b.op(OpType::Conv2D, {y2, b.random_constant({c2, 1, 1, c1}), b.random_constant({c2})}, {1, h, w, c2}, p);
  OpParams m;
  m.axes = {1, 2};
  m.keep_dims = false;
  int y4 = b.op(OpType::Mean, {y3}, {1, c2}, m);
  b.output(y4);
  infer_shapes(b.g);
  return b.g;
}

// A quantized single-input, single-output net `q` of float net `f` on input `in`: the GPU (packed words) runs it bit
// for bit with the integer reference, within 3 output steps of the float net, and so does TFLite on the exported
// model (when the oracle is available).
void check_quantized_net(std::shared_ptr<vk::Context> ctx, const Graph& f, const Graph& q,
                         const std::vector<float>& in) {
  std::vector<uint8_t> raw(in.size() * 4);
  std::memcpy(raw.data(), in.data(), raw.size());
  const auto want = ref::run_int(q, {raw});
  Session s = q8_session(ctx, q, {true, Q8Dot::Default, "packed"});
  s.set_input_bytes(0, raw.data(), raw.size());
  s.run();
  std::vector<uint8_t> got(s.output(0).bytes());
  s.get_output_bytes(0, got.data(), got.size());
  CHECK(got == want[0]);
  {
    auto fv = ref::run(f, {in})[f.outputs[0]];
    std::vector<float> gq(got.size() / 4);
    std::memcpy(gq.data(), got.data(), got.size());
    CHECK(max_abs_error(gq, fv) <= 3 * q.tensors[q.ops.back().inputs[0]].quant.scale[0]);
  }
  check_validation();
  if (!tflite_available()) return;
  const TfliteRun run = run_tflite_graph(q, {raw});
  REQUIRE_MESSAGE(run.ok, run.log);
  REQUIRE(run.outputs.size() == 1);
  CHECK(run.outputs[0] == want[0]);
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("quantized graph: a layer without a bias gets a zero int32 one, as TFLite's int8 kernels need") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    const int x = b.input({1, 6, 7, 3});
    OpParams p;
    p.padding = Padding::Same;
    const int y = b.op(OpType::Conv2D, {x, b.random_constant({5, 3, 3, 3})}, {1, 6, 7, 5}, p);
    b.output(b.op(OpType::FullyConnected, {y, b.random_constant({4, 6 * 7 * 5})}, {1, 4}));
    infer_shapes(b.g);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> in(6 * 7 * 3);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    int layers = 0;
    for (const Op& op : q.ops) {
      if (!is_weighted(op.type)) continue;
      layers++;
      REQUIRE(op.inputs.size() == 3);
      REQUIRE(op.inputs[2] >= 0);
      const Tensor& bias = q.tensors[op.inputs[2]];
      CHECK(bias.dtype == DType::I32);
      CHECK(bias.elements() == weighted_out_channels(q, op));
      CHECK(std::all_of(bias.data.begin(), bias.data.end(), [](uint8_t v) { return v == 0; }));
      CHECK(bias.quant.scale.size() == q.tensors[op.inputs[1]].quant.scale.size());
    }
    CHECK(layers == 2);
    // TFLite loads and runs the exported model, bit for bit with the integer reference.
    if (!tflite_available()) return;
    std::vector<uint8_t> raw(in.size() * 4);
    std::memcpy(raw.data(), in.data(), raw.size());
    const auto want = ref::run_int(q, {raw});
    const TfliteRun run = run_tflite_graph(q, {raw});
    REQUIRE_MESSAGE(run.ok, run.log);
    REQUIRE(run.outputs.size() == 1);
    CHECK(run.outputs[0] == want[0]);
  }

  TEST_CASE("quantized graph: MAXIMUM / MINIMUM share one quantization, other ranges requantized (TFLite's form)") {
    auto ctx = gpu();
    if (!ctx) return;
    // max(3 x, x + c) over differently ranged branches, then min with a constant: every operand has its own range.
    GraphBuilder b;
    const int x = b.input({1, 5, 6, 3});
    const int a = b.op(OpType::Mul, {x, b.constant({1}, {3.0f})}, {1, 5, 6, 3});
    const int c = b.op(OpType::Add, {x, b.random_constant({3}, -0.5f, 0.5f)}, {1, 5, 6, 3});
    const int m = b.op(OpType::Maximum, {a, c}, {1, 5, 6, 3});
    b.output(b.op(OpType::Minimum, {m, b.random_constant({3}, 0.5f, 2.0f)}, {1, 5, 6, 3}));
    infer_shapes(b.g);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> in(5 * 6 * 3);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    int shared = 0, requant = 0;
    for (const Op& op : q.ops) {
      if (op.type == OpType::Quantize && q.tensors[op.inputs[0]].dtype == DType::I8) requant++;
      if (op_traits(op.type).output_quant != OutputQuant::SharedWithInputs) continue;
      shared++;
      const QuantParams& y = q.tensors[op.outputs[0]].quant;
      for (int t : op.inputs) {
        CHECK(q.tensors[t].quant.scale == y.scale);
        CHECK(q.tensors[t].quant.zero_point == y.zero_point);
      }
    }
    CHECK(shared == 2);
    CHECK(requant >= 2);  // both MAXIMUM inputs carried their own ranges
    // The GPU runs it bit for bit with the integer reference, and so does TFLite on the exported model.
    check_quantized_net(ctx, b.g, q, in);
  }

  TEST_CASE("quantized graph: CONCATENATION's inputs share its quantization, as TFLite's int8 kernel requires") {
    auto ctx = gpu();
    if (!ctx) return;
    // Branches of different ranges (x, 4 x + 1) and a constant, joined on the channel axis.
    GraphBuilder b;
    const int x = b.input({1, 4, 5, 3});
    const int a = b.op(OpType::Mul, {x, b.constant({1}, {4.0f})}, {1, 4, 5, 3});
    const int c = b.op(OpType::Add, {a, b.constant({1}, {1.0f})}, {1, 4, 5, 3});
    OpParams axis;
    axis.axis = 3;
    b.output(b.op(OpType::Concatenation, {x, c, b.random_constant({1, 4, 5, 2}, -0.5f, 0.5f)}, {1, 4, 5, 8}, axis));
    infer_shapes(b.g);
    std::mt19937 rng(12);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> in(4 * 5 * 3);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    int concats = 0, requant = 0;
    for (const Op& op : q.ops) {
      if (op.type == OpType::Quantize && q.tensors[op.inputs[0]].dtype == DType::I8) requant++;
      if (op.type != OpType::Concatenation) continue;
      concats++;
      const QuantParams& y = q.tensors[op.outputs[0]].quant;
      for (int t : op.inputs) {
        CHECK(q.tensors[t].quant.scale == y.scale);
        CHECK(q.tensors[t].quant.zero_point == y.zero_point);
      }
    }
    CHECK(concats == 1);
    CHECK(requant >= 1);  // x kept its own, narrower range for MUL
    // Bit for bit on the GPU vs the integer reference, and TFLite accepts and matches the exported model.
    check_quantized_net(ctx, b.g, q, in);
  }

  TEST_CASE("quantized graph: CONCATENATION of RESHAPEd layer outputs (a detector's heads) takes their ranges") {
    auto ctx = gpu();
    if (!ctx) return;
    // Two heads, each reshaped to [1, anchors, k] and joined on the last axis, as BlazeFace's outputs are; the
    // 1-channel head's RESHAPE changes no byte, so the calibration sees no run of its own for it.
    GraphBuilder b;
    const int x = b.input({1, 4, 4, 3});
    OpParams p;
    p.padding = Padding::Same;
    auto head = [&](int channels, float scale) {
      const int y = b.op(OpType::Conv2D,
                         {x, b.random_constant({channels, 1, 1, 3}, -scale, scale), b.random_constant({channels})},
                         {1, 4, 4, channels}, p);
      OpParams r;
      r.new_shape = {1, 16, channels};
      return b.op(OpType::Reshape, {y}, r.new_shape, r);
    };
    const int a = head(1, 3.0f), c = head(2, 0.5f);
    OpParams axis;
    axis.axis = 2;
    b.output(b.op(OpType::Concatenation, {a, c}, {1, 16, 3}, axis));
    infer_shapes(b.g);
    std::mt19937 rng(14);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> in(4 * 4 * 3);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    check_quantized_net(ctx, b.g, q, in);
  }

  TEST_CASE("quantized graph: PRELU's constant alpha on its own int8 scale, bit-exact on the GPU and in TFLite") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    const int x = b.input({1, 6, 5, 7});
    const int y = b.op(OpType::Add, {x, b.random_constant({7}, -0.5f, 0.5f)}, {1, 6, 5, 7});
    b.output(b.op(OpType::Prelu, {y, b.random_constant({1, 1, 7}, -0.3f, 1.2f)}, {1, 6, 5, 7}));
    infer_shapes(b.g);
    std::mt19937 rng(13);
    std::uniform_real_distribution<float> d(-2, 2);
    std::vector<float> in(6 * 5 * 7);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    int prelus = 0;
    for (const Op& op : q.ops) {
      if (op.type != OpType::Prelu) continue;
      prelus++;
      // TFLite's converter: a per-tensor asymmetric int8 alpha over its own range (the kernel reads one scale).
      const Tensor& alpha = q.tensors[op.inputs[1]];
      CHECK(alpha.is_const);
      CHECK(alpha.dtype == DType::I8);
      REQUIRE(alpha.quant.scale.size() == 1);
      CHECK(alpha.quant.scale[0] == doctest::Approx(1.2f / 255).epsilon(0.02));
    }
    CHECK(prelus == 1);
    check_quantized_net(ctx, b.g, q, in);
  }

  TEST_CASE("quantized graph: BATCH_MATMUL's constant operand, L2_NORMALIZATION's fixed output, CAST's copy") {
    auto ctx = gpu();
    if (!ctx) return;
    // x [1,6,8] x W [8,5] (a constant), L2-normalized rows, a same-type CAST.
    GraphBuilder b;
    const int x = b.input({1, 6, 8});
    const int y = b.op(OpType::BatchMatmul, {x, b.random_constant({8, 5}, -0.7f, 1.0f)}, {1, 6, 5});
    const int n = b.op(OpType::L2Normalization, {y}, {1, 6, 5});
    b.output(b.op(OpType::Cast, {n}, {1, 6, 5}));
    infer_shapes(b.g);
    std::mt19937 rng(17);
    std::uniform_real_distribution<float> d(-2, 2);
    std::vector<float> in(6 * 8);
    for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(
        ctx, b.g, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
    const Graph q = quant::quantize_graph(b.g, st, {}, nullptr);
    int seen = 0;
    for (const Op& op : q.ops) {
      const Tensor& out = q.tensors[op.outputs[0]];
      if (op.type == OpType::BatchMatmul) {
        // As TFLite's quantizer treats BATCH_MATMUL's inputs: a per-tensor asymmetric int8 constant, no bias added.
        seen++;
        CHECK(op.inputs.size() == 2);
        const Tensor& w = q.tensors[op.inputs[1]];
        CHECK(w.is_const);
        CHECK(w.dtype == DType::I8);
        REQUIRE(w.quant.scale.size() == 1);
        CHECK(w.quant.scale[0] == doctest::Approx(1.7f / 255).epsilon(0.02));
      } else if (op.type == OpType::L2Normalization) {
        seen++;
        CHECK(out.dtype == DType::I8);
        CHECK(out.quant.scale == std::vector<float>{1.0f / 128});
        CHECK(out.quant.zero_point == std::vector<int64_t>{0});
      } else if (op.type == OpType::Cast) {
        seen++;
        CHECK(out.dtype == DType::I8);
        CHECK(out.quant.scale == q.tensors[op.inputs[0]].quant.scale);
        CHECK(out.quant.zero_point == q.tensors[op.inputs[0]].quant.zero_point);
      }
    }
    CHECK(seen == 3);
    CHECK(!is_weighted(OpType::BatchMatmul));  // no bias in the format: IBC / BFT leave it alone
    check_quantized_net(ctx, b.g, q, in);
  }

  TEST_CASE("calibration: GPU per-channel min/max/mean/mean square equal the CPU reference's") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(3);
    // Statistics of every activation of `g` over `images` random inputs; `tensors`: how many there are.
    auto check_stats = [&](const Graph& g, int tensors) {
      const int images = 5;
      const int64_t n = g.tensors[g.inputs[0]].elements();
      std::uniform_real_distribution<float> d(-1, 1);
      std::vector<std::vector<float>> inputs(images, std::vector<float>((size_t)n));
      for (auto& in : inputs)
        for (auto& v : in) v = d(rng);
      quant::Stats st = calib::calibrate(ctx, g, images, 2, fill_from(inputs), nullptr);
      // CPU: the same statistics from the reference executor's values.
      std::vector<std::vector<float>> mn(g.tensors.size()), mx(g.tensors.size());
      std::vector<std::vector<double>> sum(g.tensors.size()), sq(g.tensors.size());
      std::vector<double> count(g.tensors.size(), 0);
      for (auto& in : inputs) {
        ref::Values v = ref::run(g, {in});
        for (size_t t = 0; t < g.tensors.size(); t++) {
          if (g.tensors[t].is_const || v[t].empty()) continue;
          int C = g.tensors[t].shape.back();
          if (mn[t].empty()) {
            mn[t].assign(C, INFINITY);
            mx[t].assign(C, -INFINITY);
            sum[t].assign(C, 0.0);
            sq[t].assign(C, 0.0);
          }
          for (size_t i = 0; i < v[t].size(); i++) {
            mn[t][i % C] = std::min(mn[t][i % C], v[t][i]);
            mx[t][i % C] = std::max(mx[t][i % C], v[t][i]);
            sum[t][i % C] += v[t][i];
            sq[t][i % C] += (double)v[t][i] * v[t][i];
          }
          count[t] += (double)v[t].size() / C;
        }
      }
      int checked = 0;
      for (size_t t = 0; t < g.tensors.size(); t++) {
        if (mn[t].empty()) continue;
        REQUIRE(st[t].seen());
        REQUIRE(st[t].min.size() == mn[t].size());
        CHECK(st[t].count == count[t]);
        for (size_t c = 0; c < mn[t].size(); c++) {
          CHECK(st[t].min[c] == doctest::Approx(mn[t][c]).epsilon(1e-5));
          CHECK(st[t].max[c] == doctest::Approx(mx[t][c]).epsilon(1e-5));
          // Means and mean squares (fp32 sums on the device): relative to the channel's scale.
          double scale = std::max(std::fabs((double)mn[t][c]), std::fabs((double)mx[t][c])) + 1e-12;
          CHECK(std::fabs(st[t].mean(c) - sum[t][c] / count[t]) <= 1e-5 * scale);
          CHECK(std::fabs(st[t].sum_sq[c] / st[t].count - sq[t][c] / count[t]) <= 1e-5 * scale * scale);
        }
        checked++;
      }
      CHECK(checked == tensors);
    };
    check_stats(small_net(37, 29, 3, 13, 7, rng), 5);  // input, three layer outputs and the mean; 1073 rows: not a
                                                       // multiple of the 64-row chunks
    // One operator with several outputs: each output tensor has statistics of its own.
    GraphBuilder b;
    const int x = b.input({1, 37, 29, 7});
    OpParams p;
    p.axis = 3;
    p.ints = {2, -1, 1};
    b.outputs(b.ops(OpType::SplitV, {x}, {{1, 37, 29, 2}, {1, 37, 29, 4}, {1, 37, 29, 1}}, p));
    infer_shapes(b.g);
    check_stats(b.g, 4);  // input and three outputs
    check_validation();
  }

  TEST_CASE("activation parameters and weight quantization by hand") {
    float s;
    int32_t z;
    quant::activation_params(-1.0f, 3.0f, s, z);
    CHECK(s == doctest::Approx(4.0f / 255));
    CHECK(z == -128 + 64);                       // round(255/4) = 64 steps above the minimum
    quant::activation_params(0.5f, 6.0f, s, z);  // range widened to include 0
    CHECK(s == doctest::Approx(6.0f / 255));
    CHECK(z == -128);
    quant::activation_params(-2.0f, -1.0f, s, z);
    CHECK(z == 127);
    std::vector<int8_t> q;
    // shape [2, 1, 1, 2]: channel 0 = {1, -0.5}, channel 1 = {0.25, 0.125}
    auto scales = quant::quantize_weights({1.0f, -0.5f, 0.25f, 0.125f}, {2, 1, 1, 2}, 0, true,
                                          quant::WeightRounding::NearestAway, q);
    REQUIRE(scales.size() == 2);
    CHECK(scales[0] == doctest::Approx(1.0f / 127));
    CHECK(scales[1] == doctest::Approx(0.25f / 127));
    CHECK(q == std::vector<int8_t>{127, -64, 127, 64});  // -63.5 rounds away from zero; 63.5 too
    scales = quant::quantize_weights({1.0f, -0.5f, 0.25f, 0.125f}, {2, 1, 1, 2}, 0, false,
                                     quant::WeightRounding::NearestEven, q);
    REQUIRE(scales.size() == 1);
    CHECK(q == std::vector<int8_t>{127, -64, 32, 16});  // 31.75 -> 32, 15.875 -> 16
    // An all-zero channel takes the tensor's largest scale (its multiplier stays within the layer's); all zero: 1.
    scales = quant::quantize_weights({0.0f, 0.0f, 0.25f, -0.5f, 0.0f, 0.125f}, {3, 1, 1, 2}, 0, true,
                                     quant::WeightRounding::NearestAway, q);
    REQUIRE(scales.size() == 3);
    CHECK(scales[0] == doctest::Approx(0.5f / 127));
    CHECK(scales[1] == doctest::Approx(0.5f / 127));
    CHECK(scales[2] == doctest::Approx(0.125f / 127));
    CHECK(q == std::vector<int8_t>{0, 0, 64, -127, 0, 127});
    scales = quant::quantize_weights({0.0f, 0.0f}, {2, 1, 1, 1}, 0, true, quant::WeightRounding::NearestAway, q);
    CHECK(scales == std::vector<float>{1.0f, 1.0f});
  }

  TEST_CASE("quantized graph: TFLite int8 form, close to the float network, dead channels dropped") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(5);
    Graph g = small_net(15, 17, 3, 8, 5, rng, true);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<std::vector<float>> inputs(6, std::vector<float>(15 * 17 * 3));
    for (auto& in : inputs)
      for (auto& v : in) v = d(rng);
    auto st = calib::calibrate(ctx, g, 4, 4, fill_from(inputs), nullptr);
    for (bool per_channel : {false, true}) {
      quant::QuantizeOptions o;
      o.per_channel = per_channel;
      quant::QuantizeReport rep;
      Graph q = quant::quantize_graph(g, st, o, &rep);
      CHECK(rep.dead_channels >= 1);  // the engineered channel (training-free nets may have more)
      CHECK(rep.quantized_weights == 3);
      // TFLite form: float in -> QUANTIZE -> int8 ops -> DEQUANTIZE -> float out.
      CHECK(q.ops.front().type == OpType::Quantize);
      CHECK(q.ops.back().type == OpType::Dequantize);
      for (const Tensor& t : q.tensors) {
        if (t.is_const) CHECK((t.dtype == DType::I8 || t.dtype == DType::I32));
      }
      const Tensor& w0 = q.tensors[q.ops[1].inputs[1]];
      CHECK(w0.quant.scale.size() == (per_channel ? 8u : 1u));
      for (int k = 0; k < 27; k++) CHECK(w0.data[27 + k] == 0);  // the dead channel's weights
      // ... and its scale is the layer's largest, not an arbitrary one that would make its multiplier the layer's
      // largest (the kernels' fast requantization needs every multiplier below 1/4).
      if (per_channel) {
        std::vector<float> others = w0.quant.scale;
        others.erase(others.begin() + 1);
        CHECK(w0.quant.scale[1] == *std::max_element(others.begin(), others.end()));
      }
      // On held-out inputs the integer network (CPU reference) follows the float one within a few output steps.
      const Tensor& out_q = q.tensors[q.ops.back().inputs[0]];
      for (int i = 4; i < 6; i++) {
        auto want = ref::run(g, {inputs[i]})[g.outputs[0]];
        std::vector<uint8_t> raw(inputs[i].size() * 4);
        std::memcpy(raw.data(), inputs[i].data(), raw.size());
        auto got_raw = ref::run_int(q, {raw})[0];
        std::vector<float> got(got_raw.size() / 4);
        std::memcpy(got.data(), got_raw.data(), got_raw.size());
        double err = max_abs_error(got, want);
        MESSAGE("per_channel " << per_channel << ": max |int8 - float| " << err << " (output step "
                               << out_q.quant.scale[0] << ")");
        CHECK(err <= 4 * out_q.quant.scale[0]);
      }
    }
    check_validation();
  }
}
