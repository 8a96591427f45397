#include "calib/calibrate.h"

#include <algorithm>

#include "common/error.h"
#include "engine/stats_session.h"

namespace tare::calib {

quant::Stats calibrate(std::shared_ptr<vk::Context> ctx, const Graph& g, uint32_t count, int batch,
                       const std::function<void(uint32_t, float*)>& fill,
                       const std::function<bool(uint32_t, uint32_t)>& progress) {
  TARE_CHECK(count > 0, TARE_ERROR_INVALID_ARGUMENT, "calibration needs at least one input");
  TARE_CHECK(g.inputs.size() == 1, TARE_ERROR_UNSUPPORTED, "calibration supports models with one input");
  TARE_CHECK(batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "calibration batch must be >= 1");
  const Tensor& in0 = g.tensors[g.inputs[0]];
  TARE_CHECK(!in0.shape.empty() && in0.shape[0] >= 1, TARE_ERROR_UNSUPPORTED, "the input has no batch dimension");
  const size_t per_image = (size_t)(in0.elements() / in0.shape[0]);
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
    if (progress && !progress(done, count)) fail(TARE_ERROR_CANCELLED, "calibration cancelled");
  }
  auto st = session->channel_stats();
  for (size_t t = 0; t < st.size(); t++) merge_stats(merged[t], st[t]);
  return merged;
}

}  // namespace tare::calib
