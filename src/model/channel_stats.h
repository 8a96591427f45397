// Per-channel statistics of a graph's tensors, as a calibration run collects them (engine/stats_session.h) and the
// quantizer reads them (quant/quantizer.h).
#pragma once

#include <cstddef>
#include <vector>

namespace tare {

// One tensor, over every position of every run since the last reset: minimum, maximum, sum and sum of squares
// (fp32, summed in a fixed order), and the count of values per channel.
struct ChannelStats {
  std::vector<float> min, max;  // one per channel (last dimension); empty if the tensor was never seen
  std::vector<double> sum, sum_sq;
  double count = 0;
  // The activation range a range method chose (quant/ranges.h); without one the quantizer takes the channels' min
  // and max.  Merging statistics drops it (it was chosen for the values seen before).
  bool has_range = false;
  float range_min = 0, range_max = 0;
  bool seen() const { return !min.empty(); }
  double mean(size_t c) const { return count > 0 ? sum[c] / count : 0.0; }
};

// Folds `from` into `into` (min of mins, max of maxes, sums and counts added).
void merge_stats(ChannelStats& into, const ChannelStats& from);

}  // namespace tare
