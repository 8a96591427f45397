// Integer CPU reference executor: runs a quantized graph (int8 / uint8 activations with QuantParams, int32 biases,
// int8 weights per-tensor or per-channel, legacy uint8 weights) with TensorFlow Lite's integer semantics, bit-exact
// with TFLite's builtin kernels (see docs/quantization.md for the arithmetic and the few places where TFLite's own
// kernels disagree with each other).  It is the oracle of the GPU integer kernels.
//
// Data are raw little-endian bytes per tensor, dense, in the tensor's TFLite shape.  Operators whose input is float32
// (other than QUANTIZE) run through the float reference (src/ref/reference.h); DEQUANTIZE writes float32 bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "model/graph.h"

namespace tare::ref {

using RawTensors = std::vector<std::vector<uint8_t>>;  // raw bytes per tensor index (constants: empty, see below)

// Runs the graph: inputs[i] holds the raw bytes of graph input i (int8/uint8/float32 as its dtype says).  Returns the
// raw bytes of every graph output.  Throws tare::Error: TARE_ERROR_INVALID_ARGUMENT for a wrong input count or size,
// TARE_ERROR_UNSUPPORTED for an operator / type combination it does not implement, TARE_ERROR_INVALID_MODEL for
// inconsistent quantization parameters.
std::vector<std::vector<uint8_t>> run_int(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs);

// The same run, keeping every tensor: result[t] holds tensor t's raw bytes (constants: a copy of their data), for
// per-tensor comparison against another executor.
RawTensors run_int_all(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs);

}  // namespace tare::ref
