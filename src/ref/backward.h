// CPU reference of the backward pass: gradients of a scalar loss through a float graph (typically the fake-quant
// student network of bias fine-tuning), given the forward values ref::run computed.  It is the oracle the backward
// shaders are tested against, so it favours clarity over speed (the bias sums are accumulated in double).
//
// What is differentiated:
//   * every non-constant tensor reached backwards from a seed gets dL/dt (dense, the tensor's shape, float32);
//   * the bias of every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED gets dL/db (the only trainable parameters);
//   * weights and other constants are constants: nothing flows into them.
// Conventions at the points where a function is not differentiable (docs/architecture.md, "Backward reference"):
//   * RELU / RELU6 / RELU_N1_TO_1, fused or not, and fused activations of every op: the gradient passes where the
//     activation's output is strictly inside its range (0 < y, 0 < y < 6, -1 < y < 1) and is 0 at the boundaries
//     and outside (so d relu(x)/dx at x = 0 is 0, as in PyTorch);
//   * HARD_SWISH: 0 for x < -3, x/3 + 1/2 for -3 <= x <= 3, 1 for x > 3 (PyTorch's hardswish_backward);
//   * MAX_POOL_2D: the whole gradient goes to the first maximum of the window (row by row, then column), padding
//     never counts;
//   * FAKE_QUANT: straight-through estimator, the gradient passes unchanged where qmin <= round(x / scale) + zp <=
//     qmax (rounded exactly as the forward rounds) and is 0 outside (and for NaN);
//   * RESIZE_BILINEAR: the transpose of the forward interpolation (each input point receives the weight it had).
// DEQUANTIZE of a float or constant input is the identity.  QUANTIZE and DEQUANTIZE of an integer activation
// throw tare::Error(TARE_ERROR_UNSUPPORTED) naming the operator.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "ref/reference.h"

namespace tare::ref {

struct Gradients {
  // dL/dt per tensor index of the graph; empty for constants and for tensors no gradient reaches (or that are not
  // needed, see BackwardOptions).
  Values activations;
  // Bias tensor index -> dL/db, one entry for the bias of every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED of
  // the graph (zeros where no gradient reaches the operator).  A bias shared by several operators sums them.
  std::map<int, std::vector<float>> biases;
};

struct BackwardOptions {
  // Compute the gradients of the graph inputs.  When false, tensors whose gradient cannot reach a bias (the image
  // input and what only depends on it before the first biased operator) are skipped: the first convolution's
  // input gradient, the most expensive one, is not computed.
  bool input_gradients = true;
};

// Gradient of a scalar loss with respect to every activation tensor and every bias, given the forward values of
// every tensor (as ref::run returns them) and the seeds: (tensor, dL/dtensor) pairs, typically the graph output's
// gradient (several seeds of one tensor add up).  Operators are processed in reverse topological order; a tensor
// with several consumers sums their contributions.  Throws tare::Error: TARE_ERROR_UNSUPPORTED for an operator
// without a backward rule (naming it), TARE_ERROR_INVALID_ARGUMENT for seeds or forward values of the wrong size.
Gradients backward(const Graph& g, const Values& forward, const std::vector<std::pair<int, std::vector<float>>>& seeds,
                   const BackwardOptions& options = {});

// Distillation loss: the cross-entropy between the teacher's softmax and the student's log-softmax over the last
// dimension (`classes` values per row), averaged over the rows:
//   L = -1/rows * sum_r sum_c softmax(teacher_r)_c * log_softmax(student_r)_c
// computed in double.  If `grad` is not null it receives dL/dstudent_logits = (softmax(student) - softmax(teacher))
// / rows.  Throws tare::Error(TARE_ERROR_INVALID_ARGUMENT) when the sizes do not match or are not whole rows.
float distillation_loss(const std::vector<float>& teacher_logits, const std::vector<float>& student_logits, int classes,
                        std::vector<float>* grad);

}  // namespace tare::ref
