// Iterative Bias Correction (the paper's Algorithm 1) and the quantization-error analysis, both on the GPU.
//
// The quantized network is evaluated in its fake-quant float form (src/quant/fake_quant.h: dequantized weights and
// biases, every 8-bit activation rounded to its grid in float), which equals TFLite's integer arithmetic up to the
// integer requantization's own rounding.  Layers (every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with 8-bit
// data) are taken in topological order; the float and the quantized networks advance one layer at a time side by
// side on the same batch (src/calib/layer_runner.h), so the cost is one float and about two quantized forward
// passes, not one pass per layer.  At layer l the per-channel mean of e = x_quant - x_float is reduced on the GPU and
// -E(e) is added to the layer's bias, re-quantized to its int32 (or 16-bit) grid; layer l's output is then moved by
// the change of its float bias (and its activation and output quantization run again) so that later layers see
// corrected inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "calib/diagnostics.h"
#include "model/graph.h"
#include "vk/context.h"

namespace tare::calib {

// Input images: write image `index` (batch 1, the float model's input, real values) into dst.
using ImageFn = std::function<void(uint32_t index, float* dst)>;
// Progress: layers (IBC) or images (analysis) done out of total; return false to cancel (TARE_ERROR_CANCELLED).
using ProgressFn = std::function<bool(uint32_t done, uint32_t total)>;

struct IbcOptions {
  bool pre_activation = false;  // measure before the fused activation (else after it: the paper's default)
  bool bias_16bit = false;      // clamp corrected biases to the int16 range
  bool diagnostics = true;      // measure every layer before and after its correction (on the IBC batch)
  // Images per GPU run; 0: all in one batch, or as many as the device's per-binding limit allows for the largest
  // activation (maxStorageBufferRange); >= count: all in one batch.  Fewer: the per-channel sums of each layer are
  // accumulated over the batches, so that IBC can use more images than the device holds at once; the batches are
  // run again from the input for every layer (about L/2 forward passes per batch for L layers, instead of 3).
  uint32_t batch = 0;
  // Leave the raw output heads' biases alone (calib/ibc_heads.h): a detector's score logits and box regressors.
  bool keep_heads = false;
};

struct IbcResult {
  Graph corrected;          // the quantized graph with corrected int32 biases (a layer without a bias gets one)
  Diagnostics diagnostics;  // on the IBC batch: errors before and after each layer's correction
  int layers = 0;           // layers corrected
  int kept = 0;             // raw heads left alone (keep_heads)
  int clamped = 0;          // bias values that hit the int32 / int16 limit
  double wall_ms = 0;       // the whole correction
};

// Corrects the biases of `quantized` (TFLite int8 form with 8-bit activations: quantize_graph's result or an
// imported int8 / uint8 model of the same network) against `float_graph` on `count` images.  The two
// graphs must have the same weighted layers in the same order (checked: type and output shape).  With
// options.batch < count the images run in batches of that size (one LayerRunner per batch size: the full one and
// the remainder's), with the same biases as one batch up to float summation order.  With options.batch 0, images
// beyond the device's binding limit run in batches of their own runners, each staged once (the cost of one batch).
// Deterministic: the same graphs, images and options give the same biases, bit for bit.
IbcResult iterative_bias_correction(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                                    uint32_t count, const ImageFn& images, const IbcOptions& options,
                                    const ProgressFn& progress = {});

// Errors of `quantized` against `float_graph` at every layer over `count` images, `batch` images per GPU run
// (nothing corrected).  Returns one StageErrors per layer, in the layers' order, plus the layer descriptions.
Diagnostics analyze(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized, uint32_t count,
                    const ImageFn& images, int batch, const ProgressFn& progress = {});

// Puts the errors of `corrected` (same layers) in as the "after" stage of `before`'s layers.
void merge_after(Diagnostics& before, const Diagnostics& corrected);
// Puts the "before" errors of `measured` in as stage `stage` of d's layers; the layers must match (count, op,
// channels).
void merge_stage(Diagnostics& d, ErrorStage stage, const Diagnostics& measured);

}  // namespace tare::calib
