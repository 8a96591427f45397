// A compiled graph: one graph planned onto one device, shared by the session types (session.h, stats_session.h,
// segment_session.h, training_session.h).  Construction builds every kernel, packs the constants into one buffer
// uploaded once, places intermediate tensors in one arena by lifetime (planner.h) and creates the staging of the
// inputs and outputs; the whole run is recorded once (record_run) and replayed by run().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/graph.h"
#include "ops/kernel.h"
#include "vk/buffer.h"
#include "vk/command.h"
#include "vk/context.h"
#include "vk/features.h"

namespace tare {

struct PlanOptions {
  bool fp16 = false;       // fp16 storage and arithmetic (needs the device's shaderFloat16 + 16-bit storage)
  int batch = 0;           // 0: the model's own batch
  bool profiling = false;  // per-op timestamps in the recorded run
  // keep_until[t] = i keeps tensor t's storage from being reused by any tensor that ops 0..i write, so that an op
  // reading t can run again after later ops ran (segment execution).  Empty, or one entry per tensor (-1: none).
  std::vector<int> keep_until;
  // float32 only: every activation keeps its own storage (the backward pass reads the forward values), a gradient
  // buffer per activation, a backward kernel per operator.
  bool training = false;
  // training: where a FAKE_QUANT's output has one reader, that reader's backward kernel applies the FAKE_QUANT's
  // backward (ops/ste_fold.h) and the output's gradient is not computed.  False: every gradient is (tests).
  bool fold_fake_quant = true;
  // Inference sessions only (no keep_until, no training): a MINIMUM by a constant bound right after a convolution
  // runs inside the convolution's kernel (ops::BuildContext::claim_clip), a QUANTIZE of a float graph input reads
  // the caller's floats from their staging and a DEQUANTIZE of a graph output writes them there
  // (claim_input_staging, claim_output_staging).  The unclipped tensor and the packed input and output then never
  // exist, so a hook (record_run's after_tensor) would see the clipped values and skips the staged tensors.
  bool inference_fusions = false;
  vk::FeatureOverride features;  // tests only
};

struct MemoryReport {
  uint64_t constant_bytes = 0;
  uint64_t activation_bytes = 0;  // the planned arena
  uint64_t unplanned_bytes = 0;   // sum of every intermediate tensor, as if none shared memory
  uint64_t staging_bytes = 0;
};

// The compute pipelines of a compiled graph (cold start): the ones its kernels and input/output packing use, and
// what creating the new ones cost.  Pipelines are shared per context: a later graph needing the same (shader,
// specialization constants) pairs compiles nothing.
struct PipelineReport {
  uint32_t pipelines = 0;     // distinct pipelines used
  uint32_t shaders = 0;       // distinct shaders among them (a shader with several specializations counts once)
  uint32_t compiled = 0;      // pipelines this graph's construction compiled (not yet in the context)
  uint32_t threads = 0;       // threads that compiled them
  double compile_ms = 0;      // wall time of that compilation
  double compile_sum_ms = 0;  // each compiled pipeline's own time, summed
};

class CompiledGraph {
 public:
  CompiledGraph(std::shared_ptr<vk::Context> ctx, const Graph& graph, const PlanOptions& options);
  ~CompiledGraph();
  CompiledGraph(const CompiledGraph&) = delete;
  CompiledGraph& operator=(const CompiledGraph&) = delete;

  const Graph& graph() const { return graph_; }  // with the batch applied
  const PlanOptions& options() const { return options_; }
  const std::shared_ptr<vk::Context>& context() const { return ctx_; }
  const MemoryReport& memory() const { return memory_; }
  const PipelineReport& pipelines() const { return pipelines_; }
  size_t num_inputs() const { return graph_.inputs.size(); }
  size_t num_outputs() const { return graph_.outputs.size(); }
  size_t num_ops() const { return graph_.ops.size(); }
  const Tensor& input(size_t i) const { return graph_.tensors[graph_.inputs[i]]; }
  const Tensor& output(size_t i) const { return graph_.tensors[graph_.outputs[i]]; }

  // Staging of the inputs and outputs.  Bytes: dense NHWC data in the tensor's own dtype (float32, int8 or uint8),
  // exactly bytes() bytes; floats: float32 tensors only, exactly elements() values.
  void set_input_bytes(size_t i, const void* data, size_t bytes);
  void get_output_bytes(size_t i, void* data, size_t bytes) const;
  void set_input(size_t i, const float* data, size_t count);
  void get_output(size_t i, float* data, size_t count) const;

  // Records the whole run once: input packing, every operator, output unpacking.  `after_tensor` (may be empty)
  // records more work on a tensor right after it is written (every graph input after packing, every operator's
  // outputs after the operator); it may add up to `extra_dispatches_per_op` dispatches per tensor it is called on.
  using TensorHook = std::function<void(vk::Recorder& rec, int tensor)>;
  void record_run(const TensorHook& after_tensor = {}, uint32_t extra_dispatches_per_op = 0);
  // Replays the recorded run (recorded without a hook on first use).
  void run();
  // Per-op GPU times of the last run (profiling on), in graph order.
  std::vector<std::pair<std::string, double>> profile() const;
  // Where the last run's wall time went (host phases always; the GPU span with profiling on).
  vk::RunTimes run_times() const;

  // Segments, into the caller's recorder (one command buffer may hold several compiled graphs of one context):
  // record_inputs packs the staged inputs, record_ops records operators [begin, end), record_outputs unpacks the
  // outputs into the staging.  A tensor is valid from its producer's run until a later op reuses its storage.
  void record_inputs(vk::Recorder& rec);
  void record_ops(vk::Recorder& rec, size_t begin, size_t end, const TensorHook& after_tensor = {});
  void record_outputs(vk::Recorder& rec);
  // Dispatches (upper bound) that record_ops(begin, end) adds, for sizing a recorder.
  uint32_t dispatch_bound(size_t begin, size_t end) const;
  // The device storage of an activation tensor (NHWC4, see ops/kernel.h); whether it has any (a tensor no
  // operator touches has none).
  vk::BufferRange tensor_storage(int tensor) const;
  bool has_storage(int tensor) const;

  // Float constants that a kernel keeps as they are (BuildContext::note_constant: the biases of CONV_2D,
  // DEPTHWISE_CONV_2D and FULLY_CONNECTED float kernels), rewritten in place on the device.
  void update_constant(int tensor, const std::vector<float>& values);
  void record_constant_update(vk::Recorder& rec, int tensor, const std::vector<float>& values);
  vk::BufferRange constant_storage(int tensor) const;

  // Training (PlanOptions::training): gradients stored like the tensors (NHWC4 float32).  record_zero_grads zeroes
  // those whose first writer in backward order adds (the others are stored by it, ops::BuildContext::claim_grad_store);
  // record_backward's range must end at the last operator.
  void record_zero_grads(vk::Recorder& rec);
  void record_backward(vk::Recorder& rec, size_t begin, size_t end);
  vk::BufferRange grad_storage(int tensor) const;
  bool grad_zeroed(int tensor) const;  // whether record_zero_grads zeroes it (else its first writer stores it)

  // Blocking host copies to / from a range of this graph's device storage (tensor_storage, grad_storage,
  // constant_storage), `bytes` from the range's start.
  void upload(const vk::BufferRange& dst, const void* data, uint64_t bytes);
  void download(const vk::BufferRange& src, void* data, uint64_t bytes) const;

 private:
  class Impl;
  std::shared_ptr<vk::Context> ctx_;
  Graph graph_;
  PlanOptions options_;
  MemoryReport memory_;
  PipelineReport pipelines_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tare
