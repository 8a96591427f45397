// AVERAGE_POOL_2D and MAX_POOL_2D (shaders/pool2d.comp).
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

}  // namespace

KernelPtr make_pool2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const PoolGeometry pg = pool_geometry(b.graph(), op, where, kLocal);
  const OpParams& p = op.params;
  const Shape4& is = pg.is;
  const bool avg = op.type == OpType::AveragePool2D;
  const int32_t pc[10] = {is.h,  is.w,   is.c,        is.c4(),      pg.oh,
                          pg.ow, pg.owt, pg.pads.top, pg.pads.left, (int32_t)pg.total};
  auto pipe = b.pipeline("pool2d",
                         {(uint32_t)p.filter_h, (uint32_t)p.filter_w, (uint32_t)p.stride_h, (uint32_t)p.stride_w,
                          act_code(p.activation), avg ? 1u : 0u, (uint32_t)pg.tile},
                         sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pg.total, kLocal));
}

}  // namespace tare::ops
