// TensorFlow Lite export: Graph IR -> .tflite FlatBuffer (schema version 3).
#include "model/tflite_export.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "common/error.h"
#include "model/op_desc.h"
#include "model/tflite_ops.h"

namespace tare {

namespace {

[[noreturn]] void bad_graph(const std::string& msg) { fail(TARE_ERROR_INVALID_ARGUMENT, "export_tflite: " + msg); }

}  // namespace

tflite::TensorType tflite_tensor_type(DType t) {
  switch (t) {
    case DType::F32: return tflite::TensorType::FLOAT32;
    case DType::F16: return tflite::TensorType::FLOAT16;
    case DType::I32: return tflite::TensorType::INT32;
    case DType::U8: return tflite::TensorType::UINT8;
    case DType::I8: return tflite::TensorType::INT8;
    case DType::I64: return tflite::TensorType::INT64;
    case DType::I16: return tflite::TensorType::INT16;
    case DType::Bool: return tflite::TensorType::BOOL;
  }
  bad_graph("unknown dtype " + std::to_string((int)t));
}

namespace {

class Exporter {
 public:
  explicit Exporter(const Graph& g) : g_(g) {}

  std::vector<uint8_t> run() {
    check();
    // Operators first: they may append parameter tensors.
    std::vector<flatbuffers::Offset<tflite::Operator>> ops;
    ops.reserve(g_.ops.size());
    for (size_t i = 0; i < g_.ops.size(); i++) write_op(i, ops);
    auto tensors = write_tensors();
    auto sg = tflite::CreateSubGraph(fbb_, fbb_.CreateVector(tensors), fbb_.CreateVector(g_.inputs),
                                     fbb_.CreateVector(g_.outputs), fbb_.CreateVector(ops), fbb_.CreateString("main"));
    std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes;
    for (const auto& [code, version] : opcode_list_) {
      const int32_t c = static_cast<int32_t>(code);
      // Codes past 126 keep deprecated_builtin_code at PLACEHOLDER_FOR_GREATER_OP_CODES (127).
      codes.push_back(tflite::CreateOperatorCode(fbb_, (int8_t)std::min(c, 127), 0, version, code));
    }
    auto codes_off = fbb_.CreateVector(codes);
    auto subgraphs = fbb_.CreateVector(&sg, 1);
    auto description = fbb_.CreateString("Tare");
    auto buffers = fbb_.CreateVector(buffers_);
    auto model = tflite::CreateModel(fbb_, 3, codes_off, subgraphs, description, buffers);
    tflite::FinishModelBuffer(fbb_, model);
    return std::vector<uint8_t>(fbb_.GetBufferPointer(), fbb_.GetBufferPointer() + fbb_.GetSize());
  }

 private:
  size_t tensor_count() const { return g_.tensors.size() + extra_.size(); }
  const Tensor& tensor(int i) const {
    return (size_t)i < g_.tensors.size() ? g_.tensors[i] : extra_[(size_t)i - g_.tensors.size()];
  }

  void check() const {
    const int nt = (int)g_.tensors.size();
    for (size_t i = 0; i < g_.tensors.size(); i++) {
      const Tensor& t = g_.tensors[i];
      for (int d : t.shape) {
        if (d < 0) bad_graph("tensor " + std::to_string(i) + " ('" + t.name + "') has a negative dimension");
      }
      if (t.is_const && t.data.size() != t.bytes()) {
        bad_graph("constant tensor " + std::to_string(i) + " ('" + t.name + "') holds " +
                  std::to_string(t.data.size()) + " bytes, its shape needs " + std::to_string(t.bytes()));
      }
      const auto& q = t.quant;
      if (q.quantized() && !q.zero_point.empty() && q.zero_point.size() != q.scale.size()) {
        bad_graph("tensor " + std::to_string(i) + " ('" + t.name + "') has " + std::to_string(q.scale.size()) +
                  " scales but " + std::to_string(q.zero_point.size()) + " zero points");
      }
      if (q.quantized() && q.scale.size() > 1 &&
          (q.axis < 0 || (size_t)q.axis >= t.shape.size() || (size_t)t.shape[q.axis] != q.scale.size())) {
        bad_graph("tensor " + std::to_string(i) + " ('" + t.name + "'): per-channel parameters do not match axis " +
                  std::to_string(q.axis));
      }
    }
    auto in_range = [&](int t, bool optional) { return (optional && t == -1) || (t >= 0 && t < nt); };
    for (int t : g_.inputs) {
      if (!in_range(t, false)) bad_graph("graph input refers to tensor " + std::to_string(t));
    }
    for (int t : g_.outputs) {
      if (!in_range(t, false)) bad_graph("graph output refers to tensor " + std::to_string(t));
    }
    for (size_t i = 0; i < g_.ops.size(); i++) {
      const Op& op = g_.ops[i];
      const std::string label = "operator " + std::to_string(i) + " (" + op_name(op.type) + ")";
      if (!op_desc(op.type).write) {
        fail(TARE_ERROR_UNSUPPORTED, "export_tflite: " + label +
                                         " is internal to Tare, not a TFLite operator (export the quantized graph "
                                         "instead)");
      }
      if (op.inputs.empty() || !in_range(op.inputs[0], false)) bad_graph(label + ": first input missing");
      for (int t : op.inputs) {
        if (!in_range(t, true)) bad_graph(label + ": input refers to tensor " + std::to_string(t));
      }
      if (op.outputs.empty()) bad_graph(label + ": no output");
      for (int t : op.outputs) {
        if (!in_range(t, false)) bad_graph(label + ": output refers to tensor " + std::to_string(t));
      }
    }
  }

  // ---- tensors -----------------------------------------------------------------------------------------------
  std::vector<flatbuffers::Offset<tflite::Tensor>> write_tensors() {
    buffers_.push_back(tflite::CreateBuffer(fbb_));  // buffer 0: the empty buffer
    std::vector<flatbuffers::Offset<tflite::Tensor>> out;
    out.reserve(tensor_count());
    for (size_t i = 0; i < tensor_count(); i++) {
      const Tensor& t = tensor((int)i);
      uint32_t buffer = 0;
      if (t.is_const) {
        fbb_.ForceVectorAlignment(t.data.size(), sizeof(uint8_t), 16);
        auto data = fbb_.CreateVector(t.data);
        buffer = (uint32_t)buffers_.size();
        buffers_.push_back(tflite::CreateBuffer(fbb_, data));
      }
      flatbuffers::Offset<tflite::QuantizationParameters> quant = 0;
      if (t.quant.quantized()) {
        std::vector<int64_t> zp = t.quant.zero_point;
        if (zp.empty()) zp.assign(t.quant.scale.size(), 0);  // TFLite needs both vectors
        auto scale = fbb_.CreateVector(t.quant.scale);
        auto zero_point = fbb_.CreateVector(zp);
        const int axis = t.quant.scale.size() > 1 ? t.quant.axis : 0;
        quant = tflite::CreateQuantizationParameters(fbb_, 0, 0, scale, zero_point, tflite::QuantizationDetails::NONE,
                                                     0, axis);
      }
      auto shape = fbb_.CreateVector(t.shape);
      auto name = fbb_.CreateString(t.name);
      out.push_back(tflite::CreateTensor(fbb_, shape, tflite_tensor_type(t.dtype), buffer, name, quant));
    }
    return out;
  }

  // ---- operators ---------------------------------------------------------------------------------------------
  uint32_t opcode_index(tflite::BuiltinOperator code, int version) {
    const auto key = std::make_pair(code, version);
    auto it = opcode_map_.find(key);
    if (it != opcode_map_.end()) return it->second;
    const uint32_t index = (uint32_t)opcode_list_.size();
    opcode_list_.push_back(key);
    opcode_map_.emplace(key, index);
    return index;
  }

  // The operator's options, parameter inputs and version come from its descriptor (src/ops/op_<name>.cpp).  Two
  // rewrites keep the file to what TFLite's kernels run, with the same values:
  //  - a fused activation that TFLite's kernel refuses (the descriptor called split_activation) follows as an
  //    operator of its own, reading a new tensor with the output's dtype and quantization (the same clamp);
  //  - an int8 operator that TFLite runs in uint8 only (requantize_to_uint8) reads and writes uint8 twins (scale
  //    kept, zero point + 128: every q - zero_point unchanged, so TFLite's uint8 arithmetic is Tare's int8 one),
  //    with QUANTIZE int8 -> uint8 before (a constant is converted in place) and uint8 -> int8 after.
  void write_op(size_t index, std::vector<flatbuffers::Offset<tflite::Operator>>& ops) {
    const Op& op = g_.ops[index];
    const OpDesc& d = op_desc(op.type);
    TfliteOpWriter w(fbb_, g_, op, index, extra_);
    if (!d.write || d.builtin < 0) {
      fail(TARE_ERROR_UNSUPPORTED, "export_tflite: " + w.label() + " is not a TFLite operator");
    }
    w.set_code(d.builtin);
    d.write(w);
    std::vector<int> outputs = op.outputs;
    struct After {
      OpType type;
      int from, to;
    };
    std::vector<After> after;  // the operators written after this one
    if (w.activation_split() && op.params.activation != Activation::None) {
      outputs[0] = add_extra(g_.tensors[op.outputs[0]], "_before_activation");
      after.push_back({activation_op(op.params.activation), outputs[0], op.outputs[0]});
    }
    if (w.uint8_requantized()) {
      for (size_t i = 0; i < op.inputs.size(); i++) {
        const int t = op.inputs[i];
        if (t < 0 || g_.tensors[t].dtype != DType::I8) continue;
        w.inputs()[i] = add_extra(uint8_twin(g_.tensors[t]), "_uint8");
        if (!g_.tensors[t].is_const) ops.push_back(write_unary(OpType::Quantize, t, w.inputs()[i], t, index));
      }
      if (g_.tensors[op.outputs[0]].dtype == DType::I8) {
        const int y = outputs[0];
        outputs[0] = add_extra(uint8_twin(tensor(y)), "_uint8");
        after.push_back({OpType::Quantize, outputs[0], y});
      }
    }
    ops.push_back(write_operator(w, outputs));
    for (const After& a : after) ops.push_back(write_unary(a.type, a.from, a.to, op.outputs[0], index));
  }

  int add_extra(Tensor t, const std::string& suffix) {
    t.name += suffix;
    extra_.push_back(std::move(t));
    return (int)tensor_count() - 1;
  }

  // A uint8 copy of int8 tensor `t` (a constant's bytes converted).
  static Tensor uint8_twin(Tensor t) {
    t.dtype = DType::U8;
    for (int64_t& z : t.quant.zero_point) z += 128;
    for (uint8_t& b : t.data) b ^= 0x80;
    return t;
  }

  // A one-input operator of `type` from `in` to `out` (either may be a tensor the exporter added); its descriptor
  // writes options and version for a stand-in that reads and writes `like` (a graph tensor of the op's 8-bit-ness).
  flatbuffers::Offset<tflite::Operator> write_unary(OpType type, int in, int out, int like, size_t index) {
    Op stand_in;
    stand_in.type = type;
    stand_in.inputs = {like};
    stand_in.outputs = {like};
    const OpDesc& d = op_desc(type);
    TfliteOpWriter w(fbb_, g_, stand_in, index, extra_);
    w.set_code(d.builtin);
    d.write(w);
    w.inputs() = {in};
    return write_operator(w, {out});
  }

  flatbuffers::Offset<tflite::Operator> write_operator(TfliteOpWriter& w, const std::vector<int>& outputs) {
    const uint32_t code_index = opcode_index(static_cast<tflite::BuiltinOperator>(w.code()), w.version());
    auto in_off = fbb_.CreateVector(w.inputs());
    auto out_off = fbb_.CreateVector(outputs);
    return tflite::CreateOperator(fbb_, code_index, in_off, out_off, w.options_type(), w.options());
  }

  static OpType activation_op(Activation a) {
    switch (a) {
      case Activation::Relu: return OpType::Relu;
      case Activation::Relu6: return OpType::Relu6;
      case Activation::ReluN1To1: return OpType::ReluN1To1;
      case Activation::None: break;
    }
    bad_graph("unknown fused activation " + std::to_string((int)a));
  }

  const Graph& g_;
  std::vector<Tensor> extra_;  // parameter tensors appended after g_.tensors
  flatbuffers::FlatBufferBuilder fbb_{1 << 20};
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers_;
  std::vector<std::pair<tflite::BuiltinOperator, int>> opcode_list_;
  std::map<std::pair<tflite::BuiltinOperator, int>, uint32_t> opcode_map_;
};

}  // namespace

std::vector<uint8_t> export_tflite(const Graph& g) { return Exporter(g).run(); }

// ---- TfliteOpWriter -------------------------------------------------------------------------------------------------

void TfliteOpWriter::bad(const std::string& msg) const { bad_graph(label() + ": " + msg); }

tflite::ActivationFunctionType TfliteOpWriter::activation(Activation a) {
  switch (a) {
    case Activation::None: return tflite::ActivationFunctionType::NONE;
    case Activation::Relu: return tflite::ActivationFunctionType::RELU;
    case Activation::ReluN1To1: return tflite::ActivationFunctionType::RELU_N1_TO_1;
    case Activation::Relu6: return tflite::ActivationFunctionType::RELU6;
  }
  bad_graph("unknown fused activation " + std::to_string((int)a));
}

int TfliteOpWriter::int_param(size_t slot, const std::vector<int>& shape, const std::vector<int64_t>& values,
                              const std::string& suffix) {
  auto holds_values = [&](const Tensor& t) {
    if (!t.is_const || t.shape != shape || (t.dtype != DType::I32 && t.dtype != DType::I64) ||
        (size_t)t.elements() != values.size())
      return false;
    for (size_t i = 0; i < values.size(); i++) {
      int64_t v;
      if (t.dtype == DType::I32) {
        int32_t e;
        std::memcpy(&e, t.data.data() + 4 * i, 4);
        v = e;
      } else {
        std::memcpy(&v, t.data.data() + 8 * i, 8);
      }
      if (v != values[i]) return false;
    }
    return true;
  };
  if (const Tensor* t = in(slot); t && holds_values(*t)) return op_.inputs[slot];
  // The tensor an earlier export appended, read back as an unused constant (the op keeps its values in params,
  // e.g. TRANSPOSE_CONV's output shape): reused, so that export -> import -> export gives the same bytes.
  const std::string name = out().name + suffix;
  for (size_t i = 0; i < g_.tensors.size(); i++)
    if (g_.tensors[i].name == name && holds_values(g_.tensors[i])) return (int)i;
  Tensor t;
  t.name = name;
  t.dtype = DType::I32;
  t.shape = shape;
  t.is_const = true;
  t.data.resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); i++) {
    const int32_t e = (int32_t)values[i];
    std::memcpy(t.data.data() + 4 * i, &e, 4);
  }
  extra_.push_back(std::move(t));
  return (int)(g_.tensors.size() + extra_.size()) - 1;
}

}  // namespace tare
