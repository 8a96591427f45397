// Backward of PAD (shaders/grad_pad.comp): the input's gradient is the unpadded slice of the output's.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

}  // namespace

KernelPtr make_grad_pad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const PadGeometry pg = pad_geometry(b, op, where);
  const Shape4 &is = pg.is, &os = pg.os;
  const int* before = pg.before;
  const int64_t total = is.rows() * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && os.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  const int32_t pc[12] = {is.h,    is.w,      is.c,      is.c4(),   os.h,      os.w,
                          os.c4(), before[0], before[1], before[2], before[3], (int32_t)total};
  auto p = b.context().pipeline("grad_pad", {before[3] % 4 == 0 ? 1u : 0u}, sizeof(pc), 2, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::g(op.outputs[0]), Binding::g(op.inputs[0])}, pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
