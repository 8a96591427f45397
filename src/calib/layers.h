// Small graph facts shared by IBC, BFT and the layer runner (src/calib).
#pragma once

#include <string>

#include "common/error.h"
#include "model/graph.h"

namespace tare::calib {

// The layers whose biases calibration corrects or trains.
inline bool is_weighted(OpType t) {
  return t == OpType::Conv2D || t == OpType::DepthwiseConv2D || t == OpType::FullyConnected;
}

inline bool is_q8(const Tensor& t) { return t.dtype == DType::I8 || t.dtype == DType::U8; }

// Output channels of a weighted op (weights [Cout, ...], depthwise [1, KH, KW, C*M], FC [units, depth]).
inline int out_channels(const Graph& g, const Op& op) {
  const Tensor& w = g.tensors[op.inputs[1]];
  TARE_CHECK(!w.shape.empty(), TARE_ERROR_INVALID_MODEL, "weights without a shape");
  return op.type == OpType::DepthwiseConv2D ? w.shape.back() : w.shape[0];
}

// Values of one image of the graph's single input; `what` names the caller in the error.
inline size_t per_image(const Graph& g, const std::string& what) {
  TARE_CHECK(g.inputs.size() == 1, TARE_ERROR_UNSUPPORTED, what + " supports models with one input");
  const Tensor& in = g.tensors[g.inputs[0]];
  TARE_CHECK(!in.shape.empty() && in.shape[0] >= 1, TARE_ERROR_UNSUPPORTED, "the input has no batch dimension");
  return (size_t)(in.elements() / in.shape[0]);
}

}  // namespace tare::calib
