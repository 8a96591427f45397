// A session: one graph planned onto one device.  Construction uploads constants once, places intermediate tensors
// in one arena by lifetime (planner.h), creates pipelines and records the command buffer once; run() replays it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/graph.h"
#include "ops/kernel.h"
#include "vk/buffer.h"
#include "vk/command.h"
#include "vk/context.h"

namespace tare {

struct SessionOptions {
  bool fp16 = false;      // fp16 storage and arithmetic (needs the device's shaderFloat16 + 16-bit storage)
  int batch = 0;          // 0: the model's own batch
  bool profiling = false; // per-op timestamps
  // 8-bit kernels: use packed uint32 words even where the device has 8-bit storage (also TARE_FORCE_PACKED_INT8=1),
  // and never use packed dot products (also TARE_NO_DOT=1).  For testing both paths on one device.
  bool force_packed_int8 = false;
  bool disable_dot = false;
  // Packed dot products are used by default only where the device says they are accelerated
  // (integerDotProduct4x8BitPackedSignedAccelerated); force_dot (or TARE_FORCE_DOT=1) uses them wherever the
  // device has them at all (lavapipe emulates them: slower than the float-exact path, but testable).
  bool force_dot = false;
  // Calibration: after every op (and for every graph input) fold the per-channel min and max of each float tensor
  // into running statistics on the device (no activation leaves the GPU); read them with channel_stats().
  bool collect_stats = false;
};

// Per-channel running statistics of one tensor (collect_stats), over every position of every run since the last
// reset: minimum, maximum, sum and sum of squares (fp32, summed in a fixed order), and the count of values per
// channel.
struct ChannelStats {
  std::vector<float> min, max;  // one per channel (last dimension); empty if the tensor was never seen
  std::vector<double> sum, sum_sq;
  double count = 0;
  bool seen() const { return !min.empty(); }
  double mean(size_t c) const { return count > 0 ? sum[c] / count : 0.0; }
};

// Folds `from` into `into` (min of mins, max of maxes, sums and counts added).
void merge_stats(ChannelStats& into, const ChannelStats& from);

struct MemoryReport {
  uint64_t constant_bytes = 0;
  uint64_t activation_bytes = 0;  // the planned arena
  uint64_t unplanned_bytes = 0;   // sum of every intermediate tensor, as if none shared memory
  uint64_t staging_bytes = 0;
};

class Session {
 public:
  Session(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Graph& graph() const { return graph_; }  // with the session's batch applied
  size_t num_inputs() const { return graph_.inputs.size(); }
  size_t num_outputs() const { return graph_.outputs.size(); }
  const Tensor& input(size_t i) const { return graph_.tensors[graph_.inputs[i]]; }
  const Tensor& output(size_t i) const { return graph_.tensors[graph_.outputs[i]]; }

  // Dense NHWC data in the tensor's own dtype (float32, int8 or uint8), exactly input(i).bytes() bytes.
  void set_input_bytes(size_t i, const void* data, size_t bytes);
  void get_output_bytes(size_t i, void* data, size_t bytes) const;
  // Float32 tensors only: exactly elements() values.
  void set_input(size_t i, const float* data, size_t count);
  void run();
  void get_output(size_t i, float* data, size_t count) const;

  MemoryReport memory() const { return memory_; }
  // collect_stats: the statistics of every tensor (indexed like graph().tensors), and their reset (+inf/-inf).
  std::vector<ChannelStats> channel_stats() const;
  void reset_stats();
  // Per-op GPU times of the last run (profiling on), in graph order.
  std::vector<std::pair<std::string, double>> profile() const;
  const vk::Context& context() const { return *ctx_; }

 private:
  class Impl;
  std::shared_ptr<vk::Context> ctx_;
  Graph graph_;
  SessionOptions options_;
  MemoryReport memory_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tare
