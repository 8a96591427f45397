#include "engine/segment_session.h"

namespace tare {

namespace {

PlanOptions segment_plan(const SegmentOptions& o) {
  PlanOptions p;
  p.batch = o.batch;
  p.keep_until = o.keep_until;
  return p;
}

}  // namespace

SegmentSession::SegmentSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SegmentOptions& options)
    : plan_(std::move(ctx), graph, segment_plan(options)) {}

}  // namespace tare
