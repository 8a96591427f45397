// Calibration on the GPU: the per-channel statistics of every tensor of a float graph over a set of inputs, which
// quant::quantize_graph turns into 8-bit parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "model/graph.h"
#include "quant/quantizer.h"
#include "vk/context.h"

namespace tare::calib {

// Runs the float graph over `count` inputs (fill(index, dst) writes one input of input(0).elements()/batch
// floats), `batch` at a time, folding per-channel min/max/sums of every tensor on the device (engine/stats_session.h).
// progress(done, total) returning false cancels (TARE_ERROR_CANCELLED).
quant::Stats calibrate(std::shared_ptr<vk::Context> ctx, const Graph& g, uint32_t count, int batch,
                       const std::function<void(uint32_t index, float* dst)>& fill,
                       const std::function<bool(uint32_t done, uint32_t total)>& progress);

}  // namespace tare::calib
