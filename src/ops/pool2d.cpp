// AVERAGE_POOL_2D and MAX_POOL_2D (shaders/pool2d.comp).
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

class Pool2DKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t groups = div_up(pc_[9], kLocal);
    uint32_t gx = std::min<uint32_t>(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, pc_, sizeof(pc_), gx, div_up(groups, gx));
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  int32_t pc_[10] = {};
};

}  // namespace

KernelPtr make_pool2d(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(it.shape.size() == 4 && ot.shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  const OpParams& p = op.params;
  TARE_CHECK(p.filter_h >= 1 && p.filter_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1, TARE_ERROR_INVALID_MODEL,
             where + "filter size and strides must be >= 1");
  TARE_CHECK((int)p.activation >= 0 && (int)p.activation <= 3, TARE_ERROR_INVALID_MODEL,
             where + "unknown fused activation");
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  TARE_CHECK(os.n == is.n && os.c == is.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the input");
  const int oh = conv_out_size(is.h, p.filter_h, p.stride_h, 1, p.padding);
  const int ow = conv_out_size(is.w, p.filter_w, p.stride_w, 1, p.padding);
  TARE_CHECK(os.h == oh && os.w == ow, TARE_ERROR_INVALID_MODEL, where + "output size does not match the window");

  const int tile = std::min(4, ow);
  const int owt = (ow + tile - 1) / tile;
  const int64_t total = (int64_t)os.n * oh * owt * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  auto k = std::make_unique<Pool2DKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  const bool avg = op.type == OpType::AveragePool2D;
  k->pipe_ = b.pipeline("pool2d",
                        {(uint32_t)p.filter_h, (uint32_t)p.filter_w, (uint32_t)p.stride_h, (uint32_t)p.stride_w,
                         act_code(p.activation), avg ? 1u : 0u, (uint32_t)tile},
                        sizeof(k->pc_), 2, kLocal);
  int32_t pc[10] = {is.h,
                    is.w,
                    is.c,
                    is.c4(),
                    oh,
                    ow,
                    owt,
                    conv_pad_before(is.h, p.filter_h, p.stride_h, 1, p.padding),
                    conv_pad_before(is.w, p.filter_w, p.stride_w, 1, p.padding),
                    (int32_t)total};
  std::copy(pc, pc + 10, k->pc_);
  return k;
}

}  // namespace tare::ops
