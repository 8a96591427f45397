// Host-side requantization parameters of the 8-bit CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED kernels
// (q8_conv2d.cpp, q8_depthwise_conv2d.cpp, q8_fully_connected.cpp), derived exactly as src/ref/int_kernels.cpp
// (TFLite) does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops::q8conv {

struct Params {
  std::vector<int32_t> multiplier, shift;  // per output channel
  std::vector<int32_t> wzp;                // device weight zero point per output channel
  std::vector<int32_t> bias;               // int32 bias per output channel (0 without a bias)
  bool any_wzp = false;
  bool single = false;                           // single-rounding requantization (ruy)
  int32_t out_zp = 0, act_min = 0, act_max = 0;  // device values
  DType wdtype = DType::I8;
  const uint8_t* wdata = nullptr;
  // Weight element i as stored on the device (uint8: q - 128).
  int8_t weight(int64_t i) const { return wdtype == DType::I8 ? (int8_t)wdata[i] : (int8_t)((int32_t)wdata[i] - 128); }
};

// channels: output channels; axis: the weights' channel axis for per-channel quantization.  float_product_if_per_tensor:
// per-tensor weights take TFLite's GetQuantizedConvolutionMultipler (input_scale * weight_scale in float);
// single_rounding: ruy's requantization (int8 CONV_2D / FULLY_CONNECTED).
inline Params params(BuildContext& b, const Op& op, const std::string& where, int channels, int axis,
                     bool float_product_if_per_tensor, bool single_rounding) {
  const Graph& g = b.graph();
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& wt = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(wt.dtype == DType::I8 || wt.dtype == DType::U8, TARE_ERROR_UNSUPPORTED,
             where + "weights must be int8 or uint8");
  TARE_CHECK(!wt.quant.scale.empty(), TARE_ERROR_INVALID_MODEL, where + "weights are not quantized");
  TARE_CHECK(!in.quant.scale.empty() && !out.quant.scale.empty(), TARE_ERROR_INVALID_MODEL,
             where + "input and output must be quantized");
  const size_t n = wt.quant.scale.size();
  TARE_CHECK(n == 1 || n == (size_t)channels, TARE_ERROR_INVALID_MODEL, where + "weight scales do not match channels");
  TARE_CHECK(n == 1 || wt.quant.axis == axis, TARE_ERROR_UNSUPPORTED, where + "weights quantized along another axis");
  TARE_CHECK(wt.data.size() >= (size_t)wt.elements(), TARE_ERROR_INVALID_MODEL, where + "weights data missing");
  Params p;
  p.wdtype = wt.dtype;
  p.wdata = wt.data.data();
  p.single = single_rounding;
  const float in_scale = tensor_scale(in), out_scale = tensor_scale(out);
  for (int c = 0; c < channels; c++) {
    const size_t k = n > 1 ? (size_t)c : 0;
    const float ws = wt.quant.scale[k];
    const double real = (n == 1 && float_product_if_per_tensor) ? (double)(in_scale * ws) / (double)out_scale
                                                                : (double)in_scale * (double)ws / (double)out_scale;
    const quant::QuantizedMultiplier q = quant::quantize_multiplier(real);
    TARE_CHECK(!single_rounding || q.shift <= 30, TARE_ERROR_UNSUPPORTED, where + "output multiplier too large");
    TARE_CHECK(q.shift <= 31 && q.shift >= -31, TARE_ERROR_UNSUPPORTED, where + "output multiplier out of range");
    p.multiplier.push_back(q.multiplier);
    p.shift.push_back(q.shift);
    int32_t z = wt.quant.zero_point.size() > k ? (int32_t)wt.quant.zero_point[k] : 0;
    if (wt.dtype == DType::U8) z -= 128;
    p.wzp.push_back(z);
    if (z != 0) p.any_wzp = true;
  }
  p.bias.assign((size_t)channels, 0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const Tensor& bt = g.tensors[op.inputs[2]];
    TARE_CHECK(bt.is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant bias");
    TARE_CHECK(bt.dtype == DType::I32, TARE_ERROR_UNSUPPORTED, where + "bias must be int32");
    TARE_CHECK(bt.elements() == channels && bt.data.size() >= (size_t)channels * 4, TARE_ERROR_INVALID_MODEL,
               where + "bias size does not match the output channels");
    std::memcpy(p.bias.data(), bt.data.data(), (size_t)channels * 4);
  }
  const int32_t qmin = out.dtype == DType::U8 ? 0 : -128, qmax = out.dtype == DType::U8 ? 255 : 127;
  const int act = (int)op.params.activation;
  TARE_CHECK(act >= 0 && act <= 3, TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
  const int32_t ozp = out.quant.zero_point.empty() ? 0 : (int32_t)out.quant.zero_point[0];
  int32_t lo = qmin, hi = qmax;
  quant::activation_range(act, out_scale, ozp, qmin, qmax, &lo, &hi);
  const int32_t shift = out.dtype == DType::U8 ? 128 : 0;
  p.out_zp = ozp - shift;
  p.act_min = lo - shift;
  p.act_max = hi - shift;
  return p;
}

// The requantization mode of the tiled convolution shaders (RQ_* in shaders/quant.glsl): double or single rounding,
// each with a small-shift form where every channel's shift allows it (double: <= -1, a multiplier below 1/2;
// single: <= -2, below 1/4), the usual case, which lets the shader leave the general arithmetic out (a cheaper JIT
// compile at a cold start, and fewer instructions per value).
constexpr uint32_t kRqDouble = 0, kRqSingle = 1, kRqSingleSmallShifts = 2, kRqDoubleSmallShifts = 3;
inline uint32_t rq_mode(const Params& p) {
  const int32_t limit = p.single ? -2 : -1;
  const bool small = std::all_of(p.shift.begin(), p.shift.end(), [&](int32_t s) { return s <= limit; });
  if (!p.single) return small ? kRqDoubleSmallShifts : kRqDouble;
  return small ? kRqSingleSmallShifts : kRqSingle;
}

// bias - x_zp * sum_w + lanes * x_zp * w_zp, in wrap-around int32 arithmetic.
inline int32_t fold_bias(int32_t bias, int32_t xz, uint32_t sum_w, int64_t lanes, int32_t wzp) {
  uint32_t v = (uint32_t)bias - (uint32_t)xz * sum_w + (uint32_t)lanes * (uint32_t)xz * (uint32_t)wzp;
  return (int32_t)v;
}

// Weights [OC, taps, IC] packed as the 8-bit window shaders read them (q8_conv2d.comp, q8_transpose_conv.comp): a
// block of 4 words per (oc4, tap, ic4) at ((oc4 * taps + tap) * IC4 + ic4) * 4; dot: word l holds the 4 input lanes
// of output channel l (sdot4 operand), otherwise word j holds the 4 output channels of input lane j.  Padding lanes
// are 0.  tap_sums[oc * taps + tap]: the sum of that tap's device weights over the input channels.
struct PackedWeights {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> tap_sums;
};
inline PackedWeights pack_weights(const Params& p, int oc_count, int taps, int ic_count, bool dot) {
  const int IC4 = (ic_count + 3) / 4, OC4 = (oc_count + 3) / 4;
  PackedWeights r;
  r.bytes.assign((size_t)OC4 * taps * IC4 * 16, 0);
  r.tap_sums.assign((size_t)oc_count * taps, 0);
  for (int oc = 0; oc < oc_count; oc++)
    for (int t = 0; t < taps; t++)
      for (int ic = 0; ic < ic_count; ic++) {
        const int8_t v = p.weight(((int64_t)oc * taps + t) * ic_count + ic);
        r.tap_sums[(size_t)oc * taps + t] += (uint32_t)(int32_t)v;
        const size_t block = (((size_t)(oc / 4) * taps + t) * IC4 + ic / 4) * 16;
        const size_t byte = dot ? (size_t)(oc % 4) * 4 + ic % 4 : (size_t)(ic % 4) * 4 + oc % 4;
        r.bytes[block + byte] = (uint8_t)v;
      }
  return r;
}

// Weights [OC, taps, IC] for the float-accumulating shaders (the variants without packed dot products), converted
// once on the host: a vec4 per (oc4, tap, ic4, input lane j) at (((oc4 * taps + tap) * IC4 + ic4) * 4 + j) holding
// w - w_zp of output channels oc4*4..+3 (0 in padding lanes), so that the shaders neither unpack weight bytes nor
// subtract a weight zero point.  sums[oc]: the sum of that channel's w - w_zp (for the folded bias);
// chunk: how many (tap, input group) steps of 4 products each a float accumulator can take exactly (integers up
// to 2^24): |x| <= 128 for every 8-bit device input (padding reads the input zero point, also int8).  Bounded by
// each channel's sum of |w - w_zp| first: where that bound holds no partial sum of a whole window can pass 2^24,
// so chunk covers every step and the layer takes the unchunked shader (legacy uint8 MobileNet-v2's 960-channel
// layers: the chunked 8x4-tile GEMM cost lavapipe ~2 s of CPU, LLVM compiling it at the first run).
struct FloatWeights {
  std::vector<float> values;
  std::vector<uint32_t> sums;
  int32_t chunk = 0;
};
inline int32_t exact_float_chunk(int32_t max_abs_weight) {
  return (int32_t)((1 << 24) / (4 * 128 * std::max(max_abs_weight, 1)));
}
inline FloatWeights float_weights(const Params& p, int oc_count, int taps, int ic_count) {
  const int IC4 = (ic_count + 3) / 4, OC4 = (oc_count + 3) / 4;
  FloatWeights r;
  r.values.assign((size_t)OC4 * taps * IC4 * 16, 0.0f);
  r.sums.assign((size_t)oc_count, 0);
  int32_t max_abs = 0;
  int64_t max_abs_sum = 0;  // over the channels: sum of |w - w_zp| over the window
  for (int oc = 0; oc < oc_count; oc++) {
    int64_t abs_sum = 0;
    for (int t = 0; t < taps; t++)
      for (int ic = 0; ic < ic_count; ic++) {
        const int32_t v = p.weight(((int64_t)oc * taps + t) * ic_count + ic) - p.wzp[(size_t)oc];
        r.sums[(size_t)oc] += (uint32_t)v;
        max_abs = std::max(max_abs, v < 0 ? -v : v);
        abs_sum += v < 0 ? -v : v;
        r.values[(((size_t)(oc / 4) * taps + t) * IC4 + ic / 4) * 16 + (size_t)(ic % 4) * 4 + oc % 4] = (float)v;
      }
    max_abs_sum = std::max(max_abs_sum, abs_sum);
  }
  r.chunk = exact_float_chunk(max_abs);
  const int64_t steps = (int64_t)taps * IC4;
  if (128 * max_abs_sum <= (int64_t)1 << 24) r.chunk = (int32_t)std::clamp<int64_t>(steps, r.chunk, INT32_MAX);
  return r;
}

// The folded bias of the float-accumulating shaders: bias - x_zp * sum (w - w_zp) (int32 wrap-around).
inline int32_t fold_bias_float(int32_t bias, int32_t xz, uint32_t sum_wz) {
  return (int32_t)((uint32_t)bias - (uint32_t)xz * sum_wz);
}

// The per-channel table the shaders read: per group of 4 output channels, 4 ivec4: bias (folded), multiplier,
// shift, weight zero point.  Padding channels get zeros (their outputs are written as the output zero point).  A
// granted clip (BuildContext::claim_clip; clip >= 0) adds one ivec4 of bounds per group after the table (the shaders'
// CLIP: qp[OC4 * 4 + oc4]).
inline ConstSlice add_table(BuildContext& b, const Params& p, const std::vector<int32_t>& bias, int channels,
                            int clip = -1) {
  const int c4 = (channels + 3) / 4;
  std::vector<int32_t> t((size_t)c4 * 16, 0);
  for (int c = 0; c < channels; c++) {
    const size_t base = (size_t)(c / 4) * 16 + (size_t)(c % 4);
    t[base] = bias[c];
    t[base + 4] = p.multiplier[c];
    t[base + 8] = p.shift[c];
    t[base + 12] = p.wzp[c];
  }
  append_clip(b.graph(), clip, channels, c4, t);
  return b.add_constant_bytes(t.data(), t.size() * 4);
}

}  // namespace tare::ops::q8conv
