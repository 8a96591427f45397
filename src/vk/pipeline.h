// Compute pipelines from embedded SPIR-V.  Every shader binds `num_bindings` storage buffers at set 0,
// bindings 0..n-1, and may take push constants; shapes go in specialization constants (ids 0..) or push
// constants; the workgroup size is given by specialization constants 100, 101, 102 (local_size_x_id etc).
#pragma once

#include <volk.h>

#include <cstdint>
#include <memory>
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

  VkPipeline handle() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }
  uint32_t num_bindings() const { return num_bindings_; }
  uint32_t push_constant_bytes() const { return push_bytes_; }
  const std::string& shader() const { return shader_; }

 private:
  void release();
  VkDevice device_;
  std::string shader_;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  uint32_t num_bindings_ = 0;
  uint32_t push_bytes_ = 0;
  uint32_t local_[3] = {1, 1, 1};
};

}  // namespace tare::vk
