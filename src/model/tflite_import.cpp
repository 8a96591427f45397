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

#include "common/error.h"
#include "common/fp16.h"
#include "tflite_schema_generated.h"

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

template <typename T>
std::vector<int> int_vector(const flatbuffers::Vector<T>* v) {
  std::vector<int> r;
  if (!v) return r;
  r.reserve(v->size());
  for (flatbuffers::uoffset_t i = 0; i < v->size(); i++) r.push_back((int)v->Get(i));
  return r;
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
    if (subgraphs->size() != 1) {
      unsupported("the model has " + std::to_string(subgraphs->size()) + " subgraphs; only 1 is supported");
    }
    sg_ = subgraphs->Get(0);
    if (!sg_) invalid("subgraph 0 is missing");
    if (model_->description()) g_.description = model_->description()->str();
    read_opcodes();
    read_tensors();
    read_io();
    read_ops();
    fold_fp16_dequantize();
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
      if (!map_dtype(t->type(), &out.dtype)) {
        const char* tn = tflite::EnumNameTensorType(t->type());
        unsupported(label + " has unsupported type " +
                    ((tn && *tn) ? std::string(tn) : std::to_string((int)t->type())));
      }
      out.shape = int_vector(t->shape());
      int64_t n = 1;
      for (int d : out.shape) {
        if (d < 0) invalid(label + " has a negative dimension in shape " + shape_str(out.shape));
        if (d > 0 && n > kMaxElements / d) invalid(label + " shape " + shape_str(out.shape) + " is too large");
        n *= d;
      }
      if (t->sparsity()) unsupported(label + " is sparse; sparse tensors are not supported");
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
      if (b == 0 || !buffers) continue;
      auto buf = buffers->Get(b);
      if (!buf) continue;
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
      if (!std::isfinite(s) || s < 0) invalid(label + ": invalid quantization scale " + std::to_string(s));
      out.quant.scale.push_back(s);
    }
    if (zp && zp->size() == n) {
      // The verifier checks vectors for 4-byte alignment only: read the 64-bit elements bytewise.
      const uint8_t* raw = reinterpret_cast<const uint8_t*>(zp->data());
      for (flatbuffers::uoffset_t i = 0; i < n; i++) {
        int64_t z;
        std::memcpy(&z, raw + 8 * (size_t)i, 8);
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
  }

  // ---- operators ---------------------------------------------------------------------------------------------
  struct OpCtx {
    int index;
    std::string name;
    const tflite::Operator* op;
    Op* out;
    std::string label() const { return "operator " + std::to_string(index) + " (" + name + ")"; }
  };

  [[noreturn]] void op_invalid(const OpCtx& c, const std::string& msg) const { invalid(c.label() + ": " + msg); }
  [[noreturn]] void op_unsupported(const OpCtx& c, const std::string& msg) const {
    unsupported(c.label() + ": " + msg);
  }

  // Checks the operator's arity; inputs at positions >= `required` may be omitted (-1).
  void arity(const OpCtx& c, size_t min_in, size_t max_in, size_t required) const {
    const auto& in = c.out->inputs;
    if (in.size() < min_in || in.size() > max_in) {
      op_invalid(c, "expects " + (min_in == max_in ? std::to_string(min_in)
                                                     : std::to_string(min_in) + " to " + std::to_string(max_in)) +
                        " inputs, has " + std::to_string(in.size()));
    }
    for (size_t i = 0; i < in.size(); i++) {
      if (in[i] == -1 && i < required) op_invalid(c, "required input " + std::to_string(i) + " is missing");
    }
    if (c.out->outputs.size() != 1) op_invalid(c, "expects 1 output, has " + std::to_string(c.out->outputs.size()));
    if (c.out->outputs[0] < 0) op_invalid(c, "output is missing");
  }

  template <typename T>
  const T* options(const OpCtx& c, tflite::BuiltinOptions expected) const {
    auto type = c.op->builtin_options_type();
    if (type == tflite::BuiltinOptions::NONE || !c.op->builtin_options()) return nullptr;
    if (type != expected) {
      op_invalid(c, "builtin options of type " + std::to_string((int)type) + " do not belong to this operator");
    }
    return static_cast<const T*>(c.op->builtin_options());
  }

  Activation activation(const OpCtx& c, tflite::ActivationFunctionType a) const {
    switch (a) {
      case tflite::ActivationFunctionType::NONE: return Activation::None;
      case tflite::ActivationFunctionType::RELU: return Activation::Relu;
      case tflite::ActivationFunctionType::RELU_N1_TO_1: return Activation::ReluN1To1;
      case tflite::ActivationFunctionType::RELU6: return Activation::Relu6;
      default: break;
    }
    const char* n = tflite::EnumNameActivationFunctionType(a);
    op_unsupported(c, std::string("fused activation ") + ((n && *n) ? n : std::to_string((int)a)) +
                          " is not supported");
  }

  Padding padding(const OpCtx& c, tflite::Padding p) const {
    if (p == tflite::Padding::SAME) return Padding::Same;
    if (p == tflite::Padding::VALID) return Padding::Valid;
    op_invalid(c, "unknown padding " + std::to_string((int)p));
  }

  // Values of a constant integer input (INT32 or INT64).
  std::vector<int64_t> const_ints(const OpCtx& c, size_t input, const char* what) const {
    int t = c.out->inputs[input];
    const Tensor& x = g_.tensors[t];
    if (!x.is_const) op_unsupported(c, std::string("non-constant ") + what + " input is not supported");
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
      op_invalid(c, std::string(what) + " input must be INT32 or INT64, is " + dtype_name(x.dtype));
    }
    return v;
  }

  int input_rank(const OpCtx& c, size_t i) const { return (int)g_.tensors[c.out->inputs[i]].shape.size(); }

  int normalise_axis(const OpCtx& c, int64_t axis, int rank) const {
    if (axis < -rank || axis >= rank) {
      op_invalid(c, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
    }
    return (int)(axis < 0 ? axis + rank : axis);
  }

  std::vector<int> normalise_axes(const OpCtx& c, const std::vector<int64_t>& axes, int rank) const {
    std::vector<int> r;
    for (int64_t a : axes) r.push_back(normalise_axis(c, a, rank));
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
    return r;
  }

  void read_ops() {
    auto ops = sg_->operators();
    if (!ops) return;
    const int nt = (int)g_.tensors.size();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); i++) {
      auto op = ops->Get(i);
      if (!op) invalid("operator " + std::to_string(i) + " is missing");
      if (op->opcode_index() >= opcodes_.size()) {
        invalid("operator " + std::to_string(i) + ": opcode index " + std::to_string(op->opcode_index()) +
                " out of range (" + std::to_string(opcodes_.size()) + " operator codes)");
      }
      const OpCodeInfo& code = opcodes_[op->opcode_index()];
      const std::string name = builtin_name(code.builtin);
      const std::string label = "operator " + std::to_string(i) + " (" + name + ")";
      Op out;
      out.source_index = (int)i;
      out.inputs = int_vector(op->inputs());
      out.outputs = int_vector(op->outputs());
      for (int t : out.inputs) {
        if (t < -1 || t >= nt) invalid(label + ": input tensor index " + std::to_string(t) + " out of range");
      }
      for (int t : out.outputs) {
        if (t < -1 || t >= nt) invalid(label + ": output tensor index " + std::to_string(t) + " out of range");
      }
      OpCtx c{(int)i, name, op, &out};
      map_op(c, code);
      g_.ops.push_back(std::move(out));
    }
  }

  void map_op(const OpCtx& c, const OpCodeInfo& code) {
    using BO = tflite::BuiltinOperator;
    using BOpt = tflite::BuiltinOptions;
    Op& o = *c.out;
    OpParams& p = o.params;
    switch (static_cast<BO>(code.builtin)) {
      case BO::CONV_2D: {
        o.type = OpType::Conv2D;
        arity(c, 2, 3, 2);
        if (auto opt = options<tflite::Conv2DOptions>(c, BOpt::Conv2DOptions)) {
          p.padding = padding(c, opt->padding());
          p.stride_w = opt->stride_w();
          p.stride_h = opt->stride_h();
          p.dilation_w = opt->dilation_w_factor();
          p.dilation_h = opt->dilation_h_factor();
          p.activation = activation(c, opt->fused_activation_function());
        } else {
          p.stride_w = p.stride_h = 0;
        }
        return;
      }
      case BO::DEPTHWISE_CONV_2D: {
        o.type = OpType::DepthwiseConv2D;
        arity(c, 2, 3, 2);
        if (auto opt = options<tflite::DepthwiseConv2DOptions>(c, BOpt::DepthwiseConv2DOptions)) {
          p.padding = padding(c, opt->padding());
          p.stride_w = opt->stride_w();
          p.stride_h = opt->stride_h();
          p.dilation_w = opt->dilation_w_factor();
          p.dilation_h = opt->dilation_h_factor();
          p.depth_multiplier = opt->depth_multiplier();
          p.activation = activation(c, opt->fused_activation_function());
        } else {
          p.stride_w = p.stride_h = 0;
        }
        // The option is redundant (TFLite ignores it): the multiplier follows from the shapes.
        const auto& x = g_.tensors[o.inputs[0]].shape;
        const auto& f = g_.tensors[o.inputs[1]].shape;
        if (x.size() == 4 && f.size() == 4 && x[3] > 0 && f[3] % x[3] == 0) p.depth_multiplier = f[3] / x[3];
        return;
      }
      case BO::FULLY_CONNECTED: {
        o.type = OpType::FullyConnected;
        arity(c, 2, 3, 2);
        if (auto opt = options<tflite::FullyConnectedOptions>(c, BOpt::FullyConnectedOptions)) {
          if (opt->weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT) {
            op_unsupported(c, "shuffled weights format is not supported");
          }
          p.activation = activation(c, opt->fused_activation_function());
          p.keep_num_dims = opt->keep_num_dims();
        }
        return;
      }
      case BO::ADD:
      case BO::MUL: {
        bool add = static_cast<BO>(code.builtin) == BO::ADD;
        o.type = add ? OpType::Add : OpType::Mul;
        arity(c, 2, 2, 2);
        if (add) {
          if (auto opt = options<tflite::AddOptions>(c, BOpt::AddOptions)) {
            p.activation = activation(c, opt->fused_activation_function());
          }
        } else if (auto opt = options<tflite::MulOptions>(c, BOpt::MulOptions)) {
          p.activation = activation(c, opt->fused_activation_function());
        }
        return;
      }
      case BO::AVERAGE_POOL_2D:
      case BO::MAX_POOL_2D: {
        o.type = static_cast<BO>(code.builtin) == BO::AVERAGE_POOL_2D ? OpType::AveragePool2D : OpType::MaxPool2D;
        arity(c, 1, 1, 1);
        if (auto opt = options<tflite::Pool2DOptions>(c, BOpt::Pool2DOptions)) {
          p.padding = padding(c, opt->padding());
          p.stride_w = opt->stride_w();
          p.stride_h = opt->stride_h();
          p.filter_w = opt->filter_width();
          p.filter_h = opt->filter_height();
          p.activation = activation(c, opt->fused_activation_function());
        } else {
          p.stride_w = p.stride_h = p.filter_w = p.filter_h = 0;
        }
        return;
      }
      case BO::MEAN: {
        o.type = OpType::Mean;
        arity(c, 2, 2, 2);
        if (auto opt = options<tflite::ReducerOptions>(c, BOpt::ReducerOptions)) p.keep_dims = opt->keep_dims();
        p.axes = normalise_axes(c, const_ints(c, 1, "axes"), input_rank(c, 0));
        return;
      }
      case BO::CONCATENATION: {
        o.type = OpType::Concatenation;
        if (o.inputs.empty()) op_invalid(c, "has no input");
        arity(c, o.inputs.size(), o.inputs.size(), o.inputs.size());
        int axis = 0;
        if (auto opt = options<tflite::ConcatenationOptions>(c, BOpt::ConcatenationOptions)) {
          axis = opt->axis();
          p.activation = activation(c, opt->fused_activation_function());
        }
        p.axis = normalise_axis(c, axis, input_rank(c, 0));
        return;
      }
      case BO::RESHAPE: {
        o.type = OpType::Reshape;
        arity(c, 1, 2, 1);
        const Tensor& y = g_.tensors[o.outputs[0]];
        bool done = false;
        if (o.inputs.size() == 2 && o.inputs[1] >= 0) {
          const Tensor& s = g_.tensors[o.inputs[1]];
          if (!s.is_const) {
            p.new_shape = y.shape;  // computed at run time in TFLite; the file's output shape is what it yields
            done = true;
          } else if (s.shape.size() == 1) {
            for (int64_t v : const_ints(c, 1, "shape")) {
              if (v < -1 || v > std::numeric_limits<int>::max()) op_invalid(c, "invalid new shape value");
              p.new_shape.push_back((int)v);
            }
            done = true;
          }
        }
        if (!done) {
          auto opt = options<tflite::ReshapeOptions>(c, BOpt::ReshapeOptions);
          if (opt && opt->new_shape()) {
            p.new_shape = int_vector(opt->new_shape());
          } else {
            p.new_shape = y.shape;
          }
        }
        return;
      }
      case BO::SQUEEZE: {
        o.type = OpType::Squeeze;
        arity(c, 1, 1, 1);
        if (auto opt = options<tflite::SqueezeOptions>(c, BOpt::SqueezeOptions)) {
          std::vector<int64_t> axes;
          for (int a : int_vector(opt->squeeze_dims())) axes.push_back(a);
          p.axes = normalise_axes(c, axes, input_rank(c, 0));
        }
        return;
      }
      case BO::PAD:
      case BO::PADV2: {
        o.type = OpType::Pad;
        bool v2 = static_cast<BO>(code.builtin) == BO::PADV2;
        if (v2) {
          arity(c, 2, 3, 2);
        } else {
          arity(c, 2, 2, 2);
        }
        int rank = input_rank(c, 0);
        const Tensor& pt = g_.tensors[o.inputs[1]];
        auto v = const_ints(c, 1, "paddings");
        if (pt.shape.size() != 2 || pt.shape[0] != rank || pt.shape[1] != 2) {
          op_invalid(c, "paddings of shape " + shape_str(pt.shape) + " do not match input rank " +
                            std::to_string(rank));
        }
        for (int i = 0; i < rank; i++) {
          int64_t a = v[2 * i], b = v[2 * i + 1];
          if (a < 0 || b < 0 || a > std::numeric_limits<int>::max() || b > std::numeric_limits<int>::max()) {
            op_invalid(c, "invalid padding " + std::to_string(a) + "," + std::to_string(b));
          }
          p.paddings.emplace_back((int)a, (int)b);
        }
        if (v2 && o.inputs.size() == 3 && o.inputs[2] >= 0) check_pad_value(c, g_.tensors[o.inputs[2]]);
        return;
      }
      case BO::SOFTMAX: {
        o.type = OpType::Softmax;
        arity(c, 1, 1, 1);
        if (auto opt = options<tflite::SoftmaxOptions>(c, BOpt::SoftmaxOptions)) p.beta = opt->beta();
        if (!std::isfinite(p.beta)) op_invalid(c, "invalid beta");
        return;
      }
      case BO::LOGISTIC: o.type = OpType::Logistic; arity(c, 1, 1, 1); return;
      case BO::RELU: o.type = OpType::Relu; arity(c, 1, 1, 1); return;
      case BO::RELU6: o.type = OpType::Relu6; arity(c, 1, 1, 1); return;
      case BO::HARD_SWISH: o.type = OpType::HardSwish; arity(c, 1, 1, 1); return;
      case BO::DEQUANTIZE: o.type = OpType::Dequantize; arity(c, 1, 1, 1); return;
      case BO::QUANTIZE: o.type = OpType::Quantize; arity(c, 1, 1, 1); return;
      case BO::RESIZE_BILINEAR: {
        o.type = OpType::ResizeBilinear;
        arity(c, 2, 2, 2);
        if (auto opt = options<tflite::ResizeBilinearOptions>(c, BOpt::ResizeBilinearOptions)) {
          p.align_corners = opt->align_corners();
          p.half_pixel_centers = opt->half_pixel_centers();
        }
        auto v = const_ints(c, 1, "size");
        if (v.size() != 2 || v[0] < 1 || v[1] < 1 || v[0] > std::numeric_limits<int>::max() ||
            v[1] > std::numeric_limits<int>::max()) {
          op_invalid(c, "size input must hold 2 positive values");
        }
        p.new_height = (int)v[0];
        p.new_width = (int)v[1];
        return;
      }
      case BO::CUSTOM:
        unsupported("operator " + std::to_string(c.index) + ": CUSTOM op '" + code.custom + "' is not supported");
      default:
        break;
    }
    unsupported("operator " + std::to_string(c.index) + ": builtin op " + c.name + " (" +
                std::to_string(code.builtin) + ") is not supported");
  }

  void check_pad_value(const OpCtx& c, const Tensor& v) const {
    if (!v.is_const || v.elements() != 1) op_unsupported(c, "PADV2 with a non-constant pad value is not supported");
    bool zero = false;
    switch (v.dtype) {
      case DType::F32: {
        float f;
        std::memcpy(&f, v.data.data(), 4);
        zero = f == 0.0f;
        break;
      }
      case DType::F16: {
        uint16_t h;
        std::memcpy(&h, v.data.data(), 2);
        zero = half_to_float(h) == 0.0f;
        break;
      }
      case DType::I8:
      case DType::U8: {
        int64_t q = v.dtype == DType::I8 ? (int64_t)(int8_t)v.data[0] : (int64_t)v.data[0];
        int64_t zp = v.quant.zero_point.empty() ? 0 : v.quant.zero_point[0];
        zero = q == zp;
        break;
      }
      default: break;
    }
    if (!zero) op_unsupported(c, "PADV2 with a non-zero pad value is not supported");
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
  std::vector<OpCodeInfo> opcodes_;
  Graph g_;
};

}  // namespace

Graph import_tflite(const uint8_t* data, size_t size) {
  if (!data || size == 0) invalid("the model is empty");
  if (size < 8) invalid("the model is too small (" + std::to_string(size) + " bytes) to be a TFLite file");
  if (size > (std::numeric_limits<size_t>::max() >> 4)) invalid("the model is too large");
  if (std::memcmp(data + 4, "TFL3", 4) != 0) invalid("not a TFLite model (the file identifier is not 'TFL3')");

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
    invalid("the TFLite FlatBuffer is corrupt or truncated (verification failed, " + std::to_string(size) +
            " bytes)");
  }
  return Importer(buf, size).run();
}

}  // namespace tare
