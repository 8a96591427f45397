// Backward of SOFTMAX over the last axis (shaders/grad_softmax.comp): dx = beta * y * (dy - <dy, y>) per row, from
// the forward output.  One invocation per row for many rows, one workgroup per row for few long rows.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kWg = 64;  // a power of two (tree reduction)

struct Push {
  int32_t rows, c4;
  float beta;
};

}  // namespace

KernelPtr make_grad_softmax(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  TARE_CHECK(!in.shape.empty() && in.shape == out.shape, TARE_ERROR_INVALID_MODEL,
             where + "input and output shapes must be equal and of rank >= 1");
  const Shape4 s = shape4(in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const Push pc{(int32_t)s.rows(), s.c4(), op.params.beta};
  const bool per_workgroup = s.rows() <= 256 && s.c4() >= 64;
  const uint32_t groups = s.c == 0 ? 0 : per_workgroup ? (uint32_t)s.rows() : div_up(s.rows(), kWg);
  auto p = b.context().pipeline("grad_softmax", {per_workgroup ? kWg : 1u}, sizeof(pc), 3, kWg, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.outputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(groups, 1));
}

}  // namespace tare::ops
