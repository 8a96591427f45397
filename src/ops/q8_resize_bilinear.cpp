// 8-bit RESIZE_BILINEAR (shaders/q8_resize_bilinear.comp) as the integer reference implements TFLite's kernels:
// int8 in 10-bit fixed point (ResizeBilinearInteger), uint8 in float (ResizeBilinearGenericSmallChannel).  The
// source positions of every output row and column are computed here and uploaded as a table.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/resize_coords.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oh, ow, total, flip_in, flip_out, zo, uint8_float;
};

// TFLite's ComputeInterpolationValuesInteger: (lower, upper, scaled - 1024 * lower).
void interpolation(int32_t value, int32_t scale_10, bool half_pixel_centers, int32_t input_size, int32_t out[4]) {
  const int32_t scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  const int32_t lower = std::max(scaled / (1 << 10), 0);
  const int32_t upper = std::min((scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
  out[0] = lower;
  out[1] = upper;
  out[2] = scaled - (1 << 10) * lower;
  out[3] = 0;
}

// TFLite's float interpolation: (lower, upper, frac, 1 - frac), the weights' bits as int32.
void interpolation_float(int32_t value, float scale, bool half_pixel_centers, int32_t input_size, int32_t out[4]) {
  const resize::Source s = resize::source(value, scale, half_pixel_centers, input_size);
  const float frac = s.frac(), rest = 1 - frac;
  out[0] = s.lo;
  out[1] = s.hi;
  std::memcpy(&out[2], &frac, 4);
  std::memcpy(&out[3], &rest, 4);
}

}  // namespace

KernelPtr make_q8_resize_bilinear(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const auto [it, ot] = q8_op_io(g, op, where, false, false);
  const ResizeShapes rs = resize_shapes(g, op, where);
  const Shape4 &is = rs.is, &os = rs.os;
  const OpParams& p = op.params;
  TARE_CHECK(is.h < (1 << 20) && is.w < (1 << 20) && os.h < (1 << 20) && os.w < (1 << 20), TARE_ERROR_UNSUPPORTED,
             where + "sizes too large for 10-bit fixed point");
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  const int H = is.h, W = is.w, OH = os.h, OW = os.w;
  const bool uint8_float = it.dtype == DType::U8;
  std::vector<int32_t> pos((size_t)(OH + OW) * 4);
  if (uint8_float) {
    const float hs = resize::scale(H, OH, p.align_corners), ws = resize::scale(W, OW, p.align_corners);
    for (int y = 0; y < OH; y++) interpolation_float(y, hs, p.half_pixel_centers, H, &pos[(size_t)y * 4]);
    for (int x = 0; x < OW; x++) interpolation_float(x, ws, p.half_pixel_centers, W, &pos[(size_t)(OH + x) * 4]);
  } else {
    int32_t hs = ((1 << 10) * H + OH / 2) / OH;
    int32_t ws = ((1 << 10) * W + OW / 2) / OW;
    if (p.align_corners && OH > 1) hs = ((1 << 10) * (H - 1) + (OH - 1) / 2) / (OH - 1);
    if (p.align_corners && OW > 1) ws = ((1 << 10) * (W - 1) + (OW - 1) / 2) / (OW - 1);
    for (int y = 0; y < OH; y++) interpolation(y, hs, p.half_pixel_centers, H, &pos[(size_t)y * 4]);
    for (int x = 0; x < OW; x++) interpolation(x, ws, p.half_pixel_centers, W, &pos[(size_t)(OH + x) * 4]);
  }
  for (size_t i = 0; i < pos.size(); i += 4) {
    const int size = i / 4 < (size_t)OH ? H : W;
    TARE_CHECK(pos[i] < size && pos[i + 1] >= 0, TARE_ERROR_UNSUPPORTED, where + "source position outside the input");
  }

  const ConstSlice table = b.add_constant_bytes(pos.data(), pos.size() * 4);
  auto pipe = b.pipeline_q8("q8_resize_bilinear", false, {}, sizeof(Push), 3, kLocal);
  const Push pc = {H,
                   W,
                   is.c,
                   is.c4(),
                   OH,
                   OW,
                   (int32_t)total,
                   u8_flip(it),
                   u8_flip(ot),
                   device_zero_point(ot),
                   uint8_float ? 1 : 0};
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(table)}, pc,
                       grid_xz(total, kLocal));
}

}  // namespace tare::ops
