// 8-bit MEAN, SUM, REDUCE_MAX, REDUCE_MIN over any set of axes of a rank <= 4 tensor (shaders/q8_reduce.comp),
// choosing TFLite's arithmetic as the integer reference does.  MEAN: the 4-D keep_dims H,W case through a quantized
// multiplier, equal input / output parameters through an integer division, anything else through TFLite's float
// requantization (emulated exactly).  SUM: equal parameters wrap the sum to 8 bits, others requantize in float.
// MAX / MIN: equal parameters only (TFLite refuses others).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/reduce.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oc, oc4, total, count, flip_in, flip_out, m, s, ibias;
  float fcount, fscale, fbias;
  int32_t zo_raw, qmin, qmax, zo;
};

}  // namespace

KernelPtr make_q8_reduce(BuildContext& b, const Op& op, ReduceKind kind) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const auto [it, ot] = q8_op_io(g, op, where, false, true);
  const MeanGeometry mg = mean_geometry(b, op, where, kLocal);
  const Shape4 &is = mg.is, &os = mg.os;
  const int64_t count = mg.count, total = mg.total;
  TARE_CHECK(count * 255 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "too many reduced elements");

  const float xs = tensor_scale(it), ys = tensor_scale(ot);
  const int32_t flip_in = u8_flip(it), flip_out = u8_flip(ot);
  const int32_t xz = device_zero_point(it) + flip_in, yz = device_zero_point(ot) + flip_out;  // raw zero points
  Push pc{};
  pc.n = is.n;
  pc.h = is.h;
  pc.w = is.w;
  pc.c = is.c;
  pc.c4 = is.c4();
  pc.oc = os.c;
  pc.oc4 = os.c4();
  pc.total = (int32_t)total;
  pc.count = (int32_t)count;
  pc.flip_in = flip_in;
  pc.flip_out = flip_out;
  pc.zo_raw = yz;
  pc.qmin = -128 + flip_out;
  pc.qmax = 127 + flip_out;
  pc.zo = device_zero_point(ot);
  int mode = 0;
  const bool same = xz == yz && xs == ys;
  const bool hw4d = mg.rank == 4 && op.params.keep_dims && mg.axes.size() == 2 && mg.reduced_orig[1] &&
                    mg.reduced_orig[2];
  if (kind == ReduceKind::Max || kind == ReduceKind::Min) {
    TARE_CHECK(same, TARE_ERROR_UNSUPPORTED,
               where + "input and output quantization differ (TFLite requires them equal for REDUCE_MAX / REDUCE_MIN)");
  } else if (kind == ReduceKind::Sum) {
    mode = same ? 3 : 4;
    pc.fscale = xs / ys;
    pc.fbias = (float)(-xz) * pc.fscale * (float)count;
  } else if (hw4d) {
    mode = 0;
    const float num = (float)count;
    float temp = (float)xz * xs / ys;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    pc.ibias = yz - (int32_t)temp;
    const float real_scale = xs / (num * ys);
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)real_scale);
    pc.m = m.multiplier;
    pc.s = m.shift;
  } else if (same) {
    mode = 1;
  } else {
    mode = 2;
    pc.fcount = (float)count;
    pc.fscale = xs / ys;
    pc.fbias = (float)(-xz) * pc.fscale;
  }
  std::vector<uint32_t> spec;
  for (bool r : mg.reduced) spec.push_back(r ? 1u : 0u);
  spec.push_back((uint32_t)mode);
  spec.push_back((uint32_t)kind);
  auto p = b.pipeline_q8("q8_reduce", false, spec, sizeof(Push), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
