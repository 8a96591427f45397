// CPU reference: the binary family (numpy broadcasting), SOFTMAX, LOGISTIC, RELU, RELU6, HARD_SWISH, DEQUANTIZE, FAKE_QUANT.
#include <cmath>
#include <limits>

#include "ref/ref_ops.h"

namespace tare::ref::detail {

void binary(OpContext& c, float (*f)(float a, float b)) {
  c.require_inputs(2);
  check_activation(c);
  constexpr size_t kMaxRank = 6;
  const std::vector<int>& sa = c.in_shape(0);
  const std::vector<int>& sb = c.in_shape(1);
  const size_t rank = std::max(sa.size(), sb.size());
  if (rank > kMaxRank) c.fail(TARE_ERROR_UNSUPPORTED, "rank above 6");
  // Align the shapes at their last dimension (numpy rules); a dimension of 1 broadcasts.
  std::vector<int> da(rank, 1), db(rank, 1), dout(rank);
  std::copy(sa.begin(), sa.end(), da.begin() + (rank - sa.size()));
  std::copy(sb.begin(), sb.end(), db.begin() + (rank - sb.size()));
  for (size_t k = 0; k < rank; k++) {
    if (da[k] == db[k] || db[k] == 1) {
      dout[k] = da[k];
    } else if (da[k] == 1) {
      dout[k] = db[k];
    } else {
      c.fail(TARE_ERROR_INVALID_MODEL, "shapes " + shape_str(sa) + " and " + shape_str(sb) + " do not broadcast");
    }
  }
  const std::vector<float>& a = c.in(0);
  const std::vector<float>& b = c.in(1);
  std::vector<float>& out = c.out(0, dout);
  const Activation act = c.params().activation;
  if (sa == sb) {
    for (size_t i = 0; i < out.size(); i++) out[i] = apply_activation(f(a[i], b[i]), act);
    return;
  }
  // Element strides of each input per output dimension (0 where it broadcasts).
  const std::vector<int64_t> st_a = broadcast_strides(da), st_b = broadcast_strides(db);
  std::vector<int> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (size_t i = 0; i < out.size(); i++) {
    out[i] = apply_activation(f(a[ia], b[ib]), act);
    // Odometer increment of the output index, updating both input offsets.
    for (size_t k = rank; k-- > 0;) {
      idx[k]++;
      ia += st_a[k];
      ib += st_b[k];
      if (idx[k] < dout[k]) break;
      ia -= st_a[k] * idx[k];
      ib -= st_b[k] * idx[k];
      idx[k] = 0;
    }
  }
}

void softmax(OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& s = c.in_shape(0);
  if (s.empty()) c.fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, s);
  const int depth = s.back();
  if (depth == 0) return;
  const float beta = c.params().beta;
  const size_t rows = in.size() / (size_t)depth;
  for (size_t r = 0; r < rows; r++) {
    const float* x = &in[r * depth];
    float* y = &out[r * depth];
    float mx = std::numeric_limits<float>::lowest();
    for (int i = 0; i < depth; i++) mx = std::max(mx, x[i]);
    float sum = 0.0f;
    for (int i = 0; i < depth; i++) {
      y[i] = std::exp((x[i] - mx) * beta);
      sum += y[i];
    }
    for (int i = 0; i < depth; i++) y[i] = y[i] / sum;
  }
}

void unary(OpContext& c, float (*f)(float)) {
  c.require_inputs(1);
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, c.in_shape(0));
  for (size_t i = 0; i < in.size(); i++) out[i] = f(in[i]);
}

// Constants (and float16/float32 tensors) already hold their real values: DEQUANTIZE copies them.  A non-constant
// quantized integer tensor holds its integer values as floats: DEQUANTIZE applies (q - zero_point) * scale.
void dequantize(OpContext& c) {
  c.require_inputs(1);
  const Tensor& t = c.input_tensor(0);
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, t.shape);
  const QuantParams& q = t.quant;
  if (t.is_const || t.dtype == DType::F16 || t.dtype == DType::F32 || !q.quantized()) {
    out = in;
    return;
  }
  if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size())
    c.fail(TARE_ERROR_INVALID_MODEL, "mismatched scale/zero_point counts");
  int64_t inner = 1, channels = 1;
  if (q.scale.size() > 1) {
    if (q.axis < 0 || q.axis >= (int)t.shape.size() || (size_t)t.shape[q.axis] != q.scale.size())
      c.fail(TARE_ERROR_INVALID_MODEL, "per-channel scales do not match the quantized axis");
    for (size_t d = q.axis + 1; d < t.shape.size(); d++) inner *= t.shape[d];
    channels = t.shape[q.axis];
  }
  for (size_t i = 0; i < in.size(); i++) {
    const size_t ch = (size_t)(((int64_t)i / inner) % channels);
    const float zp = q.zero_point.empty() ? 0.0f : (float)q.zero_point[ch];
    out[i] = (in[i] - zp) * q.scale[ch];
  }
}

float fake_quant_value(float x, float scale, int zero_point, int qmin, int qmax) {
  // x / scale in double, rounded half away from zero, as QUANTIZE (TFLite's AffineQuantize) does: that is the
  // rounding of the exact quotient (a float32 quotient is never within 2^-53 of a tie without being one).
  const double r = std::round((double)x / (double)scale);
  // r + zero_point is exact for every r that the clamp does not saturate.  NaN goes to qmin, as in QUANTIZE.
  double q = std::isnan(r) ? (double)qmin : r + zero_point;
  q = std::min(std::max(q, (double)qmin), (double)qmax);
  return (float)((int64_t)q - zero_point) * scale;
}

void fake_quant(OpContext& c) {
  c.require_inputs(1);
  const OpParams& p = c.params();
  if (!(p.fq_scale > 0) || !std::isnormal(p.fq_scale)) c.fail(TARE_ERROR_INVALID_MODEL, "invalid scale");
  if (p.fq_qmin > p.fq_qmax || p.fq_zero_point < p.fq_qmin || p.fq_zero_point > p.fq_qmax)
    c.fail(TARE_ERROR_INVALID_MODEL, "invalid quantization range or zero point");
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, c.in_shape(0));
  for (size_t i = 0; i < in.size(); i++)
    out[i] = fake_quant_value(apply_activation(in[i], p.activation), p.fq_scale, p.fq_zero_point, p.fq_qmin, p.fq_qmax);
}

}  // namespace tare::ref::detail
