// The options that `tare calibrate` (and `analyze`, `quantize`) and the calibrate sample share: one definition of
// each name, placeholder, help text and default, so that the two programs take the same flags.
#pragma once

#include <string>

#include <tare/tare.h>
#include "cli_options.h"

namespace tare_samples::calib_opt {

inline OptionSpec images(const std::string& help) { return {"--images", "DIR", help, ""}; }
inline OptionSpec method() {
  return {"--method", "M",
          "none (basic quantization), ibc (iterative bias correction), bft (bias fine-tuning) or ibc+bft", "ibc"};
}
inline OptionSpec count() { return {"--count", "N", "calibration images: the first N of DIR in name order", "64"}; }
inline OptionSpec ibc_images() { return {"--ibc-images", "N", "images for the correction: the first N", "8"}; }
inline OptionSpec ibc_batch() {
  return {"--ibc-batch", "B",
          "IBC images per GPU run (0: all that the device can bind at once; fewer: slower, same biases)", "0"};
}
inline OptionSpec ibc_heads() {
  return {"--ibc-heads", "H",
          "correct: IBC corrects every layer (the paper); keep: not the raw output heads (a detector's score logits "
          "and box regressors: layers read by the model's outputs through layout ops only)",
          "correct"};
}
inline OptionSpec ibc_guard() {
  return {"--ibc-guard", "on|off",
          "on: keep IBC's biases only if they bring the outputs closer to the float model's on --ibc-guard-images "
          "images after the IBC images (mean over outputs of the SQNR gain >= 0 dB), else the basic biases",
          "on"};
}
inline OptionSpec ibc_guard_images() {
  return {"--ibc-guard-images", "N",
          "the guard's validation images: the N calibration images after the first --ibc-images (at most the rest "
          "of --count)",
          "8"};
}
// --ibc-guard on|off.
inline bool ibc_guard_on(const Args& a) {
  const std::string v = a.get("--ibc-guard");
  if (v != "on" && v != "off") throw UsageError("--ibc-guard must be on or off, got '" + v + "'");
  return v == "on";
}
inline OptionSpec bft_images() { return {"--bft-images", "N", "images for bias fine-tuning: the first N", "256"}; }
inline OptionSpec bft_epochs() { return {"--bft-epochs", "E", "mini-epochs per learning rate (the paper: 16)", "16"}; }
inline OptionSpec bft_batch() {
  return {"--bft-batch", "B", "images per step (shrunk to fit the device memory)", "16"};
}
inline OptionSpec per_channel() {
  return {"--per-channel", "", "per-channel weight scales (default: per-tensor, the paper's scheme)", ""};
}
inline OptionSpec ranges() {
  return {"--ranges", "R",
          "activation ranges: minmax, percentile (--percentile of the values each side) or mse (least squared "
          "int8 error over a histogram); the last two run the calibration images twice",
          "minmax"};
}
inline OptionSpec percentile() {
  return {"--percentile", "P", "with --ranges percentile: the percentile kept, in (50, 100]", "99.99"};
}
// --ranges and --percentile into quantization options (usage errors for bad values); returns the method's name.
inline std::string set_ranges(const Args& a, tare_quantize_options& o) {
  const std::string r = a.get("--ranges");
  if (r == "minmax") o.ranges = TARE_RANGES_MINMAX;
  else if (r == "percentile") o.ranges = TARE_RANGES_PERCENTILE;
  else if (r == "mse") o.ranges = TARE_RANGES_MSE;
  else throw UsageError("--ranges must be minmax, percentile or mse, got '" + r + "'");
  if (a.has("--percentile") && o.ranges != TARE_RANGES_PERCENTILE)
    throw UsageError("--percentile needs --ranges percentile");
  o.percentile = parse_double(a.get("--percentile"), "--percentile");
  if (!(o.percentile > 50 && o.percentile <= 100))
    throw UsageError("--percentile must be in (50, 100], got '" + a.get("--percentile") + "'");
  return r;
}
// Cross-layer equalization (RELU6 kept) before quantizing: the measured best with per-tensor weights, not with
// per-channel ones (docs/accuracy.md, "Full table and defaults").
inline bool equalize_by_default(bool per_channel) { return !per_channel; }
inline OptionSpec equalize() {
  return {"--equalize", "",
          "cross-layer equalization before quantizing, RELU6 kept exactly (default with per-tensor weights)", ""};
}
inline OptionSpec no_equalize() {
  return {"--no-equalize", "", "no equalization (the default with --per-channel)", ""};
}
// Whether to equalize: --equalize, --no-equalize, else the default of the weight mode.
inline bool equalize(const Args& a) {
  if (a.flag("--equalize") && a.flag("--no-equalize")) throw UsageError("--equalize and --no-equalize contradict");
  if (a.flag("--equalize") || a.flag("--no-equalize")) return a.flag("--equalize");
  return equalize_by_default(a.flag("--per-channel"));
}
inline OptionSpec eval(const std::string& default_count) {
  return {"--eval", "N", "held-out images (after the calibration ones) to compare with the float model", default_count};
}
inline OptionSpec labels() {
  return {"--labels", "CSV", "file,class_index lines (e.g. images/labels.csv): with --eval, also the accuracy", ""};
}

}  // namespace tare_samples::calib_opt
