// CONV_2D: weights [Cout, KH, KW, Cin] (TFLite), optional bias, fused activation.  A 1x1 stride-1 unpadded
// convolution runs as a GEMM (conv2d_1x1.comp); everything else through the general window shader (conv2d.comp).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // general window: output pixels per invocation (conv2d.comp's TP)
constexpr int kTC = 4;  // general window: output channel groups per invocation (conv2d.comp's TC)

// GEMM register tile (pixels x channel groups per invocation); TARE_GEMM_TILE=PxC overrides it for tuning.
int gemm_tile(int which, int fallback) {
  static int tile[2] = {0, 0};
  if (!tile[0]) {
    tile[0] = 8;  // measured best on lavapipe (bench_internal_kernels): ~10 GFLOP/s vs ~3 for 1x2
    tile[1] = 4;
    if (const char* e = std::getenv("TARE_GEMM_TILE")) {
      int a = 0, c = 0;
      if (std::sscanf(e, "%dx%d", &a, &c) == 2 && a >= 1 && a <= 8 && c >= 1 && c <= 8) {
        tile[0] = a;
        tile[1] = c;
      }
    }
  }
  return tile[which] ? tile[which] : fallback;
}
int gemm_tile_pixels() { return gemm_tile(0, 8); }
int gemm_tile_groups() { return gemm_tile(1, 4); }

struct ConvPush {
  int32_t N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, XT;
};
struct GemmPush {
  int32_t M, IC4, OC4;
};

class Conv2D : public Kernel {
 public:
  Conv2D(BuildContext& b, const Op& op) : op_(op) {
    const Graph& g = b.graph();
    const Tensor& in = g.tensors[op.inputs[0]];
    const Tensor& wt = g.tensors[op.inputs[1]];
    const Tensor& out = g.tensors[op.outputs[0]];
    const std::string where = "operator " + std::to_string(op.source_index) + " (CONV_2D): ";
    TARE_CHECK(wt.is_const && wt.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "weights must be constant 4-D");
    TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
    const int OC = wt.shape[0], KH = wt.shape[1], KW = wt.shape[2], IC = wt.shape[3];
    TARE_CHECK(IC == in.shape[3], TARE_ERROR_UNSUPPORTED, where + "grouped convolution is not supported");
    Shape4 si = shape4(in.shape), so = shape4(out.shape);
    const int IC4 = si.c4(), OC4 = so.c4();
    const OpParams& pr = op.params;

    std::vector<float> w = b.constant_as_float(op.inputs[1]);
    std::vector<float> packed((size_t)OC4 * KH * KW * IC4 * 16, 0.0f);
    for (int oc = 0; oc < OC; oc++)
      for (int ky = 0; ky < KH; ky++)
        for (int kx = 0; kx < KW; kx++)
          for (int ic = 0; ic < IC; ic++) {
            size_t vec = ((((size_t)(oc / 4) * KH + ky) * KW + kx) * IC4 * 4) + (size_t)ic;  // ic4*4 + lane
            packed[vec * 4 + oc % 4] = w[(((size_t)oc * KH + ky) * KW + kx) * IC + ic];
          }
    weights_ = b.add_constant_floats(packed);
    std::vector<float> bias((size_t)OC4 * 4, 0.0f);
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
      std::vector<float> bv = b.constant_as_float(op.inputs[2]);
      TARE_CHECK((int)bv.size() == OC, TARE_ERROR_INVALID_MODEL, where + "bias size mismatch");
      for (int oc = 0; oc < OC; oc++) bias[oc] = bv[oc];
    }
    bias_ = b.add_constant_floats(bias);

    const int pad_t = conv_pad_before(si.h, KH, pr.stride_h, pr.dilation_h, pr.padding);
    const int pad_l = conv_pad_before(si.w, KW, pr.stride_w, pr.dilation_w, pr.padding);
    gemm_ = KH == 1 && KW == 1 && pr.stride_h == 1 && pr.stride_w == 1 && pad_t == 0 && pad_l == 0 &&
            si.h == so.h && si.w == so.w;
    if (gemm_) {
      gp_ = {(int32_t)so.rows(), IC4, OC4};
      const int tp = gemm_tile_pixels(), tc = gemm_tile_groups();
      pipeline_ = b.pipeline("conv2d_1x1", {act_code(pr.activation), (uint32_t)tp, (uint32_t)tc}, sizeof(GemmPush),
                             4, 64);
      split_groups((so.rows() + tp - 1) / tp, 64, groups_[0], groups_[2]);
      groups_[1] = div_up(OC4, tc);
    } else {
      const int tp = std::min(kTP, so.w), tc = std::min(kTC, OC4);
      const int xt = (so.w + tp - 1) / tp;
      cp_ = {si.n, si.h, si.w, IC4, so.h, so.w, OC4, pad_t, pad_l, xt};
      pipeline_ = b.pipeline("conv2d",
                             {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                              (uint32_t)pr.dilation_h, (uint32_t)pr.dilation_w, act_code(pr.activation),
                              (uint32_t)tp, (uint32_t)tc},
                             sizeof(ConvPush), 4, 64, 1, 1);
      split_groups((int64_t)so.n * so.h * xt, 64, groups_[0], groups_[2]);
      groups_[1] = div_up(OC4, tc);
    }
  }

  void record(vk::Recorder& rec, const Resources& res) override {
    std::vector<vk::BufferRange> bufs = {res.tensor(op_.inputs[0]), res.constant(weights_), res.constant(bias_),
                                         res.tensor(op_.outputs[0])};
    if (gemm_)
      rec.dispatch(*pipeline_, bufs, &gp_, sizeof(gp_), groups_[0], groups_[1], groups_[2]);
    else
      rec.dispatch(*pipeline_, bufs, &cp_, sizeof(cp_), groups_[0], groups_[1], groups_[2]);
  }

 private:
  Op op_;
  ConstSlice weights_, bias_;
  bool gemm_ = false;
  ConvPush cp_{};
  GemmPush gp_{};
  std::shared_ptr<vk::Pipeline> pipeline_;
  uint32_t groups_[3] = {1, 1, 1};
};

}  // namespace

KernelPtr make_conv2d(BuildContext& b, const Op& op) { return std::make_unique<Conv2D>(b, op); }

}  // namespace tare::ops
