// Helpers shared by the calibration tests (IBC, BFT): random image sets, an image source over them, and the
// quantization of a test graph calibrated on the GPU.
#pragma once

#include <algorithm>
#include <random>
#include <vector>

#include "calib/calibrate.h"
#include "calib/ibc.h"
#include "op_harness.h"
#include "quant/quantizer.h"

namespace tare::test {

using Images = std::vector<std::vector<float>>;

inline Images random_images(int count, size_t size, std::mt19937& rng, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  Images v(count, std::vector<float>(size));
  for (auto& im : v)
    for (auto& x : im) x = d(rng);
  return v;
}

// Images first, first + 1, ... of `v` (which must outlive the function).
inline calib::ImageFn from(const Images& v, size_t first = 0) {
  return [&v, first](uint32_t i, float* dst) { std::copy(v[first + i].begin(), v[first + i].end(), dst); };
}

inline Graph quantize(std::shared_ptr<vk::Context> ctx, const Graph& g, const Images& calib, bool per_channel = false) {
  quant::Stats st = calib::calibrate(ctx, g, (uint32_t)calib.size(), 4, from(calib), nullptr);
  quant::QuantizeOptions o;
  o.per_channel = per_channel;
  return quant::quantize_graph(g, st, o, nullptr);
}

}  // namespace tare::test
