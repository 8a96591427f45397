// Cross-layer equalization (Meller et al. 2019, "Same, Same But Different: Recovering Neural Network Quantization
// Error Through Weight Factorization"; Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and
// Bias Correction"): a float-graph transform applied before calibration and quantization.
//
// For two consecutive weighted layers joined by an activation f that commutes with positive per-channel scaling
// (f(x / s) = f(x) / s: no activation or ReLU), output channel i of the first layer (its weights and bias) is divided
// by s_i and input channel i of the second layer is multiplied by s_i.  The float network computes the same thing
// (to float rounding).  RELU6 does not commute, but RELU6(x) / s = min(RELU(x / s), 6 / s): the first layer's RELU6
// becomes RELU followed by a MINIMUM with the per-channel constant 6 / S_i (S_i the product of the pair's scales over
// all sweeps), which TFLite runs in int8 too; s_i = sqrt(r1_i / r2_i), with r1_i the largest |weight| of the first layer's output channel i
// and r2_i the largest |weight| of the second layer's input channel i, gives both the range sqrt(r1_i r2_i), which
// evens out the per-channel ranges that a per-tensor weight scale has to cover.  Pairs overlap (a depthwise layer
// is the second layer of one pair and the first of the next), so the whole network is swept until the scales
// settle.  docs/quantization.md, "Cross-layer equalization".
#pragma once

#include <string>
#include <vector>

#include "model/graph.h"

namespace tare::quant {

struct EqualizeOptions {
  // A first layer whose fused activation is RELU6 (MobileNets) does not commute with scaling.  By default it becomes
  // RELU plus a MINIMUM with the per-channel clip 6 / S_i, which keeps the float function.  With this option its
  // RELU6 becomes plain RELU (as Meller et al. and Nagel et al. do): no added op, but the float network changes
  // wherever a value exceeded 6 (MobileNet-v1 0.25 loses 13 points of top-1 by that alone).
  bool replace_relu6 = false;
  int max_iterations = 500;  // sweeps over all pairs at most (each costs milliseconds)
  double tolerance = 1e-4;   // stop when every scale of a sweep is within this of 1
};

struct EqualizeReport {
  int pairs = 0;                   // layer pairs equalized
  int iterations = 0;              // sweeps done
  int relu6_replaced = 0;          // fused RELU6 changed to RELU
  int relu6_clipped = 0;           // fused RELU6 changed to RELU + an added MINIMUM with a per-channel constant
  std::vector<std::string> notes;  // pairs skipped and why, and anything else worth telling
};

// Returns an equalized copy of the float graph `g`.  Pairs: a first layer CONV_2D or DEPTHWISE_CONV_2D, a second
// layer CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED, both with float32 constant weights (and a float32 constant
// bias or none on the first), where the first layer's output reaches the second's data input through nothing but
// operators that act on each channel alone and commute with positive scaling (PAD with zeros and not on the channel
// axis, RESHAPE / SQUEEZE keeping the channel axis, MEAN not over it, AVERAGE_POOL_2D / MAX_POOL_2D without
// activation), every tensor on the way being read by exactly one operator and not a graph output.  The first layer's
// fused activation must be NONE, RELU or RELU6 (RELU_N1_TO_1 never).  A FULLY_CONNECTED second
// layer reads its input flattened, in NHWC order: input channel i is every column j with j % C == i (C channels),
// which needs its depth to be a multiple of C.  Channels whose r1 or r2 is 0 keep s = 1.  Weight or bias tensors read
// by another operator too are copied (a new tensor) before they change; nothing else in the graph changes but the
// MINIMUM ops added after RELU6 first layers (each right after its layer, which writes a new tensor named
// '<output>/unclipped'; the MINIMUM writes the layer's original output tensor).
// `report` may be null.
Graph equalize_graph(const Graph& g, const EqualizeOptions& o, EqualizeReport* report);

}  // namespace tare::quant
