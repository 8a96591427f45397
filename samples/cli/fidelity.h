// How closely a quantized model keeps its float model's outputs, for models without labels (`tare eval
// --reference FLOAT_MODEL --fidelity`): per output, the SQNR and the absolute errors over every value of every
// image; for BlazeFace, how many of the float model's detections the quantized model finds again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "blazeface.h"

namespace tare_cli {

// Sums over every value of one output: x = the reference (float) value, q = the compared (quantized) one.
struct FidelitySums {
  double signal = 0;  // sum x^2
  double noise = 0;   // sum (x - q)^2
  double abs_error = 0;
  double max_abs_error = 0;
  uint64_t values = 0;

  void add(const double* x, const double* q, size_t n);
  // 10 log10(sum x^2 / sum (x - q)^2): +infinity when equal, NaN without values or signal.
  double sqnr_db() const;
  double mean_abs_error() const { return values ? abs_error / (double)values : 0.0; }
};

// Detections matched one to one, best score first: each compared box takes the unmatched reference box of the
// highest IoU, if that IoU is >= min_iou.  Counts add up over images.
struct DetectionAgreement {
  uint64_t reference = 0, compared = 0, matched = 0;

  void add(const std::vector<Detection>& ref, const std::vector<Detection>& cmp, double min_iou);
  double precision() const;  // matched / compared (1 when neither found anything)
  double recall() const;     // matched / reference (1 when neither found anything)
  double f1() const;
};

}  // namespace tare_cli
