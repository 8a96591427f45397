// Range calibration's second pass (quant/ranges.h): a compiled float graph whose recorded run also adds, after every
// op and for every graph input, each float tensor's values to a histogram of its own on the device (fixed spans
// from the first pass's min/max, shaders/tensor_histogram.comp); only the counts leave the GPU.
#pragma once

#include <memory>
#include <vector>

#include "engine/compiled_graph.h"
#include "engine/session.h"
#include "quant/ranges.h"

namespace tare {

class HistogramSession {
 public:
  // spans[t]: the histogram's [lo, hi] of tensor t (indexed like graph.tensors); hi <= lo: not collected.
  HistogramSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, int batch,
                   const std::vector<std::pair<float, float>>& spans);
  ~HistogramSession();

  void set_input(size_t i, const float* data, size_t count) { plan_.set_input(i, data, count); }
  // Runs the graph and adds the counts of this run to `into` (one histogram per tensor, like the spans; an entry
  // not collected stays empty).
  void run(std::vector<quant::Histogram>& into);

 private:
  void record_histogram(vk::Recorder& rec, int tensor);

  CompiledGraph plan_;
  std::vector<std::pair<float, float>> spans_;
  std::unique_ptr<vk::Buffer> counts_;
  std::vector<uint64_t> offset_;  // per tensor, in bytes; UINT64_MAX: not collected
  uint64_t bytes_ = 0;
};

}  // namespace tare
