// 8-bit AVERAGE_POOL_2D and MAX_POOL_2D (shaders/q8_pool2d.comp): TFLite's integer pools on the raw quantized values
// (the average rounds half away from zero over the in-image taps), fused activation as a clamp.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oh, ow, owt, pad_top, pad_left, total;
  int32_t flip_in, flip_out, lo, hi, zo;
};

class Q8Pool2DKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t groups = div_up(pc_.total, kLocal);
    uint32_t gx = std::min<uint32_t>(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, &pc_, sizeof(pc_), gx, div_up(groups, gx));
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  Push pc_{};
};

}  // namespace

KernelPtr make_q8_pool2d(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (8-bit " + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(it) && is_q8(ot), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(it.shape.size() == 4 && ot.shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(ot.quant.quantized(), TARE_ERROR_INVALID_MODEL, where + "the output has no quantization parameters");
  const OpParams& p = op.params;
  TARE_CHECK(p.filter_h >= 1 && p.filter_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1, TARE_ERROR_INVALID_MODEL,
             where + "filter size and strides must be >= 1");
  const int act = (int)p.activation;
  TARE_CHECK(act >= 0 && act <= 3, TARE_ERROR_INVALID_MODEL, where + "unknown fused activation");
  TARE_CHECK((int64_t)p.filter_h * p.filter_w * 255 < INT32_MAX / 2, TARE_ERROR_UNSUPPORTED,
             where + "window too large");
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  TARE_CHECK(os.n == is.n && os.c == is.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the input");
  const int oh = conv_out_size(is.h, p.filter_h, p.stride_h, 1, p.padding);
  const int ow = conv_out_size(is.w, p.filter_w, p.stride_w, 1, p.padding);
  TARE_CHECK(os.h == oh && os.w == ow, TARE_ERROR_INVALID_MODEL, where + "output size does not match the window");

  const int tile = std::max(1, std::min(4, ow));
  const int owt = (ow + tile - 1) / tile;
  const int64_t total = (int64_t)os.n * oh * owt * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  auto k = std::make_unique<Q8Pool2DKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  const bool avg = op.type == OpType::AveragePool2D;
  k->pipe_ = b.pipeline_q8("q8_pool2d", false,
                           {(uint32_t)p.filter_h, (uint32_t)p.filter_w, (uint32_t)p.stride_h, (uint32_t)p.stride_w,
                            avg ? 1u : 0u, (uint32_t)tile},
                           sizeof(Push), 2, kLocal);
  Push& pc = k->pc_;
  pc.h = is.h;
  pc.w = is.w;
  pc.c = is.c;
  pc.c4 = is.c4();
  pc.oh = oh;
  pc.ow = ow;
  pc.owt = owt;
  pc.pad_top = conv_pad_before(is.h, p.filter_h, p.stride_h, 1, p.padding);
  pc.pad_left = conv_pad_before(is.w, p.filter_w, p.stride_w, 1, p.padding);
  pc.total = (int32_t)total;
  pc.flip_in = it.dtype == DType::U8 ? 128 : 0;
  pc.flip_out = ot.dtype == DType::U8 ? 128 : 0;
  pc.zo = device_zero_point(ot);
  quant::activation_range(act, tensor_scale(ot), pc.zo + pc.flip_out, -128 + pc.flip_out, 127 + pc.flip_out, &pc.lo,
                          &pc.hi);
  pc.lo -= pc.flip_out;
  pc.hi -= pc.flip_out;
  return k;
}

}  // namespace tare::ops
