#include "vk/command.h"

#include <chrono>
#include <cstring>

#include "common/error.h"
#include "vk/context.h"
#include "vk/fault.h"
#include "vk/pipeline.h"

namespace tare::vk {

Recorder::Recorder(std::shared_ptr<Context> ctx, uint32_t max_dispatches, uint32_t max_timestamps)
    : ctx_(std::move(ctx)) {
  VkDevice dev = ctx_->device();
  try {
    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.queueFamilyIndex = ctx_->queue_family();
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateCommandPool(dev, &pi, nullptr, &pool_); }),
          "vkCreateCommandPool");
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY, [&] { return vkAllocateCommandBuffers(dev, &ai, &cb_); }),
          "vkAllocateCommandBuffers");
    if (max_dispatches == 0) max_dispatches = 1;
    VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, max_dispatches * 8};
    VkDescriptorPoolCreateInfo dpi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpi.maxSets = max_dispatches;
    dpi.poolSizeCount = 1;
    dpi.pPoolSizes = &ps;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                            [&] { return vkCreateDescriptorPool(dev, &dpi, nullptr, &descriptor_pool_); }),
          "vkCreateDescriptorPool");
    if (max_timestamps > 0 && ctx_->caps().timestamps) {
      VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
      qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
      qi.queryCount = max_timestamps + 2;
      check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY,
                              [&] { return vkCreateQueryPool(dev, &qi, nullptr, &query_pool_); }),
            "vkCreateQueryPool");
      max_timestamps_ = max_timestamps;
    }
  } catch (...) {
    release();
    throw;
  }
}

Recorder::~Recorder() { release(); }

void Recorder::release() {
  ctx_->settle();  // a timed-out submission may still run this command buffer
  if (ctx_->abandoned()) return;
  VkDevice dev = ctx_->device();
  if (query_pool_) vkDestroyQueryPool(dev, query_pool_, nullptr);
  if (descriptor_pool_) vkDestroyDescriptorPool(dev, descriptor_pool_, nullptr);
  if (pool_) vkDestroyCommandPool(dev, pool_, nullptr);
  query_pool_ = VK_NULL_HANDLE;
  descriptor_pool_ = VK_NULL_HANDLE;
  pool_ = VK_NULL_HANDLE;
}

void Recorder::begin() {
  ctx_->check_usable();  // a lost context's command buffers may still be pending
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  check(vkBeginCommandBuffer(cb_, &bi), "vkBeginCommandBuffer");
  if (query_pool_) {
    vkCmdResetQueryPool(cb_, query_pool_, 0, max_timestamps_ + 2);
    vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, query_pool_, max_timestamps_);
  }
  // Host writes (inputs) before anything the GPU does.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_HOST_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, nullptr, 0,
                       nullptr);
  pending_write_ = false;
  next_query_ = 0;
  region_names_.clear();
  region_begin_query_.clear();
  open_region_ = -1;
}

void Recorder::barrier() {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT;
  vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, nullptr, 0,
                       nullptr);
  pending_write_ = false;
}

void Recorder::dispatch(const Pipeline& p, const std::vector<BufferRange>& buffers, const void* push_data,
                        uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
  TARE_CHECK(buffers.size() == p.num_bindings(), TARE_ERROR_INTERNAL,
             "dispatch of '" + p.shader() + "' with a wrong number of buffers");
  TARE_CHECK(push_bytes == p.push_constant_bytes(), TARE_ERROR_INTERNAL,
             "dispatch of '" + p.shader() + "' with a wrong push-constant size");
  const auto& caps = ctx_->caps();
  TARE_CHECK(gx <= caps.max_workgroup_count[0] && gy <= caps.max_workgroup_count[1] &&
                 gz <= caps.max_workgroup_count[2],
             TARE_ERROR_UNSUPPORTED, "dispatch of '" + p.shader() + "' exceeds the device's workgroup count limit");
  if (gx == 0 || gy == 0 || gz == 0) return;
  if (pending_write_) barrier();
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = descriptor_pool_;
  ai.descriptorSetCount = 1;
  VkDescriptorSetLayout layout = p.set_layout();
  ai.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(fault::allocation(VK_ERROR_OUT_OF_POOL_MEMORY,
                          [&] { return vkAllocateDescriptorSets(ctx_->device(), &ai, &set); }),
        "vkAllocateDescriptorSets");
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (size_t i = 0; i < buffers.size(); i++) {
    TARE_CHECK(buffers[i].buffer != nullptr, TARE_ERROR_INTERNAL, "null buffer bound to '" + p.shader() + "'");
    // Compiled graphs refuse such tensors by name (CompiledGraph::build); this guards every other binding.
    const uint64_t range = buffers[i].size ? buffers[i].size : buffers[i].buffer->size() - buffers[i].offset;
    TARE_CHECK(range <= caps.max_storage_buffer_range, TARE_ERROR_UNSUPPORTED,
               "binding " + std::to_string(i) + " of '" + p.shader() + "' spans " + std::to_string(range) +
                   " bytes, above the device's maxStorageBufferRange (" +
                   std::to_string(caps.max_storage_buffer_range) + " bytes)");
    infos[i].buffer = buffers[i].buffer->handle();
    infos[i].offset = buffers[i].offset;
    infos[i].range = buffers[i].size ? buffers[i].size : VK_WHOLE_SIZE;
    writes[i] = VkWriteDescriptorSet{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = (uint32_t)i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(ctx_->device(), (uint32_t)writes.size(), writes.data(), 0, nullptr);
  vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.handle());
  vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout(), 0, 1, &set, 0, nullptr);
  if (push_bytes) vkCmdPushConstants(cb_, p.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push_data);
  vkCmdDispatch(cb_, gx, gy, gz);
  pending_write_ = true;
}

void Recorder::copy(const Buffer& src, uint64_t src_offset, const Buffer& dst, uint64_t dst_offset, uint64_t bytes) {
  if (bytes == 0) return;
  if (pending_write_) barrier();
  VkBufferCopy region{src_offset, dst_offset, bytes};
  vkCmdCopyBuffer(cb_, src.handle(), dst.handle(), 1, &region);
  pending_write_ = true;
}

void Recorder::fill(const Buffer& dst, uint64_t offset, uint64_t bytes, uint32_t value) {
  if (bytes == 0) return;
  if (pending_write_) barrier();
  vkCmdFillBuffer(cb_, dst.handle(), offset, bytes, value);
  pending_write_ = true;
}

void Recorder::begin_region(const std::string& name) {
  if (!query_pool_ || next_query_ + 2 > max_timestamps_) return;
  open_region_ = (int)region_names_.size();
  region_names_.push_back(name);
  region_begin_query_.push_back(next_query_);
  vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, query_pool_, next_query_++);
}

void Recorder::end_region() {
  if (!query_pool_ || open_region_ < 0) return;
  vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_, next_query_++);
  open_region_ = -1;
}

void Recorder::end() {
  if (open_region_ >= 0) end_region();
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  if (query_pool_) vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_, max_timestamps_ + 1);
  check(vkEndCommandBuffer(cb_), "vkEndCommandBuffer");
}

void Recorder::submit() {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  run_times_ = {};
  ctx_->submit_and_wait(cb_, &run_times_.host);
  const auto t1 = Clock::now();
  last_times_.clear();
  if (query_pool_) {
    // Regions [0, next_query_) and the whole buffer's pair after them; only written queries may be read.
    std::vector<uint64_t> ts(next_query_), span(2);
    const auto read = [&](uint32_t first, std::vector<uint64_t>& out) {
      if (out.empty()) return;
      check(vkGetQueryPoolResults(ctx_->device(), query_pool_, first, (uint32_t)out.size(), out.size() * 8, out.data(),
                                  8, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
            "vkGetQueryPoolResults");
    };
    read(0, ts);
    read(max_timestamps_, span);
    double period = ctx_->caps().timestamp_period_ns;
    for (size_t i = 0; i < region_names_.size(); i++) {
      uint32_t q = region_begin_query_[i];
      last_times_.push_back(q + 1 < next_query_ ? (double)(ts[q + 1] - ts[q]) * period * 1e-6 : 0.0);
    }
    run_times_.gpu_span_ms = (double)(span[1] - span[0]) * period * 1e-6;
    run_times_.timestamps_read_ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
  }
  run_times_.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<std::pair<std::string, double>> Recorder::region_times() const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < last_times_.size(); i++) out.emplace_back(region_names_[i], last_times_[i]);
  return out;
}

}  // namespace tare::vk
