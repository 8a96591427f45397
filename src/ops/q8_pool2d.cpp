// 8-bit AVERAGE_POOL_2D and MAX_POOL_2D (shaders/q8_pool2d.comp): TFLite's integer pools on the raw quantized values
// (the average rounds half away from zero over the in-image taps), fused activation as a clamp.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oh, ow, owt, pad_top, pad_left, total;
  int32_t flip_in, flip_out, lo, hi, zo;
};

}  // namespace

KernelPtr make_q8_pool2d(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const PoolGeometry pg = pool_geometry(g, op, where, kLocal);
  const auto [it, ot] = q8_op_io(g, op, where, true, false);
  TARE_CHECK(ot.quant.quantized(), TARE_ERROR_INVALID_MODEL, where + "the output has no quantization parameters");
  const OpParams& p = op.params;
  TARE_CHECK((int64_t)p.filter_h * p.filter_w * 255 < INT32_MAX / 2, TARE_ERROR_UNSUPPORTED,
             where + "window too large");

  const bool avg = op.type == OpType::AveragePool2D;
  auto pipe = b.pipeline_q8("q8_pool2d", false,
                            {(uint32_t)p.filter_h, (uint32_t)p.filter_w, (uint32_t)p.stride_h, (uint32_t)p.stride_w,
                             avg ? 1u : 0u, (uint32_t)pg.tile},
                            sizeof(Push), 2, kLocal);
  const Shape4& is = pg.is;
  Push pc{is.h,
          is.w,
          is.c,
          is.c4(),
          pg.oh,
          pg.ow,
          pg.owt,
          pg.pads.top,
          pg.pads.left,
          (int32_t)pg.total,
          u8_flip(it),
          u8_flip(ot),
          0,
          0,
          device_zero_point(ot)};
  q8_activation_range(p.activation, ot, &pc.lo, &pc.hi);
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(pg.total, kLocal));
}

}  // namespace tare::ops
