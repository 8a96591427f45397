#include "engine/training_session.h"

#include <algorithm>

#include "common/error.h"

namespace tare {

namespace {

PlanOptions training_plan(const TrainingOptions& o) {
  PlanOptions p;
  p.batch = o.batch;
  p.training = true;
  p.fold_fake_quant = o.fold_fake_quant;
  return p;
}

std::vector<float> pack_nhwc4(const Tensor& t, const std::vector<float>& dense) {
  const ops::Shape4 s = ops::shape4(t.shape);
  std::vector<float> packed((size_t)s.padded_elements(), 0.0f);
  for (int64_t r = 0; r < s.rows(); r++)
    for (int c = 0; c < s.c; c++) packed[(size_t)(r * s.c4() * 4 + c)] = dense[(size_t)(r * s.c + c)];
  return packed;
}

std::vector<float> unpack_nhwc4(const Tensor& t, const std::vector<float>& packed) {
  const ops::Shape4 s = ops::shape4(t.shape);
  std::vector<float> dense((size_t)(s.rows() * s.c));
  for (int64_t r = 0; r < s.rows(); r++)
    for (int c = 0; c < s.c; c++) dense[(size_t)(r * s.c + c)] = packed[(size_t)(r * s.c4() * 4 + c)];
  return dense;
}

}  // namespace

TrainingSession::TrainingSession(std::shared_ptr<vk::Context> ctx, const Graph& graph, const TrainingOptions& options)
    : SegmentSession(std::move(ctx), graph, training_plan(options)) {}

void TrainingSession::backward(const std::vector<std::pair<int, std::vector<float>>>& seeds) {
  const Graph& g = graph();
  {
    vk::Recorder rec(plan_.context(), 4, 0);
    rec.begin();
    record_zero_grads(rec);
    rec.end();
    rec.submit();
  }
  for (const auto& [t, values] : seeds) {
    TARE_CHECK(t >= 0 && t < (int)g.tensors.size() && !g.tensors[t].is_const, TARE_ERROR_INVALID_ARGUMENT,
               "seed: not an activation tensor");
    TARE_CHECK(std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end(), TARE_ERROR_INVALID_ARGUMENT,
               "seed of '" + g.tensors[t].name + "': seeds are graph outputs' gradients");
    TARE_CHECK((int64_t)values.size() == g.tensors[t].elements(), TARE_ERROR_INVALID_ARGUMENT,
               "seed of '" + g.tensors[t].name + "': wrong size");
    std::vector<float> packed = pack_nhwc4(g.tensors[t], values);
    plan_.upload(grad_storage(t), packed.data(), packed.size() * 4);
  }
  vk::Recorder rec(plan_.context(), dispatch_bound(0, g.ops.size()), 0);
  rec.begin();
  record_backward(rec, 0, g.ops.size());
  rec.end();
  rec.submit();
}

std::vector<float> TrainingSession::grad(int t) const {
  const vk::BufferRange r = grad_storage(t);
  std::vector<float> packed((size_t)ops::shape4(graph().tensors[t].shape).padded_elements());
  plan_.download(r, packed.data(), packed.size() * 4);
  return unpack_nhwc4(graph().tensors[t], packed);
}

std::vector<float> TrainingSession::value(int t) const {
  const vk::BufferRange r = tensor_storage(t);
  TARE_CHECK(graph().tensors[t].dtype == DType::F32, TARE_ERROR_UNSUPPORTED, "value(): float32 tensors only");
  std::vector<float> packed((size_t)ops::shape4(graph().tensors[t].shape).padded_elements());
  plan_.download(r, packed.data(), packed.size() * 4);
  return unpack_nhwc4(graph().tensors[t], packed);
}

}  // namespace tare
