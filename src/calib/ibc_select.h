// Which layers and channels IBC corrects (docs/accuracy.md, "Why IBC hurts these two models"): all of them, all but
// the raw output heads, and / or only the channels whose mean error is significant over the images.
//
// IBC's per-channel mean correction pays where later layers read the output: a mean shift feeds every layer after
// it.  A raw head (a detector's score logits or box regressors) has no later layer; its output is read against a
// threshold, and the mean error over every position is dominated by the background far from that threshold, so a
// shift that is right on average moves the few values near it the wrong way.  A head read through a normalizing op
// (SOFTMAX, LOGISTIC) or by later layers is not raw and stays corrected.
#pragma once

#include <vector>

#include "calib/layer_runner.h"
#include "model/graph.h"

namespace tare::calib {

// Op `op` of g writes a tensor that reaches the graph's outputs and is read by nothing but layout ops on the way
// (RESHAPE, SQUEEZE, CONCATENATION, QUANTIZE, DEQUANTIZE).
bool is_raw_head(const Graph& g, int op);

// Per layer of `q` (LayerRunner's layers): whether IBC corrects its bias.  keep_heads: not the raw heads.
std::vector<bool> layers_to_correct(const Graph& q, const std::vector<Layer>& layers, bool keep_heads);

// Per channel, the spread of the mean error over the images (each measured alone).  Correcting by the mean m of n
// per-image means changes the expected squared error on new images by SE^2 - mu^2 (mu the true mean, SE^2 = the
// variance of m); since E(m^2) = mu^2 + SE^2, it pays when m^2 > 2 SE^2: k = sqrt(2) is that break-even point, a
// larger k corrects only clearer shifts.
class ImageSpread {
 public:
  void add_image(const ErrorSums& one_image);
  int images() const { return images_; }
  // m^2 > k^2 SE^2 for channel c (SE from the per-image means' sample variance / n; needs >= 2 images).
  bool significant(size_t c, double k) const;

 private:
  std::vector<double> sum_, sum2_;  // per channel: sum and sum of squares of the per-image mean errors
  int images_ = 0;
};

}  // namespace tare::calib
