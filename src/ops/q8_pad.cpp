// 8-bit PAD over the [N,H,W,C] view (shaders/q8_pad.comp): the padding holds the output's zero point or PADV2's value.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oh, ow, oc, oc4, bn, bh, bw, bc, total, zo, shift, pv;
};

// The device value outside the input: PADV2's stored value (TFLite copies it; it has the output's quantization) or
// the zero point.
int32_t device_pad_value(const Graph& g, const Op& op, const Tensor& ot, const std::string& where) {
  if (op.inputs.size() < 3 || op.inputs[2] < 0) return device_zero_point(ot);
  const Tensor& v = g.tensors[(size_t)op.inputs[2]];
  TARE_CHECK(v.is_const && v.elements() == 1 && v.data.size() == 1 && v.dtype == ot.dtype &&
                 v.quant.scale == ot.quant.scale && v.quant.zero_point == ot.quant.zero_point,
             TARE_ERROR_UNSUPPORTED, where + "the pad value must be an 8-bit constant with the output's quantization");
  return v.dtype == DType::I8 ? (int32_t)(int8_t)v.data[0] : (int32_t)v.data[0] - 128;
}

}  // namespace

KernelPtr make_q8_pad(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const auto [it, ot] = q8_op_io(g, op, where, false, false);
  const PadGeometry pg = pad_geometry(b, op, where);
  const Shape4 &is = pg.is, &os = pg.os;
  const int* before = pg.before;
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(os.rows() > 0 && total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large or empty");
  const Push pc = {is.n,
                   is.h,
                   is.w,
                   is.c,
                   is.c4(),
                   os.h,
                   os.w,
                   os.c,
                   os.c4(),
                   before[0],
                   before[1],
                   before[2],
                   before[3],
                   (int32_t)total,
                   device_zero_point(ot),
                   u8_flip(it) - u8_flip(ot),
                   device_pad_value(g, op, ot, where)};
  auto p = b.pipeline_q8("q8_pad", false, {}, sizeof(Push), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc, grid_xz(total, kLocal));
}

}  // namespace tare::ops
