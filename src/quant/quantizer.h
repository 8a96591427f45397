// Post-training quantization of a float graph into TFLite's int8 form (docs/quantization.md): the paper's scheme
// (Jacob et al. 2018, "basic gemmlowp"): INT8 symmetric per-tensor weights (per-channel as an option), UINT8
// asymmetric per-tensor activations from calibrated min/max (stored as int8 with zero point z - 128), int32
// biases with scale input_scale * weight_scale (optionally clamped to 16 bits as the paper did), dead channels
// dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/channel_stats.h"
#include "model/graph.h"

namespace tare::quant {

enum class WeightRounding {
  NearestAway,  // round half away from zero (TFLite's converter, default)
  NearestEven   // round half to even
};

struct QuantizeOptions {
  bool per_channel = false;        // per-output-channel weight scales (TFLite's standard for conv)
  bool bias_16bit = false;         // clamp the int32 biases to the int16 range (the paper's setting)
  bool drop_dead_channels = true;  // constant channels: weights zeroed, the constant kept exactly in the bias
  WeightRounding rounding = WeightRounding::NearestAway;
  DType input_type = DType::F32;   // F32 (QUANTIZE at the input), I8 or U8
  DType output_type = DType::F32;  // F32 (DEQUANTIZE at the outputs), I8 or U8
};

struct QuantizeReport {
  int dead_channels = 0;           // channels dropped
  int quantized_weights = 0;       // weight tensors quantized
  int activations = 0;             // activation tensors given ranges
  std::vector<std::string> notes;  // anything worth telling the user
};

// Per-channel statistics of every tensor of `g` (indexed like g.tensors), as collected by a calibration run
// (calib/calibrate.h).
using Stats = std::vector<ChannelStats>;

// The quantized graph.  `stats` must cover every float activation tensor of `g` (calib::calibrate provides them).
// Throws tare::Error(TARE_ERROR_UNSUPPORTED) for a graph it cannot quantize, naming the operator.
Graph quantize_graph(const Graph& g, const Stats& stats, const QuantizeOptions& options, QuantizeReport* report);

// Weight quantization alone (exposed for tests): int8 values of `w` laid out with `channels` slices along
// `axis` of `shape`; per-channel when `per_channel`, else one scale (max |w| / 127; an all-zero channel takes the
// largest of the tensor's scales, an all-zero tensor 1).  Returns the scales.
std::vector<float> quantize_weights(const std::vector<float>& w, const std::vector<int>& shape, int axis,
                                    bool per_channel, WeightRounding rounding, std::vector<int8_t>& q);

// Activation parameters from a range (the range is widened to include 0): scale and int8 zero point.
void activation_params(float min, float max, float& scale, int32_t& zero_point);

}  // namespace tare::quant
