// Inference: a compiled graph (compiled_graph.h) whose whole run is recorded once at construction; run() replays
// it.  What the C API and the CLI use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/compiled_graph.h"

namespace tare {

struct SessionOptions {
  bool fp16 = false;       // fp16 storage and arithmetic (needs the device's shaderFloat16 + 16-bit storage)
  int batch = 0;           // 0: the model's own batch
  bool profiling = false;  // per-op timestamps
};

class Session {
 public:
  // `features` (tests only) picks the 8-bit path; by default the device's best.
  Session(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SessionOptions& options,
          const vk::FeatureOverride& features = {});

  const Graph& graph() const { return plan_.graph(); }  // with the session's batch applied
  size_t num_inputs() const { return plan_.num_inputs(); }
  size_t num_outputs() const { return plan_.num_outputs(); }
  const Tensor& input(size_t i) const { return plan_.input(i); }
  const Tensor& output(size_t i) const { return plan_.output(i); }

  // Dense NHWC data in the tensor's own dtype (float32, int8 or uint8), exactly input(i).bytes() bytes.
  void set_input_bytes(size_t i, const void* data, size_t bytes) { plan_.set_input_bytes(i, data, bytes); }
  void get_output_bytes(size_t i, void* data, size_t bytes) const { plan_.get_output_bytes(i, data, bytes); }
  // Float32 tensors only: exactly elements() values.
  void set_input(size_t i, const float* data, size_t count) { plan_.set_input(i, data, count); }
  void run() { plan_.run(); }
  void get_output(size_t i, float* data, size_t count) const { plan_.get_output(i, data, count); }

  MemoryReport memory() const { return plan_.memory(); }
  // Whether activation tensor t has device storage (tests: a fused tensor, or a graph input or output kept in its
  // staging alone, has none).
  bool has_storage(int t) const { return plan_.has_storage(t); }
  PipelineReport pipelines() const { return plan_.pipelines(); }
  // Per-op GPU times of the last run (profiling on), in graph order.
  std::vector<std::pair<std::string, double>> profile() const { return plan_.profile(); }
  // Where the last run's wall time went: host phases (always measured: a few clock reads), GPU span (profiling).
  vk::RunTimes run_times() const { return plan_.run_times(); }
  const vk::Context& context() const { return *plan_.context(); }

 private:
  CompiledGraph plan_;
};

}  // namespace tare
