// Backward kernels of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (input gradients) vs the CPU backward reference
// and central finite differences of the CPU forward reference, over shape / stride / dilation / padding sweeps.
#include <string>

#include "common/error.h"
#include "grad_harness.h"
#include "ops/kernel.h"

using namespace tare;
using namespace tare::test;

namespace {

struct Win {
  int kh, kw, sh, sw, dh, dw;
  Padding pad;
};

OpParams win_params(const Win& v) {
  OpParams p;
  p.stride_h = v.sh;
  p.stride_w = v.sw;
  p.dilation_h = v.dh;
  p.dilation_w = v.dw;
  p.padding = v.pad;
  return p;
}

std::vector<int> win_out(int n, int h, int w, int c, const Win& v) {
  return {n, conv_out_size(h, v.kh, v.sh, v.dh, v.pad), conv_out_size(w, v.kw, v.sw, v.dw, v.pad), c};
}

Graph conv_graph(int n, int h, int w, int ic, int oc, const Win& v, Activation act = Activation::None) {
  GraphBuilder b;
  int x = b.input({n, h, w, ic});
  int wt = b.random_constant({oc, v.kh, v.kw, ic});
  int bias = b.random_constant({oc});
  OpParams p = win_params(v);
  p.activation = act;
  b.output(b.op(OpType::Conv2D, {x, wt, bias}, win_out(n, h, w, oc, v), p));
  return b.g;
}

Graph depthwise_graph(int n, int h, int w, int ic, int mult, const Win& v) {
  GraphBuilder b;
  int x = b.input({n, h, w, ic});
  int wt = b.random_constant({1, v.kh, v.kw, ic * mult});
  int bias = b.random_constant({ic * mult});
  OpParams p = win_params(v);
  p.depth_multiplier = mult;
  b.output(b.op(OpType::DepthwiseConv2D, {x, wt, bias}, win_out(n, h, w, ic * mult, v), p));
  return b.g;
}

std::string describe(const Win& v, int h, int w, int ic, int oc) {
  return std::to_string(v.kh) + "x" + std::to_string(v.kw) + " s" + std::to_string(v.sh) + "," +
         std::to_string(v.sw) + " d" + std::to_string(v.dh) + "," + std::to_string(v.dw) +
         (v.pad == Padding::Same ? " SAME" : " VALID") + " in " + std::to_string(h) + "x" + std::to_string(w) + "x" +
         std::to_string(ic) + " out c " + std::to_string(oc);
}

const std::vector<Win>& windows() {
  static const std::vector<Win> w = {
      {1, 1, 1, 1, 1, 1, Padding::Same},  {1, 1, 2, 2, 1, 1, Padding::Valid}, {3, 3, 1, 1, 1, 1, Padding::Same},
      {3, 3, 2, 2, 1, 1, Padding::Same},  {3, 3, 2, 2, 1, 1, Padding::Valid}, {3, 3, 1, 1, 2, 2, Padding::Same},
      {3, 2, 2, 1, 1, 2, Padding::Valid}, {5, 5, 3, 3, 1, 1, Padding::Same},  {2, 3, 1, 2, 2, 1, Padding::Same},
      {1, 3, 3, 1, 1, 1, Padding::Same},  {3, 3, 2, 3, 2, 1, Padding::Same},  {4, 4, 2, 2, 1, 1, Padding::Same},
  };
  return w;
}

double worst_rel = 0, worst_fd = 0;

void check(const Graph& g, const std::string& what, int expect_tensors = 1) {
  CAPTURE(what);
  GradCheck r = check_grad(g);
  CHECK(r.tensors == expect_tensors);
  CHECK(r.max_rel <= 1e-5);
  CHECK(r.fd_max_rel <= 1e-3);
  worst_rel = std::max(worst_rel, r.max_rel);
  worst_fd = std::max(worst_fd, r.fd_max_rel);
}

}  // namespace

TEST_SUITE("grad") {
  TEST_CASE("CONV_2D input gradient: filters, strides, dilations, paddings, channel counts") {
    if (!gpu()) return;
    worst_rel = worst_fd = 0;
    const int shapes[][4] = {{7, 9, 3, 5}, {8, 8, 8, 13}, {11, 6, 13, 4}, {5, 12, 6, 17}};  // h, w, ic, oc
    for (const Win& v : windows())
      for (const auto& s : shapes) check(conv_graph(2, s[0], s[1], s[2], s[3], v), describe(v, s[0], s[1], s[2], s[3]));
    // The 1x1 GEMM with row counts that are not multiples of its tile, and deep channels.
    check(conv_graph(2, 3, 5, 37, 70, windows()[0]), "1x1 gemm 37 -> 70");
    check(conv_graph(1, 1, 1, 9, 6, windows()[0]), "1x1 on a single pixel");
    // Filter larger than the input (SAME), stride larger than the filter.
    check(conv_graph(2, 2, 3, 5, 3, {5, 5, 1, 1, 1, 1, Padding::Same}), "filter > input");
    check(conv_graph(2, 9, 10, 6, 7, {2, 2, 4, 3, 1, 1, Padding::Valid}), "stride > filter (inputs never read)");
    MESSAGE("CONV_2D backward: max rel error vs CPU " << worst_rel << ", vs finite differences " << worst_fd);
    check_validation();
  }

  TEST_CASE("DEPTHWISE_CONV_2D input gradient: multipliers, strides, dilations, paddings") {
    if (!gpu()) return;
    worst_rel = worst_fd = 0;
    const int shapes[][3] = {{7, 9, 3}, {8, 8, 8}, {11, 6, 13}, {6, 17, 21}};  // h, w, c
    for (const Win& v : windows())
      for (const auto& s : shapes)
        for (int mult : {1, 2, 3}) {
          if (mult == 3 && s[2] > 8) continue;
          check(depthwise_graph(2, s[0], s[1], s[2], mult, v), describe(v, s[0], s[1], s[2], s[2] * mult));
        }
    check(depthwise_graph(2, 2, 3, 5, 1, {5, 5, 1, 1, 1, 1, Padding::Same}), "filter > input");
    check(depthwise_graph(2, 9, 10, 6, 2, {2, 2, 4, 3, 1, 1, Padding::Valid}), "stride > filter");
    MESSAGE("DEPTHWISE_CONV_2D backward: max rel error vs CPU " << worst_rel << ", vs finite differences " << worst_fd);
    check_validation();
  }

  TEST_CASE("FULLY_CONNECTED input gradient: [batch, depth], flattened 4-D inputs, keep_num_dims") {
    if (!gpu()) return;
    worst_rel = worst_fd = 0;
    struct Case {
      std::vector<int> in;
      int depth, units;
      bool keep;
    };
    const std::vector<Case> cases = {
        {{2, 7}, 7, 5, false},          {{2, 16}, 16, 10, false},        {{9, 37}, 37, 70, false},
        {{2, 3, 10}, 10, 6, true},      {{2, 3, 10}, 10, 6, false},      {{2, 1, 1, 13}, 13, 3, false},
        {{2, 2, 3, 5}, 30, 7, false},   {{2, 3, 3, 6}, 27, 11, false},   {{3, 5, 7}, 35, 4, false},
        {{2, 4, 4, 3}, 12, 9, false},   {{1, 1001}, 1001, 3, false},
    };
    for (const Case& c : cases) {
      GraphBuilder b;
      int x = b.input(c.in);
      int64_t total = 1;
      for (int d : c.in) total *= d;
      const int batch = (int)(total / c.depth);
      int wt = b.random_constant({c.units, c.depth});
      int bias = b.random_constant({c.units});
      OpParams p;
      p.keep_num_dims = c.keep;
      std::vector<int> out = {batch, c.units};
      if (c.keep) {
        out = c.in;
        out.back() = c.units;
      }
      b.output(b.op(OpType::FullyConnected, {x, wt, bias}, out, p));
      check(b.g, "FC in rank " + std::to_string(c.in.size()) + " depth " + std::to_string(c.depth) + " units " +
                     std::to_string(c.units));
    }
    MESSAGE("FULLY_CONNECTED backward: max rel error vs CPU " << worst_rel << ", vs finite differences " << worst_fd);
    check_validation();
  }

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
    worst_rel = worst_fd = 0;
    check(b.g, "chain", 5);  // x, t1, t2, t3, t4
    MESSAGE("chain: max rel error vs CPU " << worst_rel << ", vs finite differences " << worst_fd);
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
    Graph g = conv_graph(1, 4, 4, 3, 4, windows()[2], Activation::Relu6);
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
}
