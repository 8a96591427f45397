// IBC's validation guard: IBC's biases are kept only where they bring the quantized model's outputs closer to the
// float model's than the basic biases do, on images IBC did not use (docs/accuracy.md, "IBC's validation guard").
//
// IBC lowers each layer's mean error on its own images, which is not always what the outputs need: on BlazeFace it
// moves the score logits away from float (docs/accuracy.md, "Why IBC hurts these two models").  The rule, fixed
// before anything was measured:
//   per graph output k, E_k = the squared error against the float model summed over every value of every
//   validation image (a classifier's output is its SOFTMAX's: the errors are those of its probabilities);
//   gain_k = 10 log10(E_k(basic) / E_k(IBC)), the output's SQNR gain in dB;
//   IBC is kept when the mean of gain_k over the outputs is >= 0 (each output weighs the same, so that a large
//   head cannot hide a worse small one); otherwise the basic biases are returned, unchanged.
// The three models run in engine sessions (calib::teacher_targets, as_is): three forward passes of the validation
// images.  The quantized ones run as they are exported (their 8-bit kernels equal TFLite's arithmetic) when they
// take and give float32; an int8 / uint8-IO model runs in fake-quant form (quant/fake_quant.h), which takes real
// values.  (The fake-quant form everywhere was the first version: on the selfie model its errors on the guard's
// images differed from the exported model's, 3.94 against 7.43 dB; docs/accuracy.md.)
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "calib/ibc.h"
#include "model/graph.h"
#include "vk/context.h"

namespace tare::calib {

struct IbcGuardOptions {
  bool enabled = true;
  // Images held out of IBC for the guard, the last ones of the `count` given: -1: as BFT's validation split (count /
  // 8, at least 4, none below 8 images); 0: none (the guard does not run); else that many (fewer than count).
  int validation_images = -1;
};

// One graph output on the validation images (sums over every value of every image).
struct OutputComparison {
  std::string name;      // the output tensor
  double signal = 0;     // sum of x^2, x the float model's value
  double err_basic = 0;  // sum of (q - x)^2 with the basic biases
  double err_ibc = 0;    // and with IBC's
  double sqnr_basic_db() const { return 10 * std::log10(signal / err_basic); }
  double sqnr_ibc_db() const { return 10 * std::log10(signal / err_ibc); }
  // 10 log10(err_basic / err_ibc); 0 when both are 0, +-inf when one of them is.
  double gain_db() const;
};

struct IbcGuardReport {
  uint32_t images = 0;  // validation images (0: the guard did not run)
  std::vector<OutputComparison> outputs;
  double mean_gain_db = 0;  // mean of gain_db over the outputs (NaN counts as a loss)
  bool kept_basic = false;  // IBC rejected: the basic biases were returned
  double wall_ms = 0;       // the three forward passes and the comparison
};

// The rule: sets r.mean_gain_db from r.outputs and r.kept_basic = !(mean_gain_db >= 0).
void decide(IbcGuardReport& r);

// Compares `basic` and `corrected` (the same quantized network with other biases) against `float_graph` on `count`
// images, `batch` per GPU run, and applies the rule above (kept_basic).
IbcGuardReport compare_biases(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& basic,
                              const Graph& corrected, uint32_t count, const ImageFn& images, int batch);

struct GuardedIbcResult {
  IbcResult ibc;  // ibc.corrected is `quantized` itself when the guard rejected IBC's biases
  IbcGuardReport guard;
};

// IBC on the first count - H images (H = the guard's validation images), then the guard on the last H.  With the
// guard off (or H = 0) this is iterative_bias_correction on all `count` images.
GuardedIbcResult guarded_bias_correction(std::shared_ptr<vk::Context> ctx, const Graph& float_graph,
                                         const Graph& quantized, uint32_t count, const ImageFn& images,
                                         const IbcOptions& options, const IbcGuardOptions& guard,
                                         const ProgressFn& progress = {});

}  // namespace tare::calib
