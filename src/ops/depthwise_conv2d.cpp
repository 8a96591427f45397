// DEPTHWISE_CONV_2D: weights [1, KH, KW, Cin*M] (TFLite), any depth multiplier M, optional bias, fused activation.
#include <algorithm>
#include <cstdlib>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

// Output pixels per invocation (shader's TP): 8 measured best on lavapipe; TARE_DW_TILE overrides it for tuning.
int dw_tile() {
  static const int tp = [] {  // a magic static: sessions are built from several threads at once
    const char* e = std::getenv("TARE_DW_TILE");
    return e ? std::max(1, std::min(16, std::atoi(e))) : 8;
  }();
  return tp;
}

struct DwPush {
  ConvHead h;
  int32_t OC, XT;
};

}  // namespace

KernelPtr make_depthwise_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const ConvShapes cs = depthwise_shapes(b.graph(), op, where);
  const Shape4 &si = cs.si, &so = cs.so;
  const int KH = cs.kh, KW = cs.kw, OC = cs.oc;
  const int mult = OC / si.c;
  const int OC4 = so.c4();
  const OpParams& pr = op.params;

  std::vector<float> w = b.constant_as_float(op.inputs[1]);
  std::vector<float> packed((size_t)KH * KW * OC4 * 4, 0.0f);
  for (int ky = 0; ky < KH; ky++)
    for (int kx = 0; kx < KW; kx++)
      for (int oc = 0; oc < OC; oc++)
        packed[((size_t)(ky * KW + kx) * OC4) * 4 + oc] = w[((size_t)ky * KW + kx) * OC + oc];
  const ConstSlice weights = b.add_constant_floats(packed);
  // A granted clip's bounds follow the bias in its binding (the shader's CLIP).
  const int clip = b.claim_clip(op);
  const ConstSlice bias = b.add_constant_floats(conv_float_bias(b, op, OC, OC4, where, clip));
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) b.note_constant(op.inputs[2], bias);
  const int tp = std::min(dw_tile(), so.w);
  const int xt = x_tiles(so.w, tp);
  const DwPush push{conv_head(si, so, conv_pads(si, KH, KW, pr)), OC, xt};
  auto p =
      b.pipeline("depthwise_conv2d",
                 {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w, (uint32_t)pr.dilation_h,
                  (uint32_t)pr.dilation_w, act_code(pr.activation), (uint32_t)mult, (uint32_t)tp, clip >= 0 ? 1u : 0u},
                 sizeof(DwPush), 4, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(bias), Binding::t(op.outputs[0])},
                       push, window_grid(so, xt, (uint32_t)OC4));
}

}  // namespace tare::ops
