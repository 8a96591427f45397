#include "vk/pipeline.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>

#include "common/error.h"
#include "vk/context.h"
#include "vk/fault.h"
#include "vk/shaders.h"

namespace tare::vk {

Pipeline::Pipeline(Context& ctx, const std::string& shader, const std::vector<uint32_t>& spec, uint32_t push_bytes,
                   uint32_t num_bindings, uint32_t lx, uint32_t ly, uint32_t lz)
    : ctx_(ctx),
      device_(ctx.device()),
      cache_(ctx.pipeline_cache()),
      shader_(shader),
      spec_(spec),
      num_bindings_(num_bindings),
      push_bytes_(push_bytes) {
  local_[0] = lx;
  local_[1] = ly;
  local_[2] = lz;
  if (!find_shader(shader.c_str(), &code_, &code_bytes_))
    fail(TARE_ERROR_INTERNAL, "no embedded shader '" + shader + "'");
  TARE_CHECK(push_bytes <= ctx.caps().max_push_constants, TARE_ERROR_UNSUPPORTED,
             "shader '" + shader + "' needs more push-constant bytes than the device offers");
  TARE_CHECK(lx * ly * lz <= ctx.caps().max_workgroup_invocations, TARE_ERROR_INTERNAL,
             "workgroup of shader '" + shader + "' exceeds the device limit");
}

Pipeline::~Pipeline() {
  if (!ctx_.abandoned()) release();  // a never-finished submission may still run it
}

const Pipeline& Pipeline::ensure() const {
  if (!compiled()) const_cast<Pipeline*>(this)->compile();
  return *this;
}

bool Pipeline::compile() {
  if (compiled()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (compiled()) return false;  // another thread did it meanwhile
  const auto t0 = std::chrono::steady_clock::now();
  try {
    VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mi.codeSize = code_bytes_;
    mi.pCode = code_;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateShaderModule(device_, &mi, nullptr, &module_); }),
          "vkCreateShaderModule");

    std::vector<VkDescriptorSetLayoutBinding> b(num_bindings_);
    for (uint32_t i = 0; i < num_bindings_; i++) {
      b[i].binding = i;
      b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      b[i].descriptorCount = 1;
      b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    li.bindingCount = num_bindings_;
    li.pBindings = b.data();
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateDescriptorSetLayout(device_, &li, nullptr, &set_layout_); }),
          "vkCreateDescriptorSetLayout");

    VkPushConstantRange pr{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes_};
    VkPipelineLayoutCreateInfo pli{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pli.setLayoutCount = 1;
    pli.pSetLayouts = &set_layout_;
    pli.pushConstantRangeCount = push_bytes_ ? 1 : 0;
    pli.pPushConstantRanges = push_bytes_ ? &pr : nullptr;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreatePipelineLayout(device_, &pli, nullptr, &layout_); }),
          "vkCreatePipelineLayout");

    // Specialization: ids 0..n-1 for the shader's constants, 100..102 for the local size.
    std::vector<uint32_t> values(spec_);
    std::vector<VkSpecializationMapEntry> entries;
    for (uint32_t i = 0; i < spec_.size(); i++) entries.push_back({i, i * 4, 4});
    for (uint32_t i = 0; i < 3; i++) {
      entries.push_back({100 + i, (uint32_t)values.size() * 4, 4});
      values.push_back(local_[i]);
    }
    VkSpecializationInfo si{};
    si.mapEntryCount = (uint32_t)entries.size();
    si.pMapEntries = entries.data();
    si.dataSize = values.size() * 4;
    si.pData = values.data();

    VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module_;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = &si;
    ci.layout = layout_;
    check(fault::allocation(VK_ERROR_OUT_OF_DEVICE_MEMORY,
                            [&] { return vkCreateComputePipelines(device_, cache_, 1, &ci, nullptr, &pipeline_); }),
          "vkCreateComputePipelines");
  } catch (...) {
    release();
    throw;
  }
  compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ready_.store(true, std::memory_order_release);
  return true;
}

void Pipeline::release() {
  if (pipeline_) vkDestroyPipeline(device_, pipeline_, nullptr);
  if (layout_) vkDestroyPipelineLayout(device_, layout_, nullptr);
  if (set_layout_) vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
  if (module_) vkDestroyShaderModule(device_, module_, nullptr);
  pipeline_ = VK_NULL_HANDLE;
  layout_ = VK_NULL_HANDLE;
  set_layout_ = VK_NULL_HANDLE;
  module_ = VK_NULL_HANDLE;
}

CompileStats compile_pipelines(const std::vector<std::shared_ptr<Pipeline>>& pipelines) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Pipeline*> todo;
  for (const auto& p : pipelines)
    if (p && !p->compiled()) todo.push_back(p.get());
  CompileStats stats;
  if (todo.empty()) return stats;

  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  std::vector<char> did(todo.size(), 0);  // by index: no two threads write one element
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();) {
      try {
        did[i] = todo[i]->compile();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  const size_t wanted = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), todo.size());
  std::vector<std::thread> helpers;
  try {
    helpers.reserve(wanted - 1);
    while (helpers.size() + 1 < wanted) helpers.emplace_back(work);
  } catch (...) {
    // No memory or no thread for another helper: the ones started and this thread share the work.
  }
  work();
  for (auto& t : helpers) t.join();
  if (first_error) std::rethrow_exception(first_error);

  stats.threads = (uint32_t)helpers.size() + 1;
  for (size_t i = 0; i < todo.size(); i++)
    if (did[i]) {
      stats.compiled++;
      stats.sum_ms += todo[i]->compile_ms();
    }
  stats.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace tare::vk
