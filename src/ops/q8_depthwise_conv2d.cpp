// 8-bit DEPTHWISE_CONV_2D (TFLite integer semantics, bit-exact with src/ref's int reference): weights
// [1, KH, KW, Cin*M] int8 (per-tensor or per-channel along axis 3) or uint8 with a zero point, any depth multiplier
// M, strides, dilation, padding; double-rounding requantization (TFLite's depthwise kernels), 4 lanes at once.  Shader:
// shaders/q8_depthwise_conv2d.comp.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // output pixels per invocation

struct DwPush {
  ConvHead h;
  int32_t OC, XT, in_zp, out_zp, act_min, act_max;
};

}  // namespace

KernelPtr make_q8_depthwise_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const ConvShapes cs = q8_conv_shapes(b.graph(), op, where, true);
  const Tensor& in = *cs.in;
  const Shape4 &si = cs.si, &so = cs.so;
  const int KH = cs.kh, KW = cs.kw, OC = cs.oc;
  TARE_CHECK(so.n == si.n, TARE_ERROR_INVALID_MODEL, where + "channel counts do not match");
  TARE_CHECK(KW <= 256, TARE_ERROR_UNSUPPORTED, where + "filter wider than 256");
  const int mult = OC / si.c;
  const int OC4 = so.c4();
  const OpParams& pr = op.params;

  const q8conv::Params qp = q8conv::params(b, op, where, OC, 3, in.dtype == DType::U8, false);
  // Weights as floats w - w_zp, converted once here (the shader neither unpacks bytes nor subtracts w_zp).
  std::vector<float> wf((size_t)KH * KW * OC4 * 4, 0.0f);
  for (int t = 0; t < KH * KW; t++)
    for (int oc = 0; oc < OC; oc++)
      wf[(size_t)t * OC4 * 4 + oc] = (float)(qp.weight((int64_t)t * OC + oc) - qp.wzp[(size_t)oc]);
  const ConstSlice weights = b.add_constant_bytes(wf.data(), wf.size() * sizeof(float));
  const int clip = b.claim_clip(op);
  const ConstSlice qtable = q8conv::add_table(b, qp, qp.bias, OC, clip);

  TARE_CHECK(so.rows() * OC4 < INT32_MAX && si.rows() * si.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  const int tp = std::min(kTP, so.w);
  const int xt = x_tiles(so.w, tp);
  const DwPush push{
      conv_head(si, so, conv_pads(si, KH, KW, pr)), OC, xt, device_zero_point(in), qp.out_zp, qp.act_min, qp.act_max};
  auto p =
      b.pipeline_q8("q8_depthwise_conv2d", false,
                    {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w, (uint32_t)pr.dilation_h,
                     (uint32_t)pr.dilation_w, (uint32_t)mult, (uint32_t)tp, q8conv::rq_mode(qp), clip >= 0 ? 1u : 0u},
                    sizeof(DwPush), 4, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(qtable), Binding::t(op.outputs[0])},
                       push, window_grid(so, xt, (uint32_t)OC4));
}

}  // namespace tare::ops
