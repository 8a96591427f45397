// PAD and PADV2: constant paddings per dimension; outside the input zeros (8-bit: the zero point) or PADV2's constant
// value (input 2; 8-bit: its stored value, which shares the output's quantization).
// Kernels: pad.cpp, q8_pad.cpp, grad_pad.cpp (shaders/pad.comp, q8_pad.comp, grad_pad.comp).
#include <cmath>
#include <cstring>
#include <limits>

#include "common/fp16.h"
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_pad(BuildContext& b, const Op& op);
KernelPtr make_q8_pad(BuildContext& b, const Op& op);
KernelPtr make_grad_pad(BuildContext& b, const Op& op);

namespace {

using BO = tflite::BuiltinOperator;

// PADV2's pad value: a constant scalar.  TFLite copies an 8-bit value as stored, so it must have the output's type,
// scale and zero point (pad.cc refuses others); a float value fills a float output.
void check_pad_value(const TfliteOpReader& r, const Tensor& v) {
  if (!v.is_const || v.elements() != 1) r.unsupported("PADV2 with a non-constant pad value is not supported");
  const Tensor& y = r.output();
  if (is_q8(y)) {
    if (v.dtype != y.dtype || v.quant.scale != y.quant.scale || v.quant.zero_point != y.quant.zero_point)
      r.invalid("the pad value must have the output's type and quantization");
    return;
  }
  if (v.dtype == DType::F16) {
    uint16_t h;
    std::memcpy(&h, v.data.data(), 2);
    if (half_to_float(h) != 0.0f) r.unsupported("PADV2 with a non-zero float16 pad value is not supported");
    return;
  }
  if (v.dtype != DType::F32) r.unsupported("PADV2 with a pad value of this type is not supported");
  float f;
  std::memcpy(&f, v.data.data(), 4);
  if (!std::isfinite(f)) r.invalid("the pad value is not finite");
}

void read(TfliteOpReader& r) {
  const bool v2 = r.builtin() == (int)BO::PADV2;
  if (v2) {
    r.arity(2, 3, 2);
  } else {
    r.arity(2, 2, 2);
  }
  const int rank = r.input_rank(0);
  const Tensor& pt = r.input(1);
  auto v = r.const_ints(1, "paddings");
  if (pt.shape.size() != 2 || pt.shape[0] != rank || pt.shape[1] != 2) {
    r.invalid("paddings of shape " + shape_str(pt.shape) + " do not match input rank " + std::to_string(rank));
  }
  for (int i = 0; i < rank; i++) {
    int64_t a = v[2 * i], b = v[2 * i + 1];
    if (a < 0 || b < 0 || a > std::numeric_limits<int>::max() || b > std::numeric_limits<int>::max()) {
      r.invalid("invalid padding " + std::to_string(a) + "," + std::to_string(b));
    }
    r.params().paddings.emplace_back((int)a, (int)b);
  }
  if (v2 && r.has_input(2)) check_pad_value(r, r.input(2));
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  const int in_rank = (int)w.rank(w.in(0));
  if ((int)p.paddings.size() != in_rank) {
    w.bad(std::to_string(p.paddings.size()) + " paddings for an input of rank " + std::to_string(in_rank));
  }
  std::vector<int64_t> pads;
  for (const auto& [before, after] : p.paddings) {
    pads.push_back(before);
    pads.push_back(after);
  }
  std::vector<int>& inputs = w.inputs();
  inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
  inputs[1] = w.int_param(1, {in_rank, 2}, pads, "_paddings");
  if (inputs.size() > 2 && inputs[2] >= 0) {  // a pad value: PADV2
    w.set_code((int)BO::PADV2);
    w.set_options(tflite::BuiltinOptions::PadV2Options, tflite::CreatePadV2Options(w.fbb()).Union());
  } else {
    inputs.resize(2);
    w.set_options(tflite::BuiltinOptions::PadOptions, tflite::CreatePadOptions(w.fbb()).Union());
  }
  w.set_version(in_rank > 4 ? 4 : version_by_int_type(w));
}

void infer(ShapeContext& s) {
  s.need_inputs(1, 3);
  const auto& x = s.in(0);
  const auto& pads = s.params().paddings;
  if (pads.size() != x.size()) s.err(std::to_string(pads.size()) + " paddings for input " + shape_str(x));
  std::vector<int> o = x;
  for (size_t i = 0; i < x.size(); i++) {
    if (pads[i].first < 0 || pads[i].second < 0) s.err("negative padding");
    int64_t d = (int64_t)x[i] + pads[i].first + pads[i].second;
    if (d > INT32_MAX) s.err("padded dimension too large");
    o[i] = (int)d;
  }
  s.set_out(o);
}

// Zero padding of the spatial dimensions commutes with per-channel scaling; padding the channels does not.
bool equalize_through(const Graph& g, const Op& op, std::string& why) {
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {  // explicit pad value: must be zero
    const Tensor& v = g.tensors[(size_t)op.inputs[2]];
    if (v.dtype != DType::F32 || v.elements() != 1 || v.data.size() != 4) return false;
    float x;
    std::memcpy(&x, v.data.data(), 4);
    if (x != 0.0f) {
      why = "PAD with a nonzero value lies on the way";
      return false;
    }
  }
  const size_t rank = g.tensors[(size_t)op.inputs[0]].shape.size();
  const auto& pads = op.params.paddings;
  return pads.size() == rank && pads.back().first == 0 && pads.back().second == 0;
}

}  // namespace

const OpDesc kPad = {
    .type = OpType::Pad,
    .name = "PAD",
    .builtin = (int)BO::PAD,
    .builtin_alt = (int)BO::PADV2,
    .traits = {.equalize_through = equalize_through, .output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_pad,
    .make_q8 = make_q8_pad,
    .make_grad = make_grad_pad,
    .ref_float = ref::detail::pad,
    .ref_int = ref::intd::pad,
    .ref_grad = [](ref::GradContext& c) { c.pad(); },
};

}  // namespace tare::ops
