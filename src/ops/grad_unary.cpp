// Backward of LOGISTIC, RELU, RELU6, HARD_SWISH (shaders/grad_unary.comp).
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_grad_unary(BuildContext& b, const Op& op, UnaryFunc func) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  const Shape4 s = shape4(out.shape), si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "input and output shapes must have the same channel count");
  const int64_t total = s.rows() * s.c4();
  const int32_t pc[1] = {(int32_t)total};
  auto p = b.context().pipeline("grad_unary", {(uint32_t)func, kPer}, sizeof(pc), 4, kLocal, 1, 1);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::g(op.outputs[0]),
                        Binding::g(op.inputs[0])},
                       pc, grid_xy(total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
