// RESIZE_BILINEAR to a constant size, align_corners / half_pixel_centers.  Kernels: resize_bilinear.cpp,
// q8_resize_bilinear.cpp, grad_resize_bilinear.cpp.
#include <algorithm>
#include <limits>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_resize_bilinear(BuildContext& b, const Op& op);
KernelPtr make_q8_resize_bilinear(BuildContext& b, const Op& op);
KernelPtr make_grad_resize_bilinear(BuildContext& b, const Op& op);

void read_resize_size(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  auto v = r.const_ints(1, "size");
  if (v.size() != 2 || v[0] < 1 || v[1] < 1 || v[0] > std::numeric_limits<int>::max() ||
      v[1] > std::numeric_limits<int>::max()) {
    r.invalid("size input must hold 2 positive values");
  }
  r.params().new_height = (int)v[0];
  r.params().new_width = (int)v[1];
}

void write_resize_size(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  std::vector<int>& inputs = w.inputs();
  inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
  inputs[1] = w.int_param(1, {2}, {p.new_height, p.new_width}, "_size");
  const DType x = w.in_type();
  w.set_version(x == DType::I16 ? 4 : p.half_pixel_centers ? 3 : x == DType::I8 ? 2 : 1);
}

void infer_resize(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(1, 2);
  s.need_rank(0, 4, "input");
  const auto& x = s.in(0);
  if (p.new_height < 1 || p.new_width < 1) {
    s.err("output size " + std::to_string(p.new_height) + "x" + std::to_string(p.new_width) + " is invalid");
  }
  if (p.align_corners && p.half_pixel_centers) s.err("align_corners and half_pixel_centers are exclusive");
  s.set_out({x[0], p.new_height, p.new_width, x[3]});
}

namespace {

void read(TfliteOpReader& r) {
  read_resize_size(r);
  if (auto opt = r.options<tflite::ResizeBilinearOptions>(tflite::BuiltinOptions::ResizeBilinearOptions)) {
    r.params().align_corners = opt->align_corners();
    r.params().half_pixel_centers = opt->half_pixel_centers();
  }
}

void write(TfliteOpWriter& w) {
  write_resize_size(w);
  w.set_options(
      tflite::BuiltinOptions::ResizeBilinearOptions,
      tflite::CreateResizeBilinearOptions(w.fbb(), w.params().align_corners, w.params().half_pixel_centers).Union());
}

}  // namespace

const OpDesc kResizeBilinear = {
    .type = OpType::ResizeBilinear,
    .name = "RESIZE_BILINEAR",
    .builtin = (int)tflite::BuiltinOperator::RESIZE_BILINEAR,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = infer_resize,
    .make_float = make_resize_bilinear,
    .make_q8 = make_q8_resize_bilinear,
    .make_grad = make_grad_resize_bilinear,
    .ref_float = ref::detail::resize_bilinear,
    .ref_int = ref::intd::resize_bilinear,
    .ref_grad = [](ref::GradContext& c) { c.resize_bilinear(); },
};

}  // namespace tare::ops
