// TensorFlow Lite import: FlatBuffers verification, semantic checks, op mapping, float16 constant folding,
// topological ordering and shape checking.
#include "model/tflite_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <queue>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "common/fp16.h"
#include "model/op_desc.h"
#include "model/tflite_ops.h"
#include "model/tflite_sparsity.h"

namespace tare {

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 40;

[[noreturn]] void invalid(const std::string& msg) { fail(TARE_ERROR_INVALID_MODEL, msg); }
[[noreturn]] void unsupported(const std::string& msg) { fail(TARE_ERROR_UNSUPPORTED, msg); }

std::string builtin_name(int32_t code) {
  const char* n = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(code));
  return (n && *n) ? std::string(n) : std::string("BUILTIN_") + std::to_string(code);
}

bool map_dtype(tflite::TensorType t, DType* out) {
  switch (t) {
    case tflite::TensorType::FLOAT32: *out = DType::F32; return true;
    case tflite::TensorType::FLOAT16: *out = DType::F16; return true;
    case tflite::TensorType::INT32: *out = DType::I32; return true;
    case tflite::TensorType::UINT8: *out = DType::U8; return true;
    case tflite::TensorType::INT8: *out = DType::I8; return true;
    case tflite::TensorType::INT64: *out = DType::I64; return true;
    default: return false;
  }
}

// The zero points a tensor of type `t` can hold.  The kernels compute in 32 bits, so wider types (and float tensors
// that carry parameters) are limited to int32.
std::pair<int64_t, int64_t> zero_point_range(DType t) {
  switch (t) {
    case DType::I8: return {-128, 127};
    case DType::U8: return {0, 255};
    case DType::I16: return {-32768, 32767};
    default: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  }
}

struct OpCodeInfo {
  int32_t builtin = 0;
  std::string custom;
};

class Importer {
 public:
  Importer(const uint8_t* file, size_t file_size) : file_(file), file_size_(file_size) {}

  Graph run() {
    model_ = tflite::GetModel(file_);
    if (model_->version() != 3) {
      unsupported("TFLite schema version " + std::to_string(model_->version()) + " is not supported (expected 3)");
    }
    auto subgraphs = model_->subgraphs();
    if (!subgraphs || subgraphs->size() == 0) invalid("the model has no subgraph");
    // As TFLite's Invoke, subgraph 0 is the model; the others only matter to control flow, refused in read_ops.
    subgraph_count_ = subgraphs->size();
    sg_ = subgraphs->Get(0);
    if (!sg_) invalid("subgraph 0 is missing");
    if (model_->description()) g_.description = model_->description()->str();
    read_opcodes();
    read_tensors();
    read_io();
    read_ops();
    fold_fp16_dequantize();
    fuse_concatenation_activations();
    sort_ops();
    check_shapes();
    return std::move(g_);
  }

 private:
  // ---- op codes ----------------------------------------------------------------------------------------------
  void read_opcodes() {
    auto codes = model_->operator_codes();
    if (!codes) return;
    for (flatbuffers::uoffset_t i = 0; i < codes->size(); i++) {
      auto c = codes->Get(i);
      OpCodeInfo info;
      if (c) {
        info.builtin = std::max<int32_t>(c->deprecated_builtin_code(), static_cast<int32_t>(c->builtin_code()));
        if (c->custom_code()) info.custom = c->custom_code()->str();
      }
      opcodes_.push_back(info);
    }
  }

  // ---- tensors -----------------------------------------------------------------------------------------------
  std::string tensor_label(size_t i) const {
    return "tensor " + std::to_string(i) + " ('" + (i < g_.tensors.size() ? g_.tensors[i].name : "") + "')";
  }

  void read_tensors() {
    auto ts = sg_->tensors();
    if (!ts) return;
    auto buffers = model_->buffers();
    size_t nbuf = buffers ? buffers->size() : 0;
    g_.tensors.resize(ts->size());
    for (flatbuffers::uoffset_t i = 0; i < ts->size(); i++) {
      auto t = ts->Get(i);
      Tensor& out = g_.tensors[i];
      if (!t) invalid("tensor " + std::to_string(i) + " is missing");
      if (t->name()) out.name = t->name()->str();
      const std::string label = tensor_label(i);
      const auto* q = t->quantization();
      if (t->type() == tflite::TensorType::INT16 && q && q->scale() && q->scale()->size() > 0) {
        unsupported(label +
                    " is quantized INT16: 16x8 quantization (int16 activations, int8 weights) "
                    "is not supported; Tare runs int8 and uint8 models");
      }
      if (!map_dtype(t->type(), &out.dtype)) {
        const char* tn = tflite::EnumNameTensorType(t->type());
        unsupported(label + " has unsupported type " +
                    ((tn && *tn) ? std::string(tn) : std::to_string((int)t->type())));
      }
      out.shape = fb_ints(t->shape());
      int64_t n = 1;
      for (int d : out.shape) {
        if (d < 0) invalid(label + " has a negative dimension in shape " + shape_str(out.shape));
        if (d > 0 && n > kMaxElements / d) invalid(label + " shape " + shape_str(out.shape) + " is too large");
        n *= d;
      }
      if (t->is_variable()) unsupported(label + " is a variable tensor; variables are not supported");
      read_quant(t, out, label);

      // Constant data.
      uint32_t b = t->buffer();
      if (b != 0 || nbuf > 0) {
        if (b >= nbuf) {
          invalid(label + ": buffer index " + std::to_string(b) + " out of range (" + std::to_string(nbuf) +
                  " buffers)");
        }
      }
      auto no_data = [&] {
        if (t->sparsity()) unsupported(label + " is sparse but not a constant; only sparse constants are supported");
      };
      if (b == 0 || !buffers) {
        no_data();
        continue;
      }
      auto buf = buffers->Get(b);
      if (!buf) {
        no_data();
        continue;
      }
      const uint8_t* src = nullptr;
      uint64_t len = 0;
      if (buf->offset() > 1) {
        uint64_t off = buf->offset();
        len = buf->size();
        if (off > file_size_ || len > file_size_ - off) {
          invalid(label + ": buffer " + std::to_string(b) + " (offset " + std::to_string(off) + ", size " +
                  std::to_string(len) + ") lies outside the " + std::to_string(file_size_) + "-byte file");
        }
        src = file_ + off;
      } else if (buf->data()) {
        src = buf->data()->data();
        len = buf->data()->size();
      }
      if (t->sparsity()) {
        // Sparse constants become dense here; DENSIFY operators reading them are folded in read_ops.
        out.data = densify_sparse_constant(*t->sparsity(), out.shape, dtype_size(out.dtype), src, len, label);
        out.is_const = true;
        continue;
      }
      if (len == 0) continue;
      uint64_t expect = (uint64_t)n * dtype_size(out.dtype);
      if (len != expect) {
        invalid(label + ": constant data has " + std::to_string(len) + " bytes, shape " + shape_str(out.shape) +
                " of " + dtype_name(out.dtype) + " needs " + std::to_string(expect));
      }
      out.is_const = true;
      out.data.assign(src, src + len);
    }
  }

  void read_quant(const tflite::Tensor* t, Tensor& out, const std::string& label) {
    auto q = t->quantization();
    if (!q) return;
    if (q->details_type() != tflite::QuantizationDetails::NONE) {
      unsupported(label + " uses custom quantization details");
    }
    auto scale = q->scale();
    auto zp = q->zero_point();
    if (!scale || scale->size() == 0) return;  // not quantized (zero points alone mean nothing)
    size_t n = scale->size();
    if (zp && zp->size() != 0 && zp->size() != n) {
      invalid(label + ": " + std::to_string(n) + " scales but " + std::to_string(zp->size()) + " zero points");
    }
    int qdim = q->quantized_dimension();
    if (n > 1) {
      if (qdim < 0 || (size_t)qdim >= out.shape.size() || (size_t)out.shape[qdim] != n) {
        invalid(label + ": " + std::to_string(n) + " per-channel scales do not match dimension " +
                std::to_string(qdim) + " of shape " + shape_str(out.shape));
      }
    } else if (qdim < 0 || (qdim > 0 && (size_t)qdim >= out.shape.size())) {
      qdim = 0;  // meaningless for per-tensor parameters
    }
    for (flatbuffers::uoffset_t i = 0; i < n; i++) {
      float s = scale->Get(i);
      // Requantization divides by the scale and takes its logarithm: it must be a positive, finite float.
      if (!std::isfinite(s) || !(s > 0)) {
        std::ostringstream v;
        v << s;
        invalid(label + ": quantization scale " + std::to_string(i) + " is " + v.str() + " (must be finite and > 0)");
      }
      out.quant.scale.push_back(s);
    }
    if (zp && zp->size() == n) {
      const auto [lo, hi] = zero_point_range(out.dtype);
      // The verifier checks vectors for 4-byte alignment only: read the 64-bit elements bytewise.
      const uint8_t* raw = reinterpret_cast<const uint8_t*>(zp->data());
      for (flatbuffers::uoffset_t i = 0; i < n; i++) {
        int64_t z;
        std::memcpy(&z, raw + 8 * (size_t)i, 8);
        if (z < lo || z > hi) {
          invalid(label + ": zero point " + std::to_string(i) + " is " + std::to_string(z) + ", outside " +
                  dtype_name(out.dtype) + "'s range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        }
        out.quant.zero_point.push_back(z);
      }
    } else {
      out.quant.zero_point.assign(n, 0);
    }
    out.quant.axis = qdim;
  }

  void read_io() {
    auto check = [&](const flatbuffers::Vector<int32_t>* v, std::vector<int>& dst, const char* what) {
      if (!v) return;
      for (flatbuffers::uoffset_t i = 0; i < v->size(); i++) {
        int t = v->Get(i);
        if (t < 0 || (size_t)t >= g_.tensors.size()) {
          invalid(std::string("graph ") + what + " " + std::to_string(i) + " refers to tensor " + std::to_string(t) +
                  " (" + std::to_string(g_.tensors.size()) + " tensors)");
        }
        dst.push_back(t);
      }
    };
    check(sg_->inputs(), g_.inputs, "input");
    check(sg_->outputs(), g_.outputs, "output");
    if (g_.outputs.empty()) invalid("the model has no output");
    // A constant output is its value (sessions copy it out); a constant input could not be fed.
    for (size_t i = 0; i < g_.inputs.size(); i++)
      if (g_.tensors[g_.inputs[i]].is_const)
        invalid("graph input " + std::to_string(i) + " is " + tensor_label(g_.inputs[i]) + ", a constant");
  }

  // ---- operators ---------------------------------------------------------------------------------------------
  // Each operator's arity and options are read by its descriptor (src/ops/op_<name>.cpp).
  void read_ops() {
    auto ops = sg_->operators();
    if (!ops) return;
    const int nt = (int)g_.tensors.size();
    auto code_of = [&](flatbuffers::uoffset_t i) -> const OpCodeInfo& {
      auto op = ops->Get(i);
      if (!op) invalid("operator " + std::to_string(i) + " is missing");
      if (op->opcode_index() >= opcodes_.size()) {
        invalid("operator " + std::to_string(i) + ": opcode index " + std::to_string(op->opcode_index()) +
                " out of range (" + std::to_string(opcodes_.size()) + " operator codes)");
      }
      return opcodes_[op->opcode_index()];
    };
    // DENSIFY first (file order need not be topological): its output becomes the densified constant.
    std::vector<bool> folded(ops->size(), false);
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); i++) {
      if (code_of(i).builtin == static_cast<int32_t>(tflite::BuiltinOperator::DENSIFY)) {
        fold_densify(i, ops->Get(i));
        folded[i] = true;
      }
    }
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); i++) {
      if (folded[i]) continue;
      auto op = ops->Get(i);
      const OpCodeInfo& code = code_of(i);
      const std::string name = builtin_name(code.builtin);
      const std::string label = "operator " + std::to_string(i) + " (" + name + ")";
      Op out;
      out.source_index = (int)i;
      out.inputs = fb_ints(op->inputs());
      out.outputs = fb_ints(op->outputs());
      for (int t : out.inputs) {
        if (t < -1 || t >= nt) invalid(label + ": input tensor index " + std::to_string(t) + " out of range");
      }
      for (int t : out.outputs) {
        if (t < -1 || t >= nt) invalid(label + ": output tensor index " + std::to_string(t) + " out of range");
      }
      const bool custom = code.builtin == static_cast<int32_t>(tflite::BuiltinOperator::CUSTOM);
      const OpDesc* d = custom ? op_desc_for_custom(code.custom) : op_desc_for_builtin(code.builtin);
      if (custom && (!d || !d->read)) {
        if (is_mediapipe_custom_op(code.custom)) {
          unsupported("operator " + std::to_string(i) + ": CUSTOM op '" + code.custom +
                      "' is a MediaPipe custom op (mediapipe/util/tflite/operations) that Tare does not run");
        }
        unsupported("operator " + std::to_string(i) + ": CUSTOM op '" + code.custom + "' is not supported");
      }
      refuse_control_flow(label, code.builtin, op);
      if (!d || !d->read) {
        unsupported("operator " + std::to_string(i) + ": builtin op " + name + " (" + std::to_string(code.builtin) +
                    ") is not supported");
      }
      out.type = d->type;
      TfliteOpReader reader(g_, op, out, (int)i, code.builtin, custom ? "CUSTOM " + code.custom : name,
                            custom ? code.custom : std::string());
      d->read(reader);
      g_.ops.push_back(std::move(out));
    }
  }

  void fold_densify(flatbuffers::uoffset_t i, const tflite::Operator* op) {
    const std::string label = "operator " + std::to_string(i) + " (DENSIFY)";
    const std::vector<int> in = fb_ints(op->inputs()), outs = fb_ints(op->outputs());
    const int nt = (int)g_.tensors.size();
    if (in.size() != 1 || outs.size() != 1 || in[0] < 0 || in[0] >= nt || outs[0] < 0 || outs[0] >= nt) {
      invalid(label + " needs one input and one output tensor");
    }
    const Tensor& src = g_.tensors[in[0]];
    Tensor& dst = g_.tensors[outs[0]];
    if (!src.is_const) unsupported(label + ": its input " + tensor_label(in[0]) + " is not a constant");
    if (dst.is_const) invalid(label + ": its output " + tensor_label(outs[0]) + " is already a constant");
    if (dst.dtype != src.dtype || dst.shape != src.shape) {
      invalid(label + ": output " + tensor_label(outs[0]) + " (" + dtype_name(dst.dtype) + " " + shape_str(dst.shape) +
              ") differs from its input (" + dtype_name(src.dtype) + " " + shape_str(src.shape) + ")");
    }
    for (int t : g_.outputs) {
      if (t == outs[0]) unsupported(label + ": its output " + tensor_label(t) + " is a graph output");
    }
    dst.data = src.data;
    dst.is_const = true;
  }

  // Operators that run other subgraphs: named with the subgraphs they call.
  void refuse_control_flow(const std::string& label, int32_t builtin, const tflite::Operator* op) const {
    using B = tflite::BuiltinOperator;
    std::vector<int> called;
    switch (static_cast<B>(builtin)) {
      case B::IF:
        if (auto o = op->builtin_options_as_IfOptions()) called = {o->then_subgraph_index(), o->else_subgraph_index()};
        break;
      case B::WHILE:
        if (auto o = op->builtin_options_as_WhileOptions()) {
          called = {o->cond_subgraph_index(), o->body_subgraph_index()};
        }
        break;
      case B::CALL_ONCE:
        if (auto o = op->builtin_options_as_CallOnceOptions()) called = {o->init_subgraph_index()};
        break;
      case B::STABLEHLO_WHILE:
      case B::STABLEHLO_CASE:
      case B::STABLEHLO_COMPOSITE: break;
      default: return;
    }
    std::string calls;
    for (int c : called) calls += (calls.empty() ? " " : ", ") + std::to_string(c);
    unsupported(label + " is control flow" + (calls.empty() ? "" : " calling subgraph" + calls) + "; the model has " +
                std::to_string(subgraph_count_) + " subgraph(s) and Tare runs only subgraph 0, without control flow");
  }

  static bool is_mediapipe_custom_op(const std::string& name) {
    // MediaPipe's GPU custom ops (mediapipe/util/tflite/operations); Convolution2DTransposeBias is handled apart.
    static const char* const kOps[] = {"MaxPoolingWithArgmax2D", "MaxUnpooling2D", "TransformLandmarks",
                                       "TransformTensorBilinear", "Landmarks2TransformMatrix"};
    for (const char* n : kOps) {
      if (name == n) return true;
    }
    return false;
  }

  // ---- float16 folding ---------------------------------------------------------------------------------------
  void fold_fp16_dequantize() {
    const size_t nt = g_.tensors.size();
    std::vector<std::vector<size_t>> consumers(nt);
    for (size_t i = 0; i < g_.ops.size(); i++) {
      for (int t : g_.ops[i].inputs) {
        if (t >= 0) consumers[t].push_back(i);
      }
    }
    std::vector<bool> is_graph_output(nt, false);
    for (int t : g_.outputs) is_graph_output[t] = true;
    std::vector<bool> removed(g_.ops.size(), false);
    bool any = false;
    for (size_t t = 0; t < nt; t++) {
      const Tensor& src = g_.tensors[t];
      if (src.dtype != DType::F16 || !src.is_const || consumers[t].empty()) continue;
      bool ok = true;
      for (size_t oi : consumers[t]) {
        const Op& op = g_.ops[oi];
        if (op.type != OpType::Dequantize || op.inputs.size() != 1 || op.outputs.size() != 1) {
          ok = false;
          break;
        }
        const Tensor& dst = g_.tensors[op.outputs[0]];
        if (dst.dtype != DType::F32 || dst.is_const || dst.elements() != src.elements() ||
            is_graph_output[op.outputs[0]]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      for (size_t oi : consumers[t]) {
        if (removed[oi]) continue;
        Tensor& dst = g_.tensors[g_.ops[oi].outputs[0]];
        size_t n = (size_t)src.elements();
        dst.data.resize(n * 4);
        for (size_t k = 0; k < n; k++) {
          uint16_t h;
          std::memcpy(&h, src.data.data() + 2 * k, 2);
          float f = half_to_float(h);
          std::memcpy(dst.data.data() + 4 * k, &f, 4);
        }
        dst.is_const = true;
        removed[oi] = true;
        any = true;
      }
    }
    if (!any) return;
    std::vector<Op> kept;
    for (size_t i = 0; i < g_.ops.size(); i++) {
      if (!removed[i]) kept.push_back(std::move(g_.ops[i]));
    }
    g_.ops = std::move(kept);
  }

  // ---- CONCATENATION + activation -----------------------------------------------------------------------------
  // TFLite's CONCATENATION takes no fused activation, so Tare's exporter writes one as a RELU / RELU6 /
  // RELU_N1_TO_1 of its own; the pair comes back as one operator (Tare's kernels fuse the clamp).  Only where the
  // activation alone reads the concatenation, and both tensors share dtype and quantization (the clamp is then the
  // fused one exactly).
  void fuse_concatenation_activations() {
    const size_t nt = g_.tensors.size();
    std::vector<std::vector<size_t>> consumers(nt);
    for (size_t i = 0; i < g_.ops.size(); i++)
      for (int t : g_.ops[i].inputs)
        if (t >= 0) consumers[t].push_back(i);
    std::vector<bool> is_graph_output(nt, false);
    for (int t : g_.outputs) is_graph_output[t] = true;
    std::vector<bool> removed(g_.ops.size(), false);
    for (Op& op : g_.ops) {
      if (op.type != OpType::Concatenation || op.params.activation != Activation::None || op.outputs.size() != 1)
        continue;
      const int t = op.outputs[0];
      if (t < 0 || is_graph_output[t] || consumers[t].size() != 1) continue;
      const Op& act = g_.ops[consumers[t][0]];
      const Activation a = act.type == OpType::Relu        ? Activation::Relu
                           : act.type == OpType::Relu6     ? Activation::Relu6
                           : act.type == OpType::ReluN1To1 ? Activation::ReluN1To1
                                                           : Activation::None;
      if (a == Activation::None || act.inputs.size() != 1 || act.outputs.size() != 1 || act.outputs[0] < 0) continue;
      const Tensor &x = g_.tensors[t], &y = g_.tensors[act.outputs[0]];
      if (x.dtype != y.dtype || x.quant.scale != y.quant.scale || x.quant.zero_point != y.quant.zero_point) continue;
      op.params.activation = a;
      op.outputs[0] = act.outputs[0];
      removed[consumers[t][0]] = true;
    }
    std::vector<Op> kept;
    for (size_t i = 0; i < g_.ops.size(); i++)
      if (!removed[i]) kept.push_back(std::move(g_.ops[i]));
    g_.ops = std::move(kept);
  }

  // ---- ordering ----------------------------------------------------------------------------------------------
  std::string op_label(const Op& op) const {
    return "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + ")";
  }

  void sort_ops() {
    const size_t nt = g_.tensors.size();
    const size_t n = g_.ops.size();
    std::vector<int> producer(nt, -1);
    std::vector<bool> is_input(nt, false);
    for (int t : g_.inputs) is_input[t] = true;
    for (size_t i = 0; i < n; i++) {
      for (int t : g_.ops[i].outputs) {
        if (t < 0) continue;
        if (producer[t] >= 0) {
          invalid(op_label(g_.ops[i]) + ": " + tensor_label(t) + " is already written by " +
                  op_label(g_.ops[producer[t]]));
        }
        if (is_input[t]) invalid(op_label(g_.ops[i]) + " writes the graph input " + tensor_label(t));
        if (g_.tensors[t].is_const) invalid(op_label(g_.ops[i]) + " writes the constant " + tensor_label(t));
        producer[t] = (int)i;
      }
    }
    std::vector<std::vector<size_t>> users(n);
    std::vector<int> pending(n, 0);
    for (size_t i = 0; i < n; i++) {
      for (int t : g_.ops[i].inputs) {
        if (t < 0 || g_.tensors[t].is_const || is_input[t]) continue;
        if (producer[t] < 0) invalid(op_label(g_.ops[i]) + " reads " + tensor_label(t) + ", which nothing writes");
        users[producer[t]].push_back(i);
        pending[i]++;
      }
    }
    for (int t : g_.outputs) {
      if (producer[t] < 0 && !is_input[t] && !g_.tensors[t].is_const) {
        invalid("graph output " + tensor_label(t) + " is never written");
      }
    }
    // Kahn's algorithm, always taking the earliest ready op, so a sorted file keeps its order.
    std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
    for (size_t i = 0; i < n; i++) {
      if (pending[i] == 0) ready.push(i);
    }
    std::vector<size_t> order;
    order.reserve(n);
    while (!ready.empty()) {
      size_t i = ready.top();
      ready.pop();
      order.push_back(i);
      for (size_t u : users[i]) {
        if (--pending[u] == 0) ready.push(u);
      }
    }
    if (order.size() != n) {
      for (size_t i = 0; i < n; i++) {
        if (pending[i] > 0) invalid(op_label(g_.ops[i]) + " is part of a cycle");
      }
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) sorted = sorted && order[i] == i;
    if (sorted) return;
    std::vector<Op> ops;
    ops.reserve(n);
    for (size_t i : order) ops.push_back(std::move(g_.ops[i]));
    g_.ops = std::move(ops);
  }

  // ---- shapes ------------------------------------------------------------------------------------------------
  void check_shapes() {
    std::vector<std::vector<int>> declared(g_.tensors.size());
    for (const Op& op : g_.ops) {
      for (int t : op.outputs) declared[t] = g_.tensors[t].shape;
    }
    infer_shapes(g_);
    for (const Op& op : g_.ops) {
      for (int t : op.outputs) {
        if (declared[t] != g_.tensors[t].shape) {
          invalid(op_label(op) + ": output " + tensor_label(t) + " has shape " + shape_str(declared[t]) +
                  " in the file, but its inputs give " + shape_str(g_.tensors[t].shape));
        }
      }
    }
  }

  const uint8_t* file_;
  size_t file_size_;
  const tflite::Model* model_ = nullptr;
  const tflite::SubGraph* sg_ = nullptr;
  size_t subgraph_count_ = 1;
  std::vector<OpCodeInfo> opcodes_;
  Graph g_;
};

}  // namespace

void check_tflite_header(const uint8_t* head, uint64_t size) {
  if (!head || size == 0) invalid("the model is empty");
  if (size < 8) invalid("the model is too small (" + std::to_string(size) + " bytes) to be a TFLite file");
  if (size > (std::numeric_limits<size_t>::max() >> 4)) invalid("the model is too large");
  if (std::memcmp(head + 4, "TFL3", 4) != 0) invalid("not a TFLite model (the file identifier is not 'TFL3')");
}

Graph import_tflite(const uint8_t* data, size_t size) {
  check_tflite_header(data, size);

  // FlatBuffers reads scalars in place: work on an aligned copy if the caller's bytes are not 8-byte aligned.
  std::vector<uint64_t> aligned;
  const uint8_t* buf = data;
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0) {
    aligned.resize(size / 8 + 1);
    std::memcpy(aligned.data(), data, size);
    buf = reinterpret_cast<const uint8_t*>(aligned.data());
  }
  // Models over 2 GB keep their constants after the FlatBuffer (Buffer.offset); the verifier covers at most 2 GB.
  size_t verify_size = std::min<size_t>(size, FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(buf, verify_size);
  if (!tflite::VerifyModelBuffer(verifier)) {
    invalid("the TFLite FlatBuffer is corrupt or truncated (verification failed, " + std::to_string(size) + " bytes)");
  }
  return Importer(buf, size).run();
}

// ---- TfliteOpReader -------------------------------------------------------------------------------------------------

void TfliteOpReader::invalid(const std::string& msg) const { fail(TARE_ERROR_INVALID_MODEL, label() + ": " + msg); }
void TfliteOpReader::unsupported(const std::string& msg) const { fail(TARE_ERROR_UNSUPPORTED, label() + ": " + msg); }

void TfliteOpReader::arity(size_t min_in, size_t max_in, size_t required, size_t outputs) const {
  const auto& in = out_.inputs;
  if (in.size() < min_in || in.size() > max_in) {
    invalid("expects " +
            (min_in == max_in ? std::to_string(min_in) : std::to_string(min_in) + " to " + std::to_string(max_in)) +
            " inputs, has " + std::to_string(in.size()));
  }
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == -1 && i < required) invalid("required input " + std::to_string(i) + " is missing");
  }
  if (out_.outputs.size() != outputs)
    invalid("expects " + std::to_string(outputs) + " output" + (outputs == 1 ? "" : "s") + ", has " +
            std::to_string(out_.outputs.size()));
  for (size_t k = 0; k < outputs; k++)
    if (out_.outputs[k] < 0) invalid("output " + std::to_string(k) + " is missing");
}

Activation TfliteOpReader::activation(tflite::ActivationFunctionType a) const {
  switch (a) {
    case tflite::ActivationFunctionType::NONE: return Activation::None;
    case tflite::ActivationFunctionType::RELU: return Activation::Relu;
    case tflite::ActivationFunctionType::RELU_N1_TO_1: return Activation::ReluN1To1;
    case tflite::ActivationFunctionType::RELU6: return Activation::Relu6;
    default: break;
  }
  const char* n = tflite::EnumNameActivationFunctionType(a);
  unsupported(std::string("fused activation ") + ((n && *n) ? n : std::to_string((int)a)) + " is not supported");
}

Padding TfliteOpReader::padding(tflite::Padding p) const {
  if (p == tflite::Padding::SAME) return Padding::Same;
  if (p == tflite::Padding::VALID) return Padding::Valid;
  invalid("unknown padding " + std::to_string((int)p));
}

std::vector<int64_t> TfliteOpReader::const_ints(size_t input, const char* what) const {
  const Tensor& x = this->input(input);
  if (!x.is_const) unsupported(std::string("non-constant ") + what + " input is not supported");
  std::vector<int64_t> v((size_t)x.elements());
  if (x.dtype == DType::I32) {
    for (size_t i = 0; i < v.size(); i++) {
      int32_t e;
      std::memcpy(&e, x.data.data() + 4 * i, 4);
      v[i] = e;
    }
  } else if (x.dtype == DType::I64) {
    for (size_t i = 0; i < v.size(); i++) std::memcpy(&v[i], x.data.data() + 8 * i, 8);
  } else {
    invalid(std::string(what) + " input must be INT32 or INT64, is " + dtype_name(x.dtype));
  }
  return v;
}

int TfliteOpReader::normalise_axis(int64_t axis, int rank) const {
  if (axis < -rank || axis >= rank) {
    invalid("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  return (int)(axis < 0 ? axis + rank : axis);
}

std::vector<int> TfliteOpReader::normalise_axes(const std::vector<int64_t>& axes, int rank) const {
  std::vector<int> r;
  for (int64_t a : axes) r.push_back(normalise_axis(a, rank));
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

}  // namespace tare
