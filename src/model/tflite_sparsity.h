// Sparse constants of a .tflite file (Tensor.sparsity: TFLite's SparsityParameters) made dense at import.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tflite_schema_generated.h"

namespace tare {

// The dense bytes (row-major over `shape`, zeros where nothing is stored) of a sparse constant whose stored
// values are `values` (elements of `element_size` bytes, in the order TFLite's format converter reads them).
// Every part of the encoding is checked first (traversal order, block map, dense sizes, CSR segments and indices,
// the number of stored values); a bad one throws TARE_ERROR_INVALID_MODEL with a message that starts with `label`.
std::vector<uint8_t> densify_sparse_constant(const tflite::SparsityParameters& sparsity, const std::vector<int>& shape,
                                             size_t element_size, const uint8_t* values, size_t values_bytes,
                                             const std::string& label);

}  // namespace tare
