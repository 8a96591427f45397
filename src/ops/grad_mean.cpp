// Backward of MEAN and SUM (shaders/grad_mean.comp): every input element receives its kept position's output
// gradient, divided by the number of reduced elements for MEAN.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/reduce.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oc, oc4, total;
  float inv_count;
};

}  // namespace

KernelPtr make_grad_mean_or_sum(BuildContext& b, const Op& op, bool sum) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const MeanGeometry mg = mean_geometry(b, op, where, kLocal);
  const Shape4 &is = mg.is, &os = mg.os;
  const int64_t total = is.rows() * is.c4();
  std::vector<uint32_t> spec;
  for (bool r : mg.reduced) spec.push_back(r ? 1u : 0u);
  auto p = b.context().pipeline("grad_mean", spec, sizeof(Push), 2, kLocal, 1, 1);
  const Push pc = {is.h, is.w,    is.c,           is.c4(),
                   os.c, os.c4(), (int32_t)total, sum ? 1.0f : (float)(1.0 / (double)mg.count)};
  return make_dispatch(std::move(p), {Binding::g(op.outputs[0]), Binding::g(op.inputs[0])}, pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
