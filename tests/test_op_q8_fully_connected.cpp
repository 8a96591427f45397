// 8-bit FULLY_CONNECTED on the GPU (every storage / dot-product path) vs the integer reference (TFLite semantics):
// batches, odd depths and units, flattening inputs (gather path), int8 per-tensor / per-channel, legacy uint8.
#include <cmath>

#include "q8_harness.h"

using namespace tare;
using namespace tare::test;

namespace {

struct FcCase {
  std::vector<int> in_shape;
  int units;
  Activation act;
  DType dt;
  WKind wk;
  double mult;
  bool bias;
  int wzp = 120;
};

Graph fc_graph(const FcCase& c, unsigned seed) {
  Q8Builder b;
  b.rng.seed(seed);
  const bool u8 = c.dt == DType::U8;
  const float in_scale = 0.025f;
  int x = b.q8_input(c.in_shape, in_scale, u8 ? 140 : -20, c.dt);
  const int depth = c.in_shape.back() * (c.in_shape.size() == 4 && c.in_shape[0] == 1 ? c.in_shape[1] * c.in_shape[2] : 1);
  int64_t elems = 1;
  for (int d : c.in_shape) elems *= d;
  const int batch = (int)(elems / depth);
  std::vector<float> ws;
  const int wt = b.weights(c.wk, {c.units, depth}, c.units, 0, 0.003f, c.wzp, &ws);
  std::vector<int> ins = {x, wt};
  if (c.bias) ins.push_back(b.matching_bias(c.units, in_scale, ws, 20000));
  const float out_scale = (float)(in_scale * 0.003 * 5000.0 * std::sqrt((double)depth) / 60.0 / c.mult);
  OpParams p;
  p.activation = c.act;
  b.q8_output_op(OpType::FullyConnected, ins, {batch, c.units}, p, out_scale, u8 ? 128 : -1, c.dt);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 fully_connected: sweep, bit-exact") {
    const auto I8 = DType::I8, U8 = DType::U8;
    const FcCase cases[] = {
        {{1, 64}, 10, Activation::None, I8, WKind::PerTensor, 1.0, true},
        {{3, 37}, 13, Activation::Relu, I8, WKind::PerChannel, 1.0, true},    // odd depth / units, batch 3
        {{5, 16}, 33, Activation::Relu6, I8, WKind::PerChannel, 1.0, false},  // batch 5 (rows 4 + 1)
        {{1, 1, 1, 1100}, 7, Activation::None, I8, WKind::PerTensor, 1.0, true},  // several float chunks
        {{1, 3, 3, 5}, 6, Activation::ReluN1To1, I8, WKind::PerChannel, 1.0, true},  // flattening: gather path
        {{2, 9}, 5, Activation::None, I8, WKind::PerTensor, 200.0, true},     // multiplier > 1
        {{1, 64}, 10, Activation::None, U8, WKind::Uint8, 1.0, true},
        {{3, 37}, 13, Activation::Relu, U8, WKind::Uint8, 1.0, false},
        {{1, 3, 3, 5}, 6, Activation::Relu6, U8, WKind::Uint8, 1.0, true},
        {{1, 1, 1, 1100}, 9, Activation::None, U8, WKind::Uint8, 1.0, true},
        {{4, 12}, 8, Activation::None, U8, WKind::Uint8, 1.0, true, 128},
        {{2, 9}, 5, Activation::None, U8, WKind::Uint8, 200.0, true},
    };
    unsigned seed = 500;
    for (const FcCase& c : cases) {
      INFO("fully_connected in rank " << c.in_shape.size() << " last " << c.in_shape.back() << " units " << c.units
                                      << " " << dtype_name(c.dt) << " weights " << (int)c.wk << " M " << c.mult);
      const unsigned s = seed++;
      if (!check_q8_gpu_vs_ref(fc_graph(c, s), 0, s + 1000)) {
        MESSAGE("no GPU: skipped");
        return;
      }
    }
  }
}
