// Backward of REDUCE_MAX, REDUCE_MIN and REDUCE_PROD (shaders/grad_reduce.comp): reads the forward input and output.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/reduce.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oc, oc4, total;
};

}  // namespace

KernelPtr make_grad_reduce(BuildContext& b, const Op& op, ReduceKind kind) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const MeanGeometry mg = mean_geometry(b, op, where, kLocal);
  const Shape4 &is = mg.is, &os = mg.os;
  const int64_t total = is.rows() * is.c4();
  std::vector<uint32_t> spec;
  for (bool r : mg.reduced) spec.push_back(r ? 1u : 0u);
  spec.push_back((uint32_t)kind);
  auto p = b.context().pipeline("grad_reduce", spec, sizeof(Push), 4, kLocal, 1, 1);
  const Push pc = {is.n, is.h, is.w, is.c, is.c4(), os.c, os.c4(), (int32_t)total};
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::g(op.outputs[0]),
                        Binding::g(op.inputs[0])},
                       pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
