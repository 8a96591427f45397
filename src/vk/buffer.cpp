#include "vk/buffer.h"

#include <cstring>

#include "common/error.h"
#include "vk/context.h"
#include "vk/fault.h"

namespace tare::vk {

Buffer::Buffer(std::shared_ptr<Context> ctx, uint64_t bytes, MemoryKind kind) : ctx_(std::move(ctx)) {
  if (bytes == 0) bytes = 16;
  size_ = bytes;
  VkDevice dev = ctx_->device();
  VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = bytes;
  bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(fault::allocation(VK_ERROR_OUT_OF_DEVICE_MEMORY, [&] { return vkCreateBuffer(dev, &bi, nullptr, &buffer_); }),
        "vkCreateBuffer");
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(dev, buffer_, &req);
  int type = -1;
  switch (kind) {
    case MemoryKind::Device:
      type = ctx_->find_memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
      if (type < 0) type = ctx_->find_memory_type(req.memoryTypeBits, 0, 0);
      break;
    case MemoryKind::Upload:
      type = ctx_->find_memory_type(req.memoryTypeBits,
                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0);
      break;
    case MemoryKind::Readback:
      type = ctx_->find_memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                    VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
      break;
  }
  if (type < 0) {
    vkDestroyBuffer(dev, buffer_, nullptr);
    fail(TARE_ERROR_DEVICE, "no suitable Vulkan memory type for a buffer");
  }
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = (uint32_t)type;
  VkResult r = fault::allocation(VK_ERROR_OUT_OF_DEVICE_MEMORY,
                                 [&] { return vkAllocateMemory(dev, &ai, nullptr, &memory_); });
  if (r != VK_SUCCESS) {
    vkDestroyBuffer(dev, buffer_, nullptr);
    buffer_ = VK_NULL_HANDLE;
    fail(TARE_ERROR_OUT_OF_MEMORY,
         "cannot allocate " + std::to_string(bytes) + " bytes of device memory (" + result_name(r) + ")");
  }
  r = vkBindBufferMemory(dev, buffer_, memory_, 0);
  VkMemoryPropertyFlags flags = 0;
  {
    VkPhysicalDeviceMemoryProperties mp{};
    vkGetPhysicalDeviceMemoryProperties(ctx_->physical_device(), &mp);
    flags = mp.memoryTypes[type].propertyFlags;
  }
  if (r == VK_SUCCESS && (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
    r = vkMapMemory(dev, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_);
  if (r != VK_SUCCESS) {
    vkFreeMemory(dev, memory_, nullptr);
    vkDestroyBuffer(dev, buffer_, nullptr);
    memory_ = VK_NULL_HANDLE;
    buffer_ = VK_NULL_HANDLE;
    check(r, "vkBindBufferMemory/vkMapMemory");
  }
  coherent_ = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
}

Buffer::~Buffer() {
  ctx_->settle();  // a timed-out submission may still use this buffer
  if (ctx_->abandoned()) return;
  VkDevice dev = ctx_->device();
  if (mapped_) vkUnmapMemory(dev, memory_);
  if (buffer_) vkDestroyBuffer(dev, buffer_, nullptr);
  if (memory_) vkFreeMemory(dev, memory_, nullptr);
}

void Buffer::flush(uint64_t offset, uint64_t bytes) {
  if (!mapped_ || coherent_) return;
  VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
  r.memory = memory_;
  r.offset = 0;  // whole-allocation flush keeps nonCoherentAtomSize rules trivially satisfied
  r.size = VK_WHOLE_SIZE;
  (void)offset;
  (void)bytes;
  check(vkFlushMappedMemoryRanges(ctx_->device(), 1, &r), "vkFlushMappedMemoryRanges");
}

void Buffer::invalidate(uint64_t offset, uint64_t bytes) {
  if (!mapped_ || coherent_) return;
  VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
  r.memory = memory_;
  r.offset = 0;
  r.size = VK_WHOLE_SIZE;
  (void)offset;
  (void)bytes;
  check(vkInvalidateMappedMemoryRanges(ctx_->device(), 1, &r), "vkInvalidateMappedMemoryRanges");
}

namespace {
// One-shot copy between buffers on the context's queue.
void one_shot_copy(Context& ctx, VkBuffer src, uint64_t src_off, VkBuffer dst, uint64_t dst_off, uint64_t bytes) {
  VkDevice dev = ctx.device();
  VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pi.queueFamilyIndex = ctx.queue_family();
  pi.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  VkCommandPool pool = VK_NULL_HANDLE;
  check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY, [&] { return vkCreateCommandPool(dev, &pi, nullptr, &pool); }),
        "vkCreateCommandPool");
  try {
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    check(fault::allocation(VK_ERROR_OUT_OF_HOST_MEMORY, [&] { return vkAllocateCommandBuffers(dev, &ai, &cb); }),
          "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cb, &bi), "vkBeginCommandBuffer");
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, nullptr,
                         0, nullptr);
    VkBufferCopy region{src_off, dst_off, bytes};
    vkCmdCopyBuffer(cb, src, dst, 1, &region);
    mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &mb, 0, nullptr,
                         0, nullptr);
    check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
    ctx.submit_and_wait(cb);
  } catch (...) {
    vkDestroyCommandPool(dev, pool, nullptr);
    throw;
  }
  vkDestroyCommandPool(dev, pool, nullptr);
}
}  // namespace

void Buffer::upload(const void* data, uint64_t bytes, uint64_t offset) {
  TARE_CHECK(offset + bytes <= size_, TARE_ERROR_INTERNAL, "buffer upload out of range");
  if (bytes == 0) return;
  if (mapped_) {
    std::memcpy(static_cast<uint8_t*>(mapped_) + offset, data, bytes);
    flush(offset, bytes);
    return;
  }
  Buffer staging(ctx_, bytes, MemoryKind::Upload);
  staging.upload(data, bytes, 0);
  one_shot_copy(*ctx_, staging.handle(), 0, buffer_, offset, bytes);
}

void Buffer::download(void* data, uint64_t bytes, uint64_t offset) {
  TARE_CHECK(offset + bytes <= size_, TARE_ERROR_INTERNAL, "buffer download out of range");
  if (bytes == 0) return;
  if (mapped_) {
    invalidate(offset, bytes);
    std::memcpy(data, static_cast<const uint8_t*>(mapped_) + offset, bytes);
    return;
  }
  Buffer staging(ctx_, bytes, MemoryKind::Readback);
  one_shot_copy(*ctx_, buffer_, offset, staging.handle(), 0, bytes);
  staging.download(data, bytes, 0);
}

}  // namespace tare::vk
