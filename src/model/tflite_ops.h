// What a descriptor's import (OpDesc::read) and export (OpDesc::write) get: one operator of a .tflite file being
// read, or of a Graph being written, with the checks and conversions every op needs.  Error messages name the
// operator ("operator N (NAME): ...").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"
#include "tflite_schema_generated.h"

namespace tare {

// Integers of a FlatBuffers vector (empty for a null vector).
template <typename T>
std::vector<int> fb_ints(const flatbuffers::Vector<T>* v) {
  std::vector<int> r;
  if (!v) return r;
  r.reserve(v->size());
  for (flatbuffers::uoffset_t i = 0; i < v->size(); i++) r.push_back((int)v->Get(i));
  return r;
}

// The file's tensor type of a dtype (tflite_export.cpp).
tflite::TensorType tflite_tensor_type(DType t);

class TfliteOpReader {
 public:
  // `custom`: the CUSTOM op code this operator was imported from, or empty for a builtin.
  TfliteOpReader(const Graph& g, const tflite::Operator* fb, Op& out, int index, int builtin, std::string name,
                 std::string custom = {})
      : g_(g),
        fb_(fb),
        out_(out),
        index_(index),
        builtin_(builtin),
        name_(std::move(name)),
        custom_(std::move(custom)) {}

  const Graph& graph() const { return g_; }
  Op& op() { return out_; }
  OpParams& params() { return out_.params; }
  int builtin() const { return builtin_; }               // the file's builtin code (PAD or PADV2, ...)
  const std::string& custom() const { return custom_; }  // the CUSTOM op code, empty for a builtin
  // The operator's custom_options bytes (empty when absent).
  std::span<const uint8_t> custom_options() const {
    auto o = fb_->custom_options();
    return o ? std::span<const uint8_t>(o->data(), o->size()) : std::span<const uint8_t>();
  }
  const Tensor& input(size_t i) const { return g_.tensors[out_.inputs[i]]; }
  const Tensor& output(size_t k = 0) const { return g_.tensors[out_.outputs[k]]; }
  int input_rank(size_t i) const { return (int)input(i).shape.size(); }
  bool has_input(size_t i) const { return i < out_.inputs.size() && out_.inputs[i] >= 0; }

  std::string label() const { return "operator " + std::to_string(index_) + " (" + name_ + ")"; }
  [[noreturn]] void invalid(const std::string& msg) const;      // TARE_ERROR_INVALID_MODEL
  [[noreturn]] void unsupported(const std::string& msg) const;  // TARE_ERROR_UNSUPPORTED

  // min_in..max_in inputs, those at positions >= `required` may be omitted (-1); exactly `outputs` outputs, none
  // omitted.
  void arity(size_t min_in, size_t max_in, size_t required, size_t outputs = 1) const;
  // The builtin options when present and of the `expected` type (else INVALID_MODEL); null when absent.
  template <typename T>
  const T* options(tflite::BuiltinOptions expected) const {
    auto type = fb_->builtin_options_type();
    if (type == tflite::BuiltinOptions::NONE || !fb_->builtin_options()) return nullptr;
    if (type != expected) invalid("builtin options of type " + std::to_string((int)type) + " do not belong here");
    return static_cast<const T*>(fb_->builtin_options());
  }
  Activation activation(tflite::ActivationFunctionType a) const;
  Padding padding(tflite::Padding p) const;
  // Values of constant integer input `input` (INT32 or INT64); a non-constant one is UNSUPPORTED.
  std::vector<int64_t> const_ints(size_t input, const char* what) const;
  int normalise_axis(int64_t axis, int rank) const;
  // Normalised (>= 0), sorted, without duplicates.
  std::vector<int> normalise_axes(const std::vector<int64_t>& axes, int rank) const;

 private:
  const Graph& g_;
  const tflite::Operator* fb_;
  Op& out_;
  int index_;
  int builtin_;
  std::string name_;
  std::string custom_;
};

class TfliteOpWriter {
 public:
  // `extra`: parameter tensors the exporter appends after the graph's (their indices follow g.tensors').
  TfliteOpWriter(flatbuffers::FlatBufferBuilder& fbb, const Graph& g, const Op& op, size_t index,
                 std::vector<Tensor>& extra)
      : fbb_(fbb), g_(g), op_(op), index_(index), inputs_(op.inputs), extra_(extra) {}

  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }
  const Op& op() const { return op_; }
  const OpParams& params() const { return op_.params; }
  // Input i, or null when omitted.
  const Tensor* in(size_t i) const {
    return i < op_.inputs.size() && op_.inputs[i] >= 0 ? &g_.tensors[op_.inputs[i]] : nullptr;
  }
  DType in_type(size_t i = 0) const { return in(i) ? in(i)->dtype : DType::F32; }
  const Tensor& out() const { return g_.tensors[op_.outputs[0]]; }
  static size_t rank(const Tensor* t) { return t ? t->shape.size() : 0; }
  static size_t channels(const Tensor* t) { return t ? t->quant.scale.size() : 0; }  // quantization channels

  std::string label() const { return "operator " + std::to_string(index_) + " (" + op_name(op_.type) + ")"; }
  [[noreturn]] void bad(const std::string& msg) const;  // INVALID_ARGUMENT "export_tflite: operator N (...): msg"

  // What is written: the inputs (a descriptor may add parameter tensors), the code, the options, the version
  // (TFLite's converter's, tensorflow/lite/tools/versioning, for the features Tare uses).
  std::vector<int>& inputs() { return inputs_; }
  void set_code(int builtin) { code_ = builtin; }
  void set_options(tflite::BuiltinOptions type, flatbuffers::Offset<void> options) {
    options_type_ = type;
    options_ = options;
  }
  void set_version(int v) { version_ = v; }
  // TFLite's kernel refuses a fused activation (CONCATENATION): the options get NONE and the exporter writes the
  // activation as a RELU / RELU6 / RELU_N1_TO_1 operator of its own after this one.
  void split_activation() { activation_split_ = true; }
  bool activation_split() const { return activation_split_; }
  // TFLite's kernel is uint8 only (DIV): int8 operands and output are written as uint8 twins with QUANTIZE around
  // the operator (the same values: TFLite's uint8 arithmetic on q - zero_point is Tare's int8 one).
  void requantize_to_uint8() { uint8_requantized_ = true; }
  bool uint8_requantized() const { return uint8_requantized_; }

  // Input `slot` when it is a constant integer tensor of `shape` holding `values`, else a new INT32 constant
  // (named after the output plus `suffix`).
  int int_param(size_t slot, const std::vector<int>& shape, const std::vector<int64_t>& values,
                const std::string& suffix);

  static tflite::ActivationFunctionType activation(Activation a);
  static tflite::Padding padding(Padding p) {
    return p == Padding::Valid ? tflite::Padding::VALID : tflite::Padding::SAME;
  }

  int code() const { return code_; }
  int version() const { return version_; }
  tflite::BuiltinOptions options_type() const { return options_type_; }
  flatbuffers::Offset<void> options() const { return options_; }

 private:
  flatbuffers::FlatBufferBuilder& fbb_;
  const Graph& g_;
  const Op& op_;
  size_t index_;
  std::vector<int> inputs_;
  std::vector<Tensor>& extra_;
  int code_ = -1;
  int version_ = 1;
  bool activation_split_ = false;
  bool uint8_requantized_ = false;
  tflite::BuiltinOptions options_type_ = tflite::BuiltinOptions::NONE;
  flatbuffers::Offset<void> options_ = 0;
};

}  // namespace tare
