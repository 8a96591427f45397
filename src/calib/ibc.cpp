#include "calib/ibc.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "calib/layer_runner.h"
#include "calib/layers.h"
#include "common/error.h"

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

}  // namespace

IbcResult iterative_bias_correction(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                                    uint32_t count, const ImageFn& images, const IbcOptions& options,
                                    const ProgressFn& progress) {
  TARE_CHECK(ctx != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(count >= 1, TARE_ERROR_INVALID_ARGUMENT, "bias correction needs at least one image");
  TARE_CHECK((bool)images, TARE_ERROR_INVALID_ARGUMENT, "no image source");
  const auto t0 = Clock::now();
  const size_t n = per_image(float_graph, "bias correction");
  LayerRunner run(ctx, float_graph, with_biases(quantized), (int)count);
  std::vector<float> batch(n * count);
  for (uint32_t i = 0; i < count; i++) images(i, batch.data() + n * i);
  run.set_images(batch.data(), batch.size());
  run.reset_sums();

  IbcResult r;
  r.diagnostics.batch = std::to_string(count) + " IBC images";
  r.diagnostics.images = count;
  const int L = (int)run.layers().size();
  const double lim = options.bias_16bit ? 32767.0 : 2147483647.0;
  for (int l = 0; l < L; l++) {
    run.advance(l, 0);
    StageErrors before = run.sums(l, 0);
    const ErrorSums& m = options.pre_activation ? before.pre : before.post;
    std::vector<int32_t> q = run.bias(l);
    const std::vector<float>& scales = run.quantized().tensors[run.layers()[l].q_bias].quant.scale;
    TARE_CHECK(!scales.empty() && m.size() == q.size(), TARE_ERROR_INTERNAL, "bias and layer channels differ");
    for (size_t c = 0; c < q.size(); c++) {
      const double s = scales.size() == 1 ? scales[0] : scales.at(c);
      const double delta = -m[c].mean_e();  // E(x_float) - E(x_quant)
      double v = std::round((double)q[c] + delta / s);
      if (v > lim || v < -lim - 1) {
        v = std::clamp(v, -lim - 1, lim);
        r.clamped++;
      }
      q[c] = (int32_t)v;
    }
    run.set_bias(l, q);
    run.rerun(l, 1);
    if (options.diagnostics) {
      LayerDiagnostics d = describe(run.layers()[l], run.quantized());
      d.before = std::move(before);
      d.after = run.sums(l, 1);
      r.diagnostics.layers.push_back(std::move(d));
    }
    r.layers++;
    if (progress && !progress((uint32_t)(l + 1), (uint32_t)L)) fail(TARE_ERROR_CANCELLED, "bias correction cancelled");
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
      StageErrors s = run->sums((int)l, 0);
      StageErrors& into = d.layers[l].before;
      if (into.empty()) {
        into = std::move(s);
        continue;
      }
      for (size_t c = 0; c < s.pre.size(); c++) {
        into.pre[c].add(s.pre[c]);
        into.post[c].add(s.post[c]);
      }
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
