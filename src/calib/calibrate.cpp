#include "calib/calibrate.h"

#include <algorithm>

#include "common/error.h"
#include "engine/histogram_session.h"
#include "engine/stats_session.h"

namespace tare::calib {

namespace {

// Floats per input of the graph's single input; checks the arguments every pass shares.
size_t per_input(const Graph& g, uint32_t count, int batch) {
  TARE_CHECK(count > 0, TARE_ERROR_INVALID_ARGUMENT, "calibration needs at least one input");
  TARE_CHECK(g.inputs.size() == 1, TARE_ERROR_UNSUPPORTED, "calibration supports models with one input");
  TARE_CHECK(batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "calibration batch must be >= 1");
  const Tensor& in0 = g.tensors[g.inputs[0]];
  TARE_CHECK(!in0.shape.empty() && in0.shape[0] >= 1, TARE_ERROR_UNSUPPORTED, "the input has no batch dimension");
  return (size_t)(in0.elements() / in0.shape[0]);
}

}  // namespace

quant::Stats calibrate(std::shared_ptr<vk::Context> ctx, const Graph& g, uint32_t count, int batch,
                       const std::function<void(uint32_t, float*)>& fill,
                       const std::function<bool(uint32_t, uint32_t)>& progress, const quant::RangeOptions& ranges) {
  const size_t per_image = per_input(g, count, batch);
  const bool second_pass = ranges.method != quant::RangeMethod::MinMax;
  if (ranges.method == quant::RangeMethod::Percentile)  // checked before the work starts
    TARE_CHECK(ranges.percentile > 50 && ranges.percentile <= 100, TARE_ERROR_INVALID_ARGUMENT,
               "the percentile must be in (50, 100]");
  const uint32_t total = second_pass ? 2 * count : count;
  quant::Stats merged(g.tensors.size());
  uint32_t done = 0;
  std::unique_ptr<StatsSession> session;
  int session_batch = 0;
  std::vector<float> buf;
  while (done < count) {
    int b = (int)std::min<uint32_t>((uint32_t)batch, count - done);
    if (b != session_batch) {
      SessionOptions so;
      so.batch = b;
      if (session) {  // fold what the previous session saw before replacing it
        auto st = session->channel_stats();
        for (size_t t = 0; t < st.size(); t++) merge_stats(merged[t], st[t]);
      }
      session = std::make_unique<StatsSession>(ctx, g, so);
      session_batch = b;
    }
    buf.assign(per_image * b, 0.0f);
    for (int i = 0; i < b; i++) fill(done + i, buf.data() + per_image * i);
    session->set_input(0, buf.data(), buf.size());
    session->run();
    done += b;
    if (progress && !progress(done, total)) fail(TARE_ERROR_CANCELLED, "calibration cancelled");
  }
  auto st = session->channel_stats();
  for (size_t t = 0; t < st.size(); t++) merge_stats(merged[t], st[t]);
  session.reset();
  if (second_pass)
    quant::apply_ranges(merged, histograms(ctx, g, merged, count, batch, fill, progress, count, total), ranges);
  return merged;
}

std::vector<quant::Histogram> histograms(std::shared_ptr<vk::Context> ctx, const Graph& g, const quant::Stats& stats,
                                         uint32_t count, int batch, const std::function<void(uint32_t, float*)>& fill,
                                         const std::function<bool(uint32_t, uint32_t)>& progress, uint32_t done_before,
                                         uint32_t total) {
  const size_t per_image = per_input(g, count, batch);
  TARE_CHECK(stats.size() == g.tensors.size(), TARE_ERROR_INTERNAL, "calibration statistics do not match the graph");
  std::vector<std::pair<float, float>> spans(g.tensors.size(), {0.0f, 0.0f});
  for (size_t t = 0; t < g.tensors.size(); t++) quant::histogram_span(stats[t], spans[t].first, spans[t].second);
  std::vector<quant::Histogram> out(g.tensors.size());
  std::unique_ptr<HistogramSession> session;
  int session_batch = 0;
  std::vector<float> buf;
  for (uint32_t done = 0; done < count;) {
    const int b = (int)std::min<uint32_t>((uint32_t)batch, count - done);
    if (b != session_batch) {
      session.reset();
      session = std::make_unique<HistogramSession>(ctx, g, b, spans);
      session_batch = b;
    }
    buf.assign(per_image * b, 0.0f);
    for (int i = 0; i < b; i++) fill(done + i, buf.data() + per_image * i);
    session->set_input(0, buf.data(), buf.size());
    session->run(out);
    done += b;
    if (progress && !progress(done_before + done, std::max(total, done_before + count)))
      fail(TARE_ERROR_CANCELLED, "calibration cancelled");
  }
  return out;
}

}  // namespace tare::calib
