#include "calib/ibc.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "calib/ibc_heads.h"
#include "calib/layer_runner.h"
#include "calib/layers.h"
#include "common/error.h"
#include "ops/kernel.h"

namespace tare::calib {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

LayerDiagnostics describe(const Layer& L, const Graph& q) {
  LayerDiagnostics d;
  d.name = L.name;
  d.op = L.op;
  d.op_index = q.ops[L.q_op].source_index >= 0 ? q.ops[L.q_op].source_index : L.q_op;
  d.channels = L.channels;
  d.activation = L.activation;
  return d;
}

// into += s, channel by channel (into may be empty).
void add_into(StageErrors& into, StageErrors s) {
  if (into.empty()) {
    into = std::move(s);
    return;
  }
  for (size_t c = 0; c < s.pre.size(); c++) {
    into.pre[c].add(s.pre[c]);
    into.post[c].add(s.post[c]);
  }
}

// Images per GPU run for options.batch == 0: all `count`, unless a float activation of that many images would pass
// the device's per-binding limit (maxStorageBufferRange; compiled_graph refuses such a tensor): then as many as fit.
// MobileNet-v2 1.0 on lavapipe (128 MiB): its [n,112,112,96] tensors allow 27 images per run.
uint32_t images_that_fit(const vk::Context& ctx, const Graph& float_graph, uint32_t count) {
  const Graph one = with_batch(float_graph, 1);
  uint64_t largest = 1;
  for (const Tensor& t : one.tensors)
    if (!t.is_const && !t.shape.empty() && t.shape.size() <= 4)
      largest = std::max(largest, ops::device_bytes(t, sizeof(float)));
  const uint64_t fit = ctx.caps().max_storage_buffer_range / largest;
  return (uint32_t)std::clamp<uint64_t>(fit, 1, count);
}

// One GPU batch of the IBC images and the runner of its size.
struct Batch {
  LayerRunner* runner;
  const float* data;
  size_t floats;
  void stage() const { runner->set_images(data, floats); }
};

}  // namespace

IbcResult iterative_bias_correction(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                                    uint32_t count, const ImageFn& images, const IbcOptions& options,
                                    const ProgressFn& progress) {
  TARE_CHECK(ctx != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(count >= 1, TARE_ERROR_INVALID_ARGUMENT, "bias correction needs at least one image");
  TARE_CHECK((bool)images, TARE_ERROR_INVALID_ARGUMENT, "no image source");
  const auto t0 = Clock::now();
  const size_t n = per_image(float_graph, "bias correction");
  const uint32_t per_run = options.batch == 0 ? images_that_fit(*ctx, float_graph, count)
                                              : std::min(options.batch, count);
  // Batches of the binding limit (batch 0) each keep their own runner, staged once: every layer is one pass per
  // batch, as for one batch, and the device holds all the images as it would for one.  Batches asked for (batch > 0:
  // to use more images than the device's memory holds) share a runner per size, so that the device holds one batch
  // at a time, and run from the input for every layer.
  const bool restage = options.batch != 0 && per_run < count;
  std::vector<float> all(n * count);
  for (uint32_t i = 0; i < count; i++) images(i, all.data() + n * i);
  const Graph q = with_biases(quantized);
  // Without diagnostics only the point the correction uses is measured, only its mean error (no other moment), and
  // corrected layers are not measured again.
  const uint8_t used = options.pre_activation ? LayerRunner::kPre : LayerRunner::kPost;
  const uint8_t measured = options.diagnostics ? (uint8_t)LayerRunner::kBoth : used;
  std::vector<Batch> batches;
  std::vector<std::unique_ptr<LayerRunner>> runners;
  for (uint32_t first = 0; first < count; first += per_run) {
    const int size = (int)std::min(per_run, count - first);
    auto same = std::find_if(runners.begin(), runners.end(), [&](const auto& r) { return r->batch() == size; });
    if (same == runners.end() || !restage)
      same = runners.insert(runners.end(),
                            std::make_unique<LayerRunner>(ctx, float_graph, q, size, measured, options.diagnostics));
    batches.push_back({same->get(), all.data() + n * first, n * (size_t)size});
  }
  LayerRunner& run = *runners[0];
  if (!restage)
    for (const Batch& b : batches) b.stage();

  IbcResult r;
  r.diagnostics.batch = std::to_string(count) + " IBC images";
  r.diagnostics.images = count;
  const int L = (int)run.layers().size();
  const std::vector<bool> corrects = layers_to_correct(run.quantized(), run.layers(), options.keep_heads);
  const double lim = options.bias_16bit ? 32767.0 : 2147483647.0;
  using Pass = LayerRunner::Pass;
  const uint8_t before_points = measured;
  const uint8_t after_points = options.diagnostics ? LayerRunner::kBoth : LayerRunner::kNone;
  // Without restaging: layer l-1 runs again with its corrected bias in the same submission that advances to layer l.
  std::vector<Pass> rerun;
  for (int l = 0; l < L; l++) {
    StageErrors before;
    if (!restage) {
      rerun.push_back({l, 0, false, before_points});
      for (const Batch& b : batches) b.runner->run(rerun);
      rerun.clear();
      for (const auto& each : runners) add_into(before, each->sums(l, 0));
    } else {  // every batch from the input through layer l (earlier layers already corrected)
      for (const Batch& b : batches) {
        b.stage();
        b.runner->advance(l, 0, before_points);
      }
      for (const auto& each : runners) add_into(before, each->sums(l, 0));
    }
    const ErrorSums& m = options.pre_activation ? before.pre : before.post;
    std::vector<int32_t> bias = run.bias(l);
    const std::vector<float>& scales = run.quantized().tensors[run.layers()[l].q_bias].quant.scale;
    TARE_CHECK(!scales.empty() && m.size() == bias.size(), TARE_ERROR_INTERNAL, "bias and layer channels differ");
    for (size_t c = 0; c < bias.size() && corrects[l]; c++) {  // a kept layer's bias stays as it is
      const double s = scales.size() == 1 ? scales[0] : scales.at(c);
      const double delta = -m[c].mean_e();  // E(x_float) - E(x_quant)
      double v = std::round((double)bias[c] + delta / s);
      if (v > lim || v < -lim - 1) {
        v = std::clamp(v, -lim - 1, lim);
        r.clamped++;
      }
      bias[c] = (int32_t)v;
    }
    for (const auto& each : runners) each->set_bias(l, bias);
    if (!restage) rerun.push_back({l, 1, true, after_points});
    if (options.diagnostics) {
      LayerDiagnostics d = describe(run.layers()[l], run.quantized());
      d.before = std::move(before);
      r.diagnostics.layers.push_back(std::move(d));
    }
    r.layers += corrects[l] ? 1 : 0;
    r.kept += corrects[l] ? 0 : 1;
    if (progress && !progress((uint32_t)(l + 1), (uint32_t)L)) fail(TARE_ERROR_CANCELLED, "bias correction cancelled");
  }
  if (!restage && options.diagnostics) {  // the last layer's rerun; every layer's "after" is then in slot 1
    for (const Batch& b : batches) b.runner->run(rerun);
    for (int l = 0; l < L; l++)
      for (const auto& each : runners) add_into(r.diagnostics.layers[l].after, each->sums(l, 1));
  }
  if (restage && options.diagnostics) {
    // Layer l's output depends only on layers <= l, so one pass with every bias corrected measures each "after".
    for (const Batch& b : batches) {
      b.stage();
      b.runner->run_all(1);
    }
    for (int l = 0; l < L; l++)
      for (const auto& each : runners) add_into(r.diagnostics.layers[l].after, each->sums(l, 1));
  }
  r.corrected = run.quantized();
  r.wall_ms = ms_since(t0);
  return r;
}

Diagnostics analyze(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized, uint32_t count,
                    const ImageFn& images, int batch, const ProgressFn& progress) {
  TARE_CHECK(ctx != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(count >= 1, TARE_ERROR_INVALID_ARGUMENT, "the analysis needs at least one image");
  TARE_CHECK(batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1");
  TARE_CHECK((bool)images, TARE_ERROR_INVALID_ARGUMENT, "no image source");
  const size_t n = per_image(float_graph, "bias correction");
  const Graph q = with_biases(quantized);
  Diagnostics d;
  d.batch = std::to_string(count) + " images";
  d.images = count;
  std::unique_ptr<LayerRunner> run;
  std::vector<float> buf;
  uint32_t done = 0;
  auto collect = [&] {
    if (!run) return;
    if (d.layers.empty())
      for (const Layer& L : run->layers()) d.layers.push_back(describe(L, run->quantized()));
    for (size_t l = 0; l < d.layers.size(); l++) {
      add_into(d.layers[l].before, run->sums((int)l, 0));
    }
  };
  while (done < count) {
    const int b = (int)std::min<uint32_t>((uint32_t)batch, count - done);
    if (!run || run->batch() != b) {
      collect();
      run = std::make_unique<LayerRunner>(ctx, float_graph, q, b);
    }
    buf.assign(n * b, 0.0f);
    for (int i = 0; i < b; i++) images(done + (uint32_t)i, buf.data() + n * i);
    run->set_images(buf.data(), buf.size());
    run->run_all(0);
    done += (uint32_t)b;
    if (progress && !progress(done, count)) fail(TARE_ERROR_CANCELLED, "analysis cancelled");
  }
  collect();
  return d;
}

void merge_after(Diagnostics& before, const Diagnostics& corrected) {
  merge_stage(before, ErrorStage::kAfter, corrected);
}

void merge_stage(Diagnostics& d, ErrorStage stage, const Diagnostics& measured) {
  TARE_CHECK(d.layers.size() == measured.layers.size(), TARE_ERROR_INVALID_ARGUMENT,
             "the measured model has " + std::to_string(measured.layers.size()) + " layers, the diagnostics " +
                 std::to_string(d.layers.size()));
  for (size_t l = 0; l < d.layers.size(); l++) {
    const LayerDiagnostics& m = measured.layers[l];
    TARE_CHECK(m.op == d.layers[l].op && m.channels == d.layers[l].channels, TARE_ERROR_INVALID_ARGUMENT,
               "layer " + std::to_string(l) + " of the measured model (" + m.op + ", " + std::to_string(m.channels) +
                   " channels) differs from the diagnostics' (" + d.layers[l].op + ", " +
                   std::to_string(d.layers[l].channels) + " channels)");
  }
  for (size_t l = 0; l < d.layers.size(); l++) d.layers[l].stage(stage) = measured.layers[l].before;
}

}  // namespace tare::calib
