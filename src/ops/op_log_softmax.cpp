// LOG_SOFTMAX over the last dimension (no options).  Kernels here (shaders/log_softmax.comp, grad_log_softmax.comp)
// with the float and backward references; the schedules are SOFTMAX's (softmax.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
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
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
