// 8-bit DEPTHWISE_CONV_2D on the GPU (every storage path) vs the integer reference (TFLite semantics): strides,
// dilation, padding, depth multipliers, per-tensor / per-channel int8 and legacy uint8 weights.
#include <cmath>

#include "q8_harness.h"

using namespace tare;
using namespace tare::test;

namespace {

struct DwCase {
  int n, h, w, cin, mult_c, kh, kw, stride, dil;
  Padding pad;
  Activation act;
  DType dt;
  WKind wk;
  double mult;
  bool bias;
  int wzp = 120;
};

Graph dw_graph(const DwCase& c, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = c.dt == DType::U8;
  const float in_scale = 0.03f;
  const int cout = c.cin * c.mult_c;
  int x = b.q8_input({c.n, c.h, c.w, c.cin}, in_scale, u8 ? 125 : 9, c.dt);
  std::vector<float> ws;
  const int wt = b.weights(c.wk, {1, c.kh, c.kw, cout}, cout, 3, 0.005f, c.wzp, &ws);
  const std::vector<int> ins = {x, wt, c.bias ? b.matching_bias(cout, in_scale, ws, 20000) : -1};
  const double k = (double)c.kh * c.kw;
  const float out_scale = (float)(in_scale * 0.005 * 5000.0 * std::sqrt(k) / 60.0 / c.mult);
  OpParams p = conv_params(c.stride, c.dil, c.pad, c.act);
  p.depth_multiplier = c.mult_c;
  b.q8_output_op(OpType::DepthwiseConv2D, ins, conv_out_shape(c.n, c.h, c.w, cout, c.kh, c.kw, p), p, out_scale,
                 u8 ? 118 : -4, c.dt);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 depthwise_conv2d: sweep, bit-exact") {
    const auto S = Padding::Same, V = Padding::Valid;
    const auto I8 = DType::I8, U8 = DType::U8;
    const DwCase cases[] = {
        {1, 9, 11, 8, 1, 3, 3, 1, 1, S, Activation::Relu6, I8, WKind::PerChannel, 1.0, true},
        {1, 9, 11, 13, 1, 3, 3, 2, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},   // odd channels
        {2, 7, 6, 5, 1, 3, 3, 1, 1, V, Activation::Relu, I8, WKind::PerTensor, 1.0, false},    // batch 2
        {1, 10, 9, 4, 1, 3, 3, 1, 2, S, Activation::ReluN1To1, I8, WKind::PerChannel, 1.0, true},  // dilation
        {1, 6, 7, 3, 2, 3, 3, 1, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},    // depth multiplier 2
        {1, 5, 5, 1, 5, 5, 5, 2, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},    // multiplier 5, 5x5
        {1, 8, 8, 33, 1, 3, 3, 2, 1, V, Activation::Relu6, I8, WKind::PerChannel, 1.0, true},
        {1, 6, 6, 8, 1, 3, 3, 1, 1, S, Activation::None, I8, WKind::PerChannel, 300.0, true},  // multiplier > 1
        {1, 20, 20, 4, 1, 17, 17, 1, 1, S, Activation::None, I8, WKind::PerChannel, 1.0, true},  // 289 taps: flush
        {1, 9, 11, 8, 1, 3, 3, 1, 1, S, Activation::Relu6, U8, WKind::Uint8, 1.0, true},      // legacy uint8
        {1, 9, 11, 13, 1, 3, 3, 2, 1, S, Activation::None, U8, WKind::Uint8, 1.0, true},
        {2, 7, 6, 3, 3, 3, 3, 1, 2, V, Activation::Relu, U8, WKind::Uint8, 1.0, false},
        {1, 6, 6, 8, 1, 3, 3, 1, 1, S, Activation::None, U8, WKind::Uint8, 300.0, true},
        {1, 6, 5, 6, 1, 3, 3, 1, 1, S, Activation::ReluN1To1, U8, WKind::Uint8, 1.0, true, 128},
        {1, 7, 7, 5, 1, 3, 3, 1, 1, S, Activation::Relu, U8, WKind::PerChannel, 1.0, true},
    };
    unsigned seed = 300;
    for (const DwCase& c : cases) {
      INFO("depthwise " << c.n << "x" << c.h << "x" << c.w << "x" << c.cin << " mult " << c.mult_c << " k" << c.kh
                        << " s" << c.stride << " d" << c.dil << " pad " << (int)c.pad << " act " << (int)c.act << " "
                        << dtype_name(c.dt) << " weights " << (int)c.wk << " M " << c.mult);
      const unsigned s = seed++;
      if (!check_q8_gpu_vs_ref(dw_graph(c, s), 0, s + 1000)) {
        MESSAGE("no GPU: skipped");
        return;
      }
    }
  }
}
