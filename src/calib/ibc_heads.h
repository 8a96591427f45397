// Which layers IBC corrects: all of them, or all but the raw output heads (docs/accuracy.md, "Why IBC hurts these
// two models").
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

}  // namespace tare::calib
