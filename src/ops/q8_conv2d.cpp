// 8-bit CONV_2D (TFLite integer semantics, bit-exact with src/ref's int reference).  Also the requantization
// helpers shared with q8_depthwise_conv2d.cpp and q8_fully_connected.cpp (namespace q8conv).
//
// acc = sum_window (x - x_zp) * (w - w_zp) + bias, out = clamp(out_zp + MBQM(acc, M, shift), act_min, act_max).
// The shaders read padding (out-of-image) inputs as x_zp and padding lanes hold x_zp too, so with x' the stored
// value over the full window of L lanes:
//   acc = sum x'*w - w_zp * sum x' - x_zp * sum_L w + L * x_zp * w_zp + bias
// where everything but the first two terms is folded into the bias on the host (int32 wrap-around arithmetic, as
// the accumulator itself).  The second term exists only for weights with a zero point (legacy uint8).
// A 1x1 stride-1 unpadded convolution runs as a GEMM (q8_conv2d_1x1.comp); the rest through q8_conv2d.comp.
// Weight words: in the "_dot" variants one word holds 4 input lanes of one output channel (sdot4 operand); in the
// others it holds 4 output channels of one input lane (the shaders then accumulate exactly in float, see there).
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

constexpr int kTP = 8;  // general window: output pixels per invocation
constexpr int kTC = 2;  // general window: output channel groups per invocation
constexpr int kGemmTP = 8;
constexpr int kGemmTC = 4;

struct ConvPush {
  int32_t N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, XT, OC, in_zp, out_zp, act_min, act_max;
};
struct GemmPush {
  int32_t M, IC4, OC4, OC, in_zp, out_zp, act_min, act_max;
};

class Q8Conv2D : public Kernel {
 public:
  Q8Conv2D(BuildContext& b, const Op& op) : op_(op) {
    const Graph& g = b.graph();
    const std::string where = "operator " + std::to_string(op.source_index) + " (CONV_2D, 8-bit): ";
    TARE_CHECK(op.inputs.size() >= 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
               TARE_ERROR_INVALID_MODEL, where + "expects input, weights, optional bias and 1 output");
    const Tensor& in = g.tensors[op.inputs[0]];
    const Tensor& wt = g.tensors[op.inputs[1]];
    const Tensor& out = g.tensors[op.outputs[0]];
    TARE_CHECK(is_q8(in) && is_q8(out) && !in.is_const, TARE_ERROR_UNSUPPORTED,
               where + "input and output must be 8-bit activations");
    TARE_CHECK(wt.is_const && wt.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "weights must be constant 4-D");
    TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
    const int OC = wt.shape[0], KH = wt.shape[1], KW = wt.shape[2], IC = wt.shape[3];
    TARE_CHECK(IC == in.shape[3], TARE_ERROR_UNSUPPORTED, where + "grouped convolution is not supported");
    const Shape4 si = shape4(in.shape), so = shape4(out.shape);
    TARE_CHECK(so.c == OC && so.n == si.n, TARE_ERROR_INVALID_MODEL, where + "output shape mismatch");
    const int IC4 = si.c4(), OC4 = so.c4();
    const OpParams& pr = op.params;
    const bool dot = b.integer_dot();
    TARE_CHECK(dot || KW <= 256, TARE_ERROR_UNSUPPORTED, where + "filter wider than 256");

    // TFLite: uint8 input with per-tensor weights takes the legacy multiplier (float product); int8 input
    // requantizes with single rounding (ruy), uint8 with double rounding.
    const q8conv::Params qp = q8conv::params(b, op, where, OC, 0, in.dtype == DType::U8, in.dtype == DType::I8);
    const int32_t xz = device_zero_point(in);

    // Weights and the folded bias.
    const int taps = KH * KW;
    std::vector<uint8_t> packed((size_t)OC4 * taps * IC4 * 16, 0);
    std::vector<int32_t> fold((size_t)OC, 0);
    const int64_t lanes = (int64_t)taps * IC4 * 4;
    for (int oc = 0; oc < OC; oc++) {
      uint32_t sum_w = 0;
      for (int t = 0; t < taps; t++)
        for (int ic = 0; ic < IC; ic++) {
          const int8_t v = qp.weight(((int64_t)oc * taps + t) * IC + ic);
          sum_w += (uint32_t)(int32_t)v;
          // word index: (oc4, tap, ic4) block of 4 words; byte within: dot: [oc lane][ic lane], else [ic lane][oc lane]
          const size_t block = (((size_t)(oc / 4) * taps + t) * IC4 + ic / 4) * 16;
          const size_t byte = dot ? (size_t)(oc % 4) * 4 + ic % 4 : (size_t)(ic % 4) * 4 + oc % 4;
          packed[block + byte] = (uint8_t)v;
        }
      fold[oc] = q8conv::fold_bias(qp.bias[oc], xz, sum_w, lanes, qp.wzp[oc]);
    }
    weights_ = b.add_constant_bytes(packed.data(), packed.size());
    qtable_ = q8conv::add_table(b, qp, fold, OC);

    const int pad_t = conv_pad_before(si.h, KH, pr.stride_h, pr.dilation_h, pr.padding);
    const int pad_l = conv_pad_before(si.w, KW, pr.stride_w, pr.dilation_w, pr.padding);
    gemm_ = KH == 1 && KW == 1 && pr.stride_h == 1 && pr.stride_w == 1 && pad_t == 0 && pad_l == 0 &&
            si.h == so.h && si.w == so.w;
    TARE_CHECK(so.rows() * std::max(IC4, OC4) < INT32_MAX && (int64_t)si.rows() * IC4 < INT32_MAX,
               TARE_ERROR_UNSUPPORTED, where + "tensor too large");
    const uint32_t wzp = qp.any_wzp ? 1 : 0, single = qp.single ? 1 : 0;
    if (gemm_) {
      const int tp = (int)std::min<int64_t>(kGemmTP, so.rows()), tc = std::min(kGemmTC, OC4);
      gp_ = {(int32_t)so.rows(), IC4, OC4, OC, xz, qp.out_zp, qp.act_min, qp.act_max};
      pipeline_ = b.pipeline_q8("q8_conv2d_1x1", true, {(uint32_t)tp, (uint32_t)tc, wzp, single}, sizeof(GemmPush),
                                4, 64);
      split_groups((so.rows() + tp - 1) / tp, 64, groups_[0], groups_[2]);
      groups_[1] = div_up(OC4, tc);
    } else {
      const int tp = std::min(kTP, so.w), tc = std::min(kTC, OC4);
      const int xt = (so.w + tp - 1) / tp;
      cp_ = {si.n, si.h, si.w, IC4, so.h, so.w, OC4, pad_t, pad_l, xt, OC, xz, qp.out_zp, qp.act_min, qp.act_max};
      pipeline_ = b.pipeline_q8("q8_conv2d", true,
                                {(uint32_t)KH, (uint32_t)KW, (uint32_t)pr.stride_h, (uint32_t)pr.stride_w,
                                 (uint32_t)pr.dilation_h, (uint32_t)pr.dilation_w, (uint32_t)tp, (uint32_t)tc, wzp,
                                 single},
                                sizeof(ConvPush), 4, 64, 1, 1);
      split_groups((int64_t)so.n * so.h * xt, 64, groups_[0], groups_[2]);
      groups_[1] = div_up(OC4, tc);
    }
  }

  void record(vk::Recorder& rec, const Resources& res) override {
    std::vector<vk::BufferRange> bufs = {res.tensor(op_.inputs[0]), res.constant(weights_), res.constant(qtable_),
                                         res.tensor(op_.outputs[0])};
    if (gemm_)
      rec.dispatch(*pipeline_, bufs, &gp_, sizeof(gp_), groups_[0], groups_[1], groups_[2]);
    else
      rec.dispatch(*pipeline_, bufs, &cp_, sizeof(cp_), groups_[0], groups_[1], groups_[2]);
  }

 private:
  Op op_;
  ConstSlice weights_, qtable_;
  bool gemm_ = false;
  ConvPush cp_{};
  GemmPush gp_{};
  std::shared_ptr<vk::Pipeline> pipeline_;
  uint32_t groups_[3] = {1, 1, 1};
};

}  // namespace

KernelPtr make_q8_conv2d(BuildContext& b, const Op& op) { return std::make_unique<Q8Conv2D>(b, op); }

}  // namespace tare::ops
