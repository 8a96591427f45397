// Statistics collection (calibration): a compiled graph whose recorded run also folds, after every op and for
// every graph input, the per-channel min, max, sum and sum of squares of each float tensor into running statistics
// on the device; no activation leaves the GPU.
#pragma once

#include <memory>
#include <vector>

#include "engine/compiled_graph.h"
#include "engine/session.h"
#include "model/channel_stats.h"

namespace tare {

class StatsSession {
 public:
  StatsSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SessionOptions& options);
  ~StatsSession();

  const Graph& graph() const { return plan_.graph(); }  // with the batch applied
  const Tensor& input(size_t i) const { return plan_.input(i); }
  void set_input(size_t i, const float* data, size_t count) { plan_.set_input(i, data, count); }
  void run();

  // The statistics of every tensor (indexed like graph().tensors) over the runs since the last reset.
  std::vector<ChannelStats> channel_stats() const;
  void reset_stats();

 private:
  void record_stats(vk::Recorder& rec, int tensor);

  CompiledGraph plan_;
  std::unique_ptr<vk::Buffer> stats_, partial_;
  std::vector<uint64_t> stats_offset_;  // per tensor; UINT64_MAX: not collected
  uint64_t stats_bytes_ = 0;
  uint64_t runs_ = 0;  // runs folded since the last reset
};

}  // namespace tare
