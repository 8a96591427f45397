// LOG_SOFTMAX over the last dimension (no options).  Kernels here (shaders/log_softmax.comp, q8_log_softmax.comp,
// grad_log_softmax.comp) with the float, integer and backward references; the float schedules are SOFTMAX's
// (softmax.cpp).  8-bit: TFLite's builtin kernel (a float exp table and logf; its fixed-point
// reference_integer_ops::LogSoftmax is only its reference build's), int8 and uint8.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kWg = 64;  // a power of two (the backward's tree reduction)

void read(TfliteOpReader& r) { r.arity(1, 1, 1); }

void write(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::LogSoftmaxOptions, tflite::CreateLogSoftmaxOptions(w.fbb()).Union());
  w.set_version(version_by_int_type(w));
}

void infer(ShapeContext& s) {
  s.need_inputs(1, 1);
  if (s.in(0).empty()) s.err("input must have rank >= 1");
  s.set_out(s.in(0));
}

// The row layout shared by the kernels; few rows of many channels get a workgroup per row.
struct Rows {
  Shape4 s;
  bool per_workgroup;
  uint32_t groups;
};
Rows rows_of(const Graph& g, const Op& op, const std::string& where) {
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  TARE_CHECK(!in.shape.empty() && in.shape == out.shape, TARE_ERROR_INVALID_MODEL,
             where + "input and output shapes must be equal and of rank >= 1");
  Rows r{shape4(in.shape), false, 0};
  TARE_CHECK(r.s.rows() * r.s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  r.per_workgroup = r.s.rows() <= 256 && r.s.c4() >= 64;
  r.groups = r.s.c == 0 ? 0 : r.per_workgroup ? (uint32_t)r.s.rows() : div_up(r.s.rows(), kWg);
  return r;
}

KernelPtr make_float(BuildContext& b, const Op& op) {
  const Rows r = rows_of(b.graph(), op, op_where(op));
  const struct { int32_t rows, c, c4; } pc{(int32_t)r.s.rows(), r.s.c, r.s.c4()};
  auto p = r.per_workgroup ? b.pipeline("log_softmax", {kWg}, sizeof(pc), 2, kWg)
                           : b.pipeline("log_softmax", {1}, sizeof(pc), 2, kWg);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc, grid_xy(r.groups, 1));
}

KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const Rows r = rows_of(b.graph(), op, where);
  const struct { int32_t rows, c, c4; } pc{(int32_t)r.s.rows(), r.s.c, r.s.c4()};
  auto p = b.context().pipeline("grad_log_softmax", {r.per_workgroup ? kWg : 1u}, sizeof(pc), 3, kWg, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.outputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(r.groups, 1));
}

// 8-bit (TFLite's builtin kernel, optimized_ops::LogSoftmax, for int8 and uint8 alike): a float table
// T[255 - d] = expf(-in_scale * d) (SOFTMAX's), per row sum = sum of T over the row in channel order (float32),
// L = logf(sum); with u = q + 128 for int8 (q for uint8), out = rint(in_scale / out_scale * u - (in_scale * u_max + L)
// / out_scale) + zero point, clamped.  The output must be scale 16/256, zero point 127 (int8) or 255 (uint8).
void check_q8(const Tensor& in, const Tensor& out, const std::function<void(const std::string&)>& fail) {
  if (!in.quant.quantized() || !out.quant.quantized() || in.quant.scale.size() != 1)
    fail("needs per-tensor quantization");
  const int64_t zp = out.dtype == DType::U8 ? 255 : 127;
  if (out.quant.scale[0] != 16.0f / 256.0f || out.quant.zero_point.size() != 1 || out.quant.zero_point[0] != zp ||
      in.dtype != out.dtype)
    fail("8-bit output must have the input's type, scale 16/256 and zero point " + std::to_string(zp) +
         " (TFLite's LogSoftmax)");
}

KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const auto [in, out] = q8_op_io(b.graph(), op, where, true, true);
  const Rows r = rows_of(b.graph(), op, where);
  check_q8(in, out, [&](const std::string& m) { fail(TARE_ERROR_UNSUPPORTED, where + m); });
  struct {
    float exp[256];
    quant::LogTable log;
  } tables;
  quant::populate_softmax_table(tensor_scale(in), 1.0f, tables.exp);
  tables.log = quant::log_reduction_table();
  const ConstSlice ts = b.add_constant_bytes(&tables, sizeof(tables));
  const float in_scale = tensor_scale(in), out_scale = tensor_scale(out);
  const struct {
    int32_t rows, c, c4;
    float in_scale, out_scale, ratio;
  } pc{(int32_t)r.s.rows(), r.s.c, r.s.c4(), in_scale, out_scale, in_scale / out_scale};
  auto pipe = b.pipeline_q8("q8_log_softmax", false, {}, sizeof(pc), 3, kWg);
  return make_dispatch(std::move(pipe), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0]), Binding::c(ts)}, pc,
                       grid_xz(pc.rows, kWg));
}

void ref_int(ref::intd::IntCtx& c) {
  const Tensor &it = c.in_tensor(0), &ot = c.out_tensor(0);
  if (it.shape.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  check_q8(it, ot, [&](const std::string& m) { c.fail(TARE_ERROR_UNSUPPORTED, m); });
  const ref::intd::QView x = c.in_q(0), y = c.out_q(0);
  float table[256];
  quant::populate_softmax_table(x.scale, 1.0f, table);
  const int32_t offset = x.dtype == DType::I8 ? 128 : 0;  // TFLite's zero_point_offset: int8 as uint8
  const int64_t depth = it.shape.back();
  if (depth == 0) return;
  const float ratio = x.scale / y.scale;
  for (int64_t base = 0; base < it.elements(); base += depth) {
    int32_t mx = x.qmin;
    for (int64_t i = 0; i < depth; i++) mx = std::max(mx, x.at(base + i));
    float sum = 0.0f;
    for (int64_t i = 0; i < depth; i++) sum += table[255 - mx + x.at(base + i)];
    const float log_sum = std::log(sum);
    const float precomputed = (x.scale * (float)(mx + offset) + log_sum) / y.scale;
    for (int64_t i = 0; i < depth; i++) {
      const float log_prob = ratio * (float)(x.at(base + i) + offset) - precomputed;
      y.set(base + i, std::clamp((int32_t)std::rint(log_prob) + y.zp, y.qmin, y.qmax));
    }
  }
}

// TFLite's reference_ops::LogSoftmax (float).
void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& s = c.in_shape(0);
  if (s.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, s);
  const int depth = s.back();
  if (depth == 0) return;
  for (size_t r = 0; r < in.size() / (size_t)depth; r++) {
    const float* x = &in[r * depth];
    float* y = &out[r * depth];
    float mx = std::numeric_limits<float>::lowest();
    for (int i = 0; i < depth; i++) mx = std::max(mx, x[i]);
    float sum = 0.0f;
    for (int i = 0; i < depth; i++) sum += std::exp(x[i] - mx);
    const float ls = std::log(sum);
    for (int i = 0; i < depth; i++) y[i] = x[i] - mx - ls;
  }
}

// dx_i = dy_i - softmax_i * sum_j dy_j, softmax = exp(y).
void ref_grad(ref::GradContext& c) {
  const int x = c.input(0), o = c.op().outputs[0];
  const std::vector<int>& s = c.shape(o);
  if (s.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  if (c.shape(x) != s) c.fail(TARE_ERROR_INVALID_MODEL, "input and output shapes differ");
  std::vector<float>* gx = c.grad(x);
  const int depth = s.back();
  if (!gx || depth == 0) return;
  const std::vector<float>& gy = c.output_grad();
  const std::vector<float>& y = c.value(o);
  for (size_t base = 0; base < gy.size(); base += (size_t)depth) {
    double sum = 0.0;
    for (int i = 0; i < depth; i++) sum += gy[base + i];
    for (int i = 0; i < depth; i++) (*gx)[base + i] += (float)(gy[base + i] - std::exp((double)y[base + i]) * sum);
  }
}

}  // namespace

const OpDesc kLogSoftmax = {
    .type = OpType::LogSoftmax,
    .name = "LOG_SOFTMAX",
    .builtin = (int)tflite::BuiltinOperator::LOG_SOFTMAX,
    .traits = {.output_quant = OutputQuant::LogProbability},
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
