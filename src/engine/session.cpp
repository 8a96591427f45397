#include "engine/session.h"

namespace tare {

namespace {

PlanOptions inference_plan(const SessionOptions& o, const vk::FeatureOverride& features) {
  PlanOptions p;
  p.fp16 = o.fp16;
  p.batch = o.batch;
  p.profiling = o.profiling;
  p.inference_fusions = true;
  p.features = features;
  return p;
}

}  // namespace

Session::Session(std::shared_ptr<vk::Context> ctx, const Graph& graph, const SessionOptions& options,
                 const vk::FeatureOverride& features)
    : plan_(std::move(ctx), graph, inference_plan(options, features)) {
  plan_.record_run();
}

}  // namespace tare
