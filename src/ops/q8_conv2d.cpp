// 8-bit CONV_2D (TFLite integer semantics, bit-exact with src/ref's int reference).  Also the requantization
// helpers shared with q8_depthwise_conv2d.cpp and q8_fully_connected.cpp (namespace q8conv).
//
// acc = sum_window (x - x_zp) * (w - w_zp) + bias, out = clamp(out_zp + MBQM(acc, M, shift), act_min, act_max).
// The shaders read padding (out-of-image) inputs as x_zp and padding lanes hold x_zp too, so with x' the stored
// value over the full window of L lanes, in the "_dot" variants (weight bytes, products by sdot4):
//   acc = sum x'*w - w_zp * sum x' - x_zp * sum_L w + L * x_zp * w_zp + bias
// where everything but the first two terms is folded into the bias on the host (int32 wrap-around arithmetic, as
// the accumulator itself); the second term exists only for weights with a zero point (legacy uint8).  The other
// variants read the weights as floats w' = w - w_zp (0 in padding lanes, q8conv::float_weights) and accumulate in
// float, exactly (see the shaders): acc = sum x'*w' - x_zp * sum w' + bias, the last two terms folded.  On lavapipe
// (bench_internal_kernels) this and the int32 accumulators kept out of the loop cost 10-27% less than unpacking
// weight bytes in the loop on layers with many output pixels, but up to ~12% more on 7x7 ones; 4x the weight memory.
// A 1x1 stride-1 unpadded convolution runs as a GEMM (q8_conv2d_1x1.comp), over fewer pixels than a GEMM tile as
// FULLY_CONNECTED's kernel (fc_kernels.h); the rest through q8_conv2d.comp.
#include <algorithm>

#include "common/error.h"
#include "ops/fc_kernels.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

// General window: output pixels (along W) x output channel groups per invocation.  16 x 2 against 8 x 4, the fp32
// kernel's: MobileNet-v2's 8-bit 3x3 stride-2 stem 0.74-0.76x on lavapipe (bench/README.md); 16 x 1 and 16 x 4 lose.
constexpr int kTP = 16;
constexpr int kTC = 2;
// 1x1 GEMM: up to 16 pixels x 2 channel groups (the fp32 kernel's 8 x 4 holds as many accumulators).  On lavapipe,
// MobileNet-v2's 1x1 layers take 0.60-0.94x the time of 8 x 4 from 14x14 up (bench/README.md).  Fewer pixels where 16
// would leave lanes idle (fitted_tile: 7 at 7x7).
constexpr int kGemmTP = 16;
constexpr int kGemmTC = 2;

struct ConvPush {
  ConvHead h;
  int32_t XT, OC, in_zp, out_zp, act_min, act_max, KC;
  int32_t C, flip;  // a dense input (the graph input's staging): its channels, and 128 for uint8
};
struct GemmPush {
  int32_t M, IC4, OC4, OC, in_zp, out_zp, act_min, act_max, KC;
};

}  // namespace

KernelPtr make_q8_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const ConvShapes cs = q8_conv_shapes(b.graph(), op, where, false);
  const Tensor& in = *cs.in;
  const Shape4 &si = cs.si, &so = cs.so;
  const int OC = cs.oc, KH = cs.kh, KW = cs.kw, IC = si.c;
  TARE_CHECK(so.c == OC && so.n == si.n, TARE_ERROR_INVALID_MODEL, where + "output shape mismatch");
  const int IC4 = si.c4(), OC4 = so.c4();
  const OpParams& pr = op.params;
  const bool dot = b.integer_dot();

  // TFLite: uint8 input with per-tensor weights takes the legacy multiplier (float product); int8 input
  // requantizes with single rounding (ruy), uint8 with double rounding.
  const q8conv::Params qp = q8conv::params(b, op, where, OC, 0, in.dtype == DType::U8, in.dtype == DType::I8);
  const WindowPads pads = conv_pads(si, KH, KW, pr);
  if (conv_is_gemm(cs, pr, pads) && so.rows() < kConvFcRows)
    return make_q8_fc_kernel(b, op, conv_fc_geometry(cs, where, kFcLocal), qp);
  const int32_t xz = device_zero_point(in);

  // Weights and the folded bias: bytes for sdot4, or floats (w - w_zp) for the float-accumulating shaders.
  const int taps = KH * KW;
  std::vector<int32_t> fold((size_t)OC, 0);
  ConstSlice weights;
  int32_t chunk = 0;  // float path: (tap, input group) steps an accumulator takes exactly
  if (dot) {
    const q8conv::PackedWeights pw = q8conv::pack_weights(qp, OC, taps, IC, dot);
    const int64_t lanes = (int64_t)taps * IC4 * 4;
    for (int oc = 0; oc < OC; oc++) {
      uint32_t sum_w = 0;
      for (int t = 0; t < taps; t++) sum_w += pw.tap_sums[(size_t)oc * taps + t];
      fold[oc] = q8conv::fold_bias(qp.bias[oc], xz, sum_w, lanes, qp.wzp[oc]);
    }
    weights = b.add_constant_bytes(pw.bytes.data(), pw.bytes.size());
  } else {
    const q8conv::FloatWeights fw = q8conv::float_weights(qp, OC, taps, IC);
    for (int oc = 0; oc < OC; oc++) fold[oc] = q8conv::fold_bias_float(qp.bias[oc], xz, fw.sums[oc]);
    weights = b.add_constant_bytes(fw.values.data(), fw.values.size() * sizeof(float));
    chunk = fw.chunk;
    TARE_CHECK(KW <= chunk, TARE_ERROR_UNSUPPORTED,
               where + "filter wider than " + std::to_string(chunk) + " (exact float accumulation)");
  }
  const int clip = b.claim_clip(op);
  const ConstSlice qtable = q8conv::add_table(b, qp, fold, OC, clip);
  std::vector<Binding> bindings = {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(qtable),
                                   Binding::t(op.outputs[0])};
  TARE_CHECK(so.rows() * std::max(IC4, OC4) < INT32_MAX && (int64_t)si.rows() * IC4 < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  const uint32_t wzp = dot && qp.any_wzp ? 1 : 0, rq = q8conv::rq_mode(qp);
  // Single rounding's general case (a multiplier of 1/4 or more: rare) is inlined once per value of a tile; one
  // channel group per invocation compiles it a quarter as often (llvmpipe's JIT at a cold start), for a rare layer.
  const int max_tc = rq == q8conv::kRqSingle ? 1 : kTC;
  if (conv_is_gemm(cs, pr, pads)) {
    const int tp = fitted_tile(so.rows(), kGemmTP, b.context().caps().subgroup_size);
    const int tc = std::min({kGemmTC, max_tc, OC4});
    const uint32_t chunked = !dot && IC4 > chunk ? 1 : 0;
    const GemmPush push{(int32_t)so.rows(), IC4, OC4, OC, xz, qp.out_zp, qp.act_min, qp.act_max, chunk};
    auto p = b.pipeline_q8("q8_conv2d_1x1", true, {(uint32_t)tp, (uint32_t)tc, wzp, rq, chunked, clip >= 0 ? 1u : 0u},
                           sizeof(GemmPush), 4, 64);
    return make_dispatch(std::move(p), std::move(bindings), push,
                         grid_xz((so.rows() + tp - 1) / tp, 64, div_up(OC4, tc)));
  }
  const int tp = std::min(kTP, so.w), tc = std::min({kTC, max_tc, OC4});
  const int xt = x_tiles(so.w, tp);
  const uint32_t chunked = !dot && (int64_t)KH * KW * IC4 > chunk ? 1 : 0;
  // An 8-bit graph input (a uint8 or int8 model's image) is read as the caller wrote it, saving the pass that packs
  // it into NHWC4 storage (where its byte offsets fit the shader's int arithmetic).
  const vk::BufferRange staged = si.rows() * IC < INT32_MAX ? b.claim_input_staging(op) : vk::BufferRange{};
  if (staged.buffer) bindings[0] = Binding::b(staged);
  const ConvPush push{conv_head(si, so, pads), xt, OC, xz, qp.out_zp, qp.act_min, qp.act_max, chunk, IC, u8_flip(in)};
  auto p = b.pipeline_q8("q8_conv2d", true,
                         {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                          (uint32_t)pr.dilation_h, (uint32_t)pr.dilation_w, (uint32_t)tp, (uint32_t)tc, wzp, rq,
                          chunked, clip >= 0 ? 1u : 0u, staged.buffer ? 1u : 0u},
                         sizeof(ConvPush), 4, 64, 1, 1);
  return make_dispatch(std::move(p), std::move(bindings), push, window_grid(so, xt, div_up(OC4, tc)));
}

}  // namespace tare::ops
