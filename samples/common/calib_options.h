// The options that `tare calibrate` (and `analyze`, `quantize`) and the calibrate sample share: one definition of
// each name, placeholder, help text and default, so that the two programs take the same flags.
#pragma once

#include <string>

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
  return {"--ibc-batch", "B", "IBC images per GPU run (0: all at once; fewer: slower, same biases)", "0"};
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
inline OptionSpec eval(const std::string& default_count) {
  return {"--eval", "N", "held-out images (after the calibration ones) to compare with the float model", default_count};
}
inline OptionSpec labels() {
  return {"--labels", "CSV", "file,class_index lines (e.g. images/labels.csv): with --eval, also the accuracy", ""};
}

}  // namespace tare_samples::calib_opt
