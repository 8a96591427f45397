// Test-only fault injection: makes the Nth Vulkan allocation call fail, or the Nth fence wait report a timeout or a
// lost device, as a driver would.  Always compiled in and inert until a test arms it: each guarded call costs one
// relaxed atomic load.  Process-wide (one armed plan at a time); see docs/hardening.md, "Fault injection".
#pragma once

#include <volk.h>

#include <atomic>
#include <cstdint>

namespace tare::vk::fault {

enum class Point { Allocation, FenceWait };

namespace detail {
extern std::atomic<bool> g_active;
VkResult next(Point point, VkResult failure);
}  // namespace detail

// From now on, count the calls at `point`; the `fail_at`-th one (1-based; 0: none, count only) returns `failure`
// instead of calling Vulkan.  One call fails, the later ones run normally.
void arm(Point point, uint64_t fail_at, VkResult failure = VK_SUCCESS);
// Stops counting; returns the number of calls counted since arm().
uint64_t disarm();

// The guarded call: `vk_call()`'s result, or the injected `failure` without calling it.
template <typename F>
VkResult call(Point point, VkResult failure, F&& vk_call) {
  if (detail::g_active.load(std::memory_order_relaxed)) {
    VkResult r = detail::next(point, failure);
    if (r != VK_SUCCESS) return r;
  }
  return vk_call();
}

// An allocation-like call (memory, buffers, pools, sets, command buffers, pipeline objects).
template <typename F>
VkResult allocation(VkResult failure, F&& vk_call) {
  return call(Point::Allocation, failure, static_cast<F&&>(vk_call));
}

}  // namespace tare::vk::fault
