// 8-bit FULLY_CONNECTED (TFLite integer semantics, bit-exact with src/ref's int reference): weights [units, depth]
// int8 (per-tensor or per-channel along axis 0) or uint8 with a zero point, optional int32 bias, fused activation.
// Per-tensor weights take TFLite's float-product multiplier; int8 inputs requantize with single rounding (ruy),
// uint8 with double rounding.  Shader: shaders/q8_fully_connected.comp.
#include <algorithm>

#include "common/error.h"
#include "ops/fc_kernels.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

namespace {

struct Push {
  FcHead head;
  int32_t in_zp, out_zp, act_min, act_max;
};

}  // namespace

KernelPtr make_q8_fc_kernel(BuildContext& b, const Op& op, const FcGeometry& fc, const q8conv::Params& qp) {
  const int units = fc.units, depth = fc.depth, in4 = fc.in4, out4 = fc.out4;
  const bool dot = b.integer_dot();
  const int32_t xz = device_zero_point(*fc.in);
  std::vector<uint8_t> packed((size_t)in4 * out4 * 16, 0);
  std::vector<int32_t> fold((size_t)units, 0);
  for (int u = 0; u < units; u++) {
    uint32_t sum_w = 0;
    for (int d = 0; d < depth; d++) {
      const int8_t v = qp.weight((int64_t)u * depth + d);
      sum_w += (uint32_t)(int32_t)v;
      const size_t block = ((size_t)(d / 4) * out4 + u / 4) * 16;
      const size_t byte = dot ? (size_t)(u % 4) * 4 + d % 4 : (size_t)(d % 4) * 4 + u % 4;
      packed[block + byte] = (uint8_t)v;
    }
    fold[u] = q8conv::fold_bias(qp.bias[u], xz, sum_w, (int64_t)in4 * 4, qp.wzp[u]);
  }
  ConstSlice ws = b.add_constant_bytes(packed.data(), packed.size());
  ConstSlice ts = q8conv::add_table(b, qp, fold, units);

  Push push{};
  push.head = fc.head;
  push.in_zp = xz;
  push.out_zp = qp.out_zp;
  push.act_min = qp.act_min;
  push.act_max = qp.act_max;
  auto p = b.pipeline_q8("q8_fully_connected", true,
                         {(uint32_t)fc.rows, fc.gather, qp.any_wzp ? 1u : 0u, qp.single ? 1u : 0u}, sizeof(Push), 4,
                         kFcLocal);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(ws), Binding::c(ts), Binding::t(op.outputs[0])}, push,
                       fc.grid);
}

KernelPtr make_q8_fully_connected(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const FcGeometry fc = fc_geometry(b.graph(), op, where, kFcLocal);
  const Tensor& in = *fc.in;
  TARE_CHECK(is_q8(in) && is_q8(*fc.out) && !in.is_const, TARE_ERROR_UNSUPPORTED,
             where + "input and output must be 8-bit activations");
  TARE_CHECK(fc.si.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  return make_q8_fc_kernel(b, op, fc, q8conv::params(b, op, where, fc.units, 0, true, in.dtype == DType::I8));
}

}  // namespace tare::ops
