// 8-bit CONV_2D on the GPU (every storage / dot-product path) vs the integer reference (TFLite semantics):
// general window and 1x1 GEMM paths, int8 (single rounding) and uint8 (legacy, weight zero point) models.
#include <cmath>

#include "q8_harness.h"

using namespace tare;
using namespace tare::test;

namespace {

struct ConvCase {
  int n, h, w, cin, cout, kh, kw, stride, dil;
  Padding pad;
  Activation act;
  DType dt;
  WKind wk;
  double mult;  // target real multiplier scale (relative to the "typical" 1/sqrt(K) one); > 0
  bool bias;
  int wzp = 120;  // uint8 weights' zero point
};

Graph conv_q8_graph(const ConvCase& c, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = c.dt == DType::U8;
  const float in_scale = 0.02f;
  const int in_zp = u8 ? 131 : -7;
  int x = b.q8_input({c.n, c.h, c.w, c.cin}, in_scale, in_zp, c.dt);
  std::vector<float> ws;
  const int wt = b.weights(c.wk, {c.cout, c.kh, c.kw, c.cin}, c.cout, 0, 0.004f, c.wzp, &ws);
  const std::vector<int> ins = {x, wt, c.bias ? b.matching_bias(c.cout, in_scale, ws, 20000) : -1};
  // Accumulators are ~ 5000 * sqrt(K) in magnitude: aim at ~ 60 output steps at mult = 1.
  const double k = (double)c.kh * c.kw * c.cin;
  const float out_scale = (float)(in_scale * 0.004 * 5000.0 * std::sqrt(k) / 60.0 / c.mult);
  const OpParams p = conv_params(c.stride, c.dil, c.pad, c.act);
  b.q8_output_op(OpType::Conv2D, ins, conv_out_shape(c.n, c.h, c.w, c.cout, c.kh, c.kw, p), p, out_scale,
                 u8 ? 120 : 3, c.dt);
  return b.g;
}

void run_cases(const std::vector<ConvCase>& cases) {
  unsigned seed = 100;
  for (const ConvCase& c : cases) {
    INFO("conv " << c.n << "x" << c.h << "x" << c.w << "x" << c.cin << " -> " << c.cout << " k" << c.kh << "x" << c.kw
                 << " s" << c.stride << " d" << c.dil << " pad " << (int)c.pad << " act " << (int)c.act << " "
                 << dtype_name(c.dt) << " weights " << (int)c.wk << " mult " << c.mult << " bias " << c.bias);
    const unsigned s = seed++;
    if (!check_q8_gpu_vs_ref(conv_q8_graph(c, s), 0, s + 1000)) {
      MESSAGE("no GPU: skipped");
      return;
    }
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 conv2d: general window sweep, bit-exact") {
    const auto S = Padding::Same, V = Padding::Valid;
    const auto I8 = DType::I8, U8 = DType::U8;
    run_cases({
        {1, 9, 11, 3, 8, 3, 3, 2, 1, S, Activation::Relu6, I8, WKind::PerChannel, 1.0, true},  // MobileNet stem
        {1, 8, 8, 3, 5, 3, 3, 2, 1, S, Activation::None, I8, WKind::PerTensor, 1.0, true},
        {2, 7, 6, 5, 7, 3, 3, 1, 1, V, Activation::Relu, I8, WKind::PerChannel, 1.0, false},   // batch 2, VALID
        {1, 10, 9, 4, 13, 3, 3, 1, 2, S, Activation::ReluN1To1, I8, WKind::PerChannel, 1.0, true},  // dilation
        {1, 5, 5, 13, 33, 5, 5, 1, 1, S, Activation::None, I8, WKind::PerChannel, 0.3, true},
        {1, 6, 7, 1, 3, 2, 3, 3, 1, S, Activation::None, I8, WKind::PerTensor, 1.0, true},    // stride 3, 2x3
        {1, 7, 7, 8, 4, 3, 3, 1, 1, S, Activation::None, I8, WKind::PerChannel, 400.0, true},  // multiplier > 1
        {1, 9, 11, 3, 8, 3, 3, 2, 1, S, Activation::Relu6, U8, WKind::Uint8, 1.0, true},      // legacy uint8
        {2, 7, 6, 5, 7, 3, 3, 1, 2, V, Activation::Relu, U8, WKind::Uint8, 1.0, true},
        {1, 5, 5, 13, 33, 5, 5, 2, 1, S, Activation::None, U8, WKind::Uint8, 0.5, false},
        {1, 6, 5, 6, 9, 3, 3, 1, 1, S, Activation::ReluN1To1, U8, WKind::Uint8, 1.0, true, 128},  // w_zp 0 on device
        {1, 7, 7, 8, 4, 3, 3, 1, 1, S, Activation::None, U8, WKind::Uint8, 300.0, true},      // multiplier > 1
        {1, 6, 6, 5, 6, 3, 3, 1, 1, S, Activation::Relu, U8, WKind::PerChannel, 1.0, true},   // uint8 act, int8 w
        {1, 5, 4, 300, 5, 3, 3, 1, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},  // > 256 steps
        {1, 4, 5, 290, 6, 3, 3, 1, 1, V, Activation::None, U8, WKind::Uint8, 1.0, true},
    });
  }

  TEST_CASE("q8 conv2d: 1x1 GEMM sweep, bit-exact") {
    const auto S = Padding::Same, V = Padding::Valid;
    const auto I8 = DType::I8, U8 = DType::U8;
    run_cases({
        {1, 7, 9, 16, 24, 1, 1, 1, 1, S, Activation::Relu6, I8, WKind::PerChannel, 1.0, true},
        {2, 5, 3, 13, 33, 1, 1, 1, 1, V, Activation::None, I8, WKind::PerTensor, 1.0, true},  // batch 2, odd channels
        {1, 3, 3, 1, 5, 1, 1, 1, 1, S, Activation::Relu, I8, WKind::PerChannel, 1.0, false},
        {1, 1, 1, 5, 3, 1, 1, 1, 1, S, Activation::ReluN1To1, I8, WKind::PerChannel, 1.0, true},
        {1, 4, 4, 32, 8, 1, 1, 1, 1, S, Activation::None, I8, WKind::PerChannel, 500.0, true},  // multiplier > 1
        {1, 4, 5, 1100, 9, 1, 1, 1, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},  // several chunks
        {1, 7, 9, 16, 24, 1, 1, 1, 1, S, Activation::Relu6, U8, WKind::Uint8, 1.0, true},
        {2, 5, 3, 13, 33, 1, 1, 1, 1, V, Activation::None, U8, WKind::Uint8, 1.0, false},
        {1, 4, 5, 1100, 9, 1, 1, 1, 1, S, Activation::Relu, U8, WKind::Uint8, 1.0, true},
        {1, 4, 4, 32, 8, 1, 1, 1, 1, S, Activation::None, U8, WKind::Uint8, 300.0, true},
        {1, 3, 5, 12, 7, 1, 1, 1, 1, S, Activation::None, U8, WKind::Uint8, 1.0, true, 128},
        {1, 5, 5, 8, 8, 1, 1, 2, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},  // 1x1 stride 2: window
    });
  }
}
