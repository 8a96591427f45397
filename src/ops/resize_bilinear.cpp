// RESIZE_BILINEAR (shaders/resize_bilinear.comp), with align_corners and half_pixel_centers as TFLite's reference.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

class ResizeBilinearKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t groups = div_up(pc_.total, kLocal);
    uint32_t gx = std::min<uint32_t>(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, &pc_, sizeof(pc_), gx, div_up(groups, gx));
  }

  struct Push {
    int32_t h, w, c, c4, oh, ow, owt, total;
    float scale_h, scale_w;
  };
  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  Push pc_{};
};

}  // namespace

KernelPtr make_resize_bilinear(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (RESIZE_BILINEAR): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(it.shape.size() == 4 && ot.shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  const OpParams& p = op.params;
  TARE_CHECK(!(p.align_corners && p.half_pixel_centers), TARE_ERROR_INVALID_MODEL,
             where + "align_corners and half_pixel_centers are exclusive");
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  TARE_CHECK(os.n == is.n && os.c == is.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the input");
  TARE_CHECK(is.h >= 1 && is.w >= 1 && os.h >= 1 && os.w >= 1, TARE_ERROR_INVALID_MODEL, where + "empty resize");

  // Scales computed in float exactly as TFLite does.
  float sh = (float)is.h / (float)os.h, sw = (float)is.w / (float)os.w;
  if (p.align_corners && os.h > 1) sh = (float)(is.h - 1) / (float)(os.h - 1);
  if (p.align_corners && os.w > 1) sw = (float)(is.w - 1) / (float)(os.w - 1);

  const int tile = std::min(4, os.w);
  const int owt = (os.w + tile - 1) / tile;
  const int64_t total = (int64_t)os.n * os.h * owt * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && os.padded_elements() < INT32_MAX &&
                 is.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");

  auto k = std::make_unique<ResizeBilinearKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  k->pipe_ = b.pipeline("resize_bilinear", {(uint32_t)tile, p.half_pixel_centers ? 1u : 0u},
                        sizeof(ResizeBilinearKernel::Push), 2, kLocal);
  k->pc_ = {is.h, is.w, is.c, is.c4(), os.h, os.w, owt, (int32_t)total, sh, sw};
  return k;
}

}  // namespace tare::ops
