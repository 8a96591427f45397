// TensorFlow Lite export: writes a Graph as a standard .tflite file (FlatBuffers "TFL3", schema version 3) that
// TFLite itself loads and runs.
#pragma once

#include <cstdint>
#include <vector>

#include "model/graph.h"

namespace tare {

// Serialises `g` as a .tflite model:
//  - one subgraph ("main") holding every tensor of `g` in order (indices are kept), with its dtype, shape,
//    quantization parameters (scale, zero_point, quantized_dimension) and, for constants, its bytes in a buffer of
//    its own (16-byte aligned); buffer 0 is the empty buffer, shared by every non-constant tensor;
//  - the operators in `g`'s order with their builtin options and operator codes (deprecated_builtin_code and
//    builtin_code both set; versions chosen as TFLite's converter would for the dtypes and options used);
//  - the parameter inputs that the format keeps in tensors (MEAN's axes, PAD's paddings, RESIZE_BILINEAR's size,
//    RESHAPE's shape) are taken from OpParams: an op's existing constant input is reused when it holds exactly
//    those values, otherwise a new INT32 constant tensor is appended after the graph's tensors.  RESHAPE's shape
//    input is optional in the format: an op without one is written with ReshapeOptions.new_shape only (always
//    written), so that export -> import gives back the same graph;
//  - where TFLite's kernel cannot take an operator as Tare holds it, the same values in operators it runs: a
//    CONCATENATION's fused activation as a RELU / RELU6 / RELU_N1_TO_1 of its own, an int8 DIV as a uint8 DIV
//    between int8 <-> uint8 QUANTIZE operators (the tensors this adds follow the graph's);
//  - description "Tare".
// Throws tare::Error(TARE_ERROR_INVALID_ARGUMENT) if the graph is inconsistent (a tensor index out of range,
// constant bytes that do not match the shape, ...).
std::vector<uint8_t> export_tflite(const Graph& g);

}  // namespace tare
