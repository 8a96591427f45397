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
  // Segment execution (src/calib): keep_until[t] = i keeps tensor t's storage from being reused by any tensor that
  // ops 0..i write, so that an op reading t can run again after later ops ran.  Empty, or one entry per tensor
  // (-1: no constraint).
  std::vector<int> keep_until;
  // Training (bias fine-tuning, src/calib): float32 only; every activation keeps its own storage (the backward pass
  // reads the forward values), a gradient buffer per activation, a backward kernel per operator.
  bool training = false;
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

  // Segment execution, for calibration (src/calib): the caller records parts of the graph into its own recorder
  // (one command buffer may hold several sessions of one context) and submits it.  record_inputs packs the staged
  // inputs (set_input*) into the graph; record_ops records operators [begin, end) (no statistics); record_outputs
  // unpacks the outputs into the staging read by get_output*.  Tensors live in the session's arena: a tensor is
  // valid from its producer's run until a later op reuses its storage (see SessionOptions::keep_until).
  size_t num_ops() const { return graph_.ops.size(); }
  void record_inputs(vk::Recorder& rec);
  void record_ops(vk::Recorder& rec, size_t begin, size_t end);
  void record_outputs(vk::Recorder& rec);
  // Dispatches (upper bound) that record_ops(begin, end) adds, for sizing a recorder.
  uint32_t dispatch_bound(size_t begin, size_t end) const;
  // The device storage of an activation tensor (NHWC4, see ops/kernel.h).
  vk::BufferRange tensor_storage(int tensor) const;
  // Rewrites, in place on the device, the copy of a float constant that a kernel keeps as it is (the biases of
  // CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED float kernels): `values` are the tensor's new values.  Throws
  // TARE_ERROR_INVALID_ARGUMENT for a tensor no kernel keeps that way.
  void update_constant(int tensor, const std::vector<float>& values);
  // The same, recorded into `rec` (a copy from host-visible staging that this session keeps per such constant):
  // takes effect when `rec` runs, in recording order; the values must not be staged again before then.
  void record_constant_update(vk::Recorder& rec, int tensor, const std::vector<float>& values);
  // Where such a constant lives (float32 sessions: its values as they are), for shaders that update it in place.
  vk::BufferRange constant_storage(int tensor) const;

  // Training sessions (SessionOptions::training).  Gradients are stored like the tensors (NHWC4 float32).
  // record_zero_grads zeroes every gradient; record_backward records the backward kernels of operators
  // [begin, end) in reverse order (each adds into its inputs' gradients).
  void record_zero_grads(vk::Recorder& rec);
  void record_backward(vk::Recorder& rec, size_t begin, size_t end);
  vk::BufferRange grad_storage(int tensor) const;
  // Conveniences (tests, small graphs): zero the gradients, set the seeds' gradients (dense NHWC float32, the
  // tensor's element count), run the backward pass of every operator; read a gradient or a forward value back
  // (dense NHWC float32).
  void backward(const std::vector<std::pair<int, std::vector<float>>>& seeds);
  std::vector<float> grad(int tensor) const;
  std::vector<float> value(int tensor) const;

 private:
  class Impl;
  std::shared_ptr<vk::Context> ctx_;
  Graph graph_;
  SessionOptions options_;
  MemoryReport memory_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tare
