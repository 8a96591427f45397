// Compute pipelines from embedded SPIR-V.  Every shader binds `num_bindings` storage buffers at set 0,
// bindings 0..n-1, and may take push constants; shapes go in specialization constants (ids 0..) or push
// constants; the workgroup size is given by specialization constants 100, 101, 102 (local_size_x_id etc).
//
// A Pipeline is made in two steps so that a session can compile all of its new pipelines at once, on several
// threads (vk::compile_pipelines): the constructor only checks the request; compile() creates the Vulkan objects.
// Whatever reads a handle first compiles it if nobody did (a pipeline made outside a session's batch), and a
// compilation that failed is tried again by the next one.
#pragma once

#include <volk.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tare::vk {

class Context;

class Pipeline {
 public:
  Pipeline(Context& ctx, const std::string& shader, const std::vector<uint32_t>& spec_constants,
           uint32_t push_constant_bytes, uint32_t num_bindings, uint32_t local_x, uint32_t local_y, uint32_t local_z);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Creates the shader module, layouts and pipeline unless done; true if this call did it.  Thread-safe; throws
  // tare::Error (the pipeline stays uncompiled, so a later call tries again).
  bool compile();
  bool compiled() const { return ready_.load(std::memory_order_acquire); }
  // Milliseconds the successful compile() took (0 before).
  double compile_ms() const { return compile_ms_; }

  VkPipeline handle() const { return ensure().pipeline_; }
  VkPipelineLayout layout() const { return ensure().layout_; }
  VkDescriptorSetLayout set_layout() const { return ensure().set_layout_; }
  uint32_t num_bindings() const { return num_bindings_; }
  uint32_t push_constant_bytes() const { return push_bytes_; }
  const std::string& shader() const { return shader_; }

 private:
  const Pipeline& ensure() const;
  void release();
  const Context& ctx_;  // outlives its pipelines: it holds them and sessions hold it
  VkDevice device_;
  VkPipelineCache cache_;
  std::string shader_;
  std::vector<uint32_t> spec_;
  const uint32_t* code_ = nullptr;
  size_t code_bytes_ = 0;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  uint32_t num_bindings_ = 0;
  uint32_t push_bytes_ = 0;
  uint32_t local_[3] = {1, 1, 1};
  std::mutex mutex_;  // compile()
  std::atomic<bool> ready_{false};
  double compile_ms_ = 0;
};

// What compiling a set of pipelines cost.
struct CompileStats {
  uint32_t compiled = 0;  // pipelines this call created (the others were compiled already)
  uint32_t threads = 0;   // threads that worked on them, the calling one included
  double wall_ms = 0;     // time of the whole call
  double sum_ms = 0;      // sum of each compiled pipeline's own time
};

// Compiles every pipeline of `pipelines` that is not compiled yet, in parallel: the calling thread and up to
// hardware_concurrency - 1 more (Vulkan allows concurrent pipeline creation into one VkPipelineCache; a thread
// that cannot be started leaves its share to the others).  All run to the end; then the first failure is thrown.
CompileStats compile_pipelines(const std::vector<std::shared_ptr<Pipeline>>& pipelines);

}  // namespace tare::vk
