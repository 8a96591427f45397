// Small graph facts shared by IBC, BFT and the layer runner (src/calib).
#pragma once

#include <string>

#include "common/error.h"
#include "model/graph.h"
#include "model/op_desc.h"

namespace tare::calib {

inline bool is_q8(const Tensor& t) { return t.dtype == DType::I8 || t.dtype == DType::U8; }

// The layers whose biases calibration corrects or trains are the weighted ones: is_weighted and
// weighted_out_channels (model/op_desc.h).

// Values of one image of the graph's single input; `what` names the caller in the error.
inline size_t per_image(const Graph& g, const std::string& what) {
  TARE_CHECK(g.inputs.size() == 1, TARE_ERROR_UNSUPPORTED, what + " supports models with one input");
  const Tensor& in = g.tensors[g.inputs[0]];
  TARE_CHECK(!in.shape.empty() && in.shape[0] >= 1, TARE_ERROR_UNSUPPORTED, "the input has no batch dimension");
  return (size_t)(in.elements() / in.shape[0]);
}

}  // namespace tare::calib
