// Device buffers.  Each Buffer owns one VkBuffer and its own VkDeviceMemory (models have few, large buffers:
// constants, the activation arena, staging).
#pragma once

#include <volk.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tare::vk {

class Context;

enum class MemoryKind {
  Device,   // device-local, preferably not host visible
  Upload,   // host-visible (coherent), for inputs: host writes, GPU reads
  Readback  // host-visible (cached if possible), for outputs: GPU writes, host reads
};

class Buffer {
 public:
  Buffer(std::shared_ptr<Context> ctx, uint64_t bytes, MemoryKind kind);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  uint64_t size() const { return size_; }
  void* mapped() const { return mapped_; }  // nullptr unless host visible

  // Copies host data in/out.  Works for any kind (device-local buffers go through a temporary staging buffer).
  void upload(const void* data, uint64_t bytes, uint64_t offset = 0);
  void download(void* data, uint64_t bytes, uint64_t offset = 0);
  // Makes host writes visible to the device / device writes visible to the host for non-coherent memory.
  void flush(uint64_t offset = 0, uint64_t bytes = VK_WHOLE_SIZE);
  void invalidate(uint64_t offset = 0, uint64_t bytes = VK_WHOLE_SIZE);

 private:
  std::shared_ptr<Context> ctx_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  uint64_t size_ = 0;
  void* mapped_ = nullptr;
  bool coherent_ = true;
};

// A range of a buffer, as bound to a shader.
struct BufferRange {
  const Buffer* buffer = nullptr;
  uint64_t offset = 0;
  uint64_t size = 0;  // bytes
};

}  // namespace tare::vk
