// The binary family (shaders/binary.comp, one OP specialization per op): numpy broadcasting over the [N,H,W,C]
// view, either operand may be a constant (the session packs it to NHWC4), fused activation.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_binary(BuildContext& b, const Op& op, BinaryOp f) {
  const std::string where = op_where(op);
  const BinaryGeometry geo = binary_geometry(b.graph(), op, where);
  check_activation(op, where);
  const BinaryHead& push = geo.head;
  // Padding lanes: a single-channel operand fills them, DIV makes 0 / 0 and POW 0^0 of their zeros.
  const bool fills = geo.mode_a == 2 || geo.mode_b == 2 || f == BinaryOp::Div || f == BinaryOp::Pow;
  uint32_t mask = fills && geo.out.c % 4 != 0 ? 1 : 0;
  auto p = b.pipeline("binary", {act_code(op.params.activation), (uint32_t)f, geo.mode_a, geo.mode_b, mask, kPer},
                      sizeof(BinaryHead), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.inputs[1]), Binding::t(op.outputs[0])},
                       push, grid_xy(push.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
