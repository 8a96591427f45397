// CPU reference executor: dispatch, constants and whole-graph evaluation.
#include "ref/reference.h"

#include <cstring>

#include "common/fp16.h"
#include "model/op_desc.h"
#include "ref/ref_ops.h"

namespace tare::ref {

namespace detail {

int64_t elements_of(const std::vector<int>& s) {
  int64_t n = 1;
  for (int d : s) n *= d;
  return n;
}

std::string OpContext::where() const {
  std::string s = std::string("reference ") + op_name(op_.type);
  if (op_.source_index >= 0) s += " (operator " + std::to_string(op_.source_index) + ")";
  return s;
}

void OpContext::fail(tare_status status, const std::string& msg) const { tare::fail(status, where() + ": " + msg); }

const Tensor& OpContext::input_tensor(size_t i) const {
  if (!has_input(i)) fail(TARE_ERROR_INVALID_MODEL, "missing input " + std::to_string(i));
  int t = op_.inputs[i];
  if (t >= (int)g_.tensors.size()) fail(TARE_ERROR_INVALID_MODEL, "input tensor index out of range");
  return g_.tensors[t];
}

const std::vector<float>& OpContext::in(size_t i) const {
  const Tensor& t = input_tensor(i);
  for (int d : t.shape)
    if (d < 0) fail(TARE_ERROR_INVALID_MODEL, "input '" + t.name + "' has negative dimension " + shape_str(t.shape));
  const std::vector<float>& v = values_[op_.inputs[i]];
  if ((int64_t)v.size() != t.elements())
    fail(TARE_ERROR_INVALID_ARGUMENT, "input '" + t.name + "' " + shape_str(t.shape) + " holds " +
                                          std::to_string(v.size()) + " values (not computed or wrong size)");
  return v;
}

std::vector<float>& OpContext::out(size_t i, const std::vector<int>& shape) {
  if (i >= op_.outputs.size() || op_.outputs[i] < 0 || op_.outputs[i] >= (int)g_.tensors.size())
    fail(TARE_ERROR_INVALID_MODEL, "missing output " + std::to_string(i));
  const Tensor& t = g_.tensors[op_.outputs[i]];
  for (int input : op_.inputs)
    if (input == op_.outputs[i]) fail(TARE_ERROR_INVALID_MODEL, "output '" + t.name + "' is also an input");
  if (t.shape != shape)
    fail(TARE_ERROR_INVALID_MODEL, "output '" + t.name + "' computed shape " + shape_str(shape) +
                                       " but the graph declares " + shape_str(t.shape));
  for (int d : shape)
    if (d < 0) fail(TARE_ERROR_INVALID_MODEL, "negative output dimension " + shape_str(shape));
  std::vector<float>& v = values_[op_.outputs[i]];
  v.assign((size_t)elements_of(shape), 0.0f);
  return v;
}

void OpContext::require_inputs(size_t min_count) const {
  for (size_t i = 0; i < min_count; i++)
    if (!has_input(i)) fail(TARE_ERROR_INVALID_MODEL, "needs " + std::to_string(min_count) + " inputs");
  if (op_.outputs.empty()) fail(TARE_ERROR_INVALID_MODEL, "has no output");
}

void OpContext::require_rank(size_t input, size_t rank) const {
  const Tensor& t = input_tensor(input);
  if (t.shape.size() != rank)
    fail(TARE_ERROR_UNSUPPORTED, "input " + std::to_string(input) + " '" + t.name + "' has shape " +
                                     shape_str(t.shape) + ", expected rank " + std::to_string(rank));
}

void check_activation(const OpContext& c) {
  int a = (int)c.params().activation;
  if (a < 0 || a > 3) c.fail(TARE_ERROR_UNSUPPORTED, "unknown fused activation " + std::to_string(a));
}

}  // namespace detail

namespace {

template <typename T>
T load(const uint8_t* p, int64_t i) {
  T v;
  std::memcpy(&v, p + i * (int64_t)sizeof(T), sizeof(T));
  return v;
}

double raw_int(const Tensor& t, int64_t i) {
  const uint8_t* p = t.data.data();
  switch (t.dtype) {
    case DType::I32: return load<int32_t>(p, i);
    case DType::U8: return load<uint8_t>(p, i);
    case DType::I8: return load<int8_t>(p, i);
    case DType::I64: return (double)load<int64_t>(p, i);
    case DType::I16: return load<int16_t>(p, i);
    case DType::Bool: return load<uint8_t>(p, i) ? 1 : 0;
    default: return 0;
  }
}

std::vector<float> constant_to_float(const Tensor& t) {
  const int64_t n = t.elements();
  if (n < 0) fail(TARE_ERROR_INVALID_MODEL, "reference: constant '" + t.name + "' has a negative dimension");
  if (t.data.size() != (size_t)n * dtype_size(t.dtype))
    fail(TARE_ERROR_INVALID_MODEL, "reference: constant '" + t.name + "' holds " + std::to_string(t.data.size()) +
                                       " bytes, its shape " + shape_str(t.shape) + " needs " +
                                       std::to_string((size_t)n * dtype_size(t.dtype)));
  std::vector<float> v((size_t)n);
  if (t.dtype == DType::F32) {
    if (n) std::memcpy(v.data(), t.data.data(), (size_t)n * 4);
    return v;
  }
  if (t.dtype == DType::F16) {
    for (int64_t i = 0; i < n; i++) v[i] = half_to_float(load<uint16_t>(t.data.data(), i));
    return v;
  }
  if (t.dtype != DType::I32 && t.dtype != DType::U8 && t.dtype != DType::I8 && t.dtype != DType::I64 &&
      t.dtype != DType::I16 && t.dtype != DType::Bool)
    fail(TARE_ERROR_UNSUPPORTED, std::string("reference: constant '") + t.name + "' has type " + dtype_name(t.dtype));
  const QuantParams& q = t.quant;
  if (!q.quantized()) {
    for (int64_t i = 0; i < n; i++) v[i] = (float)raw_int(t, i);
    return v;
  }
  if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size())
    fail(TARE_ERROR_INVALID_MODEL, "reference: constant '" + t.name + "' has mismatched scale/zero_point counts");
  if (q.scale.size() == 1) {
    const float scale = q.scale[0];
    const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[0];
    for (int64_t i = 0; i < n; i++) v[i] = (float)((int64_t)raw_int(t, i) - zp) * scale;
    return v;
  }
  // Per-channel along q.axis.
  if (q.axis < 0 || q.axis >= (int)t.shape.size() || (size_t)t.shape[q.axis] != q.scale.size())
    fail(TARE_ERROR_INVALID_MODEL, "reference: constant '" + t.name + "' has " + std::to_string(q.scale.size()) +
                                       " scales for axis " + std::to_string(q.axis) + " of shape " +
                                       shape_str(t.shape));
  int64_t inner = 1;
  for (size_t d = q.axis + 1; d < t.shape.size(); d++) inner *= t.shape[d];
  const int64_t channels = t.shape[q.axis];
  for (int64_t i = 0; i < n; i++) {
    const int64_t ch = (i / inner) % channels;
    const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[ch];
    v[i] = (float)((int64_t)raw_int(t, i) - zp) * q.scale[ch];
  }
  return v;
}

}  // namespace

Values constant_values(const Graph& g) {
  Values v(g.tensors.size());
  for (size_t i = 0; i < g.tensors.size(); i++)
    if (g.tensors[i].is_const) v[i] = constant_to_float(g.tensors[i]);
  return v;
}

void eval_op(const Graph& g, const Op& op, Values& values) {
  if (values.size() != g.tensors.size())
    fail(TARE_ERROR_INVALID_ARGUMENT, "reference: the value table does not match the graph's tensor count");
  detail::OpContext c(g, op, values);
  const auto rule = op_desc(op.type).ref_float;
  if (!rule) fail(TARE_ERROR_UNSUPPORTED, std::string("reference: ") + op_name(op.type) + " has no float reference");
  rule(c);
}

Values run(const Graph& g, const std::vector<std::vector<float>>& inputs) {
  if (inputs.size() != g.inputs.size())
    fail(TARE_ERROR_INVALID_ARGUMENT, "reference: the graph has " + std::to_string(g.inputs.size()) + " inputs, got " +
                                          std::to_string(inputs.size()));
  Values values = constant_values(g);
  for (size_t i = 0; i < inputs.size(); i++) {
    int t = g.inputs[i];
    if (t < 0 || t >= (int)g.tensors.size()) fail(TARE_ERROR_INVALID_MODEL, "reference: bad graph input index");
    if ((int64_t)inputs[i].size() != g.tensors[t].elements())
      fail(TARE_ERROR_INVALID_ARGUMENT, "reference: input " + std::to_string(i) + " '" + g.tensors[t].name + "' " +
                                            shape_str(g.tensors[t].shape) + " needs " +
                                            std::to_string(g.tensors[t].elements()) + " values, got " +
                                            std::to_string(inputs[i].size()));
    values[t] = inputs[i];
  }
  for (const Op& op : g.ops) eval_op(g, op, values);
  return values;
}

}  // namespace tare::ref
