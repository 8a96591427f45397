// Command recording: a Recorder builds one command buffer once (dispatches, copies, barriers, timestamps);
// the buffer is then submitted as many times as needed.
#pragma once

#include <volk.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vk/buffer.h"
#include "vk/context.h"

namespace tare::vk {

class Pipeline;

// Where the wall time of the last submit() went, in ms: the context's host phases, reading the timestamps back,
// and (profiling) the GPU's time from the command buffer's first timestamp to its last.
struct RunTimes {
  double total_ms = 0;
  SubmitTimes host;
  double timestamps_read_ms = 0;
  double gpu_span_ms = 0;  // 0 without profiling
};

class Recorder {
 public:
  // max_dispatches bounds the descriptor sets allocated; max_timestamps the query pool (0: no profiling).
  Recorder(std::shared_ptr<Context> ctx, uint32_t max_dispatches, uint32_t max_timestamps);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void begin();
  // Records a dispatch of `groups` workgroups.  `buffers` must have pipeline.num_bindings() entries.  A
  // compute->compute memory barrier is inserted before it if an earlier dispatch of this recording may have
  // written memory it reads (conservatively: any earlier dispatch or copy).
  void dispatch(const Pipeline& pipeline, const std::vector<BufferRange>& buffers, const void* push_data,
                uint32_t push_bytes, uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1);
  void copy(const Buffer& src, uint64_t src_offset, const Buffer& dst, uint64_t dst_offset, uint64_t bytes);
  void fill(const Buffer& dst, uint64_t offset, uint64_t bytes, uint32_t value);
  // Full memory barrier (compute/transfer -> compute/transfer/host).
  void barrier();
  // Timestamps around a named region (no-ops when profiling is off or unsupported).
  void begin_region(const std::string& name);
  void end_region();
  void end();

  // Submits the recorded buffer and waits.
  void submit();
  // Region names and their GPU times in ms from the last submit (empty when profiling is off).
  std::vector<std::pair<std::string, double>> region_times() const;
  const RunTimes& run_times() const { return run_times_; }
  bool profiling() const { return query_pool_ != VK_NULL_HANDLE; }
  VkCommandBuffer handle() const { return cb_; }

 private:
  void release();
  std::shared_ptr<Context> ctx_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cb_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptor_pool_ = VK_NULL_HANDLE;
  VkQueryPool query_pool_ = VK_NULL_HANDLE;
  uint32_t max_timestamps_ = 0;  // for regions; two more, after them, time the whole command buffer
  uint32_t next_query_ = 0;
  bool pending_write_ = false;
  std::vector<std::string> region_names_;
  std::vector<uint32_t> region_begin_query_;
  int open_region_ = -1;
  std::vector<double> last_times_;
  RunTimes run_times_;
};

}  // namespace tare::vk
