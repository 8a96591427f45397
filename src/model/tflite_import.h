// TensorFlow Lite (.tflite, FlatBuffers "TFL3") import into the Graph IR.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/graph.h"

namespace tare {

// Parses, verifies and converts a .tflite model held in memory (the bytes are not kept).
//  - Corrupt or inconsistent files throw tare::Error(TARE_ERROR_INVALID_MODEL) naming the problem; a valid model
//    that uses something Tare lacks (a custom or unknown op, control flow, 16x8 quantization, ...) throws
//    tare::Error(TARE_ERROR_UNSUPPORTED).
//  - Subgraph 0 is the model (what TFLite's Invoke runs); other subgraphs are ignored unless an operator calls them
//    (IF, WHILE, CALL_ONCE, ...), which is refused.
//  - Sparse constants (Tensor.sparsity) are densified (model/tflite_sparsity.h); DENSIFY operators disappear and
//    their outputs become the dense constants.
//  - Op inputs keep the file's order, including constant parameter inputs (RESHAPE's shape, MEAN's axes, PAD's
//    paddings, RESIZE_BILINEAR's size), whose values are also decoded into OpParams.
//  - float16 constants read only by DEQUANTIZE ops are folded: those DEQUANTIZE ops disappear and their outputs
//    become float32 constants.
//  - Operators come out in topological order and every shape is checked by infer_shapes.
Graph import_tflite(const uint8_t* data, size_t size);

// The checks import_tflite starts with, on a file's first min(8, size) bytes and its size: lets a caller refuse a
// file that is not a model before reading it whole.  Throws tare::Error(TARE_ERROR_INVALID_MODEL).
void check_tflite_header(const uint8_t* head, uint64_t size);

}  // namespace tare
