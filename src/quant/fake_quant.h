// The fake-quant float path: a quantized graph (TFLite's int8 form, as quantize_graph makes it, or an imported
// int8 / uint8 model) rewritten as a plain float graph in which weights are dequantized and every 8-bit activation
// is quantized-then-dequantized in float by a FAKE_QUANT operator.  It runs on the float reference and the float
// GPU kernels, and it is a differentiable graph (with a straight-through estimator at each FAKE_QUANT) for bias
// fine-tuning.
//
// The rewrite (docs/quantization.md, "Fake quantization"):
//   * every I8 / U8 activation tensor becomes F32 without quantization parameters; the operator that produced it
//     now writes a new float tensor "<name>/float", followed by FAKE_QUANT(scale, zero point, [-128, 127] or
//     [0, 255] for uint8) writing the original tensor (same index in the map below, same name);
//   * an 8-bit graph input becomes a float32 input (same name; it takes real values) followed by a FAKE_QUANT
//     writing "<name>/fake_quant", which its consumers read;
//   * QUANTIZE becomes FAKE_QUANT with its output's parameters; DEQUANTIZE is removed and its consumers (and a
//     graph output it wrote) read its input instead;
//   * quantized constants (int8 / uint8 weights per tensor or per channel along quant.axis, int32 biases, 8-bit data
//     operands) and float16 constants become float32: (q - zero_point) * scale, the product rounded once to float;
//   * fused activations are kept: TFLite applies them as a clamp on the quantized range, which the float activation
//     followed by the FAKE_QUANT reproduces.
// Tensors nothing refers to any more (DEQUANTIZE outputs) are dropped, so tensor indices change: use the map.
#pragma once

#include <vector>

#include "model/graph.h"

namespace tare::quant {

struct FakeQuantMap {
  // One entry per operator of the fake-quant graph: for a FAKE_QUANT, the index (in the quantized graph) of the
  // 8-bit tensor whose dequantized value its output holds; -1 for the other operators.
  std::vector<int> op_source;
  // One entry per tensor of the quantized graph: the fake-quant graph's tensor holding its real value (for an 8-bit
  // activation: the FAKE_QUANT output; for a DEQUANTIZE output: the tensor it was reconnected to), -1 if none.
  std::vector<int> tensor;
};

// Builds the fake-quant float graph of `quantized` (see above).  Throws tare::Error(TARE_ERROR_UNSUPPORTED) for
// activations it cannot represent (int16 / int32 activations, per-channel activation parameters, QUANTIZE to a
// non-8-bit type) and TARE_ERROR_INVALID_MODEL for inconsistent quantization parameters.
Graph fake_quant_graph(const Graph& quantized, FakeQuantMap* map = nullptr);

}  // namespace tare::quant
