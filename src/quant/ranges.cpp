#include "quant/ranges.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "quant/quantizer.h"

namespace tare::quant {

double Histogram::total() const {
  double n = zeros;
  for (double c : counts) n += c;
  return n;
}

bool histogram_span(const ChannelStats& st, float& lo, float& hi) {
  if (!st.seen()) return false;
  lo = std::min(0.0f, *std::min_element(st.min.begin(), st.min.end()));
  hi = std::max(0.0f, *std::max_element(st.max.begin(), st.max.end()));
  return std::isfinite(lo) && std::isfinite(hi) && hi > lo;
}

double histogram_quantile(const Histogram& h, double fraction) {
  TARE_CHECK(!h.counts.empty(), TARE_ERROR_INTERNAL, "quantile of an empty histogram");
  const int bins = (int)h.counts.size();
  const double w = h.width(), target = std::clamp(fraction, 0.0, 1.0) * h.total();
  // The bin holding 0, and the part of it below 0: its uniform mass is split there and the zeros put between.
  const double at0 = ((double)0 - h.lo) / w;
  const int zero_bin = std::clamp((int)std::floor(at0), 0, bins - 1);
  const double below0 = std::clamp(at0 - zero_bin, 0.0, 1.0);
  double cum = 0;
  // Walks one piece [a, b) holding n values; returns true (and the value) when the target falls inside it.
  auto piece = [&](double a, double b, double n, double& value) {
    if (n > 0 && cum + n >= target) {
      value = a + (b - a) * (target - cum) / n;
      return true;
    }
    cum += n;
    return false;
  };
  double v = 0;
  for (int b = 0; b < bins; b++) {
    const double a = h.lo + w * b, e = a + w;
    if (b != zero_bin) {
      if (piece(a, e, h.counts[b], v)) return v;
      continue;
    }
    if (piece(a, 0.0, h.counts[b] * below0, v)) return v;
    if (piece(0.0, 0.0, h.zeros, v)) return 0.0;
    if (piece(0.0, e, h.counts[b] * (1 - below0), v)) return v;
  }
  return h.hi;
}

double quantization_sse(const Histogram& h, float lo, float hi) {
  float scale;
  int32_t zp;
  activation_params(lo, hi, scale, zp);
  const double s = scale;
  // Level q in [-128, 127] holds x in [(q - zp - 1/2) s, (q - zp + 1/2) s), the end levels everything beyond.
  auto level = [&](double x) { return (int)std::clamp(std::floor(x / s + 0.5) + zp, -128.0, 127.0); };
  const double w = h.width();
  double sse = 0;
  for (size_t b = 0; b < h.counts.size(); b++) {
    const double n = h.counts[b];
    if (n == 0) continue;
    const double a = h.lo + w * (double)b, e = a + w;
    const int q0 = level(a), q1 = level(e);
    double integral = 0;  // of (x - level value)^2 over [a, e)
    for (int q = q0; q <= q1; q++) {
      const double u = q == q0 ? a : (q - zp - 0.5) * s, v = q == q1 ? e : (q - zp + 0.5) * s;
      const double x = (q - zp) * s;
      if (v > u) integral += ((v - x) * (v - x) * (v - x) - (u - x) * (u - x) * (u - x)) / 3;
    }
    sse += n * integral / w;
  }
  return sse;  // the zeros are exact: 0 is on every grid
}

void range_from_histogram(const Histogram& h, const RangeOptions& o, float& lo, float& hi) {
  lo = h.lo;
  hi = h.hi;
  if (h.counts.empty() || !(h.total() > 0)) return;
  switch (o.method) {
    case RangeMethod::MinMax: return;
    case RangeMethod::Percentile: {
      TARE_CHECK(o.percentile > 50 && o.percentile <= 100, TARE_ERROR_INVALID_ARGUMENT,
                 "the percentile must be in (50, 100]");
      const double p = o.percentile / 100;
      lo = (float)std::min(0.0, histogram_quantile(h, 1 - p));
      hi = (float)std::max(0.0, histogram_quantile(h, p));
      return;
    }
    case RangeMethod::Mse: {
      double best = INFINITY;
      for (int k = kMseCandidates; k >= 1; k--) {  // from the full range down: a tie keeps the wider range
        const double t = (double)k / kMseCandidates;
        const float l = (float)(h.lo * t), u = (float)(h.hi * t);
        const double e = quantization_sse(h, l, u);
        if (e < best) {
          best = e;
          lo = l;
          hi = u;
        }
      }
      return;
    }
  }
}

void apply_ranges(std::vector<ChannelStats>& stats, const std::vector<Histogram>& histograms, const RangeOptions& o) {
  if (o.method == RangeMethod::MinMax) return;
  for (size_t t = 0; t < stats.size() && t < histograms.size(); t++) {
    if (histograms[t].counts.empty() || !stats[t].seen()) continue;
    range_from_histogram(histograms[t], o, stats[t].range_min, stats[t].range_max);
    stats[t].has_range = true;
  }
}

}  // namespace tare::quant
