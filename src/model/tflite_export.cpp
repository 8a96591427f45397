// TensorFlow Lite export: Graph IR -> .tflite FlatBuffer (schema version 3).
#include "model/tflite_export.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "common/error.h"
#include "tflite_schema_generated.h"

namespace tare {

namespace {

[[noreturn]] void bad_graph(const std::string& msg) { fail(TARE_ERROR_INVALID_ARGUMENT, "export_tflite: " + msg); }

tflite::TensorType tensor_type(DType t) {
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

tflite::BuiltinOperator builtin_code(OpType t) {
  using BO = tflite::BuiltinOperator;
  switch (t) {
    case OpType::Conv2D: return BO::CONV_2D;
    case OpType::DepthwiseConv2D: return BO::DEPTHWISE_CONV_2D;
    case OpType::FullyConnected: return BO::FULLY_CONNECTED;
    case OpType::Add: return BO::ADD;
    case OpType::Mul: return BO::MUL;
    case OpType::AveragePool2D: return BO::AVERAGE_POOL_2D;
    case OpType::MaxPool2D: return BO::MAX_POOL_2D;
    case OpType::Mean: return BO::MEAN;
    case OpType::Concatenation: return BO::CONCATENATION;
    case OpType::Reshape: return BO::RESHAPE;
    case OpType::Squeeze: return BO::SQUEEZE;
    case OpType::Pad: return BO::PAD;
    case OpType::Softmax: return BO::SOFTMAX;
    case OpType::Logistic: return BO::LOGISTIC;
    case OpType::Relu: return BO::RELU;
    case OpType::Relu6: return BO::RELU6;
    case OpType::HardSwish: return BO::HARD_SWISH;
    case OpType::ResizeBilinear: return BO::RESIZE_BILINEAR;
    case OpType::Dequantize: return BO::DEQUANTIZE;
    case OpType::Quantize: return BO::QUANTIZE;
    case OpType::FakeQuant: break;  // internal, rejected by check()
  }
  bad_graph("unknown op type " + std::to_string((int)t));
}

tflite::ActivationFunctionType activation(Activation a) {
  switch (a) {
    case Activation::None: return tflite::ActivationFunctionType::NONE;
    case Activation::Relu: return tflite::ActivationFunctionType::RELU;
    case Activation::ReluN1To1: return tflite::ActivationFunctionType::RELU_N1_TO_1;
    case Activation::Relu6: return tflite::ActivationFunctionType::RELU6;
  }
  bad_graph("unknown fused activation " + std::to_string((int)a));
}

tflite::Padding padding(Padding p) { return p == Padding::Valid ? tflite::Padding::VALID : tflite::Padding::SAME; }

class Exporter {
 public:
  explicit Exporter(const Graph& g) : g_(g) {}

  std::vector<uint8_t> run() {
    check();
    // Operators first: they may append parameter tensors.
    std::vector<flatbuffers::Offset<tflite::Operator>> ops;
    ops.reserve(g_.ops.size());
    for (size_t i = 0; i < g_.ops.size(); i++) ops.push_back(write_op(i));
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
      if (op.type == OpType::FakeQuant) {
        fail(TARE_ERROR_UNSUPPORTED, "export_tflite: " + label +
                                         " is Tare's internal fake-quantization operator, not a TFLite operator "
                                         "(export the quantized graph instead)");
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
        quant = tflite::CreateQuantizationParameters(fbb_, 0, 0, scale, zero_point,
                                                     tflite::QuantizationDetails::NONE, 0, axis);
      }
      auto shape = fbb_.CreateVector(t.shape);
      auto name = fbb_.CreateString(t.name);
      out.push_back(tflite::CreateTensor(fbb_, shape, tensor_type(t.dtype), buffer, name, quant));
    }
    return out;
  }

  // Index of an INT32 constant tensor holding `values` with `shape`: the op's input `slot` when it is a constant
  // integer tensor with those values, else a new tensor.
  int int_param(const Op& op, size_t slot, const std::vector<int>& shape, const std::vector<int64_t>& values,
                const std::string& suffix) {
    if (slot < op.inputs.size() && op.inputs[slot] >= 0) {
      const Tensor& t = tensor(op.inputs[slot]);
      if (t.is_const && t.shape == shape && (t.dtype == DType::I32 || t.dtype == DType::I64) &&
          (size_t)t.elements() == values.size()) {
        bool same = true;
        for (size_t i = 0; i < values.size() && same; i++) {
          int64_t v;
          if (t.dtype == DType::I32) {
            int32_t e;
            std::memcpy(&e, t.data.data() + 4 * i, 4);
            v = e;
          } else {
            std::memcpy(&v, t.data.data() + 8 * i, 8);
          }
          same = v == values[i];
        }
        if (same) return op.inputs[slot];
      }
    }
    Tensor t;
    t.name = tensor(op.outputs[0]).name + suffix;
    t.dtype = DType::I32;
    t.shape = shape;
    t.is_const = true;
    t.data.resize(values.size() * 4);
    for (size_t i = 0; i < values.size(); i++) {
      const int32_t e = (int32_t)values[i];
      std::memcpy(t.data.data() + 4 * i, &e, 4);
    }
    extra_.push_back(std::move(t));
    return (int)tensor_count() - 1;
  }

  // ---- operators ---------------------------------------------------------------------------------------------
  // Input i of `op`; nullptr when omitted.
  const Tensor* in(const Op& op, size_t i) const {
    return i < op.inputs.size() && op.inputs[i] >= 0 ? &tensor(op.inputs[i]) : nullptr;
  }
  DType in_type(const Op& op, size_t i = 0) const { return in(op, i) ? in(op, i)->dtype : DType::F32; }
  const Tensor& out(const Op& op) const { return tensor(op.outputs[0]); }
  static size_t rank(const Tensor* t) { return t ? t->shape.size() : 0; }
  static size_t channels(const Tensor* t) { return t ? t->quant.scale.size() : 0; }

  // The operator version TFLite's converter assigns (tensorflow/lite/tools/versioning), for the features Tare uses.
  int version(const Op& op) const {
    const DType x = in_type(op);
    const bool i8 = x == DType::I8, i16 = x == DType::I16;
    const OpParams& p = op.params;
    switch (op.type) {
      case OpType::Conv2D: {
        const DType w = in_type(op, 1);
        if (i16 && w == DType::I8) return 4;
        if (rank(in(op, 0)) == 4 && rank(in(op, 1)) == 4 && in(op, 0)->shape[3] != in(op, 1)->shape[3]) {
          return 6;  // grouped convolution
        }
        if (x == DType::F32 && w == DType::I8) return channels(in(op, 1)) > 1 ? 5 : 2;
        if (i8) return 3;
        if (p.dilation_h != 1 || p.dilation_w != 1) return 2;
        return 1;
      }
      case OpType::DepthwiseConv2D: {
        const DType w = in_type(op, 1);
        if (i16) return 5;
        if (x == DType::F32 && w == DType::I8) return channels(in(op, 1)) > 1 ? 6 : 4;
        if (i8) return 3;
        if (p.dilation_h != 1 || p.dilation_w != 1) return 2;
        return 1;
      }
      case OpType::FullyConnected: {
        const DType w = in_type(op, 1);
        if (i16) return 7;
        if (op.inputs.size() == 2) return 6;
        if (p.keep_num_dims) return 5;
        if (i8) return 4;
        if (x == DType::F32 && (w == DType::I8 || w == DType::U8)) return 3;
        return 1;
      }
      case OpType::Add:
        if (x == DType::I64) return 4;
        if (i16) return 3;
        return i8 ? 2 : 1;
      case OpType::Mul: {
        if (x == DType::I8 || x == DType::U8) {
          const Tensor *a = in(op, 0), *b = in(op, 1), &y = out(op);
          if (a && b && a->quant.quantized() && b->quant.quantized() && y.quant.quantized() && y.quant.scale[0] > 0 &&
              (double)a->quant.scale[0] * b->quant.scale[0] / y.quant.scale[0] >= 1.0) {
            return 3;
          }
        }
        if (i16) return 4;
        return i8 ? 2 : 1;
      }
      case OpType::AveragePool2D:
      case OpType::MaxPool2D:
      case OpType::Softmax:
      case OpType::Logistic:
        if (i16) return 3;
        return i8 ? 2 : 1;
      case OpType::Mean:
        if (i16) return 3;
        return i8 || x == DType::U8 ? 2 : 1;
      case OpType::Concatenation:
        if (i16) return 3;
        return i8 ? 2 : 1;
      case OpType::Reshape: return 1;
      case OpType::Squeeze: return i16 || x == DType::Bool ? 2 : 1;
      case OpType::Pad:
        if (rank(in(op, 0)) > 4) return 4;
        if (i16) return 3;
        return i8 ? 2 : 1;
      case OpType::Relu:
        if (i16) return 3;
        return i8 || x == DType::U8 ? 2 : 1;
      case OpType::Relu6: return i8 || x == DType::U8 ? 2 : 1;
      case OpType::HardSwish: return 1;
      case OpType::ResizeBilinear:
        if (i16) return 4;
        if (p.half_pixel_centers) return 3;
        return i8 ? 2 : 1;
      case OpType::Dequantize:
        if (i16 || x == DType::F16) return 3;
        if (i8) return channels(in(op, 0)) > 1 ? 5 : 2;
        return 1;
      case OpType::Quantize:
        if (out(op).quant.scale.size() > 1) return 3;
        if (out(op).dtype == DType::I16) return 2;
        return 1;
      case OpType::FakeQuant: return 1;  // never written (check() rejects it)
    }
    return 1;
  }

  uint32_t opcode_index(tflite::BuiltinOperator code, int version) {
    const auto key = std::make_pair(code, version);
    auto it = opcode_map_.find(key);
    if (it != opcode_map_.end()) return it->second;
    const uint32_t index = (uint32_t)opcode_list_.size();
    opcode_list_.push_back(key);
    opcode_map_.emplace(key, index);
    return index;
  }

  flatbuffers::Offset<tflite::Operator> write_op(size_t index) {
    using BOpt = tflite::BuiltinOptions;
    const Op& op = g_.ops[index];
    const OpParams& p = op.params;
    const std::string label = "operator " + std::to_string(index) + " (" + op_name(op.type) + ")";
    std::vector<int> inputs = op.inputs;
    const int in_rank = (int)rank(in(op, 0));
    tflite::BuiltinOperator code = builtin_code(op.type);
    BOpt type = BOpt::NONE;
    flatbuffers::Offset<void> options = 0;
    switch (op.type) {
      case OpType::Conv2D:
        type = BOpt::Conv2DOptions;
        options = tflite::CreateConv2DOptions(fbb_, padding(p.padding), p.stride_w, p.stride_h,
                                              activation(p.activation), p.dilation_w, p.dilation_h)
                      .Union();
        break;
      case OpType::DepthwiseConv2D:
        type = BOpt::DepthwiseConv2DOptions;
        options = tflite::CreateDepthwiseConv2DOptions(fbb_, padding(p.padding), p.stride_w, p.stride_h,
                                                       p.depth_multiplier, activation(p.activation), p.dilation_w,
                                                       p.dilation_h)
                      .Union();
        break;
      case OpType::FullyConnected:
        type = BOpt::FullyConnectedOptions;
        options = tflite::CreateFullyConnectedOptions(fbb_, activation(p.activation),
                                                      tflite::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                      p.keep_num_dims)
                      .Union();
        break;
      case OpType::Add:
        type = BOpt::AddOptions;
        options = tflite::CreateAddOptions(fbb_, activation(p.activation)).Union();
        break;
      case OpType::Mul:
        type = BOpt::MulOptions;
        options = tflite::CreateMulOptions(fbb_, activation(p.activation)).Union();
        break;
      case OpType::AveragePool2D:
      case OpType::MaxPool2D:
        type = BOpt::Pool2DOptions;
        options = tflite::CreatePool2DOptions(fbb_, padding(p.padding), p.stride_w, p.stride_h, p.filter_w,
                                              p.filter_h, activation(p.activation))
                      .Union();
        break;
      case OpType::Mean: {
        std::vector<int64_t> axes(p.axes.begin(), p.axes.end());
        inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
        inputs[1] = int_param(op, 1, {(int)axes.size()}, axes, "_axes");
        type = BOpt::ReducerOptions;
        options = tflite::CreateReducerOptions(fbb_, p.keep_dims).Union();
        break;
      }
      case OpType::Concatenation:
        type = BOpt::ConcatenationOptions;
        options = tflite::CreateConcatenationOptions(fbb_, p.axis, activation(p.activation)).Union();
        break;
      case OpType::Reshape: {
        // The shape input is optional in the format (ReshapeOptions.new_shape is the legacy form that TFLite still
        // reads): an op without one keeps that form, a non-constant one (computed at run time) stays as it is, a
        // constant one is rewritten from new_shape when it no longer matches.
        if (in(op, 1) && in(op, 1)->is_const) {
          std::vector<int64_t> shape(p.new_shape.begin(), p.new_shape.end());
          inputs.resize(2, -1);
          inputs[1] = int_param(op, 1, {(int)shape.size()}, shape, "_shape");
        }
        type = BOpt::ReshapeOptions;
        options = tflite::CreateReshapeOptions(fbb_, fbb_.CreateVector(p.new_shape)).Union();
        break;
      }
      case OpType::Squeeze:
        type = BOpt::SqueezeOptions;
        options = tflite::CreateSqueezeOptions(fbb_, p.axes.empty() ? 0 : fbb_.CreateVector(p.axes)).Union();
        break;
      case OpType::Pad: {
        if ((int)p.paddings.size() != in_rank) {
          bad_graph(label + ": " + std::to_string(p.paddings.size()) + " paddings for an input of rank " +
                    std::to_string(in_rank));
        }
        std::vector<int64_t> pads;
        for (const auto& [before, after] : p.paddings) {
          pads.push_back(before);
          pads.push_back(after);
        }
        inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
        inputs[1] = int_param(op, 1, {in_rank, 2}, pads, "_paddings");
        if (inputs.size() > 2 && inputs[2] >= 0) {  // a pad value: PADV2
          code = tflite::BuiltinOperator::PADV2;
          type = BOpt::PadV2Options;
          options = tflite::CreatePadV2Options(fbb_).Union();
        } else {
          inputs.resize(2);
          type = BOpt::PadOptions;
          options = tflite::CreatePadOptions(fbb_).Union();
        }
        break;
      }
      case OpType::Softmax:
        type = BOpt::SoftmaxOptions;
        options = tflite::CreateSoftmaxOptions(fbb_, p.beta).Union();
        break;
      case OpType::Logistic:
      case OpType::Relu:
      case OpType::Relu6:
        break;
      case OpType::HardSwish:
        type = BOpt::HardSwishOptions;
        options = tflite::CreateHardSwishOptions(fbb_).Union();
        break;
      case OpType::ResizeBilinear: {
        inputs.resize(std::max<size_t>(inputs.size(), 2), -1);
        inputs[1] = int_param(op, 1, {2}, {p.new_height, p.new_width}, "_size");
        type = BOpt::ResizeBilinearOptions;
        options = tflite::CreateResizeBilinearOptions(fbb_, p.align_corners, p.half_pixel_centers).Union();
        break;
      }
      case OpType::Dequantize:
        type = BOpt::DequantizeOptions;
        options = tflite::CreateDequantizeOptions(fbb_).Union();
        break;
      case OpType::Quantize:
        type = BOpt::QuantizeOptions;
        options = tflite::CreateQuantizeOptions(fbb_).Union();
        break;
      case OpType::FakeQuant:
        fail(TARE_ERROR_UNSUPPORTED, "export_tflite: " + label + " is not a TFLite operator");
    }
    const uint32_t code_index = opcode_index(code, version(op));
    auto in_off = fbb_.CreateVector(inputs);
    auto out_off = fbb_.CreateVector(op.outputs);
    return tflite::CreateOperator(fbb_, code_index, in_off, out_off, type, options);
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

}  // namespace tare
