// ADD and MUL: element-wise with numpy-style broadcasting, fused activation; a constant operand is data (packed
// like an activation, quantized like one).  Kernels: binary.cpp, q8_binary.cpp, grad_binary.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_binary(BuildContext& b, const Op& op);
KernelPtr make_q8_binary(BuildContext& b, const Op& op);
KernelPtr make_grad_binary(BuildContext& b, const Op& op);

namespace {

using BOpt = tflite::BuiltinOptions;

void read_add(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::AddOptions>(BOpt::AddOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

void read_mul(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::MulOptions>(BOpt::MulOptions))
    r.params().activation = r.activation(opt->fused_activation_function());
}

void write_add(TfliteOpWriter& w) {
  w.set_options(BOpt::AddOptions, tflite::CreateAddOptions(w.fbb(), w.activation(w.params().activation)).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I64 ? 4 : version_by_int_type(w));
}

void write_mul(TfliteOpWriter& w) {
  w.set_options(BOpt::MulOptions, tflite::CreateMulOptions(w.fbb(), w.activation(w.params().activation)).Union());
  const DType x = w.in_type();
  int v = x == DType::I16 ? 4 : x == DType::I8 ? 2 : 1;
  if (x == DType::I8 || x == DType::U8) {  // version 3: an 8-bit multiplier of 1 or more
    const Tensor *a = w.in(0), *b = w.in(1), &y = w.out();
    if (a && b && a->quant.quantized() && b->quant.quantized() && y.quant.quantized() && y.quant.scale[0] > 0 &&
        (double)a->quant.scale[0] * b->quant.scale[0] / y.quant.scale[0] >= 1.0) {
      v = 3;
    }
  }
  w.set_version(v);
}

constexpr OpTraits kTraits = {.fused_activation = true, .constant_operands = true};

}  // namespace

const OpDesc kAdd = {
    .type = OpType::Add,
    .name = "ADD",
    .builtin = (int)tflite::BuiltinOperator::ADD,
    .traits = kTraits,
    .read = read_add,
    .write = write_add,
    .infer = infer_broadcast,
    .make_float = make_binary,
    .make_q8 = make_q8_binary,
    .make_grad = make_grad_binary,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::add_mul(c, false); },
    .ref_int = ref::intd::add,
    .ref_grad = [](ref::GradContext& c) { c.add_mul(false); },
};

const OpDesc kMul = {
    .type = OpType::Mul,
    .name = "MUL",
    .builtin = (int)tflite::BuiltinOperator::MUL,
    .traits = kTraits,
    .read = read_mul,
    .write = write_mul,
    .infer = infer_broadcast,
    .make_float = make_binary,
    .make_q8 = make_q8_binary,
    .make_grad = make_grad_binary,
    .ref_float = [](ref::detail::OpContext& c) { ref::detail::add_mul(c, true); },
    .ref_int = ref::intd::mul,
    .ref_grad = [](ref::GradContext& c) { c.add_mul(true); },
};

}  // namespace tare::ops
