#include "calib/ibc_guard.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "calib/bft.h"
#include "calib/layers.h"
#include "common/error.h"
#include "quant/fake_quant.h"

namespace tare::calib {

namespace {

bool float_io(const Graph& g) {
  for (const std::vector<int>* list : {&g.inputs, &g.outputs})
    for (int t : *list)
      if (g.tensors[(size_t)t].dtype != DType::F32) return false;
  return true;
}

// The form of a quantized graph that the guard runs: the graph itself (its 8-bit kernels, the exported model's
// arithmetic) when it takes and gives float32, else its fake-quant form, which takes and gives real values.
Graph judged(const Graph& q) { return float_io(q) ? q : quant::fake_quant_graph(q); }

}  // namespace

double OutputComparison::gain_db() const {
  if (err_basic == err_ibc) return 0;  // both 0 included
  if (err_ibc == 0) return std::numeric_limits<double>::infinity();
  if (err_basic == 0) return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(err_basic / err_ibc);
}

void decide(IbcGuardReport& r) {
  TARE_CHECK(!r.outputs.empty(), TARE_ERROR_INTERNAL, "the IBC guard compared no output");
  double sum = 0;
  for (const OutputComparison& c : r.outputs) sum += c.gain_db();
  r.mean_gain_db = sum / (double)r.outputs.size();
  r.kept_basic = !(r.mean_gain_db >= 0);  // NaN (+inf and -inf mixed) keeps the basic biases
}

IbcGuardReport compare_biases(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& basic,
                              const Graph& corrected, uint32_t count, const ImageFn& images, int batch) {
  TARE_CHECK(ctx != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(count >= 1, TARE_ERROR_INVALID_ARGUMENT, "the IBC guard needs at least one validation image");
  TARE_CHECK(batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1");
  TARE_CHECK((bool)images, TARE_ERROR_INVALID_ARGUMENT, "no image source");
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = per_image(float_graph, "the IBC guard");
  std::vector<float> inputs(n * count);
  for (uint32_t i = 0; i < count; i++) images(i, inputs.data() + n * i);
  batch = std::min<int>(batch, (int)count);
  // Each model's outputs per image, as it computes them (a softmax model's: its probabilities).
  int values = 0, vb = 0, vi = 0;
  std::vector<size_t> per, per_b, per_i;
  const std::vector<float> x = teacher_targets(ctx, float_graph, inputs, count, batch, values, &per, true);
  const std::vector<float> qb = teacher_targets(ctx, judged(basic), inputs, count, batch, vb, &per_b, true);
  const std::vector<float> qi = teacher_targets(ctx, judged(corrected), inputs, count, batch, vi, &per_i, true);
  TARE_CHECK(vb == values && vi == values && per_b == per && per_i == per, TARE_ERROR_INVALID_ARGUMENT,
             "the float and quantized models' outputs differ");

  IbcGuardReport r;
  r.images = count;
  size_t offset = 0;  // of output k among an image's values
  for (size_t k = 0; k < per.size(); k++) {
    OutputComparison c;
    c.name = float_graph.tensors[(size_t)float_graph.outputs[k]].name;
    for (uint32_t i = 0; i < count; i++) {
      const size_t base = (size_t)i * values + offset;
      for (size_t v = base; v < base + per[k]; v++) {
        const double eb = (double)qb[v] - x[v], ei = (double)qi[v] - x[v];
        c.signal += (double)x[v] * x[v];
        c.err_basic += eb * eb;
        c.err_ibc += ei * ei;
      }
    }
    offset += per[k];
    r.outputs.push_back(c);
  }
  decide(r);
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

GuardedIbcResult guarded_bias_correction(std::shared_ptr<vk::Context> ctx, const Graph& float_graph,
                                         const Graph& quantized, uint32_t count, const ImageFn& images,
                                         const IbcOptions& options, const IbcGuardOptions& guard,
                                         const ProgressFn& progress) {
  TARE_CHECK(guard.validation_images >= -1, TARE_ERROR_INVALID_ARGUMENT,
             "the guard's validation images must be -1 (automatic), 0 or a count");
  const uint32_t held = !guard.enabled                 ? 0
                        : guard.validation_images >= 0 ? (uint32_t)guard.validation_images
                                                       : default_validation_images(count);
  TARE_CHECK(held < count || count == 0, TARE_ERROR_INVALID_ARGUMENT,
             "the IBC guard's " + std::to_string(held) + " validation images leave none of the " +
                 std::to_string(count) + " images for IBC");
  GuardedIbcResult r;
  r.ibc = iterative_bias_correction(ctx, float_graph, quantized, count - held, images, options, progress);
  if (held == 0) return r;
  const uint32_t first = count - held;
  const ImageFn validation = [&images, first](uint32_t i, float* dst) { images(first + i, dst); };
  const int batch = options.batch == 0 ? (int)held : (int)std::min<uint32_t>(options.batch, held);
  r.guard = compare_biases(ctx, float_graph, quantized, r.ibc.corrected, held, validation, batch);
  if (r.guard.kept_basic) r.ibc.corrected = quantized;
  return r;
}

}  // namespace tare::calib
