// Cross-layer equalization (src/quant/equalize.h): the float function is unchanged where the joining activations
// commute with scaling, the per-channel weight ranges even out, RELU6 is replaced only when asked, and branches,
// graph outputs and shared weights are respected.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "model/tflite_import.h"
#include "op_harness.h"
#include "quant/equalize.h"

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

  TEST_CASE("RELU6 is replaced by RELU only when asked, and counted") {
    Net n = chain(Activation::Relu6, true);
    {
      quant::EqualizeOptions o;
      o.replace_relu6 = false;
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, o, &rep);
      CHECK(rep.pairs == 2);  // depthwise -> conv2, conv2 -> FC
      CHECK(rep.relu6_replaced == 0);
      CHECK(e.ops[(size_t)n.conv1].params.activation == Activation::Relu6);
      CHECK(same_bytes(n.g, e, n.conv1, 1));
      CHECK(same_bytes(n.g, e, n.conv1, 2));
      CHECK(notes_contain(rep, "RELU6"));
      CHECK(output_error(n.g, e) <= 1e-5);
    }
    {
      quant::EqualizeReport rep;
      Graph e = quant::equalize_graph(n.g, {}, &rep);
      CHECK(rep.pairs == 3);
      CHECK(rep.relu6_replaced == 1);
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

  TEST_CASE("mobilenet_v2_1.0_224_float: same outputs without RELU6 replacement; RELU6 replacements counted") {
    const std::string model = "mobilenet_v2_1.0_224_float.tflite";
    auto cases = ref_cases(model);
    if (cases.empty()) return;
    const RefCase* c = &cases[0];
    for (const RefCase& k : cases)
      if (k.name.rfind("img", 0) == 0) {
        c = &k;
        break;
      }
    auto file = read_file(data_path("models/" + model));
    Graph g = import_tflite(file.data(), file.size());
    auto input = read_floats(data_path("ref/" + c->input_file));
    int logits = -1;  // the softmax's input
    for (const Op& op : g.ops)
      if (op.type == OpType::Softmax) logits = op.inputs[0];
    REQUIRE(logits >= 0);
    ref::Values want = ref::run(g, {input});
    int relu6 = 0;
    for (const Op& op : g.ops) relu6 += op.params.activation == Activation::Relu6;

    quant::EqualizeOptions o;
    o.replace_relu6 = false;
    quant::EqualizeReport rep;
    Graph e = quant::equalize_graph(g, o, &rep);
    ref::Values got = ref::run(e, {input});
    double err_logits = max_rel_error(got[(size_t)logits], want[(size_t)logits]);
    double err_out = max_rel_error(got[(size_t)g.outputs[0]], want[(size_t)g.outputs[0]]);
    std::printf("mobilenet_v2 (RELU6 kept): %d pairs, %d sweeps, logits max rel error %.3g, softmax %.3g\n", rep.pairs,
                rep.iterations, err_logits, err_out);
    CHECK(rep.pairs >= 1);
    CHECK(rep.relu6_replaced == 0);
    CHECK(err_logits <= 1e-4);
    CHECK(err_out <= 1e-4);
    CHECK(argmax(got[(size_t)g.outputs[0]]) == argmax(want[(size_t)g.outputs[0]]));

    quant::EqualizeReport rep6;
    Graph e6 = quant::equalize_graph(g, {}, &rep6);
    int relu6_left = 0;
    for (const Op& op : e6.ops) relu6_left += op.params.activation == Activation::Relu6;
    ref::Values got6 = ref::run(e6, {input});
    std::printf(
        "mobilenet_v2 (RELU6 -> RELU): %d pairs, %d sweeps, %d of %d fused RELU6 replaced; logits max rel "
        "change %.3g, top-1 %s\n",
        rep6.pairs, rep6.iterations, rep6.relu6_replaced, relu6,
        max_rel_error(got6[(size_t)logits], want[(size_t)logits]),
        argmax(got6[(size_t)g.outputs[0]]) == argmax(want[(size_t)g.outputs[0]]) ? "kept" : "changed");
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
    std::printf("mobilenet_v2 mean per-layer weight precision: original %.3f, equalized %.3f\n", mean_precision(g),
                mean_precision(e6));
    CHECK(mean_precision(e6) > mean_precision(g));
    CHECK(rep6.pairs > rep.pairs);
    CHECK(rep6.relu6_replaced > 0);
    CHECK(relu6_left == relu6 - rep6.relu6_replaced);
  }
}
