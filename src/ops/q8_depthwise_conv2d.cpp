// 8-bit DEPTHWISE_CONV_2D (TFLite integer semantics, bit-exact with src/ref's int reference): weights
// [1, KH, KW, Cin*M] int8 (per-tensor or per-channel along axis 3) or uint8 with a zero point, any depth multiplier
// M, strides, dilation, padding; double-rounding requantization (TFLite's depthwise kernels).  Shader:
// shaders/q8_depthwise_conv2d.comp.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // output pixels per invocation

struct DwPush {
  int32_t N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, OC, XT, in_zp, out_zp, act_min, act_max;
};

class Q8DepthwiseConv2D : public Kernel {
 public:
  Q8DepthwiseConv2D(BuildContext& b, const Op& op) : op_(op) {
    const Graph& g = b.graph();
    const std::string where = "operator " + std::to_string(op.source_index) + " (DEPTHWISE_CONV_2D, 8-bit): ";
    TARE_CHECK(op.inputs.size() >= 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
               TARE_ERROR_INVALID_MODEL, where + "expects input, weights, optional bias and 1 output");
    const Tensor& in = g.tensors[op.inputs[0]];
    const Tensor& wt = g.tensors[op.inputs[1]];
    const Tensor& out = g.tensors[op.outputs[0]];
    TARE_CHECK(is_q8(in) && is_q8(out) && !in.is_const, TARE_ERROR_UNSUPPORTED,
               where + "input and output must be 8-bit activations");
    TARE_CHECK(wt.is_const && wt.shape.size() == 4 && wt.shape[0] == 1, TARE_ERROR_UNSUPPORTED,
               where + "weights must be constant [1,KH,KW,C]");
    TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
    const int KH = wt.shape[1], KW = wt.shape[2], OC = wt.shape[3];
    const Shape4 si = shape4(in.shape), so = shape4(out.shape);
    TARE_CHECK(OC == so.c && si.c > 0 && OC % si.c == 0 && so.n == si.n, TARE_ERROR_INVALID_MODEL,
               where + "channel counts do not match");
    TARE_CHECK(KW <= 256, TARE_ERROR_UNSUPPORTED, where + "filter wider than 256");
    const int mult = OC / si.c;
    const int OC4 = so.c4();
    const OpParams& pr = op.params;

    const q8conv::Params qp = q8conv::params(b, op, where, OC, 3, in.dtype == DType::U8, false);
    std::vector<uint8_t> packed((size_t)KH * KW * OC4 * 4, 0);
    for (int t = 0; t < KH * KW; t++)
      for (int oc = 0; oc < OC; oc++) packed[(size_t)t * OC4 * 4 + oc] = (uint8_t)qp.weight((int64_t)t * OC + oc);
    weights_ = b.add_constant_bytes(packed.data(), packed.size());
    qtable_ = q8conv::add_table(b, qp, qp.bias, OC);

    const int pad_t = conv_pad_before(si.h, KH, pr.stride_h, pr.dilation_h, pr.padding);
    const int pad_l = conv_pad_before(si.w, KW, pr.stride_w, pr.dilation_w, pr.padding);
    TARE_CHECK(so.rows() * OC4 < INT32_MAX && si.rows() * si.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
               where + "tensor too large");
    const int tp = std::min(kTP, so.w);
    const int xt = (so.w + tp - 1) / tp;
    push_ = {si.n, si.h, si.w, si.c4(), so.h, so.w, OC4, pad_t, pad_l, OC, xt,
             device_zero_point(in), qp.out_zp, qp.act_min, qp.act_max};
    pipeline_ = b.pipeline_q8("q8_depthwise_conv2d", false,
                              {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                               (uint32_t)pr.dilation_h, (uint32_t)pr.dilation_w, (uint32_t)mult, (uint32_t)tp},
                              sizeof(DwPush), 4, 64, 1, 1);
    split_groups((int64_t)so.n * so.h * xt, 64, groups_[0], groups_[2]);
    groups_[1] = (uint32_t)OC4;
  }

  void record(vk::Recorder& rec, const Resources& res) override {
    rec.dispatch(*pipeline_,
                 {res.tensor(op_.inputs[0]), res.constant(weights_), res.constant(qtable_), res.tensor(op_.outputs[0])},
                 &push_, sizeof(push_), groups_[0], groups_[1], groups_[2]);
  }

 private:
  Op op_;
  ConstSlice weights_, qtable_;
  DwPush push_{};
  std::shared_ptr<vk::Pipeline> pipeline_;
  uint32_t groups_[3] = {1, 1, 1};
};

}  // namespace

KernelPtr make_q8_depthwise_conv2d(BuildContext& b, const Op& op) {
  return std::make_unique<Q8DepthwiseConv2D>(b, op);
}

}  // namespace tare::ops
