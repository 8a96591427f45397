// Static memory planner: places tensors with known lifetimes (first and last step that touches them) in one
// arena, so that tensors alive at the same time never overlap.  Greedy by decreasing size, each at the lowest
// offset free over its whole lifetime.
#pragma once

#include <cstdint>
#include <vector>

namespace tare {

struct PlanItem {
  uint64_t bytes = 0;
  int first = 0;  // first step (inclusive)
  int last = 0;   // last step (inclusive)
};

struct Plan {
  std::vector<uint64_t> offsets;  // one per item
  uint64_t total = 0;             // arena size
};

Plan plan_memory(const std::vector<PlanItem>& items, uint64_t alignment);

}  // namespace tare
