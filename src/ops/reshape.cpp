// RESHAPE and SQUEEZE that are not aliases (the channel count changes), float and 8-bit: a repack through the dense
// flat index (shaders/reshape.comp, shaders/q8_reshape.comp).  Aliases (same channel count and rows) never get here:
// see is_alias().  8-bit values are copied unchanged, as TFLite (and the integer reference) do; the padding lanes
// get the output's device zero point.
#include <cstddef>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, in_c, in_c4, out_c, out_c4;
  int32_t zo;  // 8-bit only
};

KernelPtr make_repack(BuildContext& b, const Op& op, bool q8) {
  const Graph& g = b.graph();
  const std::string where = q8 ? op_where_q8(op) : op_where(op);
  const auto [in, out] = op_io(g, op, where, false);
  TARE_CHECK(!q8 || in.dtype == out.dtype, TARE_ERROR_INVALID_MODEL, where + "input and output types differ");
  check_not_const(in, where);
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), so = shape4(out.shape);
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX && in.elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  Push push{(int32_t)(so.rows() * so.c4()), si.c, si.c4(), so.c, so.c4(), q8 ? device_zero_point(out) : 0};
  if (in.elements() == 0) push.total = 0;
  // The float shader's push block ends before zo.
  const uint32_t push_bytes = q8 ? sizeof(Push) : offsetof(Push, zo);
  auto p = q8 ? b.pipeline_q8("q8_reshape", false, {kPer}, push_bytes, 2, kLocal)
              : b.pipeline("reshape", {kPer}, push_bytes, 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, push,
                       grid_xy(push.total, (int64_t)kLocal * kPer), push_bytes);
}

}  // namespace

KernelPtr make_reshape(BuildContext& b, const Op& op) { return make_repack(b, op, false); }
KernelPtr make_q8_reshape(BuildContext& b, const Op& op) { return make_repack(b, op, true); }

}  // namespace tare::ops
