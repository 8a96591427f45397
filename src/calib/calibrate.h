// Calibration on the GPU: the per-channel statistics of every tensor of a float graph over a set of inputs, which
// quant::quantize_graph turns into 8-bit parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "model/graph.h"
#include "quant/quantizer.h"
#include "quant/ranges.h"
#include "vk/context.h"

namespace tare::calib {

// Runs the float graph over `count` inputs (fill(index, dst) writes one input of input(0).elements()/batch
// floats), `batch` at a time, folding per-channel min/max/sums of every tensor on the device (engine/stats_session.h).
// progress(done, total) returning false cancels (TARE_ERROR_CANCELLED).  A range method other than min/max runs
// the inputs a second time for the histograms (histograms below) and sets each tensor's range from its histogram
// (quant/ranges.h); progress then counts both passes.
quant::Stats calibrate(std::shared_ptr<vk::Context> ctx, const Graph& g, uint32_t count, int batch,
                       const std::function<void(uint32_t index, float* dst)>& fill,
                       const std::function<bool(uint32_t done, uint32_t total)>& progress,
                       const quant::RangeOptions& ranges = {});

// The histogram of every float tensor over the inputs (engine/histogram_session.h), each over the span of its
// statistics' range and 0 (quant::histogram_span; a tensor of one value gets none).  progress(done, total) gets
// `done_before` + the inputs done and `total`.
std::vector<quant::Histogram> histograms(std::shared_ptr<vk::Context> ctx, const Graph& g, const quant::Stats& stats,
                                         uint32_t count, int batch,
                                         const std::function<void(uint32_t index, float* dst)>& fill,
                                         const std::function<bool(uint32_t done, uint32_t total)>& progress,
                                         uint32_t done_before = 0, uint32_t total = 0);

}  // namespace tare::calib
