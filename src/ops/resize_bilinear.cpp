// RESIZE_BILINEAR (shaders/resize_bilinear.comp), with align_corners and half_pixel_centers as TFLite's reference.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oh, ow, owt, total;
  float scale_h, scale_w;
};

}  // namespace

KernelPtr make_resize_bilinear(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const ResizeShapes rs = resize_shapes(b.graph(), op, where);
  const Shape4 &is = rs.is, &os = rs.os;
  const OpParams& p = op.params;

  // Scales computed in float exactly as TFLite does.
  float sh = (float)is.h / (float)os.h, sw = (float)is.w / (float)os.w;
  if (p.align_corners && os.h > 1) sh = (float)(is.h - 1) / (float)(os.h - 1);
  if (p.align_corners && os.w > 1) sw = (float)(is.w - 1) / (float)(os.w - 1);

  const int tile = std::min(4, os.w);
  const int owt = x_tiles(os.w, tile);
  const int64_t total = (int64_t)os.n * os.h * owt * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && os.padded_elements() < INT32_MAX &&
                 is.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");

  auto pipe = b.pipeline("resize_bilinear", {(uint32_t)tile, p.half_pixel_centers ? 1u : 0u}, sizeof(Push), 2, kLocal);
  const Push pc = {is.h, is.w, is.c, is.c4(), os.h, os.w, owt, (int32_t)total, sh, sw};
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc,
                       grid_xy(total, kLocal));
}

}  // namespace tare::ops
