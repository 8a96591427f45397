// Graph IR helpers: dtype/op names, TFLite window arithmetic and shape inference.
#include "model/graph.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "model/op_desc.h"
#include "model/op_shape.h"

namespace tare {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::I32: return 4;
    case DType::U8: return 1;
    case DType::I8: return 1;
    case DType::I64: return 8;
    case DType::I16: return 2;
    case DType::Bool: return 1;
  }
  fail(TARE_ERROR_INTERNAL, "dtype_size: unknown dtype " + std::to_string((int)t));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "FLOAT32";
    case DType::F16: return "FLOAT16";
    case DType::I32: return "INT32";
    case DType::U8: return "UINT8";
    case DType::I8: return "INT8";
    case DType::I64: return "INT64";
    case DType::I16: return "INT16";
    case DType::Bool: return "BOOL";
  }
  return "UNKNOWN";
}

const char* op_name(OpType t) { return op_desc(t).name; }

int conv_out_size(int in, int filter, int stride, int dilation, Padding padding) {
  if (stride < 1 || dilation < 1 || filter < 1 || in < 0) return 0;
  int64_t eff = (int64_t)(filter - 1) * dilation + 1;
  int64_t out;
  if (padding == Padding::Same) {
    out = ((int64_t)in + stride - 1) / stride;
  } else {
    int64_t num = (int64_t)in - eff + stride;
    out = num <= 0 ? 0 : num / stride;
  }
  return (int)out;
}

int conv_pad_before(int in, int filter, int stride, int dilation, Padding padding) {
  if (padding == Padding::Valid) return 0;
  int out = conv_out_size(in, filter, stride, dilation, padding);
  int64_t eff = (int64_t)(filter - 1) * dilation + 1;
  int64_t total = (int64_t)(out - 1) * stride + eff - in;
  if (total < 0) total = 0;
  return (int)(total / 2);
}

std::string shape_str(const std::vector<int>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); i++) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

void ShapeContext::err(const std::string& msg) const {
  int idx = op_.source_index >= 0 ? op_.source_index : (int)pos_;
  fail(TARE_ERROR_INVALID_MODEL, "operator " + std::to_string(idx) + " (" + op_name(op_.type) + "): " + msg);
}

void ShapeContext::need_inputs(size_t lo, size_t hi, size_t outputs) const {
  if (op_.inputs.size() < lo || op_.inputs.size() > hi) {
    err("expects " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
        " inputs, has " + std::to_string(op_.inputs.size()));
  }
  for (size_t i = 0; i < op_.inputs.size(); i++) {
    int t = op_.inputs[i];
    if (t == -1 && i >= lo) continue;  // omitted optional input
    if (t < 0 || (size_t)t >= g_.tensors.size()) err("input " + std::to_string(i) + " is not a valid tensor");
  }
  if (op_.outputs.size() != outputs)
    err("expects " + std::to_string(outputs) + " output" + (outputs == 1 ? "" : "s") + ", has " +
        std::to_string(op_.outputs.size()));
  for (size_t k = 0; k < outputs; k++)
    if (op_.outputs[k] < 0 || (size_t)op_.outputs[k] >= g_.tensors.size())
      err("output " + std::to_string(k) + " is not a valid tensor");
}

void ShapeContext::need_rank(size_t i, size_t rank, const char* what) const {
  if (in(i).size() != rank) {
    err(std::string(what) + " must have rank " + std::to_string(rank) + ", has shape " + shape_str(in(i)));
  }
}

void ShapeContext::set_out(size_t k, std::vector<int> s) const {
  int64_t n = 1;
  for (int d : s) {
    if (d < 0) err("negative output dimension in " + shape_str(s));
    if (d > 0 && n > kMaxElements / d) err("output shape " + shape_str(s) + " is too large");
    n *= d;
  }
  g_.tensors[op_.outputs.at(k)].shape = std::move(s);
}

void infer_same_shape(ShapeContext& s) {
  s.need_inputs(1, 1);
  s.set_out(s.in(0));
}

void infer_broadcast(ShapeContext& s) {
  s.need_inputs(2, 2);
  const auto& a = s.in(0);
  const auto& b = s.in(1);
  size_t r = std::max(a.size(), b.size());
  std::vector<int> o(r);
  for (size_t i = 0; i < r; i++) {
    int da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    int db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1) s.err("shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    o[i] = da == 1 ? db : da;
  }
  s.set_out(o);
}

void infer_shapes(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); i++) {
    ShapeContext s(g, g.ops[i], i);
    const OpDesc& d = op_desc(g.ops[i].type);
    if (!d.infer) s.err("unknown operator type");
    d.infer(s);
  }
}

int weighted_out_channels(const Graph& g, const Op& op) {
  const WeightLayout* w = op_traits(op.type).weights;
  TARE_CHECK(w && op.inputs.size() > 1 && op.inputs[1] >= 0, TARE_ERROR_INTERNAL,
             std::string(op_name(op.type)) + " has no weights");
  const Tensor& t = g.tensors[op.inputs[1]];
  TARE_CHECK((int)t.shape.size() > w->out_axis, TARE_ERROR_INVALID_MODEL, "weights without a shape");
  return t.shape[w->out_axis];
}

Graph with_batch(const Graph& g, int batch) {
  if (batch < 1) fail(TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1, got " + std::to_string(batch));
  Graph r = g;
  if (g.inputs.empty()) return r;
  int in0 = g.inputs[0];
  if (in0 < 0 || (size_t)in0 >= g.tensors.size() || g.tensors[in0].shape.empty()) {
    fail(TARE_ERROR_INVALID_ARGUMENT, "the graph's first input has no batch dimension");
  }
  int old_batch = g.tensors[in0].shape[0];
  for (int t : g.inputs) {
    if (t < 0 || (size_t)t >= g.tensors.size() || g.tensors[t].shape.empty()) {
      fail(TARE_ERROR_INVALID_ARGUMENT, "a graph input has no batch dimension");
    }
    r.tensors[t].shape[0] = batch;
  }
  // A RESHAPE whose requested shape spells the batch out (e.g. [1, 1001]) keeps following it.
  for (Op& op : r.ops) {
    if (op.type != OpType::Reshape || op.params.new_shape.empty() || op.params.new_shape[0] != old_batch) continue;
    if (op.inputs.empty() || op.outputs.empty() || op.inputs[0] < 0 || op.outputs[0] < 0) continue;
    if ((size_t)op.inputs[0] >= g.tensors.size() || (size_t)op.outputs[0] >= g.tensors.size()) continue;
    const auto& is = g.tensors[op.inputs[0]].shape;
    const auto& os = g.tensors[op.outputs[0]].shape;
    if (!is.empty() && !os.empty() && is[0] == old_batch && os[0] == old_batch) op.params.new_shape[0] = batch;
  }
  infer_shapes(r);
  return r;
}

}  // namespace tare
