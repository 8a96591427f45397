// Internal helpers of the integer CPU reference executor (src/ref/int_*.cpp only).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fixed_point.h"
#include "ref/int_reference.h"

namespace tare::ref::intd {

void qrange(DType t, int32_t* qmin, int32_t* qmax);

// A quantized 8-bit tensor's data with its per-tensor parameters (scale[0], zero_point[0]).
struct QView {
  DType dtype = DType::I8;
  const uint8_t* p = nullptr;
  float scale = 1.0f;
  int32_t zp = 0;
  int32_t qmin = -128, qmax = 127;
  int32_t at(int64_t i) const { return dtype == DType::I8 ? (int32_t)(int8_t)p[i] : (int32_t)p[i]; }
  // For outputs (p points at writable memory).
  void set(int64_t i, int32_t v) const { const_cast<uint8_t*>(p)[i] = (uint8_t)(v & 0xff); }
};

struct IntCtx {
  const Graph& g;
  const Op& op;
  RawTensors& tensors;

  std::string where() const;
  [[noreturn]] void fail(tare_status status, const std::string& msg) const;
  bool has_input(size_t i) const { return i < op.inputs.size() && op.inputs[i] >= 0; }
  const Tensor& in_tensor(size_t i) const;
  const Tensor& out_tensor(size_t i) const;
  // Input bytes (checked against the tensor's size); constants come from the graph.
  const uint8_t* in_bytes(size_t i) const;
  // Output bytes, resized to the tensor's size and zeroed.
  uint8_t* out_bytes(size_t i) const;
  QView make_qview(const Tensor& t, const uint8_t* p) const;
  QView in_q(size_t i) const;
  QView out_q(size_t i) const;
};

// 0 none, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6; -1 invalid.
int activation_code(Activation a);
// The fused activation's clamp range on the output's scale (TFLite's CalculateActivationRangeQuantized).
void fused_range(const IntCtx& c, const QView& out, int32_t* lo, int32_t* hi);

// int_kernels.cpp
void conv2d(IntCtx& c);
void depthwise_conv2d(IntCtx& c);
void transpose_conv(IntCtx& c);
void fully_connected(IntCtx& c);
enum class AddKind { Add, Sub, SquaredDifference };
void add_like(IntCtx& c, AddKind kind);
void maximum_minimum(IntCtx& c, bool maximum);
void mul(IntCtx& c);
void div(IntCtx& c);
void prelu(IntCtx& c);
void pool2d(IntCtx& c, bool average);
void mean(IntCtx& c);
void concatenation(IntCtx& c);
void pad(IntCtx& c);
void softmax(IntCtx& c);
void logistic(IntCtx& c);
void hard_swish(IntCtx& c);
void relu(IntCtx& c, float act_min, float act_max);
void resize_bilinear(IntCtx& c);

// int_reference.cpp
void copy_op(IntCtx& c);        // RESHAPE, SQUEEZE: the bytes as they are
void quantize_op(IntCtx& c);    // float -> int (AffineQuantize) or int -> int (Requantize)
void dequantize_op(IntCtx& c);  // int -> float

}  // namespace tare::ref::intd
