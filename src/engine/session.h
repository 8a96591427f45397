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
};

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

  // Dense float32 NHWC data, exactly input(i).elements() values.
  void set_input(size_t i, const float* data, size_t count);
  void run();
  void get_output(size_t i, float* data, size_t count) const;

  MemoryReport memory() const { return memory_; }
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
