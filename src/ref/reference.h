// CPU reference executor: plain, obviously-correct C++ for every float operator.  It is the oracle the GPU
// kernels are tested against (never the other way round), so it favours clarity over speed.
//
// Values are float32, dense, in the tensor's TFLite shape (NHWC for 4-D activations), C order.
#pragma once

#include <vector>

#include "model/graph.h"

namespace tare::ref {

using Values = std::vector<std::vector<float>>;  // one dense float vector per tensor index of the graph

// Fills constant tensors (converted to float: F32 as is; F16, I8/U8/I32 dequantized with their scale and zero
// point when quantized, else cast) into a Values table sized to the graph; activations stay empty.
Values constant_values(const Graph& g);

// Evaluates one operator: reads values[op.inputs], writes values[op.outputs] (resized to the output shapes).
// Throws tare::Error(TARE_ERROR_UNSUPPORTED) for an operator it does not know (QUANTIZE included, for now), and
// TARE_ERROR_INVALID_MODEL when the shape it computes for an output differs from the shape the graph declares (so
// a hand-built graph must carry its output shapes).  DEQUANTIZE copies constant and float inputs (constants are
// already real values); a non-constant quantized integer tensor holds its integers as floats and becomes
// (q - zero_point) * scale.
void eval_op(const Graph& g, const Op& op, Values& values);

// Runs the whole graph: inputs[i] is the dense float data of graph input i.  Returns every tensor's value.
Values run(const Graph& g, const std::vector<std::vector<float>>& inputs);

}  // namespace tare::ref
