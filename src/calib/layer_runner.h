// The float network and the quantized network (in fake-quant float form) advanced side by side, one layer at a
// time, on the same batch, with the per-channel error of each layer's output reduced on the GPU.  The building
// block of IBC and of the error analysis (calib/ibc.h).
//
// Graphs: F = the float graph, Q = the quantized graph (every layer given an int32 bias), FQ = fake_quant_graph(Q).
// In F the fused RELU / RELU6 of every layer is split out into its own operator when the pre-activation point is
// measured, so that both the pre-activation and the post-activation outputs exist as tensors (otherwise F keeps them
// fused); in FQ the layer's output FAKE_QUANT applies it (activations_into_fake_quant), so that the weighted op
// writes the pre-activation value and the FAKE_QUANT the quantized post-activation one (a RELU whose output something
// else reads too is split out instead).  A layer is every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED of Q with
// 8-bit data; the k-th such op of Q is matched with the k-th weighted op of F (same type, same output shape).  Each
// graph runs in its own session (one arena each; SegmentOptions::keep_until keeps a layer's input alive so that the
// layer can run again after its bias changed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "calib/diagnostics.h"
#include "engine/segment_session.h"
#include "model/graph.h"
#include "ops/fake_quant_kernel.h"
#include "vk/buffer.h"
#include "vk/context.h"

namespace tare::calib {

struct Layer {
  std::string name, op, activation;
  int channels = 0;
  int q_op = -1, q_bias = -1;                                            // in Q
  int fq_op = -1, fq_bias = -1, fq_pre = -1, fq_post = -1, fq_end = -1;  // in FQ; ops [.., fq_end) complete it
  int f_op = -1, f_pre = -1, f_post = -1, f_end = -1;                    // in F
};

// Q with an int32 bias on every weighted op with 8-bit data (zeros, scale input scale * weight scale) and no bias
// tensor shared between ops.
Graph with_biases(const Graph& quantized);

// A float graph with the fused RELU / RELU6 of every weighted op split into its own operator (the weighted op then
// writes a new tensor "<output>/pre").  index[i]: the new position of op i.
// every_op: also the fused activations of the other operators (ADD, pools, ...), as training needs.  A FAKE_QUANT
// keeps its activation (its kernels and gradient apply it).  Taken by value: a graph passed as a temporary keeps its
// weights where they are.
Graph split_activations(Graph g, std::vector<int>& index, bool every_op = false);

// Moves the fused RELU / RELU6 of every operator whose output only a FAKE_QUANT reads into that FAKE_QUANT (the
// operator then writes its pre-activation value): the same values, one kernel fewer each way.
Graph activations_into_fake_quant(Graph g);

class LayerRunner {
 public:
  // Which of a layer's outputs a pass measures (bit mask): before and after its split activation.
  enum Points : uint8_t { kNone = 0, kPre = 1, kPost = 2, kBoth = 3 };
  // `quantized` must already have its biases (with_biases).  batch: images per run.  points: those any pass may
  // measure; without kPre, F keeps its fused activations (one pass fewer per such layer) and passes measure kPost.
  // moments: sum e^2, x and x^2 besides sum e (diagnostics); without, sums() gives them as NaN and the reductions
  // carry one accumulator instead of four (IBC's correction reads the mean error alone).
  LayerRunner(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized, int batch,
              uint8_t points = kBoth, bool moments = true);
  ~LayerRunner();
  LayerRunner(const LayerRunner&) = delete;
  LayerRunner& operator=(const LayerRunner&) = delete;

  const std::vector<Layer>& layers() const { return layers_; }
  int batch() const { return batch_; }
  const Graph& quantized() const { return q_; }  // Q, with the biases set so far

  // Stages the batch (batch images of the float model's per-image input, back to back) and rewinds both networks.
  void set_images(const float* data, size_t floats);

  // One piece of a submission.  Advance (rerun false): both networks through layer `layer` from where they stand
  // (the first pass after set_images also packs the inputs).  Rerun: layer `layer` of the quantized network again,
  // after set_bias; only the layer advanced last can run again.  A rerun does not evaluate the weighted op again: it
  // adds the change of the float bias to its stored output (shaders/channel_shift.comp), which equals evaluating it
  // with the new bias up to float rounding, and runs the layer's activation and FAKE_QUANT.  Where only the FAKE_QUANT
  // reads that output and the rerun does not measure kPre, the FAKE_QUANT adds the change itself on the way in (one
  // pass; shaders/fake_quant.comp's SHIFT, the same float sum) and the stored output keeps its old bias.  Each
  // measured point's errors are added to sums slot `slot` (0 or 1).
  struct Pass {
    int layer = 0, slot = 0;
    bool rerun = false;
    uint8_t points = kBoth;
  };
  // The passes in order, with the bias updates pending before them, in one command buffer and one submission.  The
  // last pass, an advance, leaves its layer's FAKE_QUANT unrun where the layer allows a shifted FAKE_QUANT (the
  // usual next step, a rerun, writes that output; the next advance runs it first otherwise) and measures kPost by
  // quantizing the stored output on the fly (shaders/channel_diff.comp's QUANT): the same bits.
  void run(const std::vector<Pass>& passes);
  void advance(int l, int slot, uint8_t points = kBoth) { run({{l, slot, false, points}}); }
  void rerun(int l, int slot, uint8_t points = kBoth) { run({{l, slot, true, points}}); }
  // Everything at once: both networks through every layer, each layer's errors (the runner's points) added to
  // `slot`; one submission.
  void run_all(int slot);
  // Replaces layer l's int32 bias in Q, and its dequantized copy in the quantized session when the next advance /
  // rerun / run_all runs.
  void set_bias(int l, const std::vector<int32_t>& q);
  std::vector<int32_t> bias(int l) const;
  // Per-channel sums of layer l in `slot` (pre and post; a point never measured has count 0; without moments only
  // sum_e and count are numbers), and their reset (all layers, both slots).
  StageErrors sums(int l, int slot) const;
  void reset_sums();

 private:
  struct ShiftedFakeQuant {  // per layer: its FAKE_QUANT with the shift folded in (on: the layer allows it)
    bool on = false;
    ops::FakeQuantSetup setup;
    uint64_t keys_offset = 0, keys_bytes = 0;  // its level table in keys_
  };
  void record_pass(vk::Recorder& rec, const Pass& pass, bool last);
  // The FAKE_QUANT an advance left out (unwritten_), before anything reads its output.
  void record_unwritten(vk::Recorder& rec);
  // A rerun's shift (bias now - bias evaluated), staged for the device; applied in place (record_shift), or on the
  // way into the layer's FAKE_QUANT (record_shifted_fake_quant, one pass) where nothing else reads the stored output.
  // bias_now (may be null) receives the layer's current bias.
  vk::BufferRange stage_shift(int l, std::vector<float>* bias_now = nullptr);
  void record_shift(vk::Recorder& rec, int l);
  void record_shifted_fake_quant(vk::Recorder& rec, int l);
  void plan_shifted_fake_quants(uint64_t align);
  uint32_t dispatch_bound(const Pass& pass) const;
  // quantize: fq_tensor is the layer's output before that FAKE_QUANT, quantized on the fly (channel_diff's QUANT).
  void record_diff(vk::Recorder& rec, int fq_tensor, int f_tensor, uint64_t offset,
                   const ShiftedFakeQuant* quantize = nullptr);
  uint64_t slot_offset(int l, int slot, int point) const;

  std::shared_ptr<vk::Context> ctx_;
  int batch_;
  uint8_t points_;
  bool moments_;
  Graph q_, fq_, f_;
  std::vector<Layer> layers_;
  std::unique_ptr<SegmentSession> fs_, qs_;
  std::unique_ptr<vk::Buffer> sums_, partial_, readback_;    // readback_: host copy of sums_, refreshed per run
  std::vector<std::pair<int, std::vector<float>>> pending_;  // bias updates for the next recording
  std::vector<std::vector<float>> evaluated_;                // per layer: the float bias its stored output has
  std::unique_ptr<vk::Buffer> shift_;                        // per layer (at layer_offset_ / 4): bias change, vec4s
  std::vector<ShiftedFakeQuant> shifted_;
  std::unique_ptr<vk::Buffer> keys_;
  std::vector<uint64_t> layer_offset_;  // per layer: start of its 2 slots x 2 points x C4 x 4 vec4
  std::vector<double> runs_;            // per layer, slot and point: batches folded in
  size_t fpos_ = 0, qpos_ = 0;          // next op to run in F / FQ
  int unwritten_ = -1;                  // the layer advanced last, its FAKE_QUANT not run yet (or -1)
  bool inputs_packed_ = false;
};

}  // namespace tare::calib
