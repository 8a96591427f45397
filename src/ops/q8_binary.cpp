// The 8-bit binary family (shaders/q8_binary.comp), TFLite's integer kernels as the reference
// (src/ref/int_kernels.cpp) implements them: numpy broadcasting over the [N,H,W,C] view, either operand may be a
// constant (the session packs it to NHWC4 words), fused activation as a clamp.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  BinaryHead head;
  int32_t za, zb, zo, lo, hi;
  int32_t ma, sa, mb, sb, mo, so;
};

}  // namespace

KernelPtr make_q8_binary(BuildContext& b, const Op& op, BinaryOp f) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const BinaryGeometry geo = binary_geometry(g, op, where);
  const Tensor& ta = g.tensors[op.inputs[0]];
  const Tensor& tb = g.tensors[op.inputs[1]];
  const Tensor& to = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(ta) && is_q8(tb) && is_q8(to), TARE_ERROR_UNSUPPORTED,
             where + "mixed float and 8-bit operands are not supported");
  for (const Tensor* t : {&ta, &tb, &to})
    TARE_CHECK(t->quant.scale.size() == 1 && t->quant.scale[0] > 0.0f && std::isfinite(t->quant.scale[0]),
               TARE_ERROR_INVALID_MODEL, where + "tensor '" + t->name + "' needs one positive scale");
  check_activation(op, where);

  Push push{};
  Binding recip = Binding::t(op.inputs[1]);  // DIV's reciprocal table; other ops never read binding 3
  push.head = geo.head;
  push.za = device_zero_point(ta);
  push.zb = device_zero_point(tb);
  push.zo = device_zero_point(to);
  // Fused activation range on the output's real zero point (TFLite's CalculateActivationRangeQuantized), then
  // shifted to the device's int8 values.
  q8_activation_range(op.params.activation, to, &push.lo, &push.hi);
  const float as = tensor_scale(ta), bs = tensor_scale(tb), os = tensor_scale(to);
  if (f == BinaryOp::Mul) {
    const float real = as * bs / os;  // float, as TFLite
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)real);
    push.mo = m.multiplier;
    push.so = m.shift;
  } else if (f == BinaryOp::Div) {
    // TFLite's uint8 kernel (div.cc): the real multiplier s1 / (s2 * s3) computed in float.
    const float real = as / (bs * os);
    const quant::QuantizedMultiplier m = quant::quantize_multiplier((double)real);
    TARE_CHECK(m.multiplier != 0 && m.shift <= quant::kDivMaxShift, TARE_ERROR_UNSUPPORTED,
               where + "output multiplier out of range");
    push.mo = m.multiplier;
    push.so = m.shift;
    // The divisor's reciprocal per device byte (b = byte - zb): TFLite computes it per element, the table once.
    std::vector<int32_t> table(256 * 4);
    for (int byte = -128; byte < 128; byte++) {
      const quant::DivReciprocal r = quant::div_reciprocal(byte - push.zb);
      int32_t* e = &table[(size_t)(byte + 128) * 4];
      e[0] = r.inv;
      e[1] = r.shift;
      e[2] = r.negate;
    }
    recip = Binding::c(b.add_constant_bytes(table.data(), table.size() * 4));
  } else if (f == BinaryOp::Prelu) {
    // TFLite's two real multipliers, computed in float: identity and alpha (activations.cc PreluPrepare).
    TARE_CHECK(to.shape == ta.shape, TARE_ERROR_INVALID_MODEL, where + "output shape must be the input's");
    const float real1 = as / os, real2 = as * bs / os;
    const quant::QuantizedMultiplier m1 = quant::quantize_multiplier((double)real1);
    const quant::QuantizedMultiplier m2 = quant::quantize_multiplier((double)real2);
    push.ma = m1.multiplier;
    push.sa = m1.shift;
    push.mo = m2.multiplier;
    push.so = m2.shift;
  } else if (f == BinaryOp::Maximum || f == BinaryOp::Minimum) {
    // TFLite compares the raw values: meaningful only on one shared quantization.
    TARE_CHECK(as == os && bs == os && push.za == push.zo && push.zb == push.zo && ta.dtype == to.dtype &&
                   tb.dtype == to.dtype,
               TARE_ERROR_UNSUPPORTED, where + "inputs and output must share scale and zero point");
  } else {
    TARE_CHECK(f == BinaryOp::Add || f == BinaryOp::Sub || f == BinaryOp::SquaredDifference, TARE_ERROR_UNSUPPORTED,
               where + "no 8-bit kernel");
    const quant::AddRescale r = quant::add_rescale(as, bs, os, f == BinaryOp::Sub, f == BinaryOp::SquaredDifference);
    TARE_CHECK(r.out.shift <= 0, TARE_ERROR_UNSUPPORTED, where + "output scale too small (TFLite's multiplier >= 1)");
    push.ma = r.a.multiplier;
    push.sa = r.a.shift;
    push.mb = r.b.multiplier;
    push.sb = r.b.shift;
    push.mo = r.out.multiplier;
    push.so = r.out.shift;
  }
  auto p = b.pipeline_q8("q8_binary", false, {(uint32_t)f, geo.mode_a, geo.mode_b, kPer}, sizeof(Push), 4, kLocal);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::t(op.inputs[1]), Binding::t(op.outputs[0]), recip}, push,
                       grid_xy(push.head.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
