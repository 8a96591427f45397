// Integer CPU reference: the arithmetic operators, following TensorFlow Lite's integer kernels (the ones its builtin
// op resolver selects) term by term.  See docs/quantization.md.
#include "ref/int_ops.h"

#include "common/resize_coords.h"
#include "model/graph.h"
#include "ref/window.h"

namespace tare::ref::intd {

namespace {

using quant::multiply_by_quantized_multiplier;
using quant::quantize_multiplier;
using quant::QuantizedMultiplier;

void require_rank(const IntCtx& c, const Tensor& t, size_t rank) {
  if (t.shape.size() != rank)
    c.fail(TARE_ERROR_INVALID_MODEL, "tensor '" + t.name + "' must have rank " + std::to_string(rank));
}

// The window of a kh x kw filter over an in_h x in_w input; the graph's NHWC output must have its size.
detail::Window window(const IntCtx& c, int in_h, int in_w, const Tensor& out, int kh, int kw, int dil_h, int dil_w) {
  const detail::Window win = detail::conv_window(c.op.params, in_h, in_w, kh, kw, dil_h, dil_w,
                                                 [&](tare_status s, const std::string& msg) { c.fail(s, msg); });
  if (out.shape[1] != win.out_h || out.shape[2] != win.out_w) c.fail(TARE_ERROR_INVALID_MODEL, "output shape mismatch");
  return win;
}

// Constant-or-computed weights with per-tensor or per-channel parameters.
struct Weights {
  DType dtype = DType::I8;
  const uint8_t* p = nullptr;
  std::vector<float> scale;  // one per channel
  std::vector<int32_t> zp;   // one per channel
  bool per_channel = false;
  int32_t at(int64_t i) const { return dtype == DType::I8 ? (int32_t)(int8_t)p[i] : (int32_t)p[i]; }
};

Weights weights_of(const IntCtx& c, size_t input, int channels, int channel_axis) {
  const Tensor& t = c.in_tensor(input);
  Weights w;
  w.dtype = t.dtype;
  if (t.dtype != DType::I8 && t.dtype != DType::U8)
    c.fail(TARE_ERROR_UNSUPPORTED, std::string("weights '") + t.name + "' are " + dtype_name(t.dtype));
  if (!t.quant.quantized()) c.fail(TARE_ERROR_INVALID_MODEL, "weights '" + t.name + "' are not quantized");
  w.p = c.in_bytes(input);
  const size_t n = t.quant.scale.size();
  if (n != 1 && n != (size_t)channels)
    c.fail(TARE_ERROR_INVALID_MODEL, "weights '" + t.name + "' have " + std::to_string(n) + " scales for " +
                                         std::to_string(channels) + " channels");
  if (n > 1 && t.quant.axis != channel_axis)
    c.fail(TARE_ERROR_UNSUPPORTED, "weights '" + t.name + "' are quantized along axis " + std::to_string(t.quant.axis) +
                                       ", expected " + std::to_string(channel_axis));
  w.per_channel = n > 1;
  for (int ch = 0; ch < channels; ch++) {
    const size_t k = n > 1 ? (size_t)ch : 0;
    w.scale.push_back(t.quant.scale[k]);
    w.zp.push_back(t.quant.zero_point.size() > k ? (int32_t)t.quant.zero_point[k] : 0);
  }
  return w;
}

// int32 bias (optional input); nullptr when omitted.
std::vector<int32_t> bias_of(const IntCtx& c, size_t input, int channels) {
  std::vector<int32_t> b((size_t)channels, 0);
  if (!c.has_input(input)) return b;
  const Tensor& t = c.in_tensor(input);
  if (t.dtype != DType::I32) c.fail(TARE_ERROR_UNSUPPORTED, std::string("bias is ") + dtype_name(t.dtype));
  if (t.elements() != channels) c.fail(TARE_ERROR_INVALID_MODEL, "bias size differs from the output channels");
  std::memcpy(b.data(), c.in_bytes(input), (size_t)channels * 4);
  return b;
}

// Output multipliers of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED.
//  - per-channel path (TFLite's PopulateConvolutionQuantizationParams, used by int8 conv / depthwise always and by
//    per-channel FC): double(input_scale) * double(filter_scale[c]) / double(output_scale);
//  - per-tensor path (GetQuantizedConvolutionMultipler, used by uint8 conv / depthwise and per-tensor FC): the
//    product input_scale * filter_scale is taken in float, then divided in double.
std::vector<QuantizedMultiplier> output_multipliers(const Weights& w, float in_scale, float out_scale,
                                                    bool float_product) {
  std::vector<QuantizedMultiplier> m;
  for (float ws : w.scale) {
    double real = float_product ? (double)(in_scale * ws) / (double)out_scale
                                : (double)in_scale * (double)ws / (double)out_scale;
    m.push_back(quantize_multiplier(real));
  }
  return m;
}

// Requantizes an accumulator.  TFLite's int8 CONV_2D and FULLY_CONNECTED run their GEMM in ruy, whose output stage
// rounds once (single rounding); its depthwise kernels and every uint8 (gemmlowp) path round twice (SRDHM, then
// rounding shift).
int32_t requantize_acc(int32_t acc, const QuantizedMultiplier& m, bool single_rounding, int32_t out_zp, int32_t lo,
                       int32_t hi) {
  const int32_t v = (single_rounding ? quant::multiply_by_quantized_multiplier_single_rounding(acc, m)
                                     : multiply_by_quantized_multiplier(acc, m)) +
                    out_zp;
  return std::clamp(v, lo, hi);
}

}  // namespace

void conv2d(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& wt = c.in_tensor(1);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, it, 4);
  require_rank(c, wt, 4);
  require_rank(c, ot, 4);
  const int N = it.shape[0], H = it.shape[1], W = it.shape[2], Ci = it.shape[3];
  const int Co = wt.shape[0], KH = wt.shape[1], KW = wt.shape[2];
  if (wt.shape[3] != Ci) c.fail(TARE_ERROR_UNSUPPORTED, "grouped convolution");
  if (ot.shape[0] != N || ot.shape[3] != Co) c.fail(TARE_ERROR_INVALID_MODEL, "output shape mismatch");
  const OpParams& p = c.op.params;
  const detail::Window win = window(c, H, W, ot, KH, KW, p.dilation_h, p.dilation_w);
  const int OH = win.out_h, OW = win.out_w;
  const QView x = c.in_q(0);
  const Weights w = weights_of(c, 1, Co, 0);
  const std::vector<int32_t> bias = bias_of(c, 2, Co);
  const QView y = c.out_q(0);
  const bool legacy = it.dtype == DType::U8 && !w.per_channel;
  const std::vector<QuantizedMultiplier> m = output_multipliers(w, x.scale, y.scale, legacy);
  const bool single = it.dtype == DType::I8;
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (int n = 0; n < N; n++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        for (int oc = 0; oc < Co; oc++) {
          int32_t acc = 0;
          detail::for_each_tap(win, H, W, oy, ox, [&](int ky, int kx, int iy, int ix) {
            const int64_t xb = (((int64_t)n * H + iy) * W + ix) * Ci;
            const int64_t wb = (((int64_t)oc * KH + ky) * KW + kx) * Ci;
            for (int ic = 0; ic < Ci; ic++) acc += (x.at(xb + ic) - x.zp) * (w.at(wb + ic) - w.zp[oc]);
          });
          acc += bias[oc];
          y.set((((int64_t)n * OH + oy) * OW + ox) * Co + oc, requantize_acc(acc, m[oc], single, y.zp, lo, hi));
        }
}

// TFLite's int8 TRANSPOSE_CONV (transpose_conv.cc, reference_integer_ops::TransposeConv): scatter (x - x_zp) * w
// of every input element into the int32 outputs it reaches, add the bias, MultiplyByQuantizedMultiplier per channel
// (double rounding; multipliers from PopulateConvolutionQuantizationParams: double product), clamp to the fused
// activation's range.  Inputs: input, [O,KH,KW,I] weights, optional bias (Tare's order); padding from the output
// size (ComputePaddingHeightWidth with the output as the window's input).
void transpose_conv(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& wt = c.in_tensor(1);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, it, 4);
  require_rank(c, wt, 4);
  require_rank(c, ot, 4);
  if (it.dtype != DType::I8 || wt.dtype != DType::I8 || ot.dtype != DType::I8)
    c.fail(TARE_ERROR_UNSUPPORTED, "8-bit TRANSPOSE_CONV takes int8 input, weights and output");
  const int N = it.shape[0], IH = it.shape[1], IW = it.shape[2], Ci = it.shape[3];
  const int Co = wt.shape[0], KH = wt.shape[1], KW = wt.shape[2];
  const int OH = ot.shape[1], OW = ot.shape[2];
  if (wt.shape[3] != Ci || ot.shape[0] != N || ot.shape[3] != Co)
    c.fail(TARE_ERROR_INVALID_MODEL, "filter does not fit the input and output");
  const OpParams& p = c.op.params;
  const detail::Window win = detail::conv_window(p, OH, OW, KH, KW, 1, 1,
                                                 [&](tare_status s, const std::string& msg) { c.fail(s, msg); });
  if (win.out_h != IH || win.out_w != IW) c.fail(TARE_ERROR_INVALID_MODEL, "output shape does not match the input");
  const QView x = c.in_q(0);
  const Weights w = weights_of(c, 1, Co, 0);
  for (int32_t z : w.zp)
    if (z != 0) c.fail(TARE_ERROR_UNSUPPORTED, "int8 weights must have zero point 0");
  const std::vector<int32_t> bias = bias_of(c, 2, Co);
  const QView y = c.out_q(0);
  const std::vector<QuantizedMultiplier> m = output_multipliers(w, x.scale, y.scale, false);
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  // uint32 sums: TFLite's int32 accumulator, wrapping instead of overflowing.
  std::vector<uint32_t> acc((size_t)N * OH * OW * Co, 0);
  for (int n = 0; n < N; n++)
    for (int iy = 0; iy < IH; iy++)
      for (int ix = 0; ix < IW; ix++)
        for (int ic = 0; ic < Ci; ic++) {
          const int32_t xv = x.at((((int64_t)n * IH + iy) * IW + ix) * Ci + ic) - x.zp;
          for (int ky = 0; ky < KH; ky++) {
            const int oy = iy * p.stride_h - win.pad_top + ky;
            if (oy < 0 || oy >= OH) continue;
            for (int kx = 0; kx < KW; kx++) {
              const int ox = ix * p.stride_w - win.pad_left + kx;
              if (ox < 0 || ox >= OW) continue;
              uint32_t* a = &acc[(((size_t)n * OH + oy) * OW + ox) * Co];
              for (int oc = 0; oc < Co; oc++)
                a[oc] += (uint32_t)(xv * w.at((((int64_t)oc * KH + ky) * KW + kx) * Ci + ic));
            }
          }
        }
  for (size_t e = 0; e < acc.size(); e++) {
    const int oc = (int)(e % Co);
    y.set((int64_t)e, requantize_acc((int32_t)(acc[e] + (uint32_t)bias[oc]), m[oc], false, y.zp, lo, hi));
  }
}

void depthwise_conv2d(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& wt = c.in_tensor(1);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, it, 4);
  require_rank(c, wt, 4);
  require_rank(c, ot, 4);
  const int N = it.shape[0], H = it.shape[1], W = it.shape[2], Ci = it.shape[3];
  const int KH = wt.shape[1], KW = wt.shape[2], Co = wt.shape[3];
  const OpParams& p = c.op.params;
  const int dm = p.depth_multiplier > 0 ? p.depth_multiplier : 1;
  if (wt.shape[0] != 1 || Co != Ci * dm) c.fail(TARE_ERROR_INVALID_MODEL, "filter shape mismatch");
  if (ot.shape[0] != N || ot.shape[3] != Co) c.fail(TARE_ERROR_INVALID_MODEL, "output shape mismatch");
  const detail::Window win = window(c, H, W, ot, KH, KW, p.dilation_h, p.dilation_w);
  const int OH = win.out_h, OW = win.out_w;
  const QView x = c.in_q(0);
  const Weights w = weights_of(c, 1, Co, 3);
  const std::vector<int32_t> bias = bias_of(c, 2, Co);
  const QView y = c.out_q(0);
  const bool legacy = it.dtype == DType::U8 && !w.per_channel;
  const std::vector<QuantizedMultiplier> m = output_multipliers(w, x.scale, y.scale, legacy);
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (int n = 0; n < N; n++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        for (int oc = 0; oc < Co; oc++) {
          const int ic = oc / dm;
          int32_t acc = 0;
          detail::for_each_tap(win, H, W, oy, ox, [&](int ky, int kx, int iy, int ix) {
            acc += (x.at((((int64_t)n * H + iy) * W + ix) * Ci + ic) - x.zp) *
                   (w.at(((int64_t)ky * KW + kx) * Co + oc) - w.zp[oc]);
          });
          acc += bias[oc];
          y.set((((int64_t)n * OH + oy) * OW + ox) * Co + oc, requantize_acc(acc, m[oc], false, y.zp, lo, hi));
        }
}

void fully_connected(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& wt = c.in_tensor(1);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, wt, 2);
  const int units = wt.shape[0], depth = wt.shape[1];
  if (depth <= 0 || it.elements() % depth != 0)
    c.fail(TARE_ERROR_INVALID_MODEL, "input size is not a multiple of depth");
  const int64_t batches = it.elements() / depth;
  if (ot.elements() != batches * units) c.fail(TARE_ERROR_INVALID_MODEL, "output size mismatch");
  const QView x = c.in_q(0);
  const Weights w = weights_of(c, 1, units, 0);
  const std::vector<int32_t> bias = bias_of(c, 2, units);
  const QView y = c.out_q(0);
  // TFLite: per-tensor FC (int8 and uint8) goes through GetQuantizedConvolutionMultipler (float product);
  // per-channel FC through the per-channel path (double product).
  const std::vector<QuantizedMultiplier> m = output_multipliers(w, x.scale, y.scale, !w.per_channel);
  const bool single = it.dtype == DType::I8;
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (int64_t b = 0; b < batches; b++)
    for (int u = 0; u < units; u++) {
      int32_t acc = 0;
      for (int d = 0; d < depth; d++) acc += (x.at(b * depth + d) - x.zp) * (w.at((int64_t)u * depth + d) - w.zp[u]);
      acc += bias[u];
      y.set(b * units + u, requantize_acc(acc, m[u], single, y.zp, lo, hi));
    }
}

namespace {

// For each output element, the flat index of the input element NumPy broadcasting maps to it.
std::vector<int64_t> broadcast_map(const IntCtx& c, const std::vector<int>& in, const std::vector<int>& out) {
  if (in.size() > out.size()) c.fail(TARE_ERROR_INVALID_MODEL, "input rank exceeds output rank");
  const size_t r = out.size(), off = r - in.size();
  std::vector<int64_t> in_stride(r, 0);
  int64_t s = 1;
  for (size_t d = r; d-- > off;) {
    const int id = in[d - off];
    if (id != out[d] && id != 1) c.fail(TARE_ERROR_INVALID_MODEL, "shapes do not broadcast");
    in_stride[d] = id == 1 ? 0 : s;
    s *= id;
  }
  int64_t total = 1;
  for (int d : out) total *= d;
  std::vector<int64_t> map((size_t)total);
  std::vector<int> idx(r, 0);
  int64_t cur = 0;
  for (int64_t i = 0; i < total; i++) {
    map[(size_t)i] = cur;
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < out[d]) {
        cur += in_stride[d];
        break;
      }
      cur -= in_stride[d] * (out[d] - 1);
      idx[d] = 0;
    }
  }
  return map;
}

}  // namespace

// ADD / SUB (TFLite's quantized Add; SUB runs it with the second input's multiplier negated) and
// SQUARED_DIFFERENCE: both inputs are brought to a common scale twice the larger input scale, with left_shift bits of
// headroom (20; 7 for SQUARED_DIFFERENCE), summed (the difference squared), and rescaled to the output.  Every
// rescale is the "SmallerThanOneExp" multiply (SRDHM then rounding right shift).
void add_like(IntCtx& c, AddKind kind) {
  const QView a = c.in_q(0);
  const QView b = c.in_q(1);
  const Tensor& ot = c.out_tensor(0);
  const std::vector<int64_t> ma = broadcast_map(c, c.in_tensor(0).shape, ot.shape);
  const std::vector<int64_t> mb = broadcast_map(c, c.in_tensor(1).shape, ot.shape);
  const QView y = c.out_q(0);
  const bool squared = kind == AddKind::SquaredDifference;
  const quant::AddRescale r = quant::add_rescale(a.scale, b.scale, y.scale, kind == AddKind::Sub, squared);
  if (r.out.shift > 0) c.fail(TARE_ERROR_UNSUPPORTED, "output scale too small for TFLite's kernel (multiplier >= 1)");
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  const auto rescale = [](int32_t v, const QuantizedMultiplier& m) {
    return quant::multiply_by_quantized_multiplier_smaller_than_one_exp(v, m.multiplier, m.shift);
  };
  for (size_t i = 0; i < ma.size(); i++) {
    const int32_t ra = rescale((a.at(ma[i]) - a.zp) * (1 << r.left_shift), r.a);
    const int32_t rb = rescale((b.at(mb[i]) - b.zp) * (1 << r.left_shift), r.b);
    const int32_t sum = squared ? (ra - rb) * (ra - rb) : ra + rb;
    y.set((int64_t)i, std::clamp(rescale(sum, r.out) + y.zp, lo, hi));
  }
}

// MAXIMUM / MINIMUM: TFLite picks between the raw values (el1 > el2 ? el1 : el2), which is the op only when inputs
// and output share one quantization.
void maximum_minimum(IntCtx& c, bool maximum) {
  const QView a = c.in_q(0);
  const QView b = c.in_q(1);
  const Tensor& ot = c.out_tensor(0);
  const std::vector<int64_t> ma = broadcast_map(c, c.in_tensor(0).shape, ot.shape);
  const std::vector<int64_t> mb = broadcast_map(c, c.in_tensor(1).shape, ot.shape);
  const QView y = c.out_q(0);
  if (a.scale != y.scale || b.scale != y.scale || a.zp != y.zp || b.zp != y.zp || a.dtype != y.dtype ||
      b.dtype != y.dtype)
    c.fail(TARE_ERROR_UNSUPPORTED, "inputs and output must share scale and zero point");
  for (size_t i = 0; i < ma.size(); i++) {
    const int32_t x = a.at(ma[i]), z = b.at(mb[i]);
    y.set((int64_t)i, maximum ? (x > z ? x : z) : (x < z ? x : z));
  }
}

// MUL: (a - za) * (b - zb) rescaled by in1_scale * in2_scale / out_scale (computed in float, as TFLite does).
void mul(IntCtx& c) {
  const QView a = c.in_q(0);
  const QView b = c.in_q(1);
  const Tensor& ot = c.out_tensor(0);
  const std::vector<int64_t> ma = broadcast_map(c, c.in_tensor(0).shape, ot.shape);
  const std::vector<int64_t> mb = broadcast_map(c, c.in_tensor(1).shape, ot.shape);
  const QView y = c.out_q(0);
  const float real = a.scale * b.scale / y.scale;
  const QuantizedMultiplier m = quantize_multiplier((double)real);
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (size_t i = 0; i < ma.size(); i++) {
    const int32_t prod = (a.at(ma[i]) - a.zp) * (b.at(mb[i]) - b.zp);
    y.set((int64_t)i, std::clamp(multiply_by_quantized_multiplier(prod, m) + y.zp, lo, hi));
  }
}

// DIV (div.cc, reference_ops::DivElementwise; TFLite's kernel is uint8 only, int8 runs the same arithmetic): the
// output multiplier quantize_multiplier(sa / (sb * so)) computed in float, each quotient by quant::div_quotient, + output
// zero point, clamped to the fused activation's range.
void div(IntCtx& c) {
  const QView a = c.in_q(0);
  const QView b = c.in_q(1);
  const Tensor& ot = c.out_tensor(0);
  const std::vector<int64_t> ma = broadcast_map(c, c.in_tensor(0).shape, ot.shape);
  const std::vector<int64_t> mb = broadcast_map(c, c.in_tensor(1).shape, ot.shape);
  const QView y = c.out_q(0);
  const float real = a.scale / (b.scale * y.scale);  // float, as TFLite's Prepare
  const QuantizedMultiplier m = quantize_multiplier((double)real);
  if (m.multiplier == 0 || m.shift > quant::kDivMaxShift)
    c.fail(TARE_ERROR_UNSUPPORTED, "output multiplier out of range");
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (size_t i = 0; i < ma.size(); i++) {
    const int32_t q = quant::div_quotient(a.at(ma[i]) - a.zp, b.at(mb[i]) - b.zp, m);
    y.set((int64_t)i, std::clamp(q + y.zp, lo, hi));
  }
}

// PRELU (activations.cc, reference/prelu.h): x - zx >= 0 rescaled by in_scale / out_scale, else
// (x - zx) * (alpha - za) by in_scale * alpha_scale / out_scale (both real multipliers computed in float), + output
// zero point, clamped to the type's range.  The output has the input's shape (alpha broadcasts into it).
void prelu(IntCtx& c) {
  const QView x = c.in_q(0);
  const QView a = c.in_q(1);
  const Tensor& ot = c.out_tensor(0);
  if (c.in_tensor(0).shape != ot.shape) c.fail(TARE_ERROR_INVALID_MODEL, "output shape must be the input's");
  const std::vector<int64_t> ma = broadcast_map(c, c.in_tensor(1).shape, ot.shape);
  const QView y = c.out_q(0);
  const float real1 = x.scale / y.scale;
  const float real2 = x.scale * a.scale / y.scale;
  const QuantizedMultiplier m1 = quantize_multiplier((double)real1);
  const QuantizedMultiplier m2 = quantize_multiplier((double)real2);
  for (size_t i = 0; i < ma.size(); i++) {
    const int32_t v = x.at((int64_t)i) - x.zp;
    const int32_t r = v >= 0 ? multiply_by_quantized_multiplier(v, m1)
                             : multiply_by_quantized_multiplier(v * (a.at(ma[i]) - a.zp), m2);
    y.set((int64_t)i, std::clamp(r + y.zp, y.qmin, y.qmax));
  }
}

// AVERAGE_POOL_2D / MAX_POOL_2D: on the raw quantized values (input and output share scale and zero point).  The
// average divides by the number of in-image taps, rounding half away from zero.
void pool2d(IntCtx& c, bool average) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, it, 4);
  require_rank(c, ot, 4);
  const int N = it.shape[0], H = it.shape[1], W = it.shape[2], C = it.shape[3];
  if (ot.shape[0] != N || ot.shape[3] != C) c.fail(TARE_ERROR_INVALID_MODEL, "output shape mismatch");
  const OpParams& p = c.op.params;
  const detail::Window win = window(c, H, W, ot, p.filter_h, p.filter_w, 1, 1);
  const int OH = win.out_h, OW = win.out_w;
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  for (int n = 0; n < N; n++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        const detail::ClippedWindow cw = detail::clip_window(win, H, W, oy, ox);
        const int32_t count = cw.count();
        if (count == 0) c.fail(TARE_ERROR_INVALID_MODEL, "pooling window outside the input");
        for (int ch = 0; ch < C; ch++) {
          int32_t acc = average ? 0 : x.qmin;
          for (int iy = cw.y_begin; iy < cw.y_end; iy++)
            for (int ix = cw.x_begin; ix < cw.x_end; ix++) {
              const int32_t v = x.at((((int64_t)n * H + iy) * W + ix) * C + ch);
              if (average) acc += v;
              else acc = std::max(acc, v);
            }
          if (average) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          y.set((((int64_t)n * OH + oy) * OW + ox) * C + ch, std::clamp(acc, lo, hi));
        }
      }
}

// MEAN, as TFLite's builtin (optimized) MEAN kernel chooses:
//  (1) 4-D input, keep_dims, axes {1, 2}: the "Mean4D" kernel: acc = sum(q) over H*W;
//      out = MBQM(acc, quantize(in_scale / (H*W * out_scale))) + (out_zp - round(in_zp * in_scale / out_scale));
//  (2) else, equal input / output parameters: sum(q) / count, integer division truncating toward zero;
//  (3) else: float: round((sum(q) / count) * (in_scale / out_scale) - in_zp * (in_scale / out_scale)) + out_zp.
void mean(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& ot = c.out_tensor(0);
  const QView x = c.in_q(0);
  const std::vector<int>& axes = c.op.params.axes;
  const size_t r = it.shape.size();
  std::vector<bool> reduced(r, false);
  for (int a : axes) {
    if (a < 0 || a >= (int)r) c.fail(TARE_ERROR_INVALID_MODEL, "axis out of range");
    reduced[a] = true;
  }
  int64_t count = 1, outputs = 1;
  for (size_t d = 0; d < r; d++) (reduced[d] ? count : outputs) *= it.shape[d];
  if (ot.elements() != outputs) c.fail(TARE_ERROR_INVALID_MODEL, "output size mismatch");
  // Sum of raw values per output element.
  std::vector<int32_t> sum((size_t)outputs, 0);
  {
    std::vector<int> idx(r, 0);
    for (int64_t i = 0; i < it.elements(); i++) {
      int64_t o = 0;
      for (size_t d = 0; d < r; d++)
        if (!reduced[d]) o = o * it.shape[d] + idx[d];
      sum[(size_t)o] += x.at(i);
      for (size_t d = r; d-- > 0;) {
        if (++idx[d] < it.shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  const QView y = c.out_q(0);
  if (count == 0) return;
  const bool hw4d = r == 4 && c.op.params.keep_dims && axes.size() == 2 && reduced[1] && reduced[2];
  if (hw4d) {
    const float num = (float)count;
    float temp = (float)x.zp * x.scale / y.scale;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    const int32_t bias = y.zp - (int32_t)temp;
    const float real_scale = x.scale / (num * y.scale);
    const QuantizedMultiplier m = quantize_multiplier((double)real_scale);
    for (int64_t o = 0; o < outputs; o++) {
      const int32_t v = multiply_by_quantized_multiplier(sum[(size_t)o], m) + bias;
      y.set(o, std::clamp(v, y.qmin, y.qmax));
    }
  } else if (x.zp == y.zp && x.scale == y.scale) {
    for (int64_t o = 0; o < outputs; o++) y.set(o, sum[(size_t)o] / (int32_t)count);
  } else {
    const float scale = x.scale / y.scale;
    const float bias = (float)(-x.zp) * scale;
    for (int64_t o = 0; o < outputs; o++) {
      const float float_mean = (float)sum[(size_t)o] / (float)count;
      float result = std::min(std::round(float_mean * scale + bias) + (float)y.zp, (float)y.qmax);
      result = std::max(result, (float)y.qmin);
      y.set(o, (int32_t)result);
    }
  }
}

// CONCATENATION: inputs with the output's parameters are copied; others are requantized as TFLite's uint8 kernel
// does (float: round(q * (s_in / s_out) - z_in * (s_in / s_out)) + z_out, clamped).  TFLite's int8 kernel requires
// equal parameters; this generalises it the same way.
void concatenation(IntCtx& c) {
  const Tensor& ot = c.out_tensor(0);
  const int axis = c.op.params.axis;
  if (axis < 0 || axis >= (int)ot.shape.size()) c.fail(TARE_ERROR_INVALID_MODEL, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= ot.shape[d];
  for (size_t d = axis + 1; d < ot.shape.size(); d++) inner *= ot.shape[d];
  std::vector<QView> xs;
  std::vector<int64_t> chunk;
  int64_t total = 0;
  for (size_t i = 0; i < c.op.inputs.size(); i++) {
    const Tensor& t = c.in_tensor(i);
    if (t.shape.size() != ot.shape.size()) c.fail(TARE_ERROR_INVALID_MODEL, "input rank differs from output rank");
    xs.push_back(c.in_q(i));
    chunk.push_back((int64_t)t.shape[axis] * inner);
    total += t.shape[axis];
  }
  if (total != ot.shape[axis]) c.fail(TARE_ERROR_INVALID_MODEL, "concatenated size mismatch");
  const QView y = c.out_q(0);
  int32_t lo, hi;
  fused_range(c, y, &lo, &hi);
  const float inverse_output_scale = 1.0f / y.scale;
  int64_t o = 0;
  for (int64_t k = 0; k < outer; k++)
    for (size_t i = 0; i < xs.size(); i++) {
      const QView& x = xs[i];
      const bool same = x.zp == y.zp && x.scale == y.scale;
      const float scale = x.scale * inverse_output_scale;
      const float bias = (float)(-x.zp) * scale;
      for (int64_t j = 0; j < chunk[i]; j++, o++) {
        const int32_t q = x.at(k * chunk[i] + j);
        int32_t v = same ? q : (int32_t)std::round((float)q * scale + bias) + y.zp;
        y.set(o, std::clamp(std::clamp(v, y.qmin, y.qmax), lo, hi));
      }
    }
}

// PAD: the padding holds the output zero point (real 0).
void pad(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& ot = c.out_tensor(0);
  const auto& pads = c.op.params.paddings;
  const size_t r = it.shape.size();
  if (ot.shape.size() != r || pads.size() != r) c.fail(TARE_ERROR_INVALID_MODEL, "paddings do not match the rank");
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  int32_t fill = y.zp;
  if (c.has_input(2)) {  // PADV2: TFLite copies the value's stored form, which must share the output's quantization
    const Tensor& vt = c.in_tensor(2);
    if (vt.dtype != ot.dtype || vt.quant.scale != ot.quant.scale || vt.quant.zero_point != ot.quant.zero_point)
      c.fail(TARE_ERROR_UNSUPPORTED, "the pad value must have the output's type and quantization");
    fill = c.in_q(2).at(0);
  }
  for (int64_t i = 0; i < ot.elements(); i++) y.set(i, fill);
  std::vector<int> idx(r, 0);
  for (int64_t i = 0; i < it.elements(); i++) {
    int64_t o = 0;
    for (size_t d = 0; d < r; d++) o = o * ot.shape[d] + idx[d] + pads[d].first;
    y.set(o, x.at(i));
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < it.shape[d]) break;
      idx[d] = 0;
    }
  }
}

// SOFTMAX (TFLite's builtin 8-bit kernel, optimized_ops::Softmax with a float lookup table):
// table[255 - d] = exp(-in_scale * beta * d); per row: sum_exp = sum(table[255 + q - max]) in float, in order;
// out = round(table[...] / (sum_exp * out_scale)) + out_zp (uint8 output: truncation of x + 0.5f, no zero point).
void softmax(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  if (it.shape.empty()) c.fail(TARE_ERROR_INVALID_MODEL, "rank-0 input");
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  const int64_t last = it.shape.back();
  if (last <= 0) return;
  const int64_t rows = it.elements() / last;
  float table[256];
  quant::populate_softmax_table(x.scale, c.op.params.beta, table);
  for (int64_t r = 0; r < rows; r++) {
    int32_t max_val = x.qmin;
    for (int64_t j = 0; j < last; j++) max_val = std::max(max_val, x.at(r * last + j));
    float sum_exp = 0.0f;
    for (int64_t j = 0; j < last; j++) sum_exp += table[255 + x.at(r * last + j) - max_val];
    const float inv_sum_exp = 1.0f / (sum_exp * y.scale);
    for (int64_t j = 0; j < last; j++) {
      const float prob = table[255 + x.at(r * last + j) - max_val] * inv_sum_exp;
      int32_t q;
      if (y.dtype == DType::U8) q = (int32_t)(prob + 0.5f);
      else q = (int32_t)std::round(prob) + y.zp;
      y.set(r * last + j, std::clamp(q, y.qmin, y.qmax));
    }
  }
}

// LOGISTIC (TFLite's builtin 8-bit kernel): a 256-entry table of the float sigmoid, requantized.
void logistic(IntCtx& c) {
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  int32_t table[256];
  quant::populate_lut(x.scale, x.zp, y.scale, y.zp, y.qmin, y.qmax, quant::logistic_float, table);
  const int64_t n = c.in_tensor(0).elements();
  for (int64_t i = 0; i < n; i++) y.set(i, table[(uint8_t)x.at(i)]);
}

void hard_swish(IntCtx& c) {
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  quant::HardSwishParams hp;
  if (!quant::hard_swish_params(x.scale, x.zp, y.scale, y.zp, &hp))
    c.fail(TARE_ERROR_UNSUPPORTED, "HARD_SWISH output multiplier >= 1 (TFLite rejects it)");
  const int64_t n = c.in_tensor(0).elements();
  for (int64_t i = 0; i < n; i++) y.set(i, quant::hard_swish(x.at(i), hp, y.qmin, y.qmax));
}

// RELU / RELU6 as operators: requantize by in_scale / out_scale (float division), clamp to the bounds quantized on
// the output scale.
void relu(IntCtx& c, float act_min, float act_max) {
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  const QuantizedMultiplier m = quantize_multiplier((double)(x.scale / y.scale));
  const int32_t lo = std::max(y.qmin, y.zp + (int32_t)std::round(act_min / y.scale));
  const int32_t hi = std::isinf(act_max) ? y.qmax : std::min(y.qmax, y.zp + (int32_t)std::round(act_max / y.scale));
  const int64_t n = c.in_tensor(0).elements();
  for (int64_t i = 0; i < n; i++)
    y.set(i, std::clamp(y.zp + multiply_by_quantized_multiplier(x.at(i) - x.zp, m), lo, hi));
}

namespace {

void interpolation_values(int32_t value, int32_t scale_10, bool half_pixel_centers, int32_t input_size, int32_t* scaled,
                          int32_t* lower, int32_t* upper) {
  *scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower = std::max(*scaled / (1 << 10), 0);
  *upper = std::min((*scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

// uint8 RESIZE_BILINEAR as TFLite's builtin kernel runs it (optimized_ops::ResizeBilinear for uint8,
// ResizeBilinearGenericSmallChannel): float source positions and weights, the four taps summed in this order in
// single precision, + 0.5, truncated.
void resize_bilinear_uint8(IntCtx& c, const QView& x, const QView& y) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& ot = c.out_tensor(0);
  const int N = it.shape[0], H = it.shape[1], W = it.shape[2], C = it.shape[3];
  const int OH = ot.shape[1], OW = ot.shape[2];
  const OpParams& p = c.op.params;
  const float hs = resize::scale(H, OH, p.align_corners), ws = resize::scale(W, OW, p.align_corners);
  for (int n = 0; n < N; n++)
    for (int oy = 0; oy < OH; oy++) {
      const resize::Source sy = resize::source(oy, hs, p.half_pixel_centers, H);
      const float dy = sy.frac();
      for (int ox = 0; ox < OW; ox++) {
        const resize::Source sx = resize::source(ox, ws, p.half_pixel_centers, W);
        const float dx = sx.frac();
        const float w00 = (1 - dy) * (1 - dx), w01 = (1 - dy) * dx, w10 = dy * (1 - dx), w11 = dy * dx;
        for (int ch = 0; ch < C; ch++) {
          auto at = [&](int yy, int xx) { return (float)x.at((((int64_t)n * H + yy) * W + xx) * C + ch); };
          const float v = at(sy.lo, sx.lo) * w00 + at(sy.lo, sx.hi) * w01 + at(sy.hi, sx.lo) * w10 +
                          at(sy.hi, sx.hi) * w11 + 0.5f;
          // Truncation, as TFLite's cast; the clamp only guards values its cast leaves undefined.
          y.set((((int64_t)n * OH + oy) * OW + ox) * C + ch, (int32_t)std::clamp(v, 0.0f, 255.0f));
        }
      }
    }
}

}  // namespace

// RESIZE_BILINEAR: int8 as TFLite's ResizeBilinearInteger (positions in 10-bit fixed point, products in 20 bits,
// rounded half away from zero), uint8 as TFLite's float kernel (above).  Input and output share scale and zero
// point.
void resize_bilinear(IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const Tensor& ot = c.out_tensor(0);
  require_rank(c, it, 4);
  require_rank(c, ot, 4);
  const int N = it.shape[0], H = it.shape[1], W = it.shape[2], C = it.shape[3];
  const int OH = ot.shape[1], OW = ot.shape[2];
  const OpParams& p = c.op.params;
  const QView x = c.in_q(0);
  const QView y = c.out_q(0);
  if (x.dtype == DType::U8) return resize_bilinear_uint8(c, x, y);
  int32_t hs = ((1 << 10) * H + OH / 2) / OH;
  int32_t ws = ((1 << 10) * W + OW / 2) / OW;
  if (p.align_corners && OH > 1) hs = ((1 << 10) * (H - 1) + (OH - 1) / 2) / (OH - 1);
  if (p.align_corners && OW > 1) ws = ((1 << 10) * (W - 1) + (OW - 1) / 2) / (OW - 1);
  for (int n = 0; n < N; n++)
    for (int oy = 0; oy < OH; oy++) {
      int32_t iy, y0, y1;
      interpolation_values(oy, hs, p.half_pixel_centers, H, &iy, &y0, &y1);
      for (int ox = 0; ox < OW; ox++) {
        int32_t ix, x0, x1;
        interpolation_values(ox, ws, p.half_pixel_centers, W, &ix, &x0, &x1);
        const int64_t dy = iy - (1 << 10) * y0, dx = ix - (1 << 10) * x0;
        for (int ch = 0; ch < C; ch++) {
          auto at = [&](int yy, int xx) { return (int64_t)x.at((((int64_t)n * H + yy) * W + xx) * C + ch); };
          const int64_t v = at(y0, x0) * ((1 << 10) - dy) * ((1 << 10) - dx) + at(y1, x0) * dy * ((1 << 10) - dx) +
                            at(y0, x1) * ((1 << 10) - dy) * dx + at(y1, x1) * dy * dx;
          const int64_t round = v > 0 ? (1 << 19) : -(1 << 19);
          y.set((((int64_t)n * OH + oy) * OW + ox) * C + ch, (int32_t)((v + round) / (1 << 20)));
        }
      }
    }
}

}  // namespace tare::ref::intd
