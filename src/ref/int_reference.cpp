// Integer CPU reference executor: dispatch, tensor access, graph evaluation and the data-movement operators.
// The arithmetic operators live in int_kernels.cpp.
#include "ref/int_reference.h"

#include <cstring>

#include "model/op_desc.h"
#include "ref/int_ops.h"
#include "ref/reference.h"

namespace tare::ref {

namespace intd {

std::string IntCtx::where() const {
  std::string s = std::string("integer reference ") + op_name(op.type);
  if (op.source_index >= 0) s += " (operator " + std::to_string(op.source_index) + ")";
  return s;
}

void IntCtx::fail(tare_status status, const std::string& msg) const { tare::fail(status, where() + ": " + msg); }

const Tensor& IntCtx::in_tensor(size_t i) const {
  if (!has_input(i)) fail(TARE_ERROR_INVALID_MODEL, "missing input " + std::to_string(i));
  if (op.inputs[i] >= (int)g.tensors.size()) fail(TARE_ERROR_INVALID_MODEL, "input tensor index out of range");
  return g.tensors[op.inputs[i]];
}

const Tensor& IntCtx::out_tensor(size_t i) const {
  if (i >= op.outputs.size() || op.outputs[i] < 0 || op.outputs[i] >= (int)g.tensors.size())
    fail(TARE_ERROR_INVALID_MODEL, "missing output " + std::to_string(i));
  return g.tensors[op.outputs[i]];
}

const uint8_t* IntCtx::in_bytes(size_t i) const {
  const Tensor& t = in_tensor(i);
  const std::vector<uint8_t>& v = t.is_const && tensors[op.inputs[i]].empty() ? t.data : tensors[op.inputs[i]];
  if (v.size() != t.bytes())
    fail(TARE_ERROR_INVALID_ARGUMENT, "input '" + t.name + "' holds " + std::to_string(v.size()) + " bytes, expected " +
                                          std::to_string(t.bytes()) + " (not computed or wrong size)");
  return v.data();
}

uint8_t* IntCtx::out_bytes(size_t i) const {
  const Tensor& t = out_tensor(i);
  for (int input : op.inputs)
    if (input == op.outputs[i]) fail(TARE_ERROR_INVALID_MODEL, "output '" + t.name + "' is also an input");
  for (int d : t.shape)
    if (d < 0) fail(TARE_ERROR_INVALID_MODEL, "output '" + t.name + "' has a negative dimension");
  std::vector<uint8_t>& v = tensors[op.outputs[i]];
  v.assign(t.bytes(), 0);
  return v.data();
}

QView IntCtx::in_q(size_t i) const {
  const Tensor& t = in_tensor(i);
  QView q = make_qview(t, in_bytes(i));
  return q;
}

QView IntCtx::make_qview(const Tensor& t, const uint8_t* p) const {
  QView q;
  q.dtype = t.dtype;
  q.p = p;
  if (t.dtype != DType::I8 && t.dtype != DType::U8)
    fail(TARE_ERROR_UNSUPPORTED,
         std::string("tensor '") + t.name + "' is " + dtype_name(t.dtype) + ", expected INT8 or UINT8");
  if (!t.quant.quantized()) fail(TARE_ERROR_INVALID_MODEL, "tensor '" + t.name + "' has no quantization parameters");
  q.scale = t.quant.scale[0];
  q.zp = t.quant.zero_point.empty() ? 0 : (int32_t)t.quant.zero_point[0];
  if (!(q.scale > 0.0f) || !std::isfinite(q.scale))
    fail(TARE_ERROR_INVALID_MODEL, "tensor '" + t.name + "' has scale " + std::to_string(q.scale));
  qrange(t.dtype, &q.qmin, &q.qmax);
  return q;
}

QView IntCtx::out_q(size_t i) const {
  const Tensor& t = out_tensor(i);
  return make_qview(t, out_bytes(i));
}

void qrange(DType t, int32_t* qmin, int32_t* qmax) {
  if (t == DType::I8) {
    *qmin = -128;
    *qmax = 127;
  } else {
    *qmin = 0;
    *qmax = 255;
  }
}

int activation_code(Activation a) {
  switch (a) {
    case Activation::None: return 0;
    case Activation::Relu: return 1;
    case Activation::ReluN1To1: return 2;
    case Activation::Relu6: return 3;
  }
  return -1;
}

void fused_range(const IntCtx& c, const QView& out, int32_t* lo, int32_t* hi) {
  int a = activation_code(c.op.params.activation);
  if (a < 0) c.fail(TARE_ERROR_INVALID_MODEL, "invalid fused activation");
  quant::activation_range(a, out.scale, out.zp, out.qmin, out.qmax, lo, hi);
}

void copy_op(IntCtx& c) {
  const Tensor& in = c.in_tensor(0);
  const Tensor& out = c.out_tensor(0);
  if (in.bytes() != out.bytes() || in.dtype != out.dtype)
    c.fail(TARE_ERROR_INVALID_MODEL, "input and output differ in size or type");
  const uint8_t* src = c.in_bytes(0);
  uint8_t* dst = c.out_bytes(0);
  std::memcpy(dst, src, in.bytes());
}

// QUANTIZE: float -> int (TFLite's AffineQuantize: round(x / scale) + zero_point in float arithmetic, clamped) or
// int -> int (TFLite's Requantize with multiplier double(in_scale) / double(out_scale)).
void quantize_op(IntCtx& c) {
  const Tensor& in = c.in_tensor(0);
  if (in.dtype == DType::F32) {
    const float* x = reinterpret_cast<const float*>(c.in_bytes(0));
    QView out = c.out_q(0);
    if (c.out_tensor(0).quant.scale.size() > 1) c.fail(TARE_ERROR_UNSUPPORTED, "per-channel QUANTIZE output");
    const int64_t n = c.out_tensor(0).elements();
    if (n != in.elements()) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
    for (int64_t i = 0; i < n; i++) {
      float xi;
      std::memcpy(&xi, x + i, 4);
      // TFLite's AffineQuantize divides in double (QuantizationParams::scale is a double): measured against
      // TFLite itself, float32 division differs on the ties of images' k/127.5 - 1 values.
      const double r = std::round((double)xi / (double)out.scale);
      int32_t v;
      if (!(r > -2147483648.0)) v = std::numeric_limits<int32_t>::min();  // also NaN
      else if (r > 2147483647.0) v = std::numeric_limits<int32_t>::max();
      else v = (int32_t)r;
      v = (int32_t)std::clamp<int64_t>((int64_t)v + out.zp, out.qmin, out.qmax);
      out.set(i, v);
    }
    return;
  }
  QView x = c.in_q(0);
  QView out = c.out_q(0);
  const int64_t n = c.out_tensor(0).elements();
  if (n != in.elements()) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
  const quant::QuantizedMultiplier m = quant::quantize_multiplier((double)x.scale / (double)out.scale);
  for (int64_t i = 0; i < n; i++) {
    int32_t v = quant::multiply_by_quantized_multiplier(x.at(i) - x.zp, m) + out.zp;
    out.set(i, std::clamp(v, out.qmin, out.qmax));
  }
}

// DEQUANTIZE: float(double(scale) * (q - zero_point)), per channel along quant.axis when the input has several scales.
void dequantize_op(IntCtx& c) {
  const Tensor& in = c.in_tensor(0);
  const Tensor& out_t = c.out_tensor(0);
  if (out_t.dtype != DType::F32) c.fail(TARE_ERROR_UNSUPPORTED, "DEQUANTIZE output must be FLOAT32");
  if (out_t.elements() != in.elements()) c.fail(TARE_ERROR_INVALID_MODEL, "input and output sizes differ");
  if (in.dtype == DType::F32) {
    copy_op(c);
    return;
  }
  QView x = c.in_q(0);
  float* y = reinterpret_cast<float*>(c.out_bytes(0));
  const size_t nscale = in.quant.scale.size();
  int64_t inner = 1, axis_n = 1;
  if (nscale > 1) {
    const int axis = in.quant.axis;
    if (axis < 0 || axis >= (int)in.shape.size() || in.shape[axis] != (int)nscale)
      c.fail(TARE_ERROR_INVALID_MODEL, "per-channel scales do not match the quantized dimension");
    for (size_t d = axis + 1; d < in.shape.size(); d++) inner *= in.shape[d];
    axis_n = in.shape[axis];
  }
  for (int64_t i = 0; i < in.elements(); i++) {
    const size_t ch = nscale > 1 ? (size_t)((i / inner) % axis_n) : 0;
    const double s = in.quant.scale[ch];
    const int32_t zp = in.quant.zero_point.size() > ch ? (int32_t)in.quant.zero_point[ch] : 0;
    const float v = (float)(s * (double)(x.at(i) - zp));
    std::memcpy(y + i, &v, 4);
  }
}

}  // namespace intd

namespace {

using namespace intd;

bool is_float_op(const IntCtx& c) {
  if (c.op.type == OpType::Quantize || c.op.type == OpType::Dequantize) return false;
  for (size_t i = 0; i < c.op.inputs.size(); i++) {
    if (!c.has_input(i)) continue;
    const Tensor& t = c.in_tensor(i);
    if (!t.is_const && t.dtype == DType::F32) return true;
  }
  return false;
}

// A float operator inside an integer graph: runs through the float reference.
void float_op(IntCtx& c, Values* float_constants) {
  Values local;
  if (!float_constants) {
    local = constant_values(c.g);
    float_constants = &local;
  }
  Values& v = *float_constants;
  for (size_t i = 0; i < c.op.inputs.size(); i++) {
    if (!c.has_input(i)) continue;
    const Tensor& t = c.in_tensor(i);
    if (t.is_const) continue;
    if (t.dtype != DType::F32)
      c.fail(TARE_ERROR_UNSUPPORTED, "mixes float and " + std::string(dtype_name(t.dtype)) + " inputs");
    const uint8_t* p = c.in_bytes(i);
    v[c.op.inputs[i]].resize((size_t)t.elements());
    std::memcpy(v[c.op.inputs[i]].data(), p, t.bytes());
  }
  eval_op(c.g, c.op, v);
  for (size_t o = 0; o < c.op.outputs.size(); o++) {
    const Tensor& t = c.out_tensor(o);
    if (t.dtype != DType::F32) c.fail(TARE_ERROR_UNSUPPORTED, "float input with a non-float output");
    uint8_t* dst = c.out_bytes(o);
    std::memcpy(dst, v[c.op.outputs[o]].data(), t.bytes());
  }
  for (size_t i = 0; i < c.op.inputs.size(); i++)  // keep the cache to constants only
    if (c.has_input(i) && !c.in_tensor(i).is_const) v[c.op.inputs[i]].clear();
  for (int o : c.op.outputs) v[o].clear();
}

void eval(const Graph& g, const Op& op, RawTensors& tensors, Values* float_constants) {
  IntCtx c{g, op, tensors};
  if (is_float_op(c)) {
    float_op(c, float_constants);
    return;
  }
  const auto rule = op_desc(op.type).ref_int;
  if (!rule) c.fail(TARE_ERROR_UNSUPPORTED, "operator not supported by the integer reference");
  rule(c);
}

}  // namespace

RawTensors run_int_all(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs) {
  if (inputs.size() != g.inputs.size())
    fail(TARE_ERROR_INVALID_ARGUMENT, "integer reference: " + std::to_string(inputs.size()) +
                                          " inputs given, graph has " + std::to_string(g.inputs.size()));
  RawTensors t(g.tensors.size());
  for (size_t i = 0; i < inputs.size(); i++) {
    const Tensor& gt = g.tensors[g.inputs[i]];
    if (inputs[i].size() != gt.bytes())
      fail(TARE_ERROR_INVALID_ARGUMENT, "integer reference: input " + std::to_string(i) + " ('" + gt.name + "') has " +
                                            std::to_string(inputs[i].size()) + " bytes, expected " +
                                            std::to_string(gt.bytes()));
    t[g.inputs[i]] = inputs[i];
  }
  bool any_float = false;
  for (const Op& op : g.ops) {
    for (int i : op.inputs)
      if (i >= 0 && i < (int)g.tensors.size() && !g.tensors[i].is_const && g.tensors[i].dtype == DType::F32 &&
          op.type != OpType::Quantize)
        any_float = true;
  }
  Values float_constants;
  if (any_float) float_constants = constant_values(g);
  for (const Op& op : g.ops) eval(g, op, t, any_float ? &float_constants : nullptr);
  for (size_t i = 0; i < g.tensors.size(); i++)
    if (g.tensors[i].is_const && t[i].empty()) t[i] = g.tensors[i].data;
  return t;
}

std::vector<std::vector<uint8_t>> run_int(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs) {
  RawTensors t = run_int_all(g, inputs);
  std::vector<std::vector<uint8_t>> out;
  for (int o : g.outputs) {
    if (o < 0 || o >= (int)t.size()) fail(TARE_ERROR_INVALID_MODEL, "integer reference: bad graph output index");
    out.push_back(std::move(t[o]));
  }
  return out;
}

}  // namespace tare::ref
