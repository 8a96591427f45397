// Activation ranges beyond min/max (quant/ranges.h): the histogram math against exact statistics of raw values, the
// GPU histograms (engine/histogram_session.h) against histograms of the CPU reference's values, the percentile and
// MSE ranges of MobileNet-v1 against the same statistics computed exactly on the reference's values, and the models
// quantized with them run bit for bit in TFLite.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "calib/calibrate.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "q8_harness.h"
#include "quant/quantizer.h"
#include "quant/ranges.h"
#include "ref/int_reference.h"
#include "ref/reference.h"
#include "test_util.h"
#include "tflite_oracle.h"

using namespace tare;
using namespace tare::test;

namespace {

// The histogram of `values` as the shader counts it: bin floor((x - lo) * inv_width) clamped, exact zeros apart.
quant::Histogram cpu_histogram(const std::vector<float>& values, float lo, float hi) {
  quant::Histogram h;
  h.lo = lo;
  h.hi = hi;
  h.counts.assign(quant::kHistogramBins, 0.0);
  const float inv_width = (float)(quant::kHistogramBins / ((double)hi - lo));
  for (float x : values) {
    if (x == 0.0f) {
      h.zeros++;
      continue;
    }
    const float b = std::floor((x - lo) * inv_width);
    h.counts[(size_t)std::clamp(b, 0.0f, (float)(quant::kHistogramBins - 1))]++;
  }
  return h;
}

// The exact squared error of quantizing every value to the int8 grid of [lo, hi] (the quantizer's parameters).
double exact_sse(const std::vector<float>& values, float lo, float hi) {
  float scale;
  int32_t zp;
  quant::activation_params(lo, hi, scale, zp);
  double sse = 0;
  for (float x : values) {
    const double q = std::clamp(std::round((double)x / scale) + zp, -128.0, 127.0);
    const double e = x - (q - zp) * scale;
    sse += e * e;
  }
  return sse;
}

// The ceil(fraction * n)-th smallest value (the first whose rank reaches the fraction; in a sparse tail the
// neighbouring ranks can be far apart, so the definition must be the histogram walk's).
float exact_quantile(const std::vector<float>& sorted, double fraction) {
  const double rank = std::ceil(fraction * (double)sorted.size());
  return sorted[(size_t)std::clamp(rank, 1.0, (double)sorted.size()) - 1];
}

// The smallest exact squared error over every `step`-th candidate of the MSE search (shrinks of [lo, hi] toward 0).
double best_candidate_sse(const std::vector<float>& values, float lo, float hi, int step) {
  double best = INFINITY;
  for (int k = quant::kMseCandidates; k >= 1; k -= step) {
    const double t = (double)k / quant::kMseCandidates;
    best = std::min(best, exact_sse(values, (float)(lo * t), (float)(hi * t)));
  }
  return best;
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("ranges: histogram quantiles and quantization error equal the exact statistics of the values") {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<std::vector<float>> sets(2);
    for (int i = 0; i < 200000; i++) {
      const float x = normal(rng), outlier = i % 5000 == 0 ? 25.0f : 0.0f;  // rare large values stretch the range
      sets[0].push_back(x + (x > 0 ? outlier : -outlier));                  // two-sided
      sets[1].push_back(std::max(0.0f, x * std::fabs(x)) + outlier);        // a RELU's: zeros and a long tail
    }
    for (auto& v : sets) {
      const float lo = std::min(0.0f, *std::min_element(v.begin(), v.end()));
      const float hi = std::max(0.0f, *std::max_element(v.begin(), v.end()));
      const quant::Histogram h = cpu_histogram(v, lo, hi);
      CHECK(h.total() == (double)v.size());
      std::vector<float> sorted = v;
      std::sort(sorted.begin(), sorted.end());
      for (double f : {0.0001, 0.01, 0.3, 0.5, 0.9, 0.999, 0.9999}) {
        INFO("fraction " << f);
        CHECK(std::fabs(quant::histogram_quantile(h, f) - exact_quantile(sorted, f)) <= 1.01 * h.width());
      }
      for (double t : {1.0, 0.5, 0.2, 0.05}) {  // the histogram's error estimate against the exact one
        const double want = exact_sse(v, (float)(lo * t), (float)(hi * t));
        INFO("shrink " << t << ": exact " << want);
        CHECK(std::fabs(quant::quantization_sse(h, (float)(lo * t), (float)(hi * t)) - want) <= 0.03 * want);
      }
      quant::RangeOptions o;
      o.method = quant::RangeMethod::Mse;
      float mse_lo, mse_hi;
      quant::range_from_histogram(h, o, mse_lo, mse_hi);
      const double chosen = exact_sse(v, mse_lo, mse_hi), best = best_candidate_sse(v, lo, hi, 1);
      std::printf("ranges: synthetic MSE range [%g, %g] of [%g, %g]: exact SSE %g, best candidate %g, min/max %g\n",
                  mse_lo, mse_hi, lo, hi, chosen, best, exact_sse(v, lo, hi));
      CHECK(chosen <= 1.01 * best);
      CHECK(chosen < 0.95 * exact_sse(v, lo, hi));  // the outliers make min/max worse
      o.method = quant::RangeMethod::Percentile;
      o.percentile = 99.9;
      float p_lo, p_hi;
      quant::range_from_histogram(h, o, p_lo, p_hi);
      CHECK(std::fabs(p_hi - std::max(0.0f, exact_quantile(sorted, 0.999))) <= 1.01 * h.width());
      CHECK(std::fabs(p_lo - std::min(0.0f, exact_quantile(sorted, 0.001))) <= 1.01 * h.width());
      o.percentile = 30;
      CHECK_THROWS_WITH(quant::range_from_histogram(h, o, p_lo, p_hi), "the percentile must be in (50, 100]");
    }
  }

  TEST_CASE("ranges: GPU histograms, percentile and MSE ranges of MobileNet-v1 vs the CPU reference's values") {
    auto ctx = gpu();
    if (!ctx) return;
    std::vector<std::vector<float>> images = ref_inputs("mobilenet_v1_0.25_224.tflite");
    if (images.size() < 3) return;
    images.resize(3);
    auto bytes = read_file(data_path("models/mobilenet_v1_0.25_224.tflite"));
    Graph g = import_tflite(bytes.data(), bytes.size());
    auto fill = fill_from(images);
    // Every value of every float activation on the CPU reference, over the three images.
    std::vector<std::vector<float>> values(g.tensors.size());
    for (auto& in : images) {
      ref::Values v = ref::run(g, {in});
      for (size_t t = 0; t < g.tensors.size(); t++)
        if (!g.tensors[t].is_const && !v[t].empty()) values[t].insert(values[t].end(), v[t].begin(), v[t].end());
    }
    // Batches of 2: a batch of 2 and one of 1, so the counts of several runs and sessions add up.
    const quant::Stats minmax = calib::calibrate(ctx, g, 3, 2, fill, nullptr);
    const std::vector<quant::Histogram> hs = calib::histograms(ctx, g, minmax, 3, 2, fill, nullptr);
    int compared = 0;
    double worst_moved = 0, worst_edge = 0;
    for (size_t t = 0; t < g.tensors.size(); t++) {
      if (hs[t].counts.empty()) continue;
      REQUIRE(!values[t].empty());
      const quant::Histogram want = cpu_histogram(values[t], hs[t].lo, hs[t].hi);
      CHECK(hs[t].total() == want.total());
      // GPU and CPU values differ by float rounding (about 1e-6 of the range, where a bin is 1/2048 of it), so a
      // value near a bin edge may land in the neighbouring bin: the counts of every bin and the cumulative counts
      // at every edge agree up to such moves.
      CHECK(std::fabs(hs[t].zeros - want.zeros) <= 1e-3 * want.zeros + 2);
      double moved = 0, cum_gpu = 0, cum_cpu = 0, worst_cum = 0;
      for (int b = 0; b < quant::kHistogramBins; b++) {
        moved += std::fabs(hs[t].counts[b] - want.counts[b]);
        cum_gpu += hs[t].counts[b];
        cum_cpu += want.counts[b];
        worst_cum = std::max(worst_cum, std::fabs(cum_gpu - cum_cpu));
      }
      worst_moved = std::max(worst_moved, moved / want.total());
      worst_edge = std::max(worst_edge, worst_cum / want.total());
      CHECK(moved <= 1e-2 * want.total() + 2);
      CHECK(worst_cum <= 2e-4 * want.total() + 2);
      compared++;
    }
    std::printf(
        "ranges: %d GPU histograms of MobileNet-v1 vs the CPU reference's: bins differ by at most %.2g of "
        "a tensor's values in all, cumulative counts by %.2g at any edge\n",
        compared, worst_moved, worst_edge);
    CHECK(compared >= 25);

    quant::RangeOptions po;
    po.method = quant::RangeMethod::Percentile;
    po.percentile = 99.99;
    const quant::Stats pst = calib::calibrate(ctx, g, 3, 2, fill, nullptr, po);
    quant::RangeOptions mo;
    mo.method = quant::RangeMethod::Mse;
    const quant::Stats mst = calib::calibrate(ctx, g, 3, 2, fill, nullptr, mo);
    int clipped_p = 0, clipped_m = 0, checked = 0;
    double worst_ratio = 0;
    for (size_t t = 0; t < g.tensors.size(); t++) {
      if (hs[t].counts.empty()) continue;
      REQUIRE((pst[t].has_range && mst[t].has_range));
      std::vector<float> sorted = values[t];
      std::sort(sorted.begin(), sorted.end());
      const double w = hs[t].width();
      INFO("tensor " << g.tensors[t].name);
      CHECK(std::fabs(pst[t].range_max - std::max(0.0f, exact_quantile(sorted, 0.9999))) <= 2 * w);
      CHECK(std::fabs(pst[t].range_min - std::min(0.0f, exact_quantile(sorted, 0.0001))) <= 2 * w);
      // The MSE range: its exact error on the reference's values is the smallest of the candidates' (every 4th).
      const double chosen = exact_sse(values[t], mst[t].range_min, mst[t].range_max);
      const double best = best_candidate_sse(values[t], hs[t].lo, hs[t].hi, 4);
      worst_ratio = std::max(worst_ratio, chosen / best);
      CHECK(chosen <= 1.02 * best);
      clipped_p += pst[t].range_max < 0.99f * hs[t].hi;
      clipped_m += mst[t].range_max < 0.99f * hs[t].hi;
      checked++;
    }
    std::printf(
        "ranges: MobileNet-v1, %d tensors: percentile 99.99 clips %d, MSE clips %d; MSE range's exact error "
        "at most %.4f x the best candidate's\n",
        checked, clipped_p, clipped_m, worst_ratio);
    CHECK(clipped_p > 0);
    CHECK(clipped_m > 0);
    check_validation();
  }

  TEST_CASE("ranges: MobileNet-v1 quantized with percentile and MSE ranges runs bit for bit in TFLite") {
    auto ctx = gpu();
    if (!ctx) return;
    std::vector<std::vector<float>> images = ref_inputs("mobilenet_v1_0.25_224.tflite");
    if (images.size() < 2) return;
    images.resize(2);
    auto bytes = read_file(data_path("models/mobilenet_v1_0.25_224.tflite"));
    Graph g = import_tflite(bytes.data(), bytes.size());
    auto fill = fill_from(images);
    for (quant::RangeMethod method : {quant::RangeMethod::Percentile, quant::RangeMethod::Mse}) {
      quant::RangeOptions ro;
      ro.method = method;
      const quant::Stats st = calib::calibrate(ctx, g, 2, 2, fill, nullptr, ro);
      Graph q = quant::quantize_graph(g, st, {}, nullptr);
      const std::string path =
          (std::filesystem::temp_directory_path() / ("tare_ranges_" + std::to_string((int)method) + ".tflite"))
              .string();
      {
        auto file = export_tflite(q);
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(file.data()), (std::streamsize)file.size());
      }
      for (auto& image : images) {
        std::vector<uint8_t> in(image.size() * 4);
        std::memcpy(in.data(), image.data(), in.size());
        Session s = q8_session(ctx, q, {true, Q8Dot::Default, "packed"});
        s.set_input_bytes(0, in.data(), in.size());
        s.run();
        std::vector<uint8_t> got(s.output(0).bytes());
        s.get_output_bytes(0, got.data(), got.size());
        CHECK(got == ref::run_int(q, {in})[0]);
        if (!tflite_available()) continue;
        const TfliteRun run = run_tflite_full(path, {in});
        REQUIRE_MESSAGE(run.ok, run.log);
        CHECK(run.outputs.at(0) == got);
      }
      std::filesystem::remove(path);
    }
    check_validation();
  }
}
