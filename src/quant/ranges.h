// Activation ranges beyond min/max (docs/quantization.md, "Activation ranges"): from a histogram of every value a
// tensor took during calibration (collected on the GPU, engine/histogram_session.h), a clipped range that trades
// the clipping of rare large values for a finer int8 step on the common ones.
//  - Percentile: the P-th percentile of the values above and the (100 - P)-th below (each side on its own).
//  - MSE: the range whose int8 grid (quant::activation_params) gives the smallest expected squared error over the
//    histogram, clipping included; candidates shrink the observed range toward 0 by t = k / kMseCandidates.
#pragma once

#include <cstdint>
#include <vector>

#include "model/channel_stats.h"

namespace tare::quant {

enum class RangeMethod { MinMax, Percentile, Mse };

struct RangeOptions {
  RangeMethod method = RangeMethod::MinMax;
  double percentile = 99.99;  // Percentile: in (50, 100]
};

// Bins of every histogram (shaders/tensor_histogram.comp), and the MSE search's candidate count.
constexpr int kHistogramBins = 2048;
constexpr int kMseCandidates = 512;

// One tensor's values: counts[b] in [lo + b * width, lo + (b + 1) * width) (values below lo or above hi in the end
// bins), `zeros` the values exactly 0 (not in counts).  lo <= 0 <= hi: the span of the observed range and 0.
struct Histogram {
  float lo = 0, hi = 0;
  std::vector<double> counts;  // kHistogramBins entries, or empty: nothing collected
  double zeros = 0;
  double width() const { return counts.empty() ? 0.0 : ((double)hi - lo) / (double)counts.size(); }
  double total() const;
};

// The histogram's span for a tensor's observed range: [min(min, 0), max(max, 0)]; false when it is one point.
bool histogram_span(const ChannelStats& st, float& lo, float& hi);

// The value under which `fraction` of the histogram's values lie (linear inside a bin; the zeros sit at 0).
double histogram_quantile(const Histogram& h, double fraction);

// The expected squared error of quantizing the histogram's values (uniform inside each bin, zeros exact) to the
// int8 grid of [lo, hi] (activation_params), summed over the values.
double quantization_sse(const Histogram& h, float lo, float hi);

// The clipped range of a tensor by the method (MinMax: the histogram's span).
void range_from_histogram(const Histogram& h, const RangeOptions& options, float& lo, float& hi);

// Sets every tensor's range (ChannelStats::range_min / range_max) by the method from its histogram (histograms
// indexed like stats; a tensor without one keeps its min/max).
void apply_ranges(std::vector<ChannelStats>& stats, const std::vector<Histogram>& histograms,
                  const RangeOptions& options);

}  // namespace tare::quant
