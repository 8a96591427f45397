#include "vk/pipeline.h"

#include "common/error.h"
#include "vk/context.h"
#include "vk/fault.h"
#include "vk/shaders.h"

namespace tare::vk {

Pipeline::Pipeline(Context& ctx, const std::string& shader, const std::vector<uint32_t>& spec, uint32_t push_bytes,
                   uint32_t num_bindings, uint32_t lx, uint32_t ly, uint32_t lz)
    : device_(ctx.device()), shader_(shader), num_bindings_(num_bindings), push_bytes_(push_bytes) {
  local_[0] = lx;
  local_[1] = ly;
  local_[2] = lz;
  const uint32_t* code = nullptr;
  size_t bytes = 0;
  if (!find_shader(shader.c_str(), &code, &bytes)) fail(TARE_ERROR_INTERNAL, "no embedded shader '" + shader + "'");
  TARE_CHECK(push_bytes <= ctx.caps().max_push_constants, TARE_ERROR_UNSUPPORTED,
             "shader '" + shader + "' needs more push-constant bytes than the device offers");
  TARE_CHECK(lx * ly * lz <= ctx.caps().max_workgroup_invocations, TARE_ERROR_INTERNAL,
             "workgroup of shader '" + shader + "' exceeds the device limit");
  try {
    VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mi.codeSize = bytes;
    mi.pCode = code;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateShaderModule(device_, &mi, nullptr, &module_); }),
          "vkCreateShaderModule");

    std::vector<VkDescriptorSetLayoutBinding> b(num_bindings);
    for (uint32_t i = 0; i < num_bindings; i++) {
      b[i].binding = i;
      b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      b[i].descriptorCount = 1;
      b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    li.bindingCount = num_bindings;
    li.pBindings = b.data();
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateDescriptorSetLayout(device_, &li, nullptr, &set_layout_); }),
          "vkCreateDescriptorSetLayout");

    VkPushConstantRange pr{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    VkPipelineLayoutCreateInfo pli{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pli.setLayoutCount = 1;
    pli.pSetLayouts = &set_layout_;
    pli.pushConstantRangeCount = push_bytes ? 1 : 0;
    pli.pPushConstantRanges = push_bytes ? &pr : nullptr;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreatePipelineLayout(device_, &pli, nullptr, &layout_); }),
          "vkCreatePipelineLayout");

    // Specialization: ids 0..n-1 for the shader's constants, 100..102 for the local size.
    std::vector<uint32_t> values(spec);
    std::vector<VkSpecializationMapEntry> entries;
    for (uint32_t i = 0; i < spec.size(); i++) entries.push_back({i, i * 4, 4});
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
    check(fault::allocation(
              VK_ERROR_OUT_OF_DEVICE_MEMORY,
              [&] { return vkCreateComputePipelines(device_, ctx.pipeline_cache(), 1, &ci, nullptr, &pipeline_); }),
          "vkCreateComputePipelines");
  } catch (...) {
    release();
    throw;
  }
}

Pipeline::~Pipeline() { release(); }

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

}  // namespace tare::vk
