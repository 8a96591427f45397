// Training (bias fine-tuning, src/calib): a segment session (segment_session.h) in float32 where every activation
// keeps its own storage (the backward pass reads the forward values), with a gradient per activation, stored like
// the tensors (NHWC4 float32; alias views share their root's), and a backward kernel per operator.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "engine/segment_session.h"

namespace tare {

struct TrainingOptions {
  int batch = 0;  // 0: the model's own batch
  // A FAKE_QUANT's backward folded into its output's reader's where it can (PlanOptions::fold_fake_quant); false:
  // every gradient is computed (tests reading the FAKE_QUANT outputs' gradients).
  bool fold_fake_quant = true;
};

class TrainingSession : public SegmentSession {
 public:
  TrainingSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const TrainingOptions& options);

  // record_zero_grads zeroes every gradient that backward adds into; record_backward records the backward kernels
  // of operators [begin, end = num_ops()) in reverse order (each adds into its inputs' gradients, or stores where it
  // is a gradient's first writer, so a gradient is complete once all its consumers ran).  The gradients of graph
  // outputs are the seeds: written after record_zero_grads, never overwritten.
  void record_zero_grads(vk::Recorder& rec) { plan_.record_zero_grads(rec); }
  void record_backward(vk::Recorder& rec, size_t begin, size_t end) { plan_.record_backward(rec, begin, end); }
  vk::BufferRange grad_storage(int tensor) const { return plan_.grad_storage(tensor); }
  bool grad_zeroed(int tensor) const { return plan_.grad_zeroed(tensor); }

  // Conveniences (tests, small graphs): run the whole forward pass; zero the gradients, set the seeds' gradients
  // (graph outputs; dense NHWC float32, the tensor's element count), run the backward pass of every operator; read a gradient or
  // a forward value back (dense NHWC float32).
  void run() { plan_.run(); }
  void backward(const std::vector<std::pair<int, std::vector<float>>>& seeds);
  std::vector<float> grad(int tensor) const;
  std::vector<float> value(int tensor) const;
};

}  // namespace tare
