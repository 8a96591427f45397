// CONV_2D: weights [Cout, KH, KW, Cin] (TFLite), optional bias, fused activation.  A 1x1 stride-1 unpadded
// convolution runs as a GEMM (conv2d_1x1.comp), over fewer pixels than a GEMM tile as FULLY_CONNECTED's kernel
// (fc_kernels.h); everything else through the general window shader (conv2d.comp).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"
#include "ops/fc_kernels.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // general window: output pixels per invocation (conv2d.comp's TP)
constexpr int kTC = 4;  // general window: output channel groups per invocation (conv2d.comp's TC)

// GEMM register tile (pixels x channel groups per invocation); TARE_GEMM_TILE=PxC overrides it for tuning.  The
// pixels are a maximum: fitted_tile takes fewer where 8 would leave lanes idle (7 at 7x7).
struct GemmTile {
  int pixels = 8;  // measured best on lavapipe (bench_internal_kernels): ~10 GFLOP/s vs ~3 for 1x2
  int groups = 4;
};
const GemmTile& gemm_tile() {
  static const GemmTile tile = [] {  // a magic static: sessions are built from several threads at once
    GemmTile t;
    int a = 0, c = 0;
    if (const char* e = std::getenv("TARE_GEMM_TILE"))
      if (std::sscanf(e, "%dx%d", &a, &c) == 2 && a >= 1 && a <= 8 && c >= 1 && c <= 8) t = {a, c};
    return t;
  }();
  return tile;
}
int gemm_tile_pixels() { return gemm_tile().pixels; }
int gemm_tile_groups() { return gemm_tile().groups; }

struct ConvPush {
  ConvHead h;
  int32_t XT;
};
struct GemmPush {
  int32_t M, IC4, OC4;
};

}  // namespace

KernelPtr make_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const ConvShapes cs = conv2d_shapes(b.graph(), op, where);
  const Shape4 &si = cs.si, &so = cs.so;
  const int OC = cs.oc, KH = cs.kh, KW = cs.kw, IC = si.c;
  const int IC4 = si.c4(), OC4 = so.c4();
  const OpParams& pr = op.params;

  const WindowPads pads = conv_pads(si, KH, KW, pr);
  if (conv_is_gemm(cs, pr, pads) && so.rows() < kConvFcRows)
    return make_fc_kernel(b, op, conv_fc_geometry(cs, where, kFcLocal), b.constant_as_float(op.inputs[1]),
                          conv_float_bias(b, op, OC, OC4, where));
  std::vector<float> w = b.constant_as_float(op.inputs[1]);
  std::vector<float> packed((size_t)OC4 * KH * KW * IC4 * 16, 0.0f);
  for (int oc = 0; oc < OC; oc++)
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++)
        for (int ic = 0; ic < IC; ic++) {
          size_t vec = ((((size_t)(oc / 4) * KH + ky) * KW + kx) * IC4 * 4) + (size_t)ic;  // ic4*4 + lane
          packed[vec * 4 + oc % 4] = w[(((size_t)oc * KH + ky) * KW + kx) * IC + ic];
        }
  const ConstSlice weights = b.add_constant_floats(packed);
  // A granted clip's bounds follow the bias in its binding (the shaders' CLIP).
  const int clip = b.claim_clip(op);
  const ConstSlice bias = b.add_constant_floats(conv_float_bias(b, op, OC, OC4, where, clip));
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) b.note_constant(op.inputs[2], bias);
  std::vector<Binding> bindings = {Binding::t(op.inputs[0]), Binding::c(weights), Binding::c(bias),
                                   Binding::t(op.outputs[0])};
  if (conv_is_gemm(cs, pr, pads)) {
    const GemmPush push{(int32_t)so.rows(), IC4, OC4};
    const int tp = fitted_tile(so.rows(), gemm_tile_pixels(), b.context().caps().subgroup_size);
    const int tc = gemm_tile_groups();
    auto p = b.pipeline("conv2d_1x1", {act_code(pr.activation), (uint32_t)tp, (uint32_t)tc, clip >= 0 ? 1u : 0u},
                        sizeof(GemmPush), 4, 64);
    return make_dispatch(std::move(p), std::move(bindings), push,
                         grid_xz((so.rows() + tp - 1) / tp, 64, div_up(OC4, tc)));
  }
  const int tp = std::min(kTP, so.w), tc = std::min(kTC, OC4);
  const int xt = x_tiles(so.w, tp);
  const ConvPush push{conv_head(si, so, pads), xt};
  auto p =
      b.pipeline("conv2d",
                 {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w, (uint32_t)pr.dilation_h,
                  (uint32_t)pr.dilation_w, act_code(pr.activation), (uint32_t)tp, (uint32_t)tc, clip >= 0 ? 1u : 0u},
                 sizeof(ConvPush), 4, 64, 1, 1);
  return make_dispatch(std::move(p), std::move(bindings), push, window_grid(so, xt, div_up(OC4, tc)));
}

}  // namespace tare::ops
