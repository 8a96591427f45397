// Backward kernels of the non-weighted operators (AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, ADD, MUL, CONCATENATION, PAD,
// RESHAPE / SQUEEZE, SOFTMAX, RESIZE_BILINEAR) vs the CPU backward reference (src/ref/backward.h) and central finite
// differences of the CPU forward reference (tests/grad_harness.h).
#include <algorithm>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "calib/layer_runner.h"
#include "grad_harness.h"
#include "model/tflite_import.h"

using namespace tare;
using namespace tare::test;

namespace {

constexpr double kTol = 1e-5;    // GPU vs CPU backward reference (fp32), relative to max |reference|
constexpr double kFdTol = 1e-3;  // vs finite differences (smooth functions only)

// Largest errors over a test case, printed at its end.
struct Worst {
  double rel = 0, fd = 0;
  int cases = 0;
  void add(const GradCheck& r) {
    rel = std::max(rel, r.max_rel);
    fd = std::max(fd, r.fd_max_rel);
    cases++;
  }
  void print(const char* what) const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s: %d graphs, max rel error vs reference %.3g, vs finite differences %.3g", what,
                  cases, rel, fd);
    MESSAGE(buf);
  }
};

// Checks one graph: tensors compared, errors within the limits; `fd` false where the function is not smooth.
void check(Worst& w, const Graph& g, std::vector<std::vector<float>> inputs = {}, bool fd = true, int tensors = 1) {
  GradCheck r = check_grad(g, std::move(inputs), -1, 1, 7, fd ? 12 : 0);
  CHECK(r.tensors >= tensors);
  CHECK(r.max_rel <= kTol);
  if (fd) CHECK(r.fd_max_rel <= kFdTol);
  w.add(r);
}

int64_t count(const std::vector<int>& s) {
  int64_t n = 1;
  for (int d : s) n *= d;
  return n;
}

// ---- pools ---------------------------------------------------------------------------------------------------------

struct PoolCase {
  std::vector<int> in;
  int fh, fw, sh, sw;
  Padding pad;
};

const std::vector<PoolCase> kPoolCases = {
    {{1, 7, 9, 3}, 3, 3, 2, 2, Padding::Same},   {{2, 8, 8, 5}, 2, 2, 2, 2, Padding::Valid},
    {{1, 6, 7, 9}, 3, 3, 1, 1, Padding::Same},   {{2, 5, 5, 4}, 5, 5, 1, 1, Padding::Valid},  // global
    {{1, 7, 7, 13}, 7, 7, 2, 2, Padding::Same},  {{1, 9, 6, 6}, 3, 2, 2, 1, Padding::Same},
    {{2, 10, 11, 2}, 4, 3, 3, 2, Padding::Same}, {{1, 5, 8, 1}, 2, 3, 3, 3, Padding::Valid},  // gaps between windows
};

Graph pool_graph(OpType t, const PoolCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p = pool_params(c.fh, c.fw, c.sh, c.sw, c.pad, Activation::None);
  b.output(b.op(t, {x}, pool_out_shape(c.in, p), p));
  return b.g;
}

// Random values in [-1, 1] where any two elements of one channel inside one window differ by more than `gap`
// (no ties, and finite differences never move the maximum).
std::vector<float> tie_free(const PoolCase& c, float gap, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  const int n = c.in[0], h = c.in[1], w = c.in[2], ch = c.in[3];
  std::vector<float> v((size_t)count(c.in));
  for (auto& x : v) x = d(rng);
  const int oh = conv_out_size(h, c.fh, c.sh, 1, c.pad), ow = conv_out_size(w, c.fw, c.sw, 1, c.pad);
  const int pt = conv_pad_before(h, c.fh, c.sh, 1, c.pad), pl = conv_pad_before(w, c.fw, c.sw, 1, c.pad);
  for (bool changed = true; changed;) {
    changed = false;
    for (int b = 0; b < n; b++)
      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          for (int k = 0; k < ch; k++) {
            std::vector<size_t> win;
            for (int ky = 0; ky < c.fh; ky++)
              for (int kx = 0; kx < c.fw; kx++) {
                const int y = oy * c.sh - pt + ky, x = ox * c.sw - pl + kx;
                if (y >= 0 && y < h && x >= 0 && x < w) win.push_back((((size_t)b * h + y) * w + x) * ch + k);
              }
            for (size_t i = 0; i < win.size(); i++)
              for (size_t j = 0; j < i; j++)
                if (std::fabs(v[win[i]] - v[win[j]]) <= gap) {
                  v[win[i]] = d(rng);
                  changed = true;
                }
          }
  }
  return v;
}

// ---- MEAN ----------------------------------------------------------------------------------------------------------

struct MeanCase {
  std::vector<int> in;
  std::vector<int> axes;
  bool keep_dims;
};

const std::vector<MeanCase> kMeanCases = {
    {{1, 7, 7, 40}, {1, 2}, false}, {{2, 5, 6, 13}, {1, 2}, false}, {{2, 5, 6, 3}, {1, 2}, true},
    {{2, 5, 6, 7}, {2}, false},     {{2, 5, 6, 7}, {1}, true},      {{2, 5, 6, 7}, {3}, false},
    {{2, 5, 6, 33}, {3}, true},     {{2, 5, 6, 5}, {1, 2, 3}, true}, {{2, 3, 4, 5}, {0}, false},
    {{2, 3, 4, 9}, {0, 1, 2, 3}, false}, {{2, 3, 4, 1}, {0, 2}, true}, {{4, 5, 7}, {1}, false},
    {{3, 10}, {1}, true},           {{3, 10}, {0}, false},
};

Graph mean_graph(const MeanCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.axes = c.axes;
  p.keep_dims = c.keep_dims;
  std::vector<int> os;
  for (size_t i = 0; i < c.in.size(); i++) {
    const bool r = std::find(c.axes.begin(), c.axes.end(), (int)i) != c.axes.end();
    if (!r)
      os.push_back(c.in[i]);
    else if (c.keep_dims)
      os.push_back(1);
  }
  std::vector<int32_t> axes(c.axes.begin(), c.axes.end());
  int a = b.int32_constant({(int)axes.size()}, axes);
  b.output(b.op(OpType::Mean, {x, a}, os, p));
  return b.g;
}

// ---- ADD / MUL -----------------------------------------------------------------------------------------------------

std::vector<int> broadcast_shape(std::vector<int> a, std::vector<int> b) {
  const size_t r = std::max(a.size(), b.size());
  a.insert(a.begin(), r - a.size(), 1);
  b.insert(b.begin(), r - b.size(), 1);
  std::vector<int> o(r);
  for (size_t k = 0; k < r; k++) o[k] = a[k] == 1 ? b[k] : a[k];
  return o;
}

struct BinaryCase {
  std::vector<int> a, b;
  bool b_const;
};

const std::vector<BinaryCase> kBinaryCases = {
    {{2, 4, 5, 6}, {2, 4, 5, 6}, false},  // same shape
    {{2, 4, 5, 6}, {6}, false},           // per-channel vector over N, H, W
    {{2, 4, 5, 6}, {6}, true},            // ... constant: no gradient for it
    {{2, 4, 5, 7}, {1, 1, 1, 1}, false},  // scalar over everything (channel broadcast, large count)
    {{2, 4, 5, 1}, {2, 4, 5, 7}, false},  // one channel over C
    {{2, 1, 5, 7}, {1, 4, 1, 7}, false},  // both broadcast
    {{3, 1, 7}, {3, 5, 1}, false},        // rank 3, one of them over C
    {{1, 8, 8, 6}, {2, 1, 1, 6}, false},  // over N and H, W
    {{1, 1, 1, 5}, {2, 12, 12, 5}, false},  // 288 positions per element: workgroup reduction
    {{2, 12, 12, 1}, {1, 1, 1, 9}, false},  // channel broadcast of a, workgroup reduction for b
    {{2, 12, 12, 1}, {1, 1, 1, 9}, true},
    {{3, 11}, {11}, false},               // rank 2
    {{1, 3, 3, 4}, {4}, true},            // aligned channels
};

Graph binary_graph(OpType t, const BinaryCase& c, GraphBuilder& b) {
  int x = b.input(c.a);
  int y = c.b_const ? b.random_constant(c.b) : b.input(c.b);
  b.output(b.op(t, {x, y}, broadcast_shape(c.a, c.b)));
  return b.g;
}

// ---- CONCATENATION -------------------------------------------------------------------------------------------------

struct ConcatCase {
  std::vector<std::vector<int>> ins;
  int axis;
  int const_input;  // index of an input made constant, -1 for none
};

const std::vector<ConcatCase> kConcatCases = {
    {{{1, 4, 5, 3}, {1, 4, 5, 5}, {1, 4, 5, 6}}, 3, -1},  // channel offsets 0, 3, 8 (unaligned)
    {{{2, 3, 3, 4}, {2, 3, 3, 8}}, 3, -1},                // aligned
    {{{2, 3, 3, 7}, {2, 3, 3, 2}, {2, 3, 3, 4}}, 3, 1},   // a constant in the middle
    {{{2, 2, 5, 3}, {2, 4, 5, 3}}, 1, -1},                // H
    {{{2, 3, 2, 6}, {2, 3, 5, 6}, {2, 3, 1, 6}}, 2, -1},  // W
    {{{1, 3, 4, 5}, {2, 3, 4, 5}}, 0, -1},                // N
    {{{3, 5}, {3, 2}}, 1, -1},                            // rank 2, channels
    {{{3, 5}, {2, 5}}, 0, -1},                            // rank 2, rows
    {{{2, 3, 9}, {2, 4, 9}}, 1, 0},                       // rank 3, a constant first
};

Graph concat_graph(const ConcatCase& c) {
  GraphBuilder b;
  std::vector<int> ins;
  std::vector<int> os = c.ins[0];
  os[c.axis] = 0;
  for (size_t i = 0; i < c.ins.size(); i++) {
    ins.push_back((int)i == c.const_input ? b.random_constant(c.ins[i]) : b.input(c.ins[i]));
    os[c.axis] += c.ins[i][c.axis];
  }
  OpParams p;
  p.axis = c.axis;
  b.output(b.op(OpType::Concatenation, ins, os, p));
  return b.g;
}

// ---- PAD -----------------------------------------------------------------------------------------------------------

struct PadCase {
  std::vector<int> in;
  std::vector<std::pair<int, int>> pads;
};

const std::vector<PadCase> kPadCases = {
    {{1, 5, 6, 3}, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}}, {{1, 9, 9, 8}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}},
    {{2, 4, 5, 7}, {{1, 0}, {0, 2}, {3, 1}, {2, 3}}}, {{1, 3, 3, 5}, {{0, 0}, {0, 0}, {0, 0}, {4, 5}}},
    {{1, 3, 2, 1}, {{0, 0}, {2, 0}, {0, 3}, {1, 0}}}, {{2, 2, 3, 13}, {{0, 1}, {1, 1}, {0, 0}, {3, 2}}},
    {{4, 5, 7}, {{1, 1}, {0, 2}, {1, 0}}},            {{3, 10}, {{2, 1}, {3, 4}}},
};

Graph pad_graph(const PadCase& c) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.paddings = c.pads;
  std::vector<int> os = c.in;
  std::vector<int32_t> flat;
  for (size_t i = 0; i < c.in.size(); i++) {
    os[i] += c.pads[i].first + c.pads[i].second;
    flat.push_back(c.pads[i].first);
    flat.push_back(c.pads[i].second);
  }
  int pt = b.int32_constant({(int)c.in.size(), 2}, flat);
  b.output(b.op(OpType::Pad, {x, pt}, os, p));
  return b.g;
}

// ---- RESHAPE / SQUEEZE ---------------------------------------------------------------------------------------------

// x -> LOGISTIC -> RESHAPE or SQUEEZE -> LOGISTIC: the reshape's input and output gradients both come from kernels.
Graph reshape_graph(OpType t, const std::vector<int>& in, const std::vector<int>& out, const std::vector<int>& axes) {
  GraphBuilder b;
  int x = b.input(in);
  int l = b.op(OpType::Logistic, {x}, in);
  OpParams p;
  if (t == OpType::Reshape)
    p.new_shape = out;
  else
    p.axes = axes;
  int y = b.op(t, {l}, out, p);
  b.output(b.op(OpType::Logistic, {y}, out));
  return b.g;
}

// ---- SOFTMAX / RESIZE_BILINEAR -------------------------------------------------------------------------------------

Graph softmax_graph(const std::vector<int>& shape, float beta) {
  GraphBuilder b;
  int x = b.input(shape);
  OpParams p;
  p.beta = beta;
  b.output(b.op(OpType::Softmax, {x}, shape, p));
  return b.g;
}

struct ResizeCase {
  std::vector<int> in;
  int oh, ow;
};

const std::vector<ResizeCase> kResizeCases = {
    {{1, 5, 7, 3}, 10, 14},  // x2 up
    {{2, 5, 7, 5}, 9, 13},   // odd up
    {{1, 9, 13, 6}, 4, 5},   // down (some inputs read by no output)
    {{1, 6, 4, 1}, 3, 11},   // down in y, up in x
    {{2, 1, 1, 4}, 3, 2},    // from a single pixel
    {{1, 4, 4, 9}, 4, 4},    // same size
};

Graph resize_graph(const ResizeCase& c, bool align_corners, bool half_pixel) {
  GraphBuilder b;
  int x = b.input(c.in);
  OpParams p;
  p.align_corners = align_corners;
  p.half_pixel_centers = half_pixel;
  p.new_height = c.oh;
  p.new_width = c.ow;
  int sz = b.int32_constant({2}, {c.oh, c.ow});
  b.output(b.op(OpType::ResizeBilinear, {x, sz}, {c.in[0], c.oh, c.ow, c.in[3]}, p));
  return b.g;
}

}  // namespace

TEST_SUITE("grad") {
  TEST_CASE("AVERAGE_POOL_2D and MAX_POOL_2D backward") {
    if (!gpu()) return;
    Worst avg, mx;
    for (const PoolCase& c : kPoolCases) {
      CAPTURE(c.in[3]);
      CAPTURE(c.fh);
      CAPTURE(c.sh);
      check(avg, pool_graph(OpType::AveragePool2D, c));
      // No ties within a window, and finite-difference steps (2^-9) far below the gaps: max is smooth there.
      check(mx, pool_graph(OpType::MaxPool2D, c), {tie_free(c, 0.02f, 11)});
    }
    avg.print("AVERAGE_POOL_2D");
    mx.print("MAX_POOL_2D");
    check_validation();
  }

  TEST_CASE("MAX_POOL_2D backward: ties give the whole gradient to the first maximum") {
    if (!gpu()) return;
    // All equal: with a 2x2 stride-1 window over a 3x3 image, the first (top-left) element of each window gets it.
    PoolCase c{{1, 3, 3, 2}, 2, 2, 1, 1, Padding::Valid};
    Worst w;
    check(w, pool_graph(OpType::MaxPool2D, c), {std::vector<float>(18, 0.5f)}, false);
    check_validation();
  }

  TEST_CASE("MEAN backward") {
    if (!gpu()) return;
    Worst w;
    for (const MeanCase& c : kMeanCases) {
      CAPTURE(c.in.size());
      CAPTURE(c.in.back());
      CAPTURE(c.axes.size());
      CAPTURE(c.axes[0]);
      CAPTURE(c.keep_dims);
      check(w, mean_graph(c));
    }
    w.print("MEAN");
    check_validation();
  }

  TEST_CASE("ADD and MUL backward with broadcasting") {
    if (!gpu()) return;
    for (OpType t : {OpType::Add, OpType::Mul}) {
      Worst w;
      for (const BinaryCase& c : kBinaryCases) {
        CAPTURE(op_name(t));
        CAPTURE(c.a.size());
        CAPTURE(c.a.back());
        CAPTURE(c.b.size());
        CAPTURE(c.b.back());
        CAPTURE(c.b_const);
        GraphBuilder b;
        Graph g = binary_graph(t, c, b);
        check(w, g, {}, true, c.b_const ? 1 : 2);
      }
      // The same tensor as both operands: x + x, x * x (two contributions).
      for (std::vector<int> s : {std::vector<int>{2, 3, 4, 5}, std::vector<int>{7}}) {
        GraphBuilder b;
        int x = b.input(s);
        b.output(b.op(t, {x, x}, s));
        check(w, b.g);
      }
      w.print(op_name(t));
    }
    check_validation();
  }

  TEST_CASE("ADD and MUL backward: a constant operand gets no gradient and the other is exact") {
    auto ctx = gpu();
    if (!ctx) return;
    // y = x * c with c broadcast: dx = dy * c exactly (one product per element).
    GraphBuilder b;
    int x = b.input({1, 2, 3, 5});
    int c = b.constant({5}, {1, -2, 0.5f, 4, -0.25f});
    int y = b.op(OpType::Mul, {x, c}, {1, 2, 3, 5});
    b.output(y);
    infer_shapes(b.g);
    TrainingSession s(ctx, b.g, {});
    std::vector<float> xv(30, 1.0f), seed(30);
    for (size_t i = 0; i < seed.size(); i++) seed[i] = (float)i - 10;
    s.set_input(0, xv.data(), xv.size());
    s.run();
    s.backward({{y, seed}});
    std::vector<float> dx = s.grad(x);
    const float cv[5] = {1, -2, 0.5f, 4, -0.25f};
    for (size_t i = 0; i < dx.size(); i++) CHECK(dx[i] == seed[i] * cv[i % 5]);
    check_validation();
  }

  TEST_CASE("CONCATENATION backward along every axis") {
    if (!gpu()) return;
    Worst w;
    for (const ConcatCase& c : kConcatCases) {
      CAPTURE(c.ins.size());
      CAPTURE(c.ins[0].size());
      CAPTURE(c.axis);
      CAPTURE(c.const_input);
      check(w, concat_graph(c), {}, true, (int)c.ins.size() - (c.const_input >= 0 ? 1 : 0));
    }
    {  // the same tensor twice
      GraphBuilder b;
      int x = b.input({2, 3, 3, 5});
      OpParams p;
      p.axis = 3;
      b.output(b.op(OpType::Concatenation, {x, x}, {2, 3, 3, 10}, p));
      check(w, b.g);
    }
    w.print("CONCATENATION");
    check_validation();
  }

  TEST_CASE("PAD backward") {
    if (!gpu()) return;
    Worst w;
    for (const PadCase& c : kPadCases) {
      CAPTURE(c.in.size());
      CAPTURE(c.in.back());
      check(w, pad_graph(c));
    }
    w.print("PAD");
    check_validation();
  }

  TEST_CASE("RESHAPE and SQUEEZE backward (repack and alias)") {
    if (!gpu()) return;
    Worst w;
    struct Case {
      OpType t;
      std::vector<int> in, out, axes;
    };
    const std::vector<Case> cases = {
        {OpType::Reshape, {2, 3, 5, 7}, {2, 105}, {}},       // repack
        {OpType::Reshape, {1, 1, 1, 12}, {3, 4}, {}},        // repack
        {OpType::Reshape, {2, 3, 4, 5}, {2, 3, 20}, {}},     // repack
        {OpType::Reshape, {2, 105}, {2, 3, 5, 7}, {}},       // repack
        {OpType::Reshape, {2, 3, 5, 7}, {6, 5, 7}, {}},      // alias (same channels and rows)
        {OpType::Squeeze, {2, 3, 1}, {2, 3}, {2}},           // repack
        {OpType::Squeeze, {2, 1, 1, 5}, {2, 5}, {1, 2}},     // alias
    };
    for (const Case& c : cases) {
      CAPTURE(op_name(c.t));
      CAPTURE(c.in.size());
      CAPTURE(c.out.size());
      CAPTURE(c.out.back());
      check(w, reshape_graph(c.t, c.in, c.out, c.axes), {}, true, 3);
    }
    w.print("RESHAPE / SQUEEZE");
    check_validation();
  }

  TEST_CASE("SOFTMAX backward") {
    if (!gpu()) return;
    Worst w;
    struct Case {
      std::vector<int> shape;
      float beta;
    };
    const std::vector<Case> cases = {
        {{2, 10}, 1.0f},      {{1, 1001}, 1.0f},  // one workgroup per row
        {{3, 300}, 0.5f},     {{2, 3, 4, 7}, 1.0f}, {{300, 5}, 2.0f},  // one invocation per row
        {{4, 1}, 1.0f},       {{5, 257}, 1.0f},
    };
    for (const Case& c : cases) {
      CAPTURE(c.shape.size());
      CAPTURE(c.shape.back());
      CAPTURE(c.beta);
      // Logits in [-3, 3]: a spread-out distribution, gradients well above rounding.
      GradCheck r = check_grad(softmax_graph(c.shape, c.beta), {}, -3, 3);
      CHECK(r.tensors == 1);
      CHECK(r.max_rel <= kTol);
      CHECK(r.fd_max_rel <= kFdTol);
      w.add(r);
    }
    w.print("SOFTMAX");
    check_validation();
  }

  TEST_CASE("RESIZE_BILINEAR backward (transpose of the interpolation)") {
    if (!gpu()) return;
    Worst w;
    for (const ResizeCase& c : kResizeCases)
      for (int mode = 0; mode < 3; mode++) {
        CAPTURE(c.in[1]);
        CAPTURE(c.in[2]);
        CAPTURE(c.oh);
        CAPTURE(c.ow);
        CAPTURE(mode);
        check(w, resize_graph(c, mode == 1, mode == 2));
      }
    w.print("RESIZE_BILINEAR");
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
    Worst w;
    check(w, b.g, {}, true, 8);
    w.print("several consumers");
    check_validation();
  }

  TEST_CASE("whole float models with split activations: GPU backward equals the CPU reference") {
    auto ctx = gpu();
    if (!ctx) return;
    // Every operator of BlazeFace and the MobileNets (pools, pads, ADD, CONCATENATION, RESHAPE, SQUEEZE, SOFTMAX
    // next to the convolutions) runs its backward kernel.  The CPU reference differentiates at the GPU's forward
    // values, so that activations sitting on a ReLU kink (rounding apart) take the same branch on both sides.
    for (const char* model : {"face_detection_short_range.tflite", "mobilenet_v1_0.25_224.tflite",
                              "mobilenet_v2_1.0_224_float.tflite"}) {
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
