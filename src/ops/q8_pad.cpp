// 8-bit PAD over the [N,H,W,C] view (shaders/q8_pad.comp): the padding holds the output's zero point.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oh, ow, oc, oc4, bn, bh, bw, bc, total, zo, shift;
};

class Q8PadKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t gx, gz;
    split_groups(pc_.total, kLocal, gx, gz);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, &pc_, sizeof(pc_), gx, 1, gz);
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  Push pc_{};
};

}  // namespace

KernelPtr make_q8_pad(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (8-bit PAD): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(it) && is_q8(ot), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(it.shape.size() <= 4, TARE_ERROR_UNSUPPORTED, where + "inputs of rank > 4 are not supported");
  const size_t rank = it.shape.size();
  std::vector<std::pair<int, int>> pads = op.params.paddings;
  if (pads.empty() && op.inputs.size() > 1 && op.inputs[1] >= 0 && g.tensors[op.inputs[1]].is_const) {
    std::vector<float> v = b.constant_as_float(op.inputs[1]);
    for (size_t k = 0; k + 1 < v.size(); k += 2) pads.emplace_back((int)v[k], (int)v[k + 1]);
  }
  TARE_CHECK(pads.size() == rank, TARE_ERROR_INVALID_MODEL, where + "needs one (before, after) pair per dimension");
  int before[4] = {0, 0, 0, 0};
  for (size_t k = 0; k < rank; k++) {
    TARE_CHECK(pads[k].first >= 0 && pads[k].second >= 0, TARE_ERROR_INVALID_MODEL, where + "negative padding");
    before[k + 4 - rank] = pads[k].first;
  }
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(os.rows() > 0 && total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large or empty");
  TARE_CHECK(
      os.n >= is.n + before[0] && os.h >= is.h + before[1] && os.w >= is.w + before[2] && os.c >= is.c + before[3],
      TARE_ERROR_INVALID_MODEL, where + "output shape does not match the paddings");

  auto k = std::make_unique<Q8PadKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->pipe_ = b.pipeline_q8("q8_pad", false, {}, sizeof(Push), 2, kLocal);
  const int32_t flip_in = it.dtype == DType::U8 ? 128 : 0, flip_out = ot.dtype == DType::U8 ? 128 : 0;
  k->pc_ = {is.n,
            is.h,
            is.w,
            is.c,
            is.c4(),
            os.h,
            os.w,
            os.c,
            os.c4(),
            before[0],
            before[1],
            before[2],
            before[3],
            (int32_t)total,
            device_zero_point(ot),
            flip_in - flip_out};
  return k;
}

}  // namespace tare::ops
