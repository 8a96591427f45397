#include "engine/stats_session.h"

#include <cmath>

#include "common/error.h"
#include "ops/op_common.h"

namespace tare {

namespace {

constexpr int kStatsChunk = 64;  // rows per partial result (shaders/channel_minmax.comp)

PlanOptions stats_plan(const SessionOptions& o) {
  PlanOptions p;
  p.fp16 = o.fp16;
  p.batch = o.batch;
  p.profiling = o.profiling;
  return p;
}

struct RowsC4 {
  int32_t rows, c4;
};

}  // namespace

StatsSession::StatsSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SessionOptions& options)
    : plan_(std::move(ctx), graph, stats_plan(options)) {
  // Per float activation: 4 vec4 per channel group (min, max, sum, sum of squares).
  const Graph& g = plan_.graph();
  uint64_t total = 0, partial = 16;
  stats_offset_.assign(g.tensors.size(), UINT64_MAX);
  for (size_t t = 0; t < g.tensors.size(); t++) {
    if (g.tensors[t].dtype != DType::F32 || !plan_.has_storage((int)t)) continue;
    ops::Shape4 s = ops::shape4(g.tensors[t].shape);
    stats_offset_[t] = total;
    total += (uint64_t)s.c4() * 64;
    uint64_t chunks = (uint64_t)((s.rows() + kStatsChunk - 1) / kStatsChunk);
    partial = std::max<uint64_t>(partial, chunks * s.c4() * 64);
  }
  const auto& c = plan_.context();
  stats_ = std::make_unique<vk::Buffer>(c, std::max<uint64_t>(total, 16), vk::MemoryKind::Device);
  partial_ = std::make_unique<vk::Buffer>(c, partial, vk::MemoryKind::Device);
  stats_bytes_ = total;
  reset_stats();
  plan_.record_run([this](vk::Recorder& rec, int t) { record_stats(rec, t); }, 4);
}

StatsSession::~StatsSession() = default;

void StatsSession::run() {
  plan_.run();
  runs_++;
}

void StatsSession::reset_stats() {
  std::vector<float> init(stats_bytes_ / 4, 0.0f);
  for (size_t i = 0; i < init.size(); i += 16)
    for (int k = 0; k < 4; k++) {
      init[i + k] = INFINITY;
      init[i + 4 + k] = -INFINITY;
    }
  stats_->upload(init.data(), init.size() * 4);
  runs_ = 0;
}

void StatsSession::record_stats(vk::Recorder& rec, int t) {
  if (t < 0 || stats_offset_[t] == UINT64_MAX) return;
  const ops::Shape4 s = ops::shape4(plan_.graph().tensors[t].shape);
  const int chunks = (int)((s.rows() + kStatsChunk - 1) / kStatsChunk);
  vk::Context& ctx = *plan_.context();
  const std::string shader = plan_.options().fp16 ? "channel_minmax_fp16" : "channel_minmax";
  const vk::BufferRange part{partial_.get(), 0, (uint64_t)chunks * s.c4() * 64};
  ops::record_dispatch(rec,
                       ops::shader_dispatch(ctx, shader, {(uint32_t)kStatsChunk}, {plan_.tensor_storage(t), part},
                                            RowsC4{(int32_t)s.rows(), s.c4()},
                                            ops::grid_channel_chunks(s.c4(), chunks)),
                       nullptr);
  ops::record_dispatch(rec,
                       ops::shader_dispatch(ctx, "channel_minmax_merge", {},
                                            {part, {stats_.get(), stats_offset_[t], (uint64_t)s.c4() * 64}},
                                            RowsC4{chunks, s.c4()}, ops::Grid{ops::div_up(s.c4(), ops::kShaderLocal)}),
                       nullptr);
}

std::vector<ChannelStats> StatsSession::channel_stats() const {
  const Graph& g = plan_.graph();
  std::vector<ChannelStats> out(g.tensors.size());
  std::vector<float> all(stats_bytes_ / 4);
  stats_->download(all.data(), all.size() * 4);
  for (size_t t = 0; t < g.tensors.size(); t++) {
    if (stats_offset_[t] == UINT64_MAX) continue;
    ops::Shape4 s = ops::shape4(g.tensors[t].shape);
    const float* base = all.data() + stats_offset_[t] / 4;
    if (!(base[0] <= base[4])) continue;  // never written (+inf / -inf)
    out[t].min.resize(s.c);
    out[t].max.resize(s.c);
    out[t].sum.resize(s.c);
    out[t].sum_sq.resize(s.c);
    out[t].count = (double)s.rows() * (double)runs_;
    for (int c = 0; c < s.c; c++) {
      const float* grp = base + (c / 4) * 16 + c % 4;
      out[t].min[c] = grp[0];
      out[t].max[c] = grp[4];
      out[t].sum[c] = grp[8];
      out[t].sum_sq[c] = grp[12];
    }
  }
  return out;
}

}  // namespace tare
