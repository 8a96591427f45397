// MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD over any set of axes of a rank <= 4 tensor (shaders/reduce.comp).
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/reduce.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oc, oc4, total;
  float inv_count;
};

}  // namespace

KernelPtr make_reduce(BuildContext& b, const Op& op, ReduceKind kind) {
  const std::string where = op_where(op);
  const MeanGeometry mg = mean_geometry(b, op, where, kLocal);
  const Shape4 &is = mg.is, &os = mg.os;
  std::vector<uint32_t> spec;
  for (bool r : mg.reduced) spec.push_back(r ? 1u : 0u);
  spec.push_back((uint32_t)kind);
  auto p = b.pipeline("reduce", spec, sizeof(Push), 2, kLocal);
  const Push pc = {is.n, is.h, is.w, is.c, is.c4(), os.c, os.c4(), (int32_t)mg.total, (float)(1.0 / (double)mg.count)};
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(mg.total, kLocal));
}

}  // namespace tare::ops
