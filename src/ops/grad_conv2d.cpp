// Backward of CONV_2D with respect to its input (training, float32): a gather with the weights packed transposed.
// A 1x1, stride-1, unpadded convolution runs as a GEMM (shaders/grad_conv2d_1x1.comp, shared with FULLY_CONNECTED);
// everything else through the general window shader (shaders/grad_conv2d.comp).
#include <algorithm>

#include "common/error.h"
#include "ops/grad_weighted.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/ste_fold.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // general window: input positions per invocation (grad_conv2d.comp's TP)
constexpr int kTC = 4;  // input channel groups per invocation (TC of both shaders)
constexpr int kGemmTP = 8;

struct WindowPush {
  ConvHead h;
  int32_t RY, XT, CT;
  SteKeys keys;
};

struct GemmPush {
  int32_t M, IC4, OC4;
  SteKeys keys;
};

}  // namespace

// Shared with the other weighted ops' backward (declared in grad_weighted.h).
void check_grad_weighted(BuildContext& b, const Op& op, const std::string& where) {
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  check_weighted_op(op, where, 3);
  const Graph& g = b.graph();
  const Tensor& in = g.tensors[op.inputs[0]];
  check_not_const(in, where);
  TARE_CHECK(in.dtype == DType::F32 && g.tensors[op.outputs[0]].dtype == DType::F32, TARE_ERROR_UNSUPPORTED,
             where + "backward kernels need float32 activations");
  TARE_CHECK(op.params.activation == Activation::None, TARE_ERROR_UNSUPPORTED,
             where + "backward of a fused activation: split fused activations first");
}

KernelPtr make_grad_gemm(BuildContext& b, const std::vector<float>& wt, int64_t rows, int ic4, int oc4, int dy,
                         const GradTarget& dx) {
  const ConstSlice ws = b.add_constant_floats(wt);
  const GemmPush push{(int32_t)rows, ic4, oc4, dx.keys};
  const int tc = std::min(kTC, ic4);
  auto p = b.context().pipeline("grad_conv2d_1x1", {(uint32_t)kGemmTP, (uint32_t)tc, dx.store ? 0u : 1u, dx.mask},
                                sizeof(push), 4, 64);
  return make_dispatch(std::move(p), {Binding::g(dy), Binding::c(ws), Binding::g(dx.tensor), Binding::t(dx.tensor)},
                       push, grid_xz((rows + kGemmTP - 1) / kGemmTP, 64, div_up(ic4, tc)));
}

KernelPtr make_grad_conv2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  check_grad_weighted(b, op, where);
  const ConvShapes cs = conv2d_shapes(b.graph(), op, where);
  const Shape4 &si = cs.si, &so = cs.so;
  const int OC = cs.oc, KH = cs.kh, KW = cs.kw, IC = si.c;
  const int IC4 = si.c4(), OC4 = so.c4();
  const OpParams& pr = op.params;
  TARE_CHECK(pr.stride_h >= 1 && pr.stride_w >= 1 && pr.dilation_h >= 1 && pr.dilation_w >= 1 && KH >= 1 && KW >= 1,
             TARE_ERROR_INVALID_MODEL, where + "bad stride, dilation or filter size");
  TARE_CHECK(so.c == OC && so.n == si.n && so.h == conv_out_size(si.h, KH, pr.stride_h, pr.dilation_h, pr.padding) &&
                 so.w == conv_out_size(si.w, KW, pr.stride_w, pr.dilation_w, pr.padding),
             TARE_ERROR_INVALID_MODEL, where + "output shape does not match the convolution");
  TARE_CHECK(si.padded_elements() < INT32_MAX && so.padded_elements() < INT32_MAX &&
                 (int64_t)IC4 * KH * KW * OC4 * 16 < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");

  // Transposed weights: vec4 [((ic4*KH + ky)*KW + kx)*OC4 + oc4)*4 + lane] over 4 input channels of output channel
  // oc4*4 + lane.
  const std::vector<float> w = b.constant_as_float(op.inputs[1]);
  TARE_CHECK((int64_t)w.size() == (int64_t)OC * KH * KW * IC, TARE_ERROR_INVALID_MODEL, where + "weights size");
  std::vector<float> packed((size_t)IC4 * KH * KW * OC4 * 16, 0.0f);
  for (int oc = 0; oc < OC; oc++)
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++)
        for (int ic = 0; ic < IC; ic++) {
          const size_t vec = (((size_t)(ic / 4) * KH + ky) * KW + kx) * OC4 * 4 + (size_t)oc;  // oc4*4 + lane
          packed[vec * 4 + ic % 4] = w[(((size_t)oc * KH + ky) * KW + kx) * IC + ic];
        }

  const WindowPads pads = conv_pads(si, KH, KW, pr);
  const GradTarget dx = grad_target(b, op, 0);
  if (conv_is_gemm(cs, pr, pads)) return make_grad_gemm(b, packed, si.rows(), IC4, OC4, op.outputs[0], dx);

  const ConstSlice ws = b.add_constant_floats(packed);
  const int SH = pr.stride_h, SW = pr.stride_w;
  const int ry = (si.h + SH - 1) / SH, per_row = (si.w + SW - 1) / SW;
  const int tp = std::min(kTP, per_row), tc = std::min(kTC, IC4);
  const int xt = x_tiles(per_row, tp), ct = (int)div_up(IC4, tc);
  TARE_CHECK((int64_t)SH * SW * ct <= 65535, TARE_ERROR_UNSUPPORTED, where + "too many stride phases");
  const WindowPush push{conv_head(si, so, pads), ry, xt, ct, dx.keys};
  auto p = b.context().pipeline("grad_conv2d",
                                {(uint32_t)KH, (uint32_t)KW, (uint32_t)SH, (uint32_t)SW, (uint32_t)pr.dilation_h,
                                 (uint32_t)pr.dilation_w, (uint32_t)tp, (uint32_t)tc, dx.store ? 0u : 1u, dx.mask},
                                sizeof(push), 4, 64, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::g(op.outputs[0]), Binding::c(ws), Binding::g(dx.tensor), Binding::t(dx.tensor)}, push,
                       grid_xz((int64_t)si.n * ry * xt, 64, (uint32_t)(SH * SW * ct)));
}

}  // namespace tare::ops
