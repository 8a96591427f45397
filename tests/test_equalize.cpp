// Cross-layer equalization (src/quant/equalize.h): the float function is unchanged where the joining activations
// commute with scaling and where RELU6 is kept by a per-channel MINIMUM (on real images for both MobileNets), the
// per-channel weight ranges even out, RELU6 is replaced only when asked, branches, graph outputs and shared weights
// are respected, and the int8 model of an equalized MobileNet runs in TFLite bit-exactly.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "calib/calibrate.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "op_harness.h"
#include "q8_harness.h"
#include "quant/equalize.h"
#include "quant/quantizer.h"
#include "ref/int_reference.h"
#include "tflite_oracle.h"
#ifdef TARE_HAVE_IMAGE
#include "image.h"
#endif

using namespace tare;
using namespace tare::test;

namespace {

std::vector<float> floats_of(const Tensor& t) {
  std::vector<float> v((size_t)t.elements());
  std::memcpy(v.data(), t.data.data(), v.size() * 4);
  return v;
}

// Largest |w| of each channel of a weight tensor, by output channel (axis 0 of CONV_2D, axis 3 of DEPTHWISE_CONV_2D)
// or, with `input_side`, by input channel (axis 3 of CONV_2D, column % channels of FULLY_CONNECTED).
std::vector<double> channel_ranges(const Graph& g, const Op& op, bool input_side, int channels) {
  const Tensor& w = g.tensors[(size_t)op.inputs[1]];
  std::vector<float> v = floats_of(w);
  std::vector<double> r((size_t)channels, 0.0);
  for (size_t e = 0; e < v.size(); e++) {
    size_t c;
    if (op.type == OpType::FullyConnected) c = (e % (size_t)w.shape[1]) % (size_t)channels;
    else if (op.type == OpType::DepthwiseConv2D || input_side) c = e % (size_t)w.shape[3];
    else c = e / (v.size() / (size_t)w.shape[0]);
    r[c] = std::max(r[c], (double)std::fabs(v[e]));
  }
  return r;
}

double spread(const std::vector<double>& r) {
  return *std::max_element(r.begin(), r.end()) / *std::min_element(r.begin(), r.end());
}

// Nagel et al.'s per-tensor precision of a layer: sum_c r_c / (C * max_c r_c), 1 when every channel spans the range.
double precision(const std::vector<double>& r) {
  double s = 0;
  for (double x : r) s += x;
  return s / ((double)r.size() * *std::max_element(r.begin(), r.end()));
}

enum class Shape { Chain, Branch, GraphOutput, SharedWeights };

struct Net {
  Graph g;
  int conv1 = -1, dw = -1, conv2 = -1, fc = -1;  // op indices
};

// input [1,8,8,3] -> conv 3x3 (act1, 8 ch) -> PAD 1 -> depthwise 3x3 VALID (NONE) -> conv 1x1 (NONE, 6 ch)
//   -> [MEAN over H,W ->] FULLY_CONNECTED (10 units).
// The channels' weight ranges are made very unequal without changing the function, the way trained networks end up
// (e.g. after folding batch normalization): random weights, then output channel i of a layer is multiplied by a
// factor k_i (1/16 .. 16) and input channel i of the next layer divided by it.
Net chain(Activation act1, bool mean_before_fc, Shape shape = Shape::Chain) {
  GraphBuilder b;
  Net n;
  const int H = 8, C0 = 3, C1 = 8, C2 = 6, U = 10;
  const int depth = mean_before_fc ? C2 : H * H * C2;
  int x = b.input({1, H, H, C0});
  std::vector<float> w1 = b.random_values((size_t)C1 * 9 * C0, -0.5f, 0.5f), b1 = b.random_values(C1, -0.2f, 0.2f);
  std::vector<float> wd = b.random_values((size_t)9 * C1), bd = b.random_values(C1, -0.1f, 0.1f);
  std::vector<float> w2 = b.random_values((size_t)C2 * C1), b2 = b.random_values(C2, -0.1f, 0.1f);
  std::vector<float> wf = b.random_values((size_t)U * depth), bf = b.random_values(U);
  auto k1 = [](size_t c) { return std::ldexp(1.0f, (int)(c % 5) * 2 - 4); };    // conv1 -> depthwise
  auto k2 = [](size_t c) { return std::ldexp(1.0f, (int)((3 * c) % 8) - 4); };  // depthwise -> conv2
  auto k3 = [](size_t c) { return std::ldexp(1.0f, (int)(c % 6) * 2 - 5); };    // conv2 -> FC
  for (size_t e = 0; e < w1.size(); e++) w1[e] *= k1(e / (9 * C0));
  for (size_t c = 0; c < b1.size(); c++) b1[c] *= k1(c);
  for (size_t e = 0; e < wd.size(); e++) wd[e] *= k2(e % C1) / k1(e % C1);
  for (size_t c = 0; c < bd.size(); c++) bd[c] *= k2(c);
  for (size_t e = 0; e < w2.size(); e++) w2[e] *= k3(e / C1) / k2(e % C1);
  for (size_t c = 0; c < b2.size(); c++) b2[c] *= k3(c);
  for (size_t e = 0; e < wf.size(); e++) wf[e] /= k3((e % (size_t)depth) % C2);

  int w1t = b.constant({C1, 3, 3, C0}, w1);
  OpParams p = conv_params(1, 1, Padding::Same, act1);
  n.conv1 = (int)b.g.ops.size();
  int y1 = b.op(OpType::Conv2D, {x, w1t, b.constant({C1}, b1)}, {1, H, H, C1}, p);
  OpParams pp;
  pp.paddings = {{0, 0}, {1, 1}, {1, 1}, {0, 0}};
  int yp = b.op(OpType::Pad, {y1, b.int32_constant({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0})}, {1, H + 2, H + 2, C1}, pp);
  n.dw = (int)b.g.ops.size();
  int y2 = b.op(OpType::DepthwiseConv2D, {yp, b.constant({1, 3, 3, C1}, wd), b.constant({C1}, bd)}, {1, H, H, C1},
                conv_params(1, 1, Padding::Valid, Activation::None));
  n.conv2 = (int)b.g.ops.size();
  int y3 = b.op(OpType::Conv2D, {y2, b.constant({C2, 1, 1, C1}, w2), b.constant({C2}, b2)}, {1, H, H, C2},
                conv_params(1, 1, Padding::Same, Activation::None));
  int fc_in = y3;
  if (mean_before_fc) {
    OpParams m;
    m.axes = {1, 2};
    fc_in = b.op(OpType::Mean, {y3, b.int32_constant({2}, {1, 2})}, {1, C2}, m);
  }
  n.fc = (int)b.g.ops.size();
  int y4 = b.op(OpType::FullyConnected, {fc_in, b.constant({U, depth}, wf), b.constant({U}, bf)}, {1, U});
  b.output(y4);
  if (shape == Shape::Branch) {  // conv1's output is also read by a MEAN that is a second graph output
    OpParams m;
    m.axes = {1, 2};
    b.output(b.op(OpType::Mean, {y1, b.int32_constant({2}, {1, 2})}, {1, C1}, m));
  } else if (shape == Shape::GraphOutput) {
    b.output(y1);
  } else if (shape == Shape::SharedWeights) {  // a second conv reads conv1's weight tensor
    b.output(b.op(OpType::Conv2D, {x, w1t, b.random_constant({C1})}, {1, H, H, C1}, p));
  }
  infer_shapes(b.g);
  n.g = std::move(b.g);
  return n;
}

std::vector<std::vector<float>> random_inputs(const Graph& g, unsigned seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<std::vector<float>> in;
  for (int t : g.inputs) {
    std::vector<float> v((size_t)g.tensors[(size_t)t].elements());
    for (auto& x : v) x = d(rng);
    in.push_back(std::move(v));
  }
  return in;
}

// Max relative error (vs max |original|) of every graph output over a few random inputs.
double output_error(const Graph& original, const Graph& equalized, float lo = -1, float hi = 1) {
  double worst = 0;
  for (unsigned seed = 1; seed <= 3; seed++) {
    auto in = random_inputs(original, seed, lo, hi);
    ref::Values a = ref::run(original, in), b = ref::run(equalized, in);
    for (int t : original.outputs) worst = std::max(worst, max_rel_error(b[(size_t)t], a[(size_t)t]));
  }
  return worst;
}

bool same_bytes(const Graph& a, const Graph& b, int op, int slot) {
  return a.tensors[(size_t)a.ops[(size_t)op].inputs[(size_t)slot]].data ==
         b.tensors[(size_t)b.ops[(size_t)op].inputs[(size_t)slot]].data;
}

bool notes_contain(const quant::EqualizeReport& r, const std::string& s) {
  for (const auto& n : r.notes)
    if (n.find(s) != std::string::npos) return true;
  return false;
}

// Real images for `model`: the shared reference inputs (ref/) and, where the image loader is built, the first
// `jpegs` sample images (sorted by name) preprocessed as the CLI does (central crop 0.875, [-1, 1]).
std::vector<std::vector<float>> real_images(const std::string& model, const Graph& g, size_t jpegs) {
  std::vector<std::vector<float>> images;
  for (const RefCase& c : ref_cases(model))
    if (c.name.rfind("img", 0) == 0) images.push_back(read_floats(data_path("ref/" + c.input_file)));
#ifdef TARE_HAVE_IMAGE
  const std::string dir = "images/imagenet_sample_1000";
  if (have_data(dir)) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(data_path(dir))) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    const Tensor& in = g.tensors[(size_t)g.inputs[0]];
    for (size_t i = 0; i < std::min(jpegs, files.size()); i++)
      images.push_back(image::load_input(files[i], in.shape.data(), (int)in.shape.size()));
  }
#else
  (void)g;
  (void)jpegs;
#endif
  return images;
}

int count_ops(const Graph& g, OpType t) {
  return (int)std::count_if(g.ops.begin(), g.ops.end(), [t](const Op& op) { return op.type == t; });
}

}  // namespace

TEST_SUITE("equalize") {
  TEST_CASE("conv(RELU) -> depthwise -> conv -> FC: same function, narrower channel ranges in every layer") {
    for (bool mean_before_fc : {false, true}) {
      INFO((mean_before_fc ? "MEAN before FC" : "FC on the flattened [1,8,8,6] conv output"));
      Net n = chain(Activation::Relu, mean_before_fc);
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, {}, &rep);
      CHECK(rep.pairs == 3);
      CHECK(rep.relu6_replaced == 0);
      CHECK(rep.iterations >= 2);
      CHECK(rep.iterations < 20);
      double err = output_error(n.g, e);
      std::printf("equalize chain%s: %d pairs, %d sweeps, output max rel error %.3g\n", mean_before_fc ? " (mean)" : "",
                  rep.pairs, rep.iterations, err);
      CHECK(err <= 1e-5);
      // Nothing but the weights and the first layers' biases changed.
      REQUIRE(e.ops.size() == n.g.ops.size());
      REQUIRE(e.tensors.size() == n.g.tensors.size());
      for (size_t i = 0; i < e.ops.size(); i++) {
        CHECK(e.ops[i].inputs == n.g.ops[i].inputs);
        CHECK(e.ops[i].params.activation == n.g.ops[i].params.activation);
      }
      CHECK(same_bytes(n.g, e, n.fc, 2));  // the last layer's bias is never scaled
      // Channel ranges: conv1, dw, conv2 by output channel (they start pairs), FC by input channel.
      struct Layer {
        const char* name;
        int op;
        bool input_side;
        int channels;
      };
      for (const Layer& l : {Layer{"conv1", n.conv1, false, 8}, Layer{"depthwise", n.dw, false, 8},
                             Layer{"conv2", n.conv2, false, 6}, Layer{"fc (input channels)", n.fc, true, 6}}) {
        auto before = channel_ranges(n.g, n.g.ops[(size_t)l.op], l.input_side, l.channels);
        auto after = channel_ranges(e, e.ops[(size_t)l.op], l.input_side, l.channels);
        std::printf("  %-20s range spread %8.2f -> %6.2f   precision %.3f -> %.3f\n", l.name, spread(before),
                    spread(after), precision(before), precision(after));
        CHECK_MESSAGE(spread(after) < spread(before), l.name);
        CHECK_MESSAGE(precision(after) > precision(before), l.name);
      }
      // Equalized pairs: the first layer's output channel i and the second's input channel i share one range.
      auto r1 = channel_ranges(e, e.ops[(size_t)n.conv2], false, 6);
      auto r2 = channel_ranges(e, e.ops[(size_t)n.fc], true, 6);
      for (size_t c = 0; c < r1.size(); c++) CHECK(std::fabs(r1[c] / r2[c] - 1) < 1e-3);
    }
  }

  TEST_CASE("RELU6 is kept by RELU + MINIMUM(6 / S) by default, replaced by RELU only when asked") {
    Net n = chain(Activation::Relu6, true);
    {
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, {}, &rep);
      CHECK(rep.pairs == 3);
      CHECK(rep.relu6_replaced == 0);
      CHECK(rep.relu6_clipped == 1);
      CHECK(notes_contain(rep, "1 MINIMUM ops added"));
      // conv1 (now RELU) writes a new tensor; the MINIMUM right after it writes conv1's old output for the PAD.
      REQUIRE(e.ops.size() == n.g.ops.size() + 1);
      const Op& conv1 = e.ops[(size_t)n.conv1];
      const Op& clip = e.ops[(size_t)n.conv1 + 1];
      CHECK(conv1.params.activation == Activation::Relu);
      REQUIRE(clip.type == OpType::Minimum);
      const int y1 = n.g.ops[(size_t)n.conv1].outputs[0];
      CHECK(clip.inputs[0] == conv1.outputs[0]);
      CHECK(clip.outputs[0] == y1);
      CHECK(e.tensors[(size_t)conv1.outputs[0]].name == n.g.tensors[(size_t)y1].name + "/unclipped");
      CHECK(e.ops[(size_t)n.conv1 + 2].type == OpType::Pad);  // the pair crosses a PAD, which reads the clip
      CHECK(e.ops[(size_t)n.conv1 + 2].inputs[0] == y1);
      const Tensor& bound = e.tensors[(size_t)clip.inputs[1]];
      REQUIRE(bound.is_const);
      CHECK(bound.shape == std::vector<int>{8});
      // Inputs large enough that conv1 exceeds 6 (RELU6 clips) in the original: the function is still the same.
      auto in = random_inputs(n.g, 5, -4, 4);
      ref::Values v = ref::run(n.g, in);
      REQUIRE(std::count(v[(size_t)y1].begin(), v[(size_t)y1].end(), 6.0f) > 0);
      const double err = output_error(n.g, e, -4, 4);
      std::printf("equalize chain with RELU6 kept (inputs in [-4, 4], RELU6 clipping): output max rel error %.3g\n",
                  err);
      CHECK(err <= 1e-5);
      // Each clip is 6 / S_i: conv1's channel i was divided by S_i, so its largest weight shows S_i.
      auto before = channel_ranges(n.g, n.g.ops[(size_t)n.conv1], false, 8);
      auto after = channel_ranges(e, conv1, false, 8);
      auto c = floats_of(bound);
      for (size_t i = 0; i < c.size(); i++) CHECK(std::fabs(c[i] / (6.0 * after[i] / before[i]) - 1) < 1e-6);
    }
    {
      quant::EqualizeOptions o;
      o.replace_relu6 = true;
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, o, &rep);
      CHECK(rep.pairs == 3);
      CHECK(rep.relu6_replaced == 1);
      CHECK(rep.relu6_clipped == 0);
      CHECK(e.ops.size() == n.g.ops.size());
      CHECK(e.ops[(size_t)n.conv1].params.activation == Activation::Relu);
      CHECK(!same_bytes(n.g, e, n.conv1, 1));
      // Small inputs: conv1 never exceeds 6, so RELU6 and RELU agree and the function is unchanged.
      auto in = random_inputs(n.g, 5, -0.1f, 0.1f);
      ref::Values v = ref::run(n.g, in);
      const auto& y1 = v[(size_t)n.g.ops[(size_t)n.conv1].outputs[0]];
      REQUIRE(*std::max_element(y1.begin(), y1.end()) < 6.0f);
      CHECK(output_error(n.g, e, -0.1f, 0.1f) <= 1e-5);
    }
  }

  TEST_CASE("RELU_N1_TO_1 never, a branch, a graph output: not equalized") {
    for (Shape s : {Shape::Branch, Shape::GraphOutput}) {
      Net n = chain(Activation::Relu, true, s);
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, {}, &rep);
      CHECK(rep.pairs == 2);
      CHECK(same_bytes(n.g, e, n.conv1, 1));  // conv1 untouched
      CHECK(same_bytes(n.g, e, n.conv1, 2));
      CHECK(!same_bytes(n.g, e, n.dw, 1));  // the rest equalized
      CHECK(notes_contain(rep, s == Shape::Branch ? "read by 2 operators" : "graph output"));
      CHECK(output_error(n.g, e) <= 1e-5);
    }
    Net n = chain(Activation::ReluN1To1, true);
    quant::EqualizeReport rep;
    Graph e = quant::equalize_graph(n.g, {}, &rep);
    CHECK(rep.pairs == 2);
    CHECK(same_bytes(n.g, e, n.conv1, 1));
    CHECK(e.ops[(size_t)n.conv1].params.activation == Activation::ReluN1To1);
    CHECK(notes_contain(rep, "RELU_N1_TO_1"));
  }

  TEST_CASE("a weight tensor shared with another operator is copied first") {
    Net n = chain(Activation::Relu, true, Shape::SharedWeights);
    quant::EqualizeReport rep;
    Graph e = quant::equalize_graph(n.g, {}, &rep);
    CHECK(rep.pairs == 3);
    REQUIRE(e.tensors.size() == n.g.tensors.size() + 1);
    const int other = (int)n.g.ops.size() - 1;  // the second reader keeps the original tensor and bytes
    CHECK(e.ops[(size_t)other].inputs == n.g.ops[(size_t)other].inputs);
    CHECK(same_bytes(n.g, e, other, 1));
    CHECK(e.ops[(size_t)n.conv1].inputs[1] == (int)n.g.tensors.size());
    CHECK(!same_bytes(n.g, e, n.conv1, 1));
    CHECK(output_error(n.g, e) <= 1e-5);  // both outputs
  }

  TEST_CASE("options are checked; a graph without pairs comes back unchanged") {
    Net n = chain(Activation::Relu, true);
    quant::EqualizeOptions o;
    o.max_iterations = -1;
    CHECK_THROWS(quant::equalize_graph(n.g, o, nullptr));
    o.max_iterations = 0;  // pairs found, nothing scaled
    quant::EqualizeReport rep;
    Graph e = quant::equalize_graph(n.g, o, &rep);
    CHECK(rep.pairs == 3);
    CHECK(rep.iterations == 0);
    for (size_t t = 0; t < e.tensors.size(); t++) CHECK(e.tensors[t].data == n.g.tensors[t].data);
  }

  TEST_CASE("MobileNet-v1 0.25 and v2: RELU6 kept, the same function on real images (<= 1e-5); RELU variant counted") {
    for (const std::string model : {"mobilenet_v1_0.25_224.tflite", "mobilenet_v2_1.0_224_float.tflite"}) {
      INFO(model);
      if (ref_cases(model).empty()) continue;
      auto file = read_file(data_path("models/" + model));
      Graph g = import_tflite(file.data(), file.size());
      const auto images = real_images(model, g, 4);
      REQUIRE(!images.empty());
      int logits = -1;  // the softmax's input
      for (const Op& op : g.ops)
        if (op.type == OpType::Softmax) logits = op.inputs[0];
      REQUIRE(logits >= 0);
      int relu6 = 0;
      for (const Op& op : g.ops) relu6 += op.params.activation == Activation::Relu6;

      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(g, {}, &rep);
      CHECK(rep.pairs >= 1);
      CHECK(rep.relu6_replaced == 0);
      CHECK(rep.relu6_clipped >= 1);
      CHECK(count_ops(e, OpType::Minimum) == count_ops(g, OpType::Minimum) + rep.relu6_clipped);
      CHECK((int)e.ops.size() == (int)g.ops.size() + rep.relu6_clipped);
      int pads_crossed = 0;  // clipped layers whose output reaches the next layer through a PAD
      for (size_t i = 0; i + 1 < e.ops.size(); i++)
        if (e.ops[i].type == OpType::Minimum)
          for (const Op& next : e.ops)
            pads_crossed += next.type == OpType::Pad && next.inputs[0] == e.ops[i].outputs[0];
      double err_logits = 0, err_out = 0;
      int clipped_values = 0;  // values of the original RELU6 layers at 6 (where the clip matters)
      for (const auto& input : images) {
        ref::Values want = ref::run(g, {input}), got = ref::run(e, {input});
        err_logits = std::max(err_logits, max_rel_error(got[(size_t)logits], want[(size_t)logits]));
        err_out = std::max(err_out, max_rel_error(got[(size_t)g.outputs[0]], want[(size_t)g.outputs[0]]));
        CHECK(argmax(got[(size_t)g.outputs[0]]) == argmax(want[(size_t)g.outputs[0]]));
        for (const Op& op : g.ops)
          if (op.params.activation == Activation::Relu6)
            for (float x : want[(size_t)op.outputs[0]]) clipped_values += x == 6.0f;
      }
      std::printf(
          "%s (RELU6 kept): %d pairs (%d across a PAD), %d sweeps, %d MINIMUM added for %d of %d fused RELU6; %zu "
          "real images (%d values at 6): logits max rel error %.3g, softmax %.3g\n",
          model.c_str(), rep.pairs, pads_crossed, rep.iterations, rep.relu6_clipped, rep.relu6_clipped, relu6,
          images.size(), clipped_values, err_logits, err_out);
      CHECK(clipped_values > 0);
      CHECK(err_logits <= 1e-5);
      CHECK(err_out <= 1e-5);

      quant::EqualizeOptions o6;
      o6.replace_relu6 = true;
      quant::EqualizeReport rep6;
      Graph e6 = quant::equalize_graph(g, o6, &rep6);
      int relu6_left = 0;
      for (const Op& op : e6.ops) relu6_left += op.params.activation == Activation::Relu6;
      ref::Values want = ref::run(g, {images[0]}), got6 = ref::run(e6, {images[0]});
      std::printf("%s (RELU6 -> RELU): %d pairs, %d fused RELU6 replaced; logits max rel change %.3g on one image\n",
                  model.c_str(), rep6.pairs, rep6.relu6_replaced,
                  max_rel_error(got6[(size_t)logits], want[(size_t)logits]));
      // Per-tensor precision (Nagel et al.) of every conv / depthwise layer's output channels, averaged.
      auto mean_precision = [](const Graph& x) {
        double sum = 0;
        int n = 0;
        for (const Op& op : x.ops) {
          if (op.type != OpType::Conv2D && op.type != OpType::DepthwiseConv2D) continue;
          const Tensor& w = x.tensors[(size_t)op.inputs[1]];
          const int c = op.type == OpType::Conv2D ? w.shape[0] : w.shape[3];
          sum += precision(channel_ranges(x, op, false, c));
          n++;
        }
        return sum / n;
      };
      std::printf("%s mean per-layer weight precision: original %.3f, equalized %.3f\n", model.c_str(),
                  mean_precision(g), mean_precision(e));
      CHECK(mean_precision(e) > mean_precision(g));
      CHECK(rep6.pairs == rep.pairs);  // the same pairs either way
      CHECK(rep6.relu6_replaced == rep.relu6_clipped);
      CHECK(relu6_left == relu6 - rep6.relu6_replaced);
      CHECK(e6.ops.size() == g.ops.size());
    }
  }

  TEST_CASE("equalized MobileNets and a chain across PAD (RELU6 kept) in int8: shared clip range; TFLite bit-exact") {
    auto ctx = gpu();
    if (!ctx) return;
    // Calibrates, quantizes (per-tensor, int8 I/O) and exports the equalized graph `e`, then runs it on the GPU, in
    // the integer reference and in TFLite on `images`.
    auto check_int8 = [&](const std::string& name, const Graph& e, const std::vector<std::vector<float>>& images) {
      INFO(name);
      REQUIRE(!images.empty());
      auto st = calib::calibrate(ctx, e, (uint32_t)images.size(), 1, fill_from(images), nullptr);
      quant::QuantizeOptions o;
      o.input_type = o.output_type = DType::I8;
      Graph q = quant::quantize_graph(e, st, o, nullptr);
      // No requantizing op: the layer before each clip saturates at the clip's largest bound instead.
      CHECK(count_ops(q, OpType::Quantize) == 0);
      int clips = 0, narrowed = 0;
      for (const Op& op : q.ops) {
        if (op.type != OpType::Minimum) continue;
        clips++;
        const Tensor &x = q.tensors[(size_t)op.inputs[0]], &bound = q.tensors[(size_t)op.inputs[1]],
                     &y = q.tensors[(size_t)op.outputs[0]];
        CHECK(x.quant.scale == y.quant.scale);
        CHECK(x.quant.zero_point == y.quant.zero_point);
        CHECK(bound.quant.scale == y.quant.scale);
        // The shared range is the clip's observed output range: never above the largest bound (a bound far above
        // every value saturates instead of widening it), below the unclipped layer's own range where that outgrew it.
        const float top = y.quant.scale[0] * (float)(127 - y.quant.zero_point[0]);
        auto bounds = floats_of(e.tensors[(size_t)op.inputs[1]]);
        CHECK(top <= *std::max_element(bounds.begin(), bounds.end()) + y.quant.scale[0]);
        CHECK(bound.quant.zero_point == y.quant.zero_point);
        const auto& seen = st[(size_t)op.inputs[0]].max;
        narrowed += *std::max_element(seen.begin(), seen.end()) > top;
      }
      CHECK(clips > 0);
      if (name.find(".tflite") != std::string::npos) CHECK(narrowed > 0);  // real layers outgrow their clip
      const std::string path =
          (std::filesystem::temp_directory_path() / ("tare_equalized_q8_" + std::to_string(::getpid()) + ".tflite"))
              .string();
      {
        auto bytes = export_tflite(q);
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), (std::streamsize)bytes.size());
      }
      const Tensor& in = q.tensors[(size_t)q.inputs[0]];
      int same_gpu = 0, same_tflite = 0;
      for (const auto& image : images) {
        std::vector<uint8_t> qi(image.size());
        for (size_t i = 0; i < qi.size(); i++)
          qi[i] = (uint8_t)(int8_t)std::max(-128.0f, std::min(127.0f, std::round(image[i] / in.quant.scale[0]) +
                                                                          (float)in.quant.zero_point[0]));
        auto want = ref::run_int(q, {qi});
        Session s = q8_session(ctx, q, {false, Q8Dot::Default, "default"});
        s.set_input_bytes(0, qi.data(), qi.size());
        s.run();
        std::vector<uint8_t> got(s.output(0).bytes());
        s.get_output_bytes(0, got.data(), got.size());
        same_gpu += got == want[0];
        if (tflite_available()) same_tflite += run_tflite(path, {qi})[0] == want[0];
      }
      std::printf(
          "%s equalized int8 (%d MINIMUM, %d narrowed): %d of %zu inputs bit-exact GPU vs integer "
          "reference, %d vs TFLite\n",
          name.c_str(), clips, narrowed, same_gpu, images.size(), same_tflite);
      CHECK(same_gpu == (int)images.size());
      if (tflite_available()) CHECK(same_tflite == (int)images.size());
      std::filesystem::remove(path);
    };
    {
      Net n = chain(Activation::Relu6, true);
      std::vector<std::vector<float>> in;
      for (unsigned seed = 1; seed <= 4; seed++) in.push_back(random_inputs(n.g, seed, -4, 4)[0]);
      check_int8("chain conv(RELU6) -> PAD -> depthwise", quant::equalize_graph(n.g, {}, nullptr), in);
    }
    for (const std::string model : {"mobilenet_v1_0.25_224.tflite", "mobilenet_v2_1.0_224_float.tflite"}) {
      if (ref_cases(model).empty()) continue;
      auto file = read_file(data_path("models/" + model));
      Graph e = quant::equalize_graph(import_tflite(file.data(), file.size()), {}, nullptr);
      check_int8(model, e, real_images(model, e, 0));
    }
    check_validation();
  }
}
