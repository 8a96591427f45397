#include "fidelity.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tare_cli {

void FidelitySums::add(const double* x, const double* q, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const double e = x[i] - q[i];
    signal += x[i] * x[i];
    noise += e * e;
    abs_error += std::fabs(e);
    max_abs_error = std::max(max_abs_error, std::fabs(e));
  }
  values += n;
}

double FidelitySums::sqnr_db() const {
  if (!values || signal <= 0) return std::numeric_limits<double>::quiet_NaN();
  if (noise <= 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

void DetectionAgreement::add(const std::vector<Detection>& ref, const std::vector<Detection>& cmp, double min_iou) {
  std::vector<const Detection*> order;
  for (const Detection& d : cmp) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(),
                   [](const Detection* a, const Detection* b) { return a->score > b->score; });
  std::vector<char> taken(ref.size(), 0);
  for (const Detection* d : order) {
    int best = -1;
    double best_iou = min_iou;
    for (size_t r = 0; r < ref.size(); r++) {
      const double v = iou(*d, ref[r]);  // blazeface.h
      if (!taken[r] && v >= best_iou) {
        best = (int)r;
        best_iou = v;
      }
    }
    if (best >= 0) {
      taken[(size_t)best] = 1;
      matched++;
    }
  }
  reference += ref.size();
  compared += cmp.size();
}

double DetectionAgreement::precision() const { return compared ? (double)matched / (double)compared : 1.0; }
double DetectionAgreement::recall() const { return reference ? (double)matched / (double)reference : 1.0; }
double DetectionAgreement::f1() const {
  const double p = precision(), r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

}  // namespace tare_cli
