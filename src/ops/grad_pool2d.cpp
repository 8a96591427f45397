// Backward of AVERAGE_POOL_2D and MAX_POOL_2D (shaders/grad_pool2d.comp): gather over the windows containing each
// input pixel, so every input element is written by one invocation (no atomics).
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

}  // namespace

KernelPtr make_grad_pool2d(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const PoolGeometry pg = pool_geometry(b.graph(), op, where, kLocal);
  const OpParams& p = op.params;
  TARE_CHECK(p.activation == Activation::None, TARE_ERROR_UNSUPPORTED,
             where + "backward needs the fused activation split out (NONE)");
  const Shape4& is = pg.is;
  const int64_t total = is.rows() * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const bool avg = op.type == OpType::AveragePool2D;
  const int32_t pc[8] = {is.h, is.w, is.c4(), pg.oh, pg.ow, pg.pads.top, pg.pads.left, (int32_t)total};
  auto pipe = b.context().pipeline("grad_pool2d",
                                   {(uint32_t)p.filter_h, (uint32_t)p.filter_w, (uint32_t)p.stride_h,
                                    (uint32_t)p.stride_w, avg ? 1u : 0u},
                                   sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
