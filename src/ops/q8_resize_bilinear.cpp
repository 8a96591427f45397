// 8-bit RESIZE_BILINEAR (shaders/q8_resize_bilinear.comp): TFLite's integer kernel (ResizeBilinearInteger) as the
// integer reference implements it.  The 10-bit fixed-point source positions of every output row and column are
// computed here, with the reference's formulas, and uploaded as a table.
#include <algorithm>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c, c4, oh, ow, total, flip_in, flip_out, zo;
};

class Q8ResizeKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t gx, gz;
    split_groups(pc_.total, kLocal, gx, gz);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_), res.constant(pos_)}, &pc_, sizeof(pc_), gx, 1, gz);
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  ConstSlice pos_;
  Push pc_{};
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

}  // namespace

KernelPtr make_q8_resize_bilinear(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (8-bit RESIZE_BILINEAR): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(it) && is_q8(ot), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(it.shape.size() == 4 && ot.shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  const OpParams& p = op.params;
  TARE_CHECK(!(p.align_corners && p.half_pixel_centers), TARE_ERROR_INVALID_MODEL,
             where + "align_corners and half_pixel_centers are exclusive");
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  TARE_CHECK(os.n == is.n && os.c == is.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the input");
  TARE_CHECK(is.h >= 1 && is.w >= 1 && os.h >= 1 && os.w >= 1, TARE_ERROR_INVALID_MODEL, where + "empty resize");
  TARE_CHECK(is.h < (1 << 20) && is.w < (1 << 20) && os.h < (1 << 20) && os.w < (1 << 20), TARE_ERROR_UNSUPPORTED,
             where + "sizes too large for 10-bit fixed point");
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  const int H = is.h, W = is.w, OH = os.h, OW = os.w;
  int32_t hs = ((1 << 10) * H + OH / 2) / OH;
  int32_t ws = ((1 << 10) * W + OW / 2) / OW;
  if (p.align_corners && OH > 1) hs = ((1 << 10) * (H - 1) + (OH - 1) / 2) / (OH - 1);
  if (p.align_corners && OW > 1) ws = ((1 << 10) * (W - 1) + (OW - 1) / 2) / (OW - 1);
  std::vector<int32_t> pos((size_t)(OH + OW) * 4);
  for (int y = 0; y < OH; y++) interpolation(y, hs, p.half_pixel_centers, H, &pos[(size_t)y * 4]);
  for (int x = 0; x < OW; x++) interpolation(x, ws, p.half_pixel_centers, W, &pos[(size_t)(OH + x) * 4]);
  for (size_t i = 0; i < pos.size(); i += 4) {
    const int size = i / 4 < (size_t)OH ? H : W;
    TARE_CHECK(pos[i] < size && pos[i + 1] >= 0, TARE_ERROR_UNSUPPORTED, where + "source position outside the input");
  }

  auto k = std::make_unique<Q8ResizeKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->pos_ = b.add_constant_bytes(pos.data(), pos.size() * 4);
  k->pipe_ = b.pipeline_q8("q8_resize_bilinear", false, {}, sizeof(Push), 3, kLocal);
  k->pc_ = {H,
            W,
            is.c,
            is.c4(),
            OH,
            OW,
            (int32_t)total,
            it.dtype == DType::U8 ? 128 : 0,
            ot.dtype == DType::U8 ? 128 : 0,
            device_zero_point(ot)};
  return k;
}

}  // namespace tare::ops
