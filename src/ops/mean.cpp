// MEAN over any set of axes of a rank <= 4 tensor (shaders/mean.comp).
#include <algorithm>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

class MeanKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t groups = div_up(pc_.total, kLocal);
    uint32_t gx = std::min<uint32_t>(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, &pc_, sizeof(pc_), gx, div_up(groups, gx));
  }

  struct Push {
    int32_t n, h, w, c4, oc, oc4, total;
    float inv_count;
  };
  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  Push pc_{};
};

}  // namespace

KernelPtr make_mean(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (MEAN): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(it.shape.size() <= 4, TARE_ERROR_UNSUPPORTED, where + "inputs of rank > 4 are not supported");
  const int rank = (int)it.shape.size();
  std::vector<int> axes = op.params.axes;
  if (axes.empty() && op.inputs.size() > 1 && op.inputs[1] >= 0 && g.tensors[op.inputs[1]].is_const) {
    for (float v : b.constant_as_float(op.inputs[1])) axes.push_back((int)v < 0 ? (int)v + rank : (int)v);
  }
  bool reduced[4] = {false, false, false, false};
  for (int a : axes) {
    TARE_CHECK(a >= 0 && a < rank, TARE_ERROR_INVALID_MODEL, where + "axis " + std::to_string(a) + " out of range");
    reduced[a + 4 - rank] = true;
  }
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  const int dims[4] = {is.n, is.h, is.w, is.c};
  int64_t count = 1, kept = 1;
  for (int d = 0; d < 4; d++) (reduced[d] ? count : kept) *= dims[d];
  TARE_CHECK(count > 0 && kept > 0, TARE_ERROR_UNSUPPORTED, where + "empty tensors are not supported");
  TARE_CHECK(kept == os.rows() * os.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the axes");
  TARE_CHECK(reduced[3] || os.c == is.c, TARE_ERROR_INTERNAL, where + "output channels differ from the input's");
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  auto k = std::make_unique<MeanKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  std::vector<uint32_t> spec;
  for (bool r : reduced) spec.push_back(r ? 1u : 0u);
  k->pipe_ = b.pipeline("mean", spec, sizeof(MeanKernel::Push), 2, kLocal);
  k->pc_ = {is.n, is.h, is.w, is.c4(), os.c, os.c4(), (int32_t)total, (float)(1.0 / (double)count)};
  return k;
}

}  // namespace tare::ops
