// Layer-by-layer running (calibration, src/calib): the caller records parts of a compiled graph into its own
// recorder (one command buffer may hold several sessions of one context) and submits it.  record_inputs packs the
// staged inputs (set_input), record_ops records operators [begin, end), record_outputs unpacks the outputs into the
// staging read by get_output.  Tensors live in the graph's arena: a tensor is valid from its producer's run until
// a later op reuses its storage (see SegmentOptions::keep_until).
#pragma once

#include <memory>
#include <vector>

#include "engine/compiled_graph.h"

namespace tare {

struct SegmentOptions {
  int batch = 0;  // 0: the model's own batch
  // keep_until[t] = i keeps tensor t's storage from being reused by any tensor that ops 0..i write, so that an op
  // reading t can run again after later ops ran.  Empty, or one entry per tensor (-1: no constraint).
  std::vector<int> keep_until;
};

class SegmentSession {
 public:
  SegmentSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SegmentOptions& options);

  const Graph& graph() const { return plan_.graph(); }  // with the batch applied
  size_t num_ops() const { return plan_.num_ops(); }
  const Tensor& input(size_t i) const { return plan_.input(i); }
  MemoryReport memory() const { return plan_.memory(); }
  void set_input(size_t i, const float* data, size_t count) { plan_.set_input(i, data, count); }
  void get_output(size_t i, float* data, size_t count) const { plan_.get_output(i, data, count); }

  void record_inputs(vk::Recorder& rec) { plan_.record_inputs(rec); }
  void record_ops(vk::Recorder& rec, size_t begin, size_t end) { plan_.record_ops(rec, begin, end); }
  void record_outputs(vk::Recorder& rec) { plan_.record_outputs(rec); }
  // Dispatches (upper bound) that record_ops(begin, end) adds, for sizing a recorder.
  uint32_t dispatch_bound(size_t begin, size_t end) const { return plan_.dispatch_bound(begin, end); }
  // The device storage of an activation tensor (NHWC4, see ops/kernel.h).
  vk::BufferRange tensor_storage(int tensor) const { return plan_.tensor_storage(tensor); }

  // Rewrites, in place on the device, the copy of a float constant that a kernel keeps as it is (the biases of
  // CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED float kernels): `values` are the tensor's new values.  Throws
  // TARE_ERROR_INVALID_ARGUMENT for a tensor no kernel keeps that way.
  void update_constant(int tensor, const std::vector<float>& values) { plan_.update_constant(tensor, values); }
  // The same, recorded into `rec` (a copy from host-visible staging kept per such constant): takes effect when
  // `rec` runs, in recording order; the values must not be staged again before then.
  void record_constant_update(vk::Recorder& rec, int tensor, const std::vector<float>& values) {
    plan_.record_constant_update(rec, tensor, values);
  }
  // Where such a constant lives (float32: its values as they are), for shaders that update it in place.
  vk::BufferRange constant_storage(int tensor) const { return plan_.constant_storage(tensor); }
  // A blocking copy of a range of this session's storage (tensor_storage, constant_storage, ...) to the host.
  void download(const vk::BufferRange& src, void* data, uint64_t bytes) const { plan_.download(src, data, bytes); }

 protected:
  SegmentSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const PlanOptions& options)
      : plan_(std::move(ctx), graph, options) {}
  CompiledGraph plan_;
};

}  // namespace tare
