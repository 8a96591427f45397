// The reductions over constant axes with keep_dims (ReducerOptions): MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD.
// Kernels: reduce.cpp, q8_reduce.cpp, grad_mean.cpp, grad_reduce.cpp.  REDUCE_PROD is float only: TFLite's int8 kernel
// rescales the int64 running product at every step (MultiplyByQuantizedMultiplier on 64 bits), not done here yet.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/op_def.h"
#include "ops/reduce.h"

namespace tare::ops {

namespace {

// For each input element (row-major), calls f(input index, output index); returns the output's element count.
template <typename F>
int64_t for_each_reduced(const std::vector<int>& is, const std::vector<int>& axes, F f) {
  const size_t r = is.size();
  std::vector<bool> reduced(r, false);
  for (int a : axes) reduced[(size_t)a] = true;
  int64_t in_n = 1, out_n = 1;
  for (size_t d = 0; d < r; d++) {
    in_n *= is[d];
    if (!reduced[d]) out_n *= is[d];
  }
  std::vector<int> idx(r, 0);
  for (int64_t i = 0; i < in_n; i++) {
    int64_t o = 0;
    for (size_t d = 0; d < r; d++)
      if (!reduced[d]) o = o * is[d] + idx[d];
    f(i, o);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < is[d]) break;
      idx[d] = 0;
    }
  }
  return out_n;
}

std::vector<int> checked_axes(const std::vector<int>& axes, size_t rank, auto fail) {
  for (int a : axes)
    if (a < 0 || (size_t)a >= rank) fail("axis " + std::to_string(a) + " out of range");
  return axes;
}

std::vector<int> out_shape(const std::vector<int>& is, const std::vector<int>& axes, bool keep) {
  std::vector<int> o;
  for (size_t i = 0; i < is.size(); i++) {
    const bool r = std::find(axes.begin(), axes.end(), (int)i) != axes.end();
    if (!r) o.push_back(is[i]);
    else if (keep) o.push_back(1);
  }
  return o;
}

// Float reference: TFLite's EvalType (init lowest() / max() / 1 / 0, then the reducer in row-major order).  SUM
// accumulates in double (the GPU's order differs anyway).
template <ReduceKind K>
void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& is = c.in_shape(0);
  const std::vector<int> axes = checked_axes(c.params().axes, is.size(),
                                             [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, out_shape(is, axes, c.params().keep_dims));
  const double init = K == ReduceKind::Max    ? (double)std::numeric_limits<float>::lowest()
                      : K == ReduceKind::Min  ? (double)std::numeric_limits<float>::max()
                      : K == ReduceKind::Prod ? 1.0
                                              : 0.0;
  std::vector<double> acc(out.size(), init);
  for_each_reduced(is, axes, [&](int64_t i, int64_t o) {
    double& a = acc[(size_t)o];
    const double v = in[(size_t)i];
    a = K == ReduceKind::Max    ? std::max(a, v)
        : K == ReduceKind::Min  ? std::min(a, v)
        : K == ReduceKind::Prod ? a * v
                                : a + v;
  });
  for (size_t j = 0; j < out.size(); j++) out[j] = (float)acc[j];
}

// TFLite's 8-bit kernels.  MAX / MIN (EvalType): equal input / output parameters are required, values copied.  SUM
// (EvalSum): equal parameters add in the tensor's own 8-bit type (wrapping); others go through QuantizedMeanOrSum with
// compute_sum: int32(round(float(sum) * scale + bias)) + zo with scale = s_in / s_out, bias = float(-z_in) * scale *
// float(count), cast to the 8-bit type without clamping.
template <ReduceKind K>
void ref_int(ref::intd::IntCtx& c) {
  const Tensor& it = c.in_tensor(0);
  const ref::intd::QView x = c.in_q(0);
  const std::vector<int> axes = checked_axes(c.op.params.axes, it.shape.size(),
                                             [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  const ref::intd::QView y = c.out_q(0);
  const bool same = x.zp == y.zp && x.scale == y.scale;
  if (K != ReduceKind::Sum && !same)
    c.fail(TARE_ERROR_UNSUPPORTED, "input and output quantization differ (TFLite requires them equal)");
  int64_t outputs = 1;
  for (int d : out_shape(it.shape, axes, false)) outputs *= d;
  if (c.out_tensor(0).elements() != outputs) c.fail(TARE_ERROR_INVALID_MODEL, "output size mismatch");
  const int32_t init = K == ReduceKind::Max ? INT32_MIN : K == ReduceKind::Min ? INT32_MAX : 0;
  std::vector<int32_t> acc((size_t)outputs, init);
  int64_t count = 0;
  for_each_reduced(it.shape, axes, [&](int64_t i, int64_t o) {
    int32_t& a = acc[(size_t)o];
    const int32_t v = x.at(i);
    a = K == ReduceKind::Max ? std::max(a, v) : K == ReduceKind::Min ? std::min(a, v) : a + v;
    if (o == 0) count++;
  });
  const float scale = x.scale / y.scale;
  const float bias = (float)(-x.zp) * scale * (float)count;
  for (int64_t o = 0; o < outputs; o++) {
    int32_t v = acc[(size_t)o];
    if (K == ReduceKind::Sum && !same) v = (int32_t)std::round((float)v * scale + bias) + y.zp;
    y.set(o, v);  // keeps the low 8 bits: TFLite's cast to the 8-bit type
  }
}

// Backward.  MAX / MIN: dy goes to the FIRST extreme in row-major order (as MAX_POOL_2D's first maximum).  SUM: dy
// to every element.  PROD: dy times the product of the other elements (no division, so zeros are fine).
template <ReduceKind K>
void ref_grad(ref::GradContext& c) {
  const int xi = c.input(0), oi = c.op().outputs[0];
  const std::vector<int>& is = c.shape(xi);
  const std::vector<int> axes = checked_axes(c.op().params.axes, is.size(),
                                             [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  std::vector<float>* gx = c.grad(xi);
  if (!gx) return;
  const std::vector<float>& gy = c.output_grad();
  if (K == ReduceKind::Sum) {
    for_each_reduced(is, axes, [&](int64_t i, int64_t o) { (*gx)[(size_t)i] += gy[(size_t)o]; });
    return;
  }
  const std::vector<float>& x = c.value(xi);
  const std::vector<float>& y = c.value(oi);
  if (K == ReduceKind::Prod) {
    // Products of the elements before (prefix) and after (suffix) each one, per output.
    std::vector<std::vector<int64_t>> members(gy.size());
    for_each_reduced(is, axes, [&](int64_t i, int64_t o) { members[(size_t)o].push_back(i); });
    for (size_t o = 0; o < members.size(); o++) {
      const std::vector<int64_t>& m = members[o];
      std::vector<double> suffix(m.size() + 1, 1.0);
      for (size_t k = m.size(); k-- > 0;) suffix[k] = suffix[k + 1] * x[(size_t)m[k]];
      double prefix = 1.0;
      for (size_t k = 0; k < m.size(); k++) {
        (*gx)[(size_t)m[k]] += (float)((double)gy[o] * prefix * suffix[k + 1]);
        prefix *= x[(size_t)m[k]];
      }
    }
    return;
  }
  std::vector<bool> taken(gy.size(), false);
  for_each_reduced(is, axes, [&](int64_t i, int64_t o) {
    if (!taken[(size_t)o] && x[(size_t)i] == y[(size_t)o]) {
      taken[(size_t)o] = true;
      (*gx)[(size_t)i] += gy[(size_t)o];
    }
  });
}

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(2, 2, 2);
  if (auto opt = r.options<tflite::ReducerOptions>(tflite::BuiltinOptions::ReducerOptions))
    p.keep_dims = opt->keep_dims();
  p.axes = r.normalise_axes(r.const_ints(1, "axes"), r.input_rank(0));
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  std::vector<int64_t> axes(p.axes.begin(), p.axes.end());
  std::vector<int>& inputs = w.inputs();
  inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
  inputs[1] = w.int_param(1, {(int)axes.size()}, axes, "_axes");
  w.set_options(tflite::BuiltinOptions::ReducerOptions, tflite::CreateReducerOptions(w.fbb(), p.keep_dims).Union());
  const DType x = w.in_type();
  w.set_version(x == DType::I16 ? 3 : (x == DType::I8 || x == DType::U8) ? 2 : 1);
}

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(1, 2);
  const auto& x = s.in(0);
  std::vector<int> o;
  for (int a : p.axes) {
    if (a < 0 || (size_t)a >= x.size()) s.err("axis " + std::to_string(a) + " out of range for " + shape_str(x));
  }
  for (size_t i = 0; i < x.size(); i++) {
    bool reduced = std::find(p.axes.begin(), p.axes.end(), (int)i) != p.axes.end();
    if (!reduced) o.push_back(x[i]);
    else if (p.keep_dims) o.push_back(1);
  }
  s.set_out(o);
}

// A mean, sum, max or min that keeps the channel axis commutes with positive per-channel scaling.
bool equalize_through(const Graph& g, const Op& op, std::string&) {
  const int last = (int)g.tensors[(size_t)op.inputs[0]].shape.size() - 1;
  return std::find(op.params.axes.begin(), op.params.axes.end(), last) == op.params.axes.end();
}

}  // namespace

const OpDesc kMean = {
    .type = OpType::Mean,
    .name = "MEAN",
    .builtin = (int)tflite::BuiltinOperator::MEAN,
    .traits = {.equalize_through = equalize_through},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = [](BuildContext& b, const Op& op) { return make_reduce(b, op, ReduceKind::Mean); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_reduce(b, op, ReduceKind::Mean); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_mean_or_sum(b, op, false); },
    .ref_float = ref::detail::mean,
    .ref_int = ref::intd::mean,
    .ref_grad = [](ref::GradContext& c) { c.mean(); },
};

const OpDesc kSum = {
    .type = OpType::Sum,
    .name = "SUM",
    .builtin = (int)tflite::BuiltinOperator::SUM,
    .traits = {.equalize_through = equalize_through},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = [](BuildContext& b, const Op& op) { return make_reduce(b, op, ReduceKind::Sum); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_reduce(b, op, ReduceKind::Sum); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_mean_or_sum(b, op, true); },
    .ref_float = ref_float<ReduceKind::Sum>,
    .ref_int = ref_int<ReduceKind::Sum>,
    .ref_grad = ref_grad<ReduceKind::Sum>,
};

const OpDesc kReduceMax = {
    .type = OpType::ReduceMax,
    .name = "REDUCE_MAX",
    .builtin = (int)tflite::BuiltinOperator::REDUCE_MAX,
    .traits = {.equalize_through = equalize_through, .output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = [](BuildContext& b, const Op& op) { return make_reduce(b, op, ReduceKind::Max); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_reduce(b, op, ReduceKind::Max); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_reduce(b, op, ReduceKind::Max); },
    .ref_float = ref_float<ReduceKind::Max>,
    .ref_int = ref_int<ReduceKind::Max>,
    .ref_grad = ref_grad<ReduceKind::Max>,
};

const OpDesc kReduceMin = {
    .type = OpType::ReduceMin,
    .name = "REDUCE_MIN",
    .builtin = (int)tflite::BuiltinOperator::REDUCE_MIN,
    .traits = {.equalize_through = equalize_through, .output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = [](BuildContext& b, const Op& op) { return make_reduce(b, op, ReduceKind::Min); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_reduce(b, op, ReduceKind::Min); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_reduce(b, op, ReduceKind::Min); },
    .ref_float = ref_float<ReduceKind::Min>,
    .ref_int = ref_int<ReduceKind::Min>,
    .ref_grad = ref_grad<ReduceKind::Min>,
};

// Product scaling is not per-channel-linear (x^n), so it does not commute with equalization.
const OpDesc kReduceProd = {
    .type = OpType::ReduceProd,
    .name = "REDUCE_PROD",
    .builtin = (int)tflite::BuiltinOperator::REDUCE_PROD,
    .traits = {},
    .read = read,
    .write = write,
    .infer = infer,
    .make_float = [](BuildContext& b, const Op& op) { return make_reduce(b, op, ReduceKind::Prod); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_reduce(b, op, ReduceKind::Prod); },
    .ref_float = ref_float<ReduceKind::Prod>,
    .ref_grad = ref_grad<ReduceKind::Prod>,
};

}  // namespace tare::ops
