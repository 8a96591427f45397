#include "vk/fault.h"

#include <mutex>

namespace tare::vk::fault {

namespace detail {
std::atomic<bool> g_active{false};
}  // namespace detail

namespace {
std::mutex g_mutex;
Point g_point = Point::Allocation;
uint64_t g_fail_at = 0, g_count = 0;
VkResult g_failure = VK_SUCCESS;
}  // namespace

VkResult detail::next(Point point, VkResult failure) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_active.load() || point != g_point) return VK_SUCCESS;
  if (++g_count != g_fail_at) return VK_SUCCESS;
  return g_failure != VK_SUCCESS ? g_failure : failure;
}

void arm(Point point, uint64_t fail_at, VkResult failure) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_point = point;
  g_fail_at = fail_at;
  g_failure = failure;
  g_count = 0;
  detail::g_active.store(true);
}

uint64_t disarm() {
  std::lock_guard<std::mutex> lock(g_mutex);
  detail::g_active.store(false);
  return g_count;
}

}  // namespace tare::vk::fault
