// Internal helpers of the CPU reference executor (src/ref/*.cpp only).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "ref/reference.h"

namespace tare::ref::detail {

// Access to one operator's inputs and outputs with the checks every op needs: an input must hold exactly as
// many values as its tensor's shape says; an output's computed shape must equal the shape the graph declares.
class OpContext {
 public:
  OpContext(const Graph& g, const Op& op, Values& values) : g_(g), op_(op), values_(values) {}

  const Graph& graph() const { return g_; }
  const Op& op() const { return op_; }
  const OpParams& params() const { return op_.params; }

  // "CONV_2D (operator 3)": used in every message.
  std::string where() const;
  [[noreturn]] void fail(tare_status status, const std::string& msg) const;

  size_t num_inputs() const { return op_.inputs.size(); }
  bool has_input(size_t i) const { return i < op_.inputs.size() && op_.inputs[i] >= 0; }
  const Tensor& input_tensor(size_t i) const;
  const std::vector<int>& in_shape(size_t i) const { return input_tensor(i).shape; }
  // The values of input i (checked against its shape).
  const std::vector<float>& in(size_t i) const;

  // Checks `shape` against the graph's output tensor `i`, resizes its values (zero-filled) and returns them.
  std::vector<float>& out(size_t i, const std::vector<int>& shape);

  void require_inputs(size_t min_count) const;
  void require_rank(size_t input, size_t rank) const;

 private:
  const Graph& g_;
  const Op& op_;
  Values& values_;
};

int64_t elements_of(const std::vector<int>& s);
// Row-major element strides of a shape.
std::vector<int64_t> strides_of(const std::vector<int>& s);
// Element strides of a broadcast operand whose dimensions `d` are aligned to the output's rank: row-major, 0 along
// the dimensions of size 1 (they broadcast).
std::vector<int64_t> broadcast_strides(const std::vector<int>& d);

inline float apply_activation(float x, Activation a) {
  switch (a) {
    case Activation::None: return x;
    case Activation::Relu: return std::max(x, 0.0f);
    case Activation::ReluN1To1: return std::min(std::max(x, -1.0f), 1.0f);
    case Activation::Relu6: return std::min(std::max(x, 0.0f), 6.0f);
  }
  return x;
}

// Validates the fused activation value (a corrupt enum would otherwise pass silently).
void check_activation(const OpContext& c);

// conv.cpp
void conv2d(OpContext& c);
void depthwise_conv2d(OpContext& c);
void fully_connected(OpContext& c);
void average_pool2d(OpContext& c);
void max_pool2d(OpContext& c);

// elementwise.cpp
// y = f(a, b) with numpy broadcasting and the fused activation (ADD, MUL, SUB, MAXIMUM, ...).
void binary(OpContext& c, float (*f)(float a, float b));
void softmax(OpContext& c);
void unary(OpContext& c, float (*f)(float));  // y = f(x) element by element
void dequantize(OpContext& c);
// FAKE_QUANT: (clamp(round_half_away(x / scale) + zp, qmin, qmax) - zp) * scale, the quotient in double (as
// QUANTIZE), the product in float32.
float fake_quant_value(float x, float scale, int zero_point, int qmin, int qmax);
void fake_quant(OpContext& c);

// layout.cpp
void mean(OpContext& c);
void concatenation(OpContext& c);
void reshape(OpContext& c);
void squeeze(OpContext& c);
void pad(OpContext& c);
void resize_bilinear(OpContext& c);

}  // namespace tare::ref::detail
