// Values of constant tensors as float: float32 as stored, float16 converted, quantized integers dequantized
// (r = scale * (q - zero_point), per tensor or per channel along quant.axis, in double, rounded once), other
// integers cast.
#pragma once

#include <vector>

#include "model/graph.h"

namespace tare {

// Throws tare::Error(TARE_ERROR_INVALID_MODEL) when the data or the quantization parameters do not match the shape.
std::vector<float> constant_to_float(const Tensor& t);

}  // namespace tare
