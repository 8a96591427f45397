// DEPTHWISE_CONV_2D: weights [1, KH, KW, Cin*M] (TFLite), any depth multiplier M, optional bias, fused activation.
#include <algorithm>
#include <cstdlib>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

// Output pixels per invocation (shader's TP): 8 measured best on lavapipe; TARE_DW_TILE overrides it for tuning.
int dw_tile() {
  static int tp = 0;
  if (!tp) {
    tp = 8;
    if (const char* e = std::getenv("TARE_DW_TILE")) tp = std::max(1, std::min(16, std::atoi(e)));
  }
  return tp;
}

struct DwPush {
  int32_t N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, OC, XT;
};

class DepthwiseConv2D : public Kernel {
 public:
  DepthwiseConv2D(BuildContext& b, const Op& op) : op_(op) {
    const Graph& g = b.graph();
    const Tensor& in = g.tensors[op.inputs[0]];
    const Tensor& wt = g.tensors[op.inputs[1]];
    const Tensor& out = g.tensors[op.outputs[0]];
    const std::string where = "operator " + std::to_string(op.source_index) + " (DEPTHWISE_CONV_2D): ";
    TARE_CHECK(wt.is_const && wt.shape.size() == 4 && wt.shape[0] == 1, TARE_ERROR_UNSUPPORTED,
               where + "weights must be constant [1,KH,KW,C]");
    TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
    const int KH = wt.shape[1], KW = wt.shape[2], OC = wt.shape[3];
    Shape4 si = shape4(in.shape), so = shape4(out.shape);
    TARE_CHECK(OC == so.c && OC % si.c == 0, TARE_ERROR_INVALID_MODEL, where + "channel counts do not match");
    const int mult = OC / si.c;
    const int OC4 = so.c4();
    const OpParams& pr = op.params;

    std::vector<float> w = b.constant_as_float(op.inputs[1]);
    std::vector<float> packed((size_t)KH * KW * OC4 * 4, 0.0f);
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++)
        for (int oc = 0; oc < OC; oc++)
          packed[((size_t)(ky * KW + kx) * OC4) * 4 + oc] = w[((size_t)ky * KW + kx) * OC + oc];
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
    const int tp = std::min(dw_tile(), so.w);
    const int xt = (so.w + tp - 1) / tp;
    push_ = {si.n, si.h, si.w, si.c4(), so.h, so.w, OC4, pad_t, pad_l, OC, xt};
    pipeline_ = b.pipeline("depthwise_conv2d",
                           {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                            (uint32_t)pr.dilation_h, (uint32_t)pr.dilation_w, act_code(pr.activation),
                            (uint32_t)mult, (uint32_t)tp},
                           sizeof(DwPush), 4, 64, 1, 1);
    split_groups((int64_t)so.n * so.h * xt, 64, groups_[0], groups_[2]);
    groups_[1] = (uint32_t)OC4;
  }

  void record(vk::Recorder& rec, const Resources& res) override {
    rec.dispatch(*pipeline_,
                 {res.tensor(op_.inputs[0]), res.constant(weights_), res.constant(bias_), res.tensor(op_.outputs[0])},
                 &push_, sizeof(push_), groups_[0], groups_[1], groups_[2]);
  }

 private:
  Op op_;
  ConstSlice weights_, bias_;
  DwPush push_{};
  std::shared_ptr<vk::Pipeline> pipeline_;
  uint32_t groups_[3] = {1, 1, 1};
};

}  // namespace

KernelPtr make_depthwise_conv2d(BuildContext& b, const Op& op) { return std::make_unique<DepthwiseConv2D>(b, op); }

}  // namespace tare::ops
