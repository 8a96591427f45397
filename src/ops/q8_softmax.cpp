// 8-bit SOFTMAX over the last axis (shaders/q8_softmax.comp), TFLite's builtin kernel with its float exp table (built
// here with the reference's own quant::populate_softmax_table and uploaded as float32 constants).
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t rows, c, c4;
  float out_scale;
  int32_t zo;
};

}  // namespace

KernelPtr make_q8_softmax(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const auto [in, out] = q8_op_io(g, op, where, true, true);
  check_not_const(in, where);
  TARE_CHECK(!in.shape.empty() && in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL,
             where + "output shape must equal the input's");
  Shape4 s = shape4(in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const float os = tensor_scale(out);
  // The emulated division needs 1 <= sum <= C and a normal quotient.
  TARE_CHECK(os > 1e-30f && os < 1e30f, TARE_ERROR_UNSUPPORTED, where + "output scale out of range");
  float table[256];
  quant::populate_softmax_table(tensor_scale(in), op.params.beta, table);
  const ConstSlice ts = b.add_constant_bytes(table, sizeof(table));
  const Push pc = {(int32_t)s.rows(), s.c, s.c4(), os, device_zero_point(out)};
  auto p = b.pipeline_q8("q8_softmax", false, {out.dtype == DType::U8 ? 1u : 0u}, sizeof(Push), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(ts)}, pc,
                       grid_xz(pc.rows, kLocal));
}

}  // namespace tare::ops
