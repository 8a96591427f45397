// Bias Fine-Tuning (the paper's section 4.2) on the GPU: only the biases of the quantized network are trained, by
// distillation from the float network, with shader backpropagation.
//
//   student: the quantized graph in fake-quant form (quant/fake_quant.h; weights fixed at their dequantized int8
//            values, every activation rounded to its 8-bit grid in float), fused activations split out, truncated
//            at its logits (the input of a final SOFTMAX);
//   teacher: the float graph, truncated the same way; its softmax is computed once per image and kept;
//   loss:    a model ending in a softmax: cross-entropy between the teacher's softmax and the student's
//            log-softmax, averaged over the batch; any other model with one output (a mask, a heat map, boxes):
//            the squared difference of the two outputs, averaged over each image's values and over the batch;
//   gradient: backward kernels of every op (ops/kernel.h, make_grad_kernel), the straight-through estimator at
//            every FAKE_QUANT, bias gradients as per-channel reductions of each layer's output gradient;
//   update:  Adam (beta1 0.9, beta2 0.999, eps 1e-8) in a shader, on the biases in the session's constant buffer.
// At the end the float biases are rounded to each layer's int32 (or 16-bit) bias grid.  With a validation split
// (BftOptions::validation_images) the biases kept are those with the lowest validation loss, the starting ones
// included, so that BFT never ends worse than where it started on those images.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "calib/ibc.h"
#include "model/graph.h"
#include "vk/context.h"

namespace tare::calib {

struct BftOptions {
  // Learning-rate schedule: rates[i] for mini_epochs[i] mini-epochs each (the paper: 1e-3, 1e-4, 1e-5, 1e-6 for 16
  // mini-epochs each).
  std::vector<float> rates = {1e-3f, 1e-4f, 1e-5f, 1e-6f};
  std::vector<int> mini_epochs = {16, 16, 16, 16};
  uint32_t images_per_mini_epoch = 0;  // 0: every BFT image (one pass); else that many, cycling through them
  int batch = 16;                      // images per step (shrunk to fit memory_budget)
  uint64_t memory_budget = 0;          // bytes for the training session; 0: half the device's memory (budget)
  bool bias_16bit = false;             // clamp the final biases to the int16 range
  uint32_t seed = 1;                   // the image order (shuffled per mini-epoch, deterministically)
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  // Images held out of training (the last ones) to keep the best biases by their distillation loss, measured
  // before the first update and after every mini-epoch: -1: count / 8, at least 4, none below 8 images; 0: none.
  int validation_images = -1;
};

// The default validation split of `count` images (BFT's, and IBC's guard's): count / 8, at least 4, none below 8.
inline uint32_t default_validation_images(uint32_t count) { return count >= 8 ? std::max<uint32_t>(4, count / 8) : 0; }

struct BftResult {
  Graph corrected;              // the quantized graph with the fine-tuned biases
  std::vector<double> loss;     // mean distillation loss of each mini-epoch (during its steps)
  double initial_loss = 0;      // before any update (first mini-epoch's images, first step)
  int batch = 0;                // the batch used
  int layers = 0;               // layers whose biases were trained
  int clamped = 0;              // final bias values clamped to the bias type's range
  uint64_t training_bytes = 0;  // device memory of the training session (activations + gradients)
  double wall_ms = 0;
  double teacher_ms = 0;                // computing the teacher's outputs
  uint32_t validation_images = 0;       // held out of training
  std::vector<double> validation_loss;  // [0]: the starting biases, [e]: after mini-epoch e (empty: none held out)
  int best_mini_epoch = -1;             // biases kept: after that mini-epoch (0: the starting ones; -1: the last)
};

// Progress: mini-epoch done, total, and that mini-epoch's mean loss; return false to cancel.
using BftProgressFn = std::function<bool(uint32_t done, uint32_t total, double loss)>;

BftResult bias_fine_tuning(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                           uint32_t count, const ImageFn& images, const BftOptions& options,
                           const BftProgressFn& progress = {});

// Testing: one batch's distillation loss and the bias gradients of every trained layer (GPU), in the layers' order
// (weighted ops of the quantized graph with 8-bit data), without updating anything.
struct BftGradients {
  double loss = 0;
  std::vector<std::vector<float>> bias;  // per layer
  std::vector<int> q_ops;                // the layers' operator indices in with_biases(quantized)
};
BftGradients bft_gradients(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                           uint32_t count, const ImageFn& images);

// The teacher's targets for `count` images (`inputs` back to back), `values` per image, computed `batch` at a time
// by `float_graph` (any float graph: a fake-quant one gives the student's): the softmax of its logits (one row per
// image), or, when it is dense (not one softmax output), every output's values one after the other.  per_output (may
// be null): each output's values per image, in the outputs' order (the logits' count for a softmax).  as_is: every
// output's values as the graph computes them (no truncation, no softmax); the graph may then be a quantized one
// that takes and gives float32.
std::vector<float> teacher_targets(std::shared_ptr<vk::Context> ctx, const Graph& float_graph,
                                   const std::vector<float>& inputs, uint32_t count, int batch, int& values,
                                   std::vector<size_t>* per_output = nullptr, bool as_is = false);

// BFT's student: the fake-quant graph `fq` (quant::fake_quant_graph(with_biases(quantized))) truncated at its
// logits, with every fused RELU / RELU6 split out (the backward kernels take none), except where a FAKE_QUANT alone
// reads the activation's output: that FAKE_QUANT applies the activation itself (one kernel each way, not two).
Graph student_graph(const Graph& fq);

// The graph truncated at the logits: if an output is produced by SOFTMAX (possibly followed by FAKE_QUANT, QUANTIZE
// or DEQUANTIZE), the softmax's input becomes the output; operators nothing needs any more are removed.
Graph logits_graph(const Graph& g);
// The input of the SOFTMAX that produces graph output `output` (looking through FAKE_QUANT / QUANTIZE / DEQUANTIZE),
// or -1 when the output is not a softmax's (BFT then distills the output itself, by squared error).
int softmax_input(const Graph& g, int output);

}  // namespace tare::calib
