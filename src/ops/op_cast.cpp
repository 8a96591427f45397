// CAST: TFLite's element-wise static_cast from the input's type to the output's (cast.cc; no rounding, no
// quantization parameters involved).  What Tare can represent: its activations are float32 (float16 in fp16 sessions)
// or 8-bit quantized, so
//   - a cast to the same type (FLOAT32, INT8, UINT8) is a no-op: the output aliases the input (8-bit: both must have
//     the same scale and zero point, since the stored values are copied; the quantizer gives the output the input's);
//   - INT8 / UINT8 -> FLOAT32 gives the raw stored integer as a float (not the dequantized value), through the
//     DEQUANTIZE shader with scale 1 and zero point 0;
//   - everything else is refused with the two type names: INT32 / INT64 / BOOL / INT16 / FLOAT16 activations have no
//     representation on the device, and FLOAT32 -> INT8 / UINT8 (truncation, undefined out of range in TFLite) would
//     give an 8-bit tensor without a meaningful quantization.
// The gradient of the float (same-type) cast is the identity, carried by the alias.
#include <cstring>

#include "ops/op_def.h"

namespace tare::ops {

namespace {

bool raw_to_float(const Tensor& in, const Tensor& out) { return is_q8(in) && out.dtype == DType::F32; }

// Empty when Tare runs the cast, else why not (named types).
std::string refusal(const Tensor& in, const Tensor& out) {
  const std::string types = std::string(dtype_name(in.dtype)) + " -> " + dtype_name(out.dtype);
  if (in.dtype == out.dtype) {
    if (in.dtype == DType::F32) return "";
    if (!is_q8(in)) return "CAST " + types + ": " + dtype_name(in.dtype) + " activations are not supported";
    if (in.quant.scale != out.quant.scale || in.quant.zero_point != out.quant.zero_point)
      return "CAST " + types + " copies the stored values: input and output need the same quantization";
    return "";
  }
  if (raw_to_float(in, out)) return "";
  return "CAST " + types +
         " is not supported (Tare runs CAST between equal types and from INT8 / UINT8 to FLOAT32 only: its "
         "activations are float32 or quantized 8-bit)";
}

void read(TfliteOpReader& r) {
  r.arity(1, 1, 1);
  const std::string why = refusal(r.input(0), r.output());
  if (!why.empty()) r.unsupported(why);
}

void write(TfliteOpWriter& w) {
  const DType in = w.in_type(), out = w.out().dtype;
  w.set_options(tflite::BuiltinOptions::CastOptions,
                tflite::CreateCastOptions(w.fbb(), tflite_tensor_type(in), tflite_tensor_type(out)).Union());
  w.set_version(in == DType::I8 || out == DType::I8 ? 3 : 1);
}

void infer(ShapeContext& s) {
  s.need_inputs(1, 1);
  const std::string why = refusal(s.input(0), s.graph().tensors[s.op().outputs[0]]);
  if (!why.empty()) s.err(why);
  s.set_out(s.in(0));
}

// The float and backward paths of a same-type cast are the alias (no kernel); these factories only see conversions.
KernelPtr make_float(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const OpIO io = op_io(b.graph(), op, where, true);
  fail(TARE_ERROR_UNSUPPORTED,
       where + std::string("no float kernel for CAST ") + dtype_name(io.in.dtype) + " -> " + dtype_name(io.out.dtype));
}

KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const OpIO io = op_io(b.graph(), op, where, true);
  fail(TARE_ERROR_UNSUPPORTED,
       where + std::string("no gradient through CAST ") + dtype_name(io.in.dtype) + " -> " + dtype_name(io.out.dtype));
}

// INT8 / UINT8 -> FLOAT32: the raw integer (device values are uint8 - 128: zero point -128).
KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const OpIO io = op_io(b.graph(), op, where, true);
  check_not_const(io.in, where);
  const std::string why = refusal(io.in, io.out);
  TARE_CHECK(why.empty() && raw_to_float(io.in, io.out), TARE_ERROR_UNSUPPORTED,
             where + (why.empty() ? "no kernel for this cast" : why));
  TARE_CHECK(io.in.shape == io.out.shape, TARE_ERROR_INVALID_MODEL, where + "input and output shapes differ");
  const Shape4 s = shape4(io.in.shape);
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  return make_int_to_float(b, op, std::vector<float>((size_t)s.c, 1.0f),
                           std::vector<int32_t>((size_t)s.c, -u8_flip(io.in)));
}

void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  const Tensor& out = c.graph().tensors[c.op().outputs[0]];
  if (c.input_tensor(0).dtype != DType::F32 || out.dtype != DType::F32)
    c.fail(TARE_ERROR_UNSUPPORTED, std::string("the float reference runs CAST FLOAT32 -> FLOAT32 only, not ") +
                                       dtype_name(c.input_tensor(0).dtype) + " -> " + dtype_name(out.dtype));
  c.out(0, c.in_shape(0)) = c.in(0);
}

void ref_int(ref::intd::IntCtx& c) {
  const Tensor &in = c.in_tensor(0), &out = c.out_tensor(0);
  const std::string why = refusal(in, out);
  if (!why.empty()) c.fail(TARE_ERROR_UNSUPPORTED, why);
  if (in.elements() != out.elements()) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
  if (in.dtype == out.dtype) {
    ref::intd::copy_op(c);
    return;
  }
  const ref::intd::QView x = c.in_q(0);
  float* y = reinterpret_cast<float*>(c.out_bytes(0));
  for (int64_t i = 0; i < in.elements(); i++) {
    const float v = (float)x.at(i);
    std::memcpy(y + i, &v, 4);
  }
}

void ref_grad(ref::GradContext& c) {
  const int x = c.input(0), o = c.op().outputs[0];
  if (c.tensor(x).elements() != c.tensor(o).elements()) c.fail(TARE_ERROR_INVALID_MODEL, "element counts differ");
  std::vector<float>* gx = c.grad(x);
  if (!gx) return;
  const std::vector<float>& gy = c.output_grad();
  for (size_t i = 0; i < gy.size(); i++) (*gx)[i] += gy[i];
}

}  // namespace

const OpDesc kCast = {
    .type = OpType::Cast,
    .name = "CAST",
    .builtin = (int)tflite::BuiltinOperator::CAST,
    .traits = {.output_quant = OutputQuant::SameAsInput, .may_alias = true},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_int = ref_int,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
