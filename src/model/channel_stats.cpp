#include "model/channel_stats.h"

#include <algorithm>

#include "common/error.h"

namespace tare {

void merge_stats(ChannelStats& into, const ChannelStats& from) {
  if (!from.seen()) return;
  if (!into.seen()) {
    into = from;
    return;
  }
  TARE_CHECK(into.min.size() == from.min.size(), TARE_ERROR_INTERNAL, "merging statistics of different tensors");
  for (size_t c = 0; c < from.min.size(); c++) {
    into.min[c] = std::min(into.min[c], from.min[c]);
    into.max[c] = std::max(into.max[c], from.max[c]);
    into.sum[c] += from.sum[c];
    into.sum_sq[c] += from.sum_sq[c];
  }
  into.count += from.count;
  into.has_range = false;
}

}  // namespace tare
