// Backward of DEPTHWISE_CONV_2D with respect to its input (training, float32), any depth multiplier
// (shaders/grad_depthwise_conv2d.comp: a gather over stride-aligned blocks, one add per dx vec4).
#include <algorithm>

#include "common/error.h"
#include "ops/grad_weighted.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/ste_fold.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // dx positions per invocation (SH rows x kTP/SH columns; measured on lavapipe: 8 beats 4, 16)

struct DwPush {
  ConvHead h;
  int32_t OC, RY, XT;
  SteKeys keys;
};

}  // namespace

KernelPtr make_grad_depthwise_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  check_grad_weighted(b, op, where);
  const ConvShapes cs = depthwise_shapes(b.graph(), op, where);
  const Shape4 &si = cs.si, &so = cs.so;
  const int KH = cs.kh, KW = cs.kw, OC = cs.oc, IC = si.c;
  const int mult = OC / IC, IC4 = si.c4();
  const OpParams& pr = op.params;
  TARE_CHECK(pr.stride_h >= 1 && pr.stride_w >= 1 && pr.dilation_h >= 1 && pr.dilation_w >= 1 && KH >= 1 && KW >= 1,
             TARE_ERROR_INVALID_MODEL, where + "bad stride, dilation or filter size");
  TARE_CHECK(so.n == si.n && so.h == conv_out_size(si.h, KH, pr.stride_h, pr.dilation_h, pr.padding) &&
                 so.w == conv_out_size(si.w, KW, pr.stride_w, pr.dilation_w, pr.padding),
             TARE_ERROR_INVALID_MODEL, where + "output shape does not match the convolution");
  TARE_CHECK(si.padded_elements() < INT32_MAX && so.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  // vec4 [((ky*KW + kx)*IC4 + c4)*mult + j] = W[ky][kx][(c4*4 + lane)*mult + j] over the lanes.
  const std::vector<float> w = b.constant_as_float(op.inputs[1]);
  TARE_CHECK((int64_t)w.size() == (int64_t)KH * KW * OC, TARE_ERROR_INVALID_MODEL, where + "weights size");
  std::vector<float> packed((size_t)KH * KW * IC4 * mult * 4, 0.0f);
  for (int k = 0; k < KH * KW; k++)
    for (int c = 0; c < IC; c++)
      for (int j = 0; j < mult; j++)
        packed[(((size_t)k * IC4 + c / 4) * mult + j) * 4 + c % 4] = w[(size_t)k * OC + (size_t)c * mult + j];
  const ConstSlice ws = b.add_constant_floats(packed);

  // Blocks of SH rows x tp columns, tp a multiple of SW near kTP / SH (not much wider than a row).
  const int SH = pr.stride_h, SW = pr.stride_w;
  const WindowPads pads = conv_pads(si, KH, KW, pr);
  const int tp = SW * std::max(1, (std::min(kTP / SH, si.w) + SW - 1) / SW);
  const int ry = (si.h + SH - 1) / SH, xt = x_tiles(si.w, tp);
  TARE_CHECK(KH * pr.dilation_h + SH < 4096 && KW * pr.dilation_w + tp + SW < 4096 && tp <= 64, TARE_ERROR_UNSUPPORTED,
             where + "filter, dilation or stride too large");
  const GradTarget dx = grad_target(b, op, 0);
  const DwPush push{conv_head(si, so, pads), OC, ry, xt, dx.keys};
  auto p = b.context().pipeline("grad_depthwise_conv2d",
                                {(uint32_t)KH, (uint32_t)KW, (uint32_t)SH, (uint32_t)SW, (uint32_t)pr.dilation_h,
                                 (uint32_t)pr.dilation_w, (uint32_t)mult, (uint32_t)tp, (uint32_t)pads.top,
                                 (uint32_t)pads.left, dx.store ? 0u : 1u, dx.mask},
                                sizeof(push), 4, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::g(op.outputs[0]), Binding::c(ws), Binding::g(dx.tensor), Binding::t(dx.tensor)}, push,
                       grid_xz((int64_t)si.n * ry * xt * IC4, 64));
}

}  // namespace tare::ops
