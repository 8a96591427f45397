// QUANTIZE (float -> 8-bit, or 8-bit -> 8-bit requantization) and DEQUANTIZE (8-bit -> float): the edges of an
// integer graph (quantize.cpp, dequantize.cpp; DEQUANTIZE's kernel also serves a constant 8-bit input).
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_quantize(BuildContext& b, const Op& op);
KernelPtr make_dequantize(BuildContext& b, const Op& op);

namespace {

void write_quantize(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::QuantizeOptions, tflite::CreateQuantizeOptions(w.fbb()).Union());
  const Tensor& y = w.out();
  w.set_version(y.quant.scale.size() > 1 ? 3 : y.dtype == DType::I16 ? 2 : 1);
}

void write_dequantize(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::DequantizeOptions, tflite::CreateDequantizeOptions(w.fbb()).Union());
  const DType x = w.in_type();
  int v = 1;
  if (x == DType::I16 || x == DType::F16) {
    v = 3;
  } else if (x == DType::I8) {
    v = w.channels(w.in(0)) > 1 ? 5 : 2;
  }
  w.set_version(v);
}

}  // namespace

const OpDesc kQuantize = {
    .type = OpType::Quantize,
    .name = "QUANTIZE",
    .builtin = (int)tflite::BuiltinOperator::QUANTIZE,
    .read = read_one_input,
    .write = write_quantize,
    .infer = infer_same_shape,
    .make_q8 = make_quantize,  // its output is 8-bit: always the 8-bit side
    .ref_int = ref::intd::quantize_op,
};

const OpDesc kDequantize = {
    .type = OpType::Dequantize,
    .name = "DEQUANTIZE",
    .builtin = (int)tflite::BuiltinOperator::DEQUANTIZE,
    .read = read_one_input,
    .write = write_dequantize,
    .infer = infer_same_shape,
    .make_float = make_dequantize,
    .make_q8 = make_dequantize,
    .ref_float = ref::detail::dequantize,
    .ref_int = ref::intd::dequantize_op,
    .ref_grad = [](ref::GradContext& c) { c.pass_through(); },  // of float or constant data
};

}  // namespace tare::ops
