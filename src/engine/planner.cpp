#include "engine/planner.h"

#include <algorithm>
#include <numeric>

namespace tare {

Plan plan_memory(const std::vector<PlanItem>& items, uint64_t alignment) {
  if (alignment == 0) alignment = 1;
  auto align = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
  Plan plan;
  plan.offsets.assign(items.size(), 0);
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a].bytes > items[b].bytes; });
  std::vector<size_t> placed;
  for (size_t idx : order) {
    const PlanItem& it = items[idx];
    uint64_t size = align(std::max<uint64_t>(it.bytes, 1));
    // Intervals of placed items alive at the same time, sorted by offset.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (size_t p : placed) {
      const PlanItem& o = items[p];
      if (o.last < it.first || it.last < o.first) continue;
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + align(std::max<uint64_t>(o.bytes, 1)));
    }
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (auto& b : busy) {
      if (b.first >= offset + size) break;  // fits in the gap before b
      offset = std::max(offset, b.second);
    }
    plan.offsets[idx] = offset;
    plan.total = std::max(plan.total, offset + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace tare
