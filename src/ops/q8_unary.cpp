// 8-bit LOGISTIC, RELU, RELU6 and HARD_SWISH as standalone operators (shaders/q8_unary.comp), TFLite's integer
// kernels as the integer reference implements them.  LOGISTIC's table is built here with the reference's own
// quant::populate_lut and re-indexed by the device value.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, c, c4, zi, zo, m, s, lo, hi, out_mult, out_exp, relu_mult, relu_exp;
};

}  // namespace

KernelPtr make_q8_unary(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const auto [in, out] = q8_op_io(g, op, where, true, true);
  check_not_const(in, where);
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), s = shape4(out.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "output shape must match the input's");
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");

  const float xs = tensor_scale(in), ys = tensor_scale(out);
  const int32_t flip_in = u8_flip(in), flip_out = u8_flip(out);
  const int32_t xz = device_zero_point(in) + flip_in, yz = device_zero_point(out) + flip_out;  // raw
  const int32_t qmin = -128 + flip_out, qmax = 127 + flip_out;
  Push pc{};
  pc.total = (int32_t)(s.rows() * s.c4());
  pc.c = s.c;
  pc.c4 = s.c4();
  pc.zi = device_zero_point(in);
  pc.zo = device_zero_point(out);
  int code = 0;
  int8_t dev_table[256] = {};
  if (op.type == OpType::Logistic) {
    int32_t ref_table[256];
    quant::populate_lut(xs, xz, ys, yz, qmin, qmax, quant::logistic_float, ref_table);
    // The reference looks up ref_table[(uint8)q] for the input's own value q = device value + flip_in.
    for (int d = -128; d < 128; d++)
      dev_table[(uint8_t)(int8_t)d] = (int8_t)(ref_table[(uint8_t)(d + flip_in)] - flip_out);
  } else if (op.type == OpType::Relu || op.type == OpType::Relu6) {
    code = 1;
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)(xs / ys));
    pc.m = m.multiplier;
    pc.s = m.shift;
    pc.lo = std::max(qmin, yz + (int32_t)std::round(0.0f / ys));
    pc.hi = op.type == OpType::Relu ? qmax : std::min(qmax, yz + (int32_t)std::round(6.0f / ys));
    pc.lo -= flip_out;
    pc.hi -= flip_out;
  } else if (op.type == OpType::HardSwish) {
    code = 2;
    quant::HardSwishParams hp;
    TARE_CHECK(quant::hard_swish_params(xs, xz, ys, yz, &hp), TARE_ERROR_UNSUPPORTED,
               where + "output multiplier >= 1 (TFLite rejects it)");
    pc.out_mult = hp.output_multiplier_fixedpoint_int16;
    pc.out_exp = hp.output_multiplier_exponent;
    pc.relu_mult = hp.reluish_multiplier_fixedpoint_int16;
    pc.relu_exp = hp.reluish_multiplier_exponent;
  } else {
    fail(TARE_ERROR_UNSUPPORTED, where + "not an element-wise activation");
  }
  const ConstSlice table = b.add_constant_bytes(dev_table, sizeof(dev_table));
  auto p = b.pipeline_q8("q8_unary", false, {(uint32_t)code, kPer}, sizeof(Push), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(table)}, pc,
                       grid_xy(pc.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
