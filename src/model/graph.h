// Graph IR: what a .tflite model becomes after import and verification.
//
// Shapes: every tensor keeps its TFLite shape (rank 0..4 for the supported ops).  Activation tensors are NHWC;
// the last dimension is "channels".  Constant tensors own their bytes (host memory, little-endian, dense).
// Operators are stored in a valid topological order (import checks and, if needed, sorts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/op_list.h"

namespace tare {

enum class DType : int { F32 = 0, F16 = 1, I32 = 2, U8 = 3, I8 = 4, I64 = 5, I16 = 6, Bool = 7 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

struct QuantParams {
  std::vector<float> scale;         // empty: not quantized
  std::vector<int64_t> zero_point;  // same length as scale (or empty meaning 0)
  int axis = 0;                     // quantized dimension for per-channel
  bool quantized() const { return !scale.empty(); }
};

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int> shape;  // TFLite shape
  QuantParams quant;
  bool is_const = false;      // has data
  std::vector<uint8_t> data;  // constant bytes (dense, dtype), empty for activations
  int64_t elements() const {
    int64_t n = 1;
    for (int d : shape) n *= d;
    return n;
  }
  size_t bytes() const { return (size_t)elements() * dtype_size(dtype); }
  // Typed view on constant data (caller ensures dtype matches).
  const float* f32() const { return reinterpret_cast<const float*>(data.data()); }
  const int32_t* i32() const { return reinterpret_cast<const int32_t*>(data.data()); }
};

// Operator types, one per line of model/op_list.h.  Everything about an op lives in its descriptor
// (model/op_desc.h); FAKE_QUANT is internal (never imported or exported): the fake-quant float path.
enum class OpType : int {
#define TARE_OP_ENUM(T) T,
  TARE_OPS(TARE_OP_ENUM)
#undef TARE_OP_ENUM
};
inline constexpr int kOpTypeCount = 0
#define TARE_OP_COUNT(T) +1
    TARE_OPS(TARE_OP_COUNT)
#undef TARE_OP_COUNT
    ;

const char* op_name(OpType t);  // TFLite builtin name, e.g. "CONV_2D"

enum class Activation : int { None = 0, Relu = 1, ReluN1To1 = 2, Relu6 = 3 };
enum class Padding : int { Same = 0, Valid = 1 };

struct OpParams {
  // CONV_2D, DEPTHWISE_CONV_2D, pools
  Padding padding = Padding::Same;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int filter_h = 1, filter_w = 1;  // pools only (conv filters come from the weight tensor)
  int depth_multiplier = 1;
  Activation activation = Activation::None;  // fused activation (conv, dw, fc, add, mul, pools, concat)
  // FULLY_CONNECTED
  bool keep_num_dims = false;
  // CONCATENATION (axis normalised to >= 0 against the output rank)
  int axis = 0;
  // SOFTMAX
  float beta = 1.0f;
  // MEAN: reduced axes (normalised, sorted), keep_dims.  SQUEEZE: squeezed axes (normalised, sorted).
  std::vector<int> axes;
  bool keep_dims = false;
  // RESIZE_BILINEAR
  bool align_corners = false;
  bool half_pixel_centers = false;
  int new_height = 0, new_width = 0;  // output size, from the constant `size` input
  // RESHAPE: requested shape (may hold one -1); SQUEEZE uses `axes` (empty: every dimension of size 1)
  std::vector<int> new_shape;
  // PAD: per-dimension (before, after), one pair per input dimension, from the constant paddings tensor
  std::vector<std::pair<int, int>> paddings;
  // FAKE_QUANT (internal): the quantization grid the float value is snapped to
  float fq_scale = 1;
  int fq_zero_point = 0;
  int fq_qmin = -128, fq_qmax = 127;
  // Options of the other ops: each op's descriptor file names the slots it reads and writes (e.g. LEAKY_RELU's
  // alpha as floats[0]), so adding an op does not touch this struct.
  std::vector<float> floats;
  std::vector<int> ints;
};

struct Op {
  OpType type;
  std::vector<int> inputs;   // tensor indices; -1 marks an omitted optional input (e.g. no bias)
  std::vector<int> outputs;  // tensor indices
  OpParams params;
  int source_index = -1;  // index of the operator in the .tflite file (for messages)
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Op> ops;       // topological order
  std::vector<int> inputs;   // graph input tensor indices
  std::vector<int> outputs;  // graph output tensor indices
  std::string description;   // model description string, if any
};

// A shape for messages: "[1,224,224,3]".
std::string shape_str(const std::vector<int>& s);

// Output shape of the conv/pool window arithmetic of TFLite.
int conv_out_size(int in, int filter, int stride, int dilation, Padding padding);
// TFLite's padding before the window (SAME: total/2 rounded down; VALID: 0).
int conv_pad_before(int in, int filter, int stride, int dilation, Padding padding);

// Infers and checks every operator's output shape from its inputs (re-run after changing input shapes, e.g.
// batch).  Throws tare::Error(TARE_ERROR_INVALID_MODEL) naming the operator on a mismatch.
void infer_shapes(Graph& g);

// Drops tensors that no operator, graph input or output refers to, renumbering the rest.  Returns the map from
// old to new tensor indices (-1: dropped).
std::vector<int> remove_unused_tensors(Graph& g);

// Multiply-accumulates of an operator (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED; 0 for the others).
int64_t op_macs(const Graph& g, const Op& op);

// Returns a copy of `g` whose graph inputs have batch `batch` (dimension 0) and re-inferred shapes.
Graph with_batch(const Graph& g, int batch);

}  // namespace tare
