// SOFTMAX over the last axis (shaders/softmax.comp): one invocation per row when there are many rows, one
// workgroup per row when there are few long rows (e.g. the 1001 classes of a classifier).
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

struct Push {
  int32_t rows, c, c4;
  float beta;
};

}  // namespace

KernelPtr make_softmax(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  TARE_CHECK(!in.shape.empty() && in.shape == out.shape, TARE_ERROR_INVALID_MODEL,
             where + "input and output shapes must be equal and of rank >= 1");
  Shape4 s = shape4(in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  Push push{(int32_t)s.rows(), s.c, s.c4(), op.params.beta};
  // Few rows of many channels: a workgroup per row; otherwise an invocation per row.
  const uint32_t wg = 64;
  bool per_workgroup = s.rows() <= 256 && s.c4() >= 64;
  uint32_t groups = s.c == 0 ? 0 : per_workgroup ? (uint32_t)s.rows() : div_up(s.rows(), 64);
  auto p = per_workgroup ? b.pipeline("softmax", {wg}, sizeof(Push), 2, wg)
                         : b.pipeline("softmax", {1}, sizeof(Push), 2, 64);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, push, grid_xy(groups, 1));
}

}  // namespace tare::ops
