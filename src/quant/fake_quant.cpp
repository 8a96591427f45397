// The fake-quant float graph of a quantized graph (see fake_quant.h).
#include "quant/fake_quant.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "common/error.h"
#include "model/constants.h"

namespace tare::quant {

namespace {

bool is_act8(const Tensor& t) { return !t.is_const && (t.dtype == DType::I8 || t.dtype == DType::U8); }

std::string label(const Graph& g, int t) {
  return "fake_quant_graph: tensor " + std::to_string(t) + " ('" + g.tensors[t].name + "')";
}

// A constant's real values as float32 bytes, or false if it stays as it is (float32, or integers without
// quantization parameters such as shapes and paddings).
bool dequantize_constant(const Graph& g, int index, Tensor& t) {
  const Tensor& src = g.tensors[index];
  if (src.dtype == DType::F32) return false;
  const bool int_type = src.dtype == DType::I8 || src.dtype == DType::U8 || src.dtype == DType::I16 ||
                        src.dtype == DType::I32 || src.dtype == DType::I64;
  if (src.dtype != DType::F16 && (!int_type || !src.quant.quantized())) return false;
  std::vector<float> v;
  try {
    v = constant_to_float(src);
  } catch (const Error& e) {
    fail(e.status(), label(g, index) + ": " + e.what());
  }
  t.dtype = DType::F32;
  t.quant = QuantParams{};
  t.data.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
  return true;
}

// FAKE_QUANT parameters of an 8-bit activation tensor.
OpParams fq_params(const Graph& g, int index) {
  const Tensor& t = g.tensors[index];
  const QuantParams& q = t.quant;
  TARE_CHECK(q.scale.size() == 1, TARE_ERROR_UNSUPPORTED,
             label(g, index) + ": an 8-bit activation needs one (per-tensor) scale, has " +
                 std::to_string(q.scale.size()));
  TARE_CHECK(q.zero_point.size() <= 1, TARE_ERROR_INVALID_MODEL, label(g, index) + ": several zero points");
  OpParams p;
  p.fq_scale = q.scale[0];
  p.fq_qmin = t.dtype == DType::U8 ? 0 : -128;
  p.fq_qmax = t.dtype == DType::U8 ? 255 : 127;
  const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[0];
  TARE_CHECK(p.fq_scale > 0.0f && std::isnormal(p.fq_scale), TARE_ERROR_INVALID_MODEL,
             label(g, index) + ": the scale must be a positive normal float");
  TARE_CHECK(zp >= p.fq_qmin && zp <= p.fq_qmax, TARE_ERROR_INVALID_MODEL,
             label(g, index) + ": zero point " + std::to_string(zp) + " outside the type's range");
  p.fq_zero_point = (int)zp;
  return p;
}

}  // namespace

Graph fake_quant_graph(const Graph& q, FakeQuantMap* map) {
  const int nq = (int)q.tensors.size();
  auto valid = [&](int t) { return t >= 0 && t < nq; };
  for (int t : q.inputs) TARE_CHECK(valid(t), TARE_ERROR_INVALID_MODEL, "fake_quant_graph: bad graph input index");
  for (int t : q.outputs) TARE_CHECK(valid(t), TARE_ERROR_INVALID_MODEL, "fake_quant_graph: bad graph output index");

  // Tensors 0..nq-1 of the new graph stand for the same tensors of `q` (compacted at the end).
  Graph g;
  g.description = q.description;
  g.tensors = q.tensors;
  for (int i = 0; i < nq; i++) {
    Tensor& t = g.tensors[i];
    if (t.is_const) {
      dequantize_constant(q, i, t);
    } else if (is_act8(t)) {
      fq_params(q, i);  // validates the parameters early
      t.dtype = DType::F32;
      t.quant = QuantParams{};
    } else if (t.dtype == DType::F32) {
      t.quant = QuantParams{};
    }  // other activation types only matter when something refers to them (check_float below)
  }
  // Every activation an operator or the graph refers to must now be float32 (tensors past nq are new float ones).
  auto check_float = [&](int t) {
    TARE_CHECK(g.tensors[t].dtype == DType::F32 || g.tensors[t].is_const, TARE_ERROR_UNSUPPORTED,
               label(g, t) + ": " + dtype_name(g.tensors[t].dtype) + " activations are not supported");
  };

  std::vector<int> value(nq);  // the tensor of `g` that holds the real value of tensor i of `q`
  std::iota(value.begin(), value.end(), 0);
  std::vector<int> op_source;
  auto new_tensor = [&](int like, const std::string& suffix) {
    Tensor t;
    t.name = q.tensors[like].name + suffix;
    t.dtype = DType::F32;
    t.shape = q.tensors[like].shape;
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  };
  auto add_fq = [&](int in, int out, int source, int source_index) {
    Op o;
    o.type = OpType::FakeQuant;
    o.inputs = {in};
    o.outputs = {out};
    o.params = fq_params(q, source);
    o.source_index = source_index;
    g.ops.push_back(std::move(o));
    op_source.push_back(source);
  };

  g.inputs = q.inputs;
  for (int t : q.inputs) {
    check_float(t);
    if (!is_act8(q.tensors[t]) || value[t] != t) continue;
    const int fq = new_tensor(t, "/fake_quant");
    add_fq(t, fq, t, -1);
    value[t] = fq;
  }

  for (size_t k = 0; k < q.ops.size(); k++) {
    const Op& src = q.ops[k];
    const std::string where = "fake_quant_graph: operator " +
                              std::to_string(src.source_index >= 0 ? src.source_index : (int)k) + " (" +
                              op_name(src.type) + "): ";
    for (int t : src.inputs) TARE_CHECK(t == -1 || valid(t), TARE_ERROR_INVALID_MODEL, where + "bad input index");
    for (int t : src.outputs) TARE_CHECK(valid(t), TARE_ERROR_INVALID_MODEL, where + "bad output index");
    TARE_CHECK(src.type != OpType::FakeQuant, TARE_ERROR_INVALID_ARGUMENT,
               where + "the graph is already a fake-quant graph");
    Op op = src;
    for (int& t : op.inputs)
      if (t >= 0) t = value[t];
    if (src.type == OpType::Dequantize) {
      TARE_CHECK(op.inputs.size() == 1 && op.inputs[0] >= 0 && src.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
                 where + "expects 1 input and 1 output");
      check_float(op.inputs[0]);
      value[src.outputs[0]] = op.inputs[0];
      continue;
    }
    for (int t : op.inputs)
      if (t >= 0) check_float(t);
    if (src.type == OpType::Quantize) {
      TARE_CHECK(op.inputs.size() == 1 && op.inputs[0] >= 0 && src.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
                 where + "expects 1 input and 1 output");
      const int out = src.outputs[0];
      TARE_CHECK(is_act8(q.tensors[out]), TARE_ERROR_UNSUPPORTED,
                 where + "output type " + dtype_name(q.tensors[out].dtype) + " is not supported (int8, uint8)");
      add_fq(op.inputs[0], out, out, src.source_index);
      continue;
    }
    std::vector<int> fq_outputs;
    for (int& t : op.outputs) {
      if (is_act8(q.tensors[t])) {
        fq_outputs.push_back(t);
        t = new_tensor(t, "/float");
      } else {
        check_float(t);
      }
    }
    g.ops.push_back(op);
    op_source.push_back(-1);
    for (size_t i = 0, j = 0; i < src.outputs.size(); i++) {
      if (j < fq_outputs.size() && src.outputs[i] == fq_outputs[j]) {
        add_fq(op.outputs[i], src.outputs[i], src.outputs[i], src.source_index);
        j++;
      }
    }
  }
  g.outputs.clear();
  for (int t : q.outputs) g.outputs.push_back(value[t]);

  // Drop the tensors nothing refers to any more.
  std::vector<int> remap = remove_unused_tensors(g);
  infer_shapes(g);

  if (map) {
    map->op_source = std::move(op_source);
    map->tensor.assign(nq, -1);
    for (int i = 0; i < nq; i++) map->tensor[i] = remap[value[i]];
  }
  return g;
}

}  // namespace tare::quant
