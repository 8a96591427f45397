// 8-bit RESHAPE and SQUEEZE that are not aliases (the channel count changes): a repack through the dense flat index
// (shaders/q8_reshape.comp).  The bytes are copied unchanged, as TFLite (and the integer reference) do.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, in_c, in_c4, out_c, out_c4, zo;
};

class Q8ReshapeKernel : public Kernel {
 public:
  Q8ReshapeKernel(std::shared_ptr<vk::Pipeline> p, int in, int out, Push push)
      : p_(std::move(p)), in_(in), out_(out), push_(push) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    if (push_.total == 0) return;
    uint32_t groups = div_up(push_.total, (int64_t)kLocal * kPer);
    uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.tensor(out_)}, &push_, sizeof(push_), gx, gy);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  Push push_;
};

}  // namespace

KernelPtr make_q8_reshape(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (8-bit " + op_name(op.type) + "): ";
  TARE_CHECK(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(in.dtype == out.dtype, TARE_ERROR_INVALID_MODEL, where + "input and output types differ");
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX && in.elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  Push push{(int32_t)(so.rows() * so.c4()), si.c, si.c4(), so.c, so.c4(), device_zero_point(out)};
  if (in.elements() == 0) push.total = 0;
  auto p = b.pipeline_q8("q8_reshape", false, {kPer}, sizeof(Push), 2, kLocal);
  return std::make_unique<Q8ReshapeKernel>(std::move(p), op.inputs[0], op.outputs[0], push);
}

}  // namespace tare::ops
