// LOGISTIC, RELU, RELU6, HARD_SWISH: one shader (shaders/unary.comp) with the function as a specialization constant.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_unary(BuildContext& b, const Op& op, UnaryFunc func) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 s = shape4(out.shape);
  Shape4 si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "input and output shapes must have the same channel count");
  const int64_t total = s.rows() * s.c4();
  const int32_t pc[3] = {(int32_t)total, s.c, s.c4()};
  auto p = b.pipeline("unary", {(uint32_t)func, kPer}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
