// Backward of RESHAPE and SQUEEZE that repack (shaders/grad_reshape.comp); the alias case has no kernel (its
// gradient storage aliases the input's, see make_grad_kernel).
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_grad_reshape(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const auto [in, out] = op_io(g, op, where, false);
  check_not_const(in, where);
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  const Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(si.rows() * si.c4() < INT32_MAX && in.elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  const int32_t pc[5] = {in.elements() == 0 ? 0 : (int32_t)(si.rows() * si.c4()), si.c, si.c4(), so.c, so.c4()};
  auto p = b.context().pipeline("grad_reshape", {kPer}, sizeof(pc), 2, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::g(op.outputs[0]), Binding::g(op.inputs[0])}, pc,
                       grid_xy(pc[0], (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
