// Vulkan runtime: loader, instance, device choice and capabilities, queue, pipeline cache.
#pragma once

#include <volk.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tare::vk {

// Throws tare::Error(TARE_ERROR_DEVICE, OUT_OF_MEMORY or DEVICE_LOST) with `what` and the VkResult's name if
// r != VK_SUCCESS.
void check(VkResult r, const char* what);
const char* result_name(VkResult r);

struct DeviceCaps {
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t vendor_id = 0, device_id = 0, api_version = 0;
  bool fp16_arithmetic = false;  // shaderFloat16
  bool fp16_storage = false;     // storageBuffer16BitAccess
  bool int8_storage = false;     // storageBuffer8BitAccess
  bool int8_arithmetic = false;  // shaderInt8
  bool int16 = false;            // shaderInt16
  bool int64 = false;            // shaderInt64
  bool integer_dot_product = false;
  bool integer_dot_accelerated = false;  // integerDotProduct4x8BitPackedSignedAccelerated
  bool memory_budget = false;            // VK_EXT_memory_budget
  uint32_t subgroup_size = 1;
  uint32_t subgroup_operations = 0;
  bool timestamps = false;
  float timestamp_period_ns = 1.0f;
  uint32_t max_workgroup_invocations = 128;
  uint32_t max_workgroup_size[3] = {128, 128, 64};
  uint32_t max_workgroup_count[3] = {65535, 65535, 65535};
  uint32_t max_shared_memory = 16384;
  uint32_t max_push_constants = 128;
  uint64_t max_storage_buffer_range = 1u << 27;
  uint64_t min_storage_buffer_offset_alignment = 256;
  uint64_t device_local_bytes = 0;
};

// Physical devices as Vulkan enumerates them (with a temporary instance).  Throws TARE_ERROR_NO_VULKAN when the
// loader or a device is missing.
std::vector<DeviceCaps> enumerate_devices();

struct ContextOptions {
  int device_index = -1;                // -1: automatic (TARE_DEVICE env, else discrete > integrated > virtual > CPU)
  std::string device_name;              // substring match when device_index is -1
  bool validation = false;              // also enabled by TARE_VALIDATION=1
  std::vector<uint8_t> pipeline_cache;  // initial VkPipelineCache data (ignored unless it fits this device)
  // Tests only: a lower maxStorageBufferRange than the device's (0: the device's own), to check on lavapipe
  // (128 MiB) what a phone's smaller limit refuses.
  uint64_t max_storage_buffer_range = 0;
  // Longest wait for one submission (0: kDefaultFenceTimeoutMs, kDefaultCpuFenceTimeoutMs on a CPU device).  Past it the run fails with TARE_ERROR_TIMEOUT
  // and the context is lost (see Context::submit_and_wait).
  uint32_t fence_timeout_ms = 0;
};

// A whole model or one BFT step on a slow device (lavapipe, a phone) takes seconds; a minute is a hang.
inline constexpr uint32_t kDefaultFenceTimeoutMs = 60000;
// A CPU device (lavapipe) shares its cores with every other process: on a loaded machine one submission can take
// minutes without anything being hung, and there is no GPU watchdog to guard against.
inline constexpr uint32_t kDefaultCpuFenceTimeoutMs = 600000;

class Pipeline;

// Host-side phases of one submit_and_wait, in ms of the steady clock (benchmarks: where a run's wall time goes).
struct SubmitTimes {
  double queue_wait_ms = 0;  // taking the queue: another thread's vkQueueSubmit
  double submit_ms = 0;      // vkQueueSubmit
  double fence_wait_ms = 0;  // until the submission's fence signalled
};

// One Vulkan device and its compute queue.  Shared (std::shared_ptr) by models and sessions.
class Context {
 public:
  explicit Context(const ContextOptions& options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_; }
  VkDevice device() const { return device_; }
  // Device-local memory this process may still allocate: VK_EXT_memory_budget's budget minus usage of the largest
  // device-local heap where the device has the extension, else that heap's size.
  uint64_t available_device_memory() const;
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const DeviceCaps& caps() const { return caps_; }
  VkPipelineCache pipeline_cache() const { return pipeline_cache_; }
  std::vector<uint8_t> pipeline_cache_data() const;
  // Number of validation messages (warning or error) seen so far on this context.
  uint64_t validation_messages() const { return validation_messages_.load(); }
  const std::vector<std::string> validation_log() const;

  // Memory type index with all `required` flags (preferring `preferred` too) among `type_bits`; -1 if none.
  int find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const;

  // Pipelines are cached per (shader name, specialization constants, push-constant size, binding count, workgroup
  // size): one pipeline per distinct request for the context's lifetime.  A new one is compiled when first used
  // (or by vk::compile_pipelines, see PipelineCollector).
  std::shared_ptr<Pipeline> pipeline(const std::string& shader, const std::vector<uint32_t>& spec_constants,
                                     uint32_t push_constant_bytes, uint32_t num_bindings, uint32_t local_x,
                                     uint32_t local_y = 1, uint32_t local_z = 1);

  // Submits a command buffer and waits for it, at most the fence timeout.  The queue is held only for
  // vkQueueSubmit: each submission waits on a fence of its own, so threads wait for their own work side by side.
  // A submission that does not finish in time (TARE_ERROR_TIMEOUT) or a lost device (TARE_ERROR_DEVICE_LOST)
  // leaves the context lost: every later submission fails with TARE_ERROR_DEVICE_LOST, while every object can still
  // be destroyed.  `times` (may be null) receives the host-side phases.
  void submit_and_wait(VkCommandBuffer cb, SubmitTimes* times = nullptr);
  // Throws TARE_ERROR_DEVICE_LOST, with the reason, once the context is lost.
  void check_usable() const;
  // Before an object that a submission may use is destroyed: after a timeout, waits once more (at most the fence
  // timeout) for the submissions that timed out; if one still runs, gives up waiting for good, so that destruction
  // never hangs.  Free when nothing timed out.
  void settle();
  // After settle(): a submission never finished, so nothing it may use (buffers, command buffers, pipelines, the
  // device) may be freed: freeing memory a queue still runs on crashes the process (lavapipe finishes the work
  // late).  Those objects are leaked instead.
  bool abandoned() const { return abandoned_.load(); }
  // Tests: a real timeout on a context whose setup (uploads, the first run's compiles) ran under the default bound.
  void set_fence_timeout_ms(uint32_t ms) { fence_timeout_ns_ = uint64_t(ms) * 1000000; }

  // Validation callback entry (internal).
  void on_validation_message(const char* message);

 private:
  void release();
  // A free, unsignalled fence (created when none is free); queue_mutex_ held.
  VkFence take_fence();
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger_ = nullptr;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  std::vector<VkFence> free_fences_;     // unsignalled, for the next submissions
  std::vector<VkFence> pending_fences_;  // of submissions that timed out or met a loss: they may still run
  std::atomic<uint64_t> fence_timeout_ns_{0};
  std::atomic<bool> lost_{false};       // no more submissions
  std::atomic<bool> pending_{false};    // a submission in pending_fences_ may still run
  std::atomic<bool> abandoned_{false};  // settle() gave up on it: no more waiting, nothing it may use is freed
  std::string lost_reason_;             // written once, under queue_mutex_, before lost_ is set
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties memory_props_{};
  DeviceCaps caps_;
  bool validation_ = false;
  std::atomic<uint64_t> validation_messages_{0};
  mutable std::mutex mutex_;        // the pipeline cache's data
  std::mutex pipelines_mutex_;      // pipelines_ (compiling takes no lock of the context)
  mutable std::mutex queue_mutex_;  // vkQueueSubmit (external synchronization of the queue) and the fence lists
  mutable std::mutex log_mutex_;    // validation_log_ (the layer may call back while another lock is held)
  std::vector<std::string> validation_log_;
  std::map<std::string, std::shared_ptr<Pipeline>> pipelines_;
};

// Collects, while it lives, every pipeline that Context::pipeline hands out on this thread (a session's kernels
// being built), so that the new ones can be compiled together (vk::compile_pipelines) and counted.  Scopes nest:
// an inner one hides the outer.
class PipelineCollector {
 public:
  PipelineCollector();
  ~PipelineCollector();
  PipelineCollector(const PipelineCollector&) = delete;
  PipelineCollector& operator=(const PipelineCollector&) = delete;
  // Distinct pipelines, in the order first asked for.
  const std::vector<std::shared_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  void add(const std::shared_ptr<Pipeline>& p);
  // The collector of this thread, or nullptr.
  static PipelineCollector* current();

 private:
  PipelineCollector* outer_;
  std::vector<std::shared_ptr<Pipeline>> pipelines_;
};

}  // namespace tare::vk
