#include "engine/histogram_session.h"

#include <cmath>

#include "common/error.h"
#include "ops/op_common.h"

namespace tare {

namespace {

constexpr int kPerInvocation = 64;  // channel groups each invocation counts (shaders/tensor_histogram.comp)
// One histogram's stride: the bins and the zero count, rounded up to 256 bytes (any storage offset alignment).
constexpr uint64_t kStride = ((uint64_t)(quant::kHistogramBins + 1) * 4 + 255) / 256 * 256;

struct HistogramPush {
  int32_t groups, c4, c;
  float lo, inv_width;
};

PlanOptions histogram_plan(int batch) {
  PlanOptions p;
  p.batch = batch;
  return p;
}

}  // namespace

HistogramSession::HistogramSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, int batch,
                                   const std::vector<std::pair<float, float>>& spans)
    : plan_(std::move(ctx), graph, histogram_plan(batch)), spans_(spans) {
  const Graph& g = plan_.graph();
  TARE_CHECK(spans_.size() == g.tensors.size(), TARE_ERROR_INTERNAL, "histogram spans do not match the graph");
  offset_.assign(g.tensors.size(), UINT64_MAX);
  for (size_t t = 0; t < g.tensors.size(); t++) {
    if (g.tensors[t].dtype != DType::F32 || !plan_.has_storage((int)t) || !(spans_[t].second > spans_[t].first))
      continue;
    offset_[t] = bytes_;
    bytes_ += kStride;
  }
  counts_ = std::make_unique<vk::Buffer>(plan_.context(), std::max<uint64_t>(bytes_, 16), vk::MemoryKind::Device);
  const std::vector<uint32_t> zeros(std::max<uint64_t>(bytes_, 16) / 4, 0u);
  counts_->upload(zeros.data(), zeros.size() * 4);
  plan_.record_run([this](vk::Recorder& rec, int t) { record_histogram(rec, t); }, 1);
}

HistogramSession::~HistogramSession() = default;

void HistogramSession::record_histogram(vk::Recorder& rec, int t) {
  if (t < 0 || offset_[t] == UINT64_MAX) return;
  const ops::Shape4 s = ops::shape4(plan_.graph().tensors[t].shape);
  const int64_t groups = s.rows() * s.c4();
  const auto [lo, hi] = spans_[t];
  const HistogramPush push{(int32_t)groups, s.c4(), s.c, lo, (float)(quant::kHistogramBins / ((double)hi - lo))};
  ops::record_dispatch(rec,
                       ops::shader_dispatch(*plan_.context(), "tensor_histogram",
                                            {(uint32_t)quant::kHistogramBins, (uint32_t)kPerInvocation},
                                            {plan_.tensor_storage(t), {counts_.get(), offset_[t], kStride}}, push,
                                            ops::grid_xy(groups, (int64_t)ops::kShaderLocal * kPerInvocation)),
                       nullptr);
}

void HistogramSession::run(std::vector<quant::Histogram>& into) {
  plan_.run();
  // 32-bit counts on the device: taken after every run (and cleared) so that no count can overflow.
  std::vector<uint32_t> all(bytes_ / 4);
  if (!all.empty()) counts_->download(all.data(), bytes_);
  const std::vector<uint32_t> zeros(all.size(), 0u);
  if (!all.empty()) counts_->upload(zeros.data(), bytes_);
  into.resize(offset_.size());
  for (size_t t = 0; t < offset_.size(); t++) {
    if (offset_[t] == UINT64_MAX) continue;
    quant::Histogram& h = into[t];
    if (h.counts.empty()) {
      h.lo = spans_[t].first;
      h.hi = spans_[t].second;
      h.counts.assign(quant::kHistogramBins, 0.0);
    }
    const uint32_t* c = all.data() + offset_[t] / 4;
    for (int b = 0; b < quant::kHistogramBins; b++) h.counts[b] += c[b];
    h.zeros += c[quant::kHistogramBins];
  }
}

}  // namespace tare
