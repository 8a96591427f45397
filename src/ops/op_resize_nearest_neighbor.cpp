// RESIZE_NEAREST_NEIGHBOR to a constant size, align_corners / half_pixel_centers.  Every path gathers through the
// source row / column of TFLite's GetNearestNeighbor, computed once on the host in its float arithmetic; 8-bit copies
// values, so input and output quantization must be equal (as TFLite's kernel assumes).
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/op_common.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

// TFLite's GetNearestNeighbor: float scale, (v + offset) * scale rounded half away from zero (align_corners) or
// floored, clamped to the input.
int32_t nearest(int v, int32_t in_size, int32_t out_size, bool align_corners, bool half_pixel_centers) {
  const float scale = (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                      : (float)in_size / (float)out_size;
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float s = ((float)v + offset) * scale;
  int32_t r = std::min(align_corners ? (int32_t)std::round(s) : (int32_t)std::floor(s), in_size - 1);
  if (half_pixel_centers) r = std::max(r, 0);
  return r;
}

// OH source rows, then OW source columns.
std::vector<int32_t> table(int h, int w, int oh, int ow, const OpParams& p) {
  std::vector<int32_t> t;
  for (int y = 0; y < oh; y++) t.push_back(nearest(y, h, oh, p.align_corners, p.half_pixel_centers));
  for (int x = 0; x < ow; x++) t.push_back(nearest(x, w, ow, p.align_corners, p.half_pixel_centers));
  return t;
}

void read(TfliteOpReader& r) {
  read_resize_size(r);
  if (auto opt =
          r.options<tflite::ResizeNearestNeighborOptions>(tflite::BuiltinOptions::ResizeNearestNeighborOptions)) {
    r.params().align_corners = opt->align_corners();
    r.params().half_pixel_centers = opt->half_pixel_centers();
  }
}

void write(TfliteOpWriter& w) {
  write_resize_size(w);
  w.set_options(tflite::BuiltinOptions::ResizeNearestNeighborOptions,
                tflite::CreateResizeNearestNeighborOptions(w.fbb(), w.params().align_corners,
                                                           w.params().half_pixel_centers)
                    .Union());
}

struct Push {
  int32_t h, w, c4, oh, ow, total;
};

KernelPtr make(BuildContext& b, const Op& op, bool q8, bool grad) {
  const std::string where = q8 ? op_where_q8(op) : op_where(op);
  TARE_CHECK(!grad || !b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const ResizeShapes rs = resize_shapes(b.graph(), op, where);
  const Shape4 &is = rs.is, &os = rs.os;
  if (q8) {
    const auto [it, ot] = q8_op_io(b.graph(), op, where, false, false);
    TARE_CHECK(tensor_scale(it) == tensor_scale(ot) && device_zero_point(it) == device_zero_point(ot) &&
                   u8_flip(it) == u8_flip(ot),
               TARE_ERROR_UNSUPPORTED, where + "input and output quantization differ (the 8-bit kernel copies values)");
  }
  const int64_t total = (grad ? is.rows() : os.rows()) * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX &&
                 os.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const std::vector<int32_t> pos = table(is.h, is.w, os.h, os.w, op.params);
  const ConstSlice t = b.add_constant_bytes(pos.data(), pos.size() * 4);
  const Push pc = {is.h, is.w, is.c4(), os.h, os.w, (int32_t)total};
  if (grad) {
    auto pipe = b.context().pipeline("grad_resize_nearest_neighbor", {}, sizeof(Push), 3, kLocal, 1, 1);
    return make_dispatch(std::move(pipe), {Binding::g(op.outputs[0]), Binding::g(op.inputs[0]), Binding::c(t)}, pc,
                         grid_xz(total, kLocal));
  }
  auto pipe = q8 ? b.pipeline_q8("q8_resize_nearest_neighbor", false, {}, sizeof(Push), 3, kLocal)
                 : b.pipeline("resize_nearest_neighbor", {}, sizeof(Push), 3, kLocal);
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(t)}, pc,
                       grid_xz(total, kLocal));
}

// The shape and table of a reference call: (n, h, w, c, oh, ow).
struct Geometry {
  int n, h, w, c, oh, ow;
  std::vector<int32_t> pos;
};
Geometry geometry(const std::vector<int>& is, const OpParams& p) {
  Geometry g{is[0], is[1], is[2], is[3], p.new_height, p.new_width, {}};
  g.pos = table(g.h, g.w, g.oh, g.ow, p);
  return g;
}

// Calls f(output element, input element) for every output element.
template <typename F>
void gather(const Geometry& g, F f) {
  int64_t o = 0;
  for (int b = 0; b < g.n; b++)
    for (int y = 0; y < g.oh; y++)
      for (int x = 0; x < g.ow; x++)
        for (int k = 0; k < g.c; k++, o++)
          f(o, (((int64_t)b * g.h + g.pos[(size_t)y]) * g.w + g.pos[(size_t)(g.oh + x)]) * g.c + k);
}

void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  c.require_rank(0, 4);
  const Geometry g = geometry(c.in_shape(0), c.params());
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, {g.n, g.oh, g.ow, g.c});
  gather(g, [&](int64_t o, int64_t i) { out[(size_t)o] = in[(size_t)i]; });
}

void ref_int(ref::intd::IntCtx& c) {
  const ref::intd::QView x = c.in_q(0);
  const ref::intd::QView y = c.out_q(0);
  if (x.zp != y.zp || x.scale != y.scale || x.dtype != y.dtype)
    c.fail(TARE_ERROR_UNSUPPORTED, "input and output quantization differ (TFLite's kernel copies values)");
  const std::vector<int>& is = c.in_tensor(0).shape;
  if (is.size() != 4) c.fail(TARE_ERROR_INVALID_MODEL, "input must have rank 4");
  const Geometry g = geometry(is, c.op.params);
  gather(g, [&](int64_t o, int64_t i) { y.set(o, x.at(i)); });
}

// Each output's gradient goes to the input element it copied (a scatter-add).
void ref_grad(ref::GradContext& c) {
  const int xi = c.input(0);
  c.require_rank(xi, 4);
  const Geometry g = geometry(c.shape(xi), c.op().params);
  std::vector<float>* gx = c.grad(xi);
  if (!gx) return;
  const std::vector<float>& gy = c.output_grad();
  std::vector<double> acc(gx->size(), 0.0);
  gather(g, [&](int64_t o, int64_t i) { acc[(size_t)i] += gy[(size_t)o]; });
  c.add_to(gx, acc);
}

}  // namespace

const OpDesc kResizeNearestNeighbor = {
    .type = OpType::ResizeNearestNeighbor,
    .name = "RESIZE_NEAREST_NEIGHBOR",
    .builtin = (int)tflite::BuiltinOperator::RESIZE_NEAREST_NEIGHBOR,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = infer_resize,
    .make_float = [](BuildContext& b, const Op& op) { return make(b, op, false, false); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make(b, op, true, false); },
    .make_grad = [](BuildContext& b, const Op& op) { return make(b, op, false, true); },
    .ref_float = ref_float,
    .ref_int = ref_int,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
