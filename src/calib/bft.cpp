#include "calib/bft.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "calib/layer_runner.h"
#include "calib/layers.h"
#include "common/error.h"
#include "engine/session.h"
#include "engine/training_session.h"
#include "model/constants.h"
#include "ops/op_common.h"
#include "quant/fake_quant.h"
#include "vk/command.h"

namespace tare::calib {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunk = 64;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Softmax of each row (double), as float.
std::vector<float> softmax_rows(const std::vector<float>& logits, int classes) {
  std::vector<float> p(logits.size());
  for (size_t r = 0; r * classes < logits.size(); r++) {
    const float* x = logits.data() + r * classes;
    double m = *std::max_element(x, x + classes), z = 0;
    for (int c = 0; c < classes; c++) z += std::exp((double)x[c] - m);
    for (int c = 0; c < classes; c++) p[r * classes + c] = (float)(std::exp((double)x[c] - m) / z);
  }
  return p;
}

}  // namespace

Graph student_graph(const Graph& fq) {
  std::vector<int> index;
  return split_activations(activations_into_fake_quant(logits_graph(fq)), index, true);
}

namespace {

// Device bytes per image of a training session of `g` (activations and their gradients, batch 1).
uint64_t training_bytes_per_image(const Graph& g) {
  uint64_t total = 0;
  for (const Tensor& t : g.tensors)
    if (!t.is_const && t.dtype == DType::F32)
      total += 2 * ops::device_bytes(t, 4) / (uint64_t)std::max(1, t.shape.empty() ? 1 : t.shape[0]);
  return total;
}

// The student network of a quantized graph and its layers.
struct Trainer {
  struct Layer {
    int q_op, q_bias, s_op, s_bias, s_out, channels;
    uint64_t state_offset;
  };

  Trainer(std::shared_ptr<vk::Context> c, const Graph& quantized, int b)
      : ctx(std::move(c)), q(with_biases(quantized)), batch(b) {
    const Graph fq = quant::fake_quant_graph(q);
    // Distillation of probabilities when the model ends in a softmax, of the outputs themselves (squared error) else.
    dense = fq.outputs.size() != 1 || softmax_input(fq, fq.outputs[0]) < 0;
    student = student_graph(fq);
    for (size_t k = 0; k < q.ops.size(); k++) {
      const Op& op = q.ops[k];
      if (!is_weighted(op.type) || !is_q8(q.tensors[op.inputs[0]]) || !is_q8(q.tensors[op.outputs[0]])) continue;
      int found = -1;
      for (size_t i = 0; i < student.ops.size(); i++)
        if (student.ops[i].type == op.type && student.ops[i].source_index == op.source_index) found = (int)i;
      if (found < 0) continue;  // does not reach the logits
      const Op& so = student.ops[found];
      layers.push_back({(int)k, op.inputs[2], found, so.inputs[2], so.outputs[0], weighted_out_channels(q, op), 0});
    }
    TARE_CHECK(!layers.empty(), TARE_ERROR_INVALID_ARGUMENT, "the quantized model has no 8-bit layer to fine-tune");
    first = layers[0].s_op;
    for (const Layer& L : layers) first = std::min(first, L.s_op);
    TrainingOptions o;
    o.batch = batch;
    s = std::make_unique<TrainingSession>(ctx, student, o);
    for (int out : s->graph().outputs) {
      const ops::Shape4 ls = ops::shape4(s->graph().tensors[out].shape);
      TARE_CHECK(dense || ls.rows() == batch, TARE_ERROR_UNSUPPORTED, "the logits must have one row per image");
      Target tg{out, dense ? (int)ls.rows() : batch, (int)ls.c, (int)ls.c4(), (int)(ls.rows() / batch) * ls.c, values};
      values += tg.values;
      tg.teacher = std::make_unique<vk::Buffer>(ctx, (uint64_t)batch * tg.values * 4, vk::MemoryKind::Upload);
      tg.loss = std::make_unique<vk::Buffer>(ctx, (uint64_t)tg.rows * 4, vk::MemoryKind::Readback);
      targets.push_back(std::move(tg));
    }
    uint64_t state = 0, partial = 64;
    for (Layer& L : layers) {
      L.state_offset = state;
      state += ((uint64_t)L.channels * 12 + 255) / 256 * 256;
      const ops::Shape4 os = ops::shape4(s->graph().tensors[L.s_out].shape);
      partial = std::max<uint64_t>(partial, (uint64_t)((os.rows() + kChunk - 1) / kChunk) * os.c4() * 16);
    }
    state_buf = std::make_unique<vk::Buffer>(ctx, state, vk::MemoryKind::Device);
    partial_buf = std::make_unique<vk::Buffer>(ctx, partial, vk::MemoryKind::Device);
    std::vector<uint8_t> zero(state, 0);
    state_buf->upload(zero.data(), zero.size());
  }

  // The inputs of a batch and the teacher's targets of each image (`values` floats: the probabilities, or every
  // output's values one after the other), laid out per output for the loss shaders.
  void stage(const float* inputs, const float* teacher) {
    s->set_input(0, inputs, (size_t)s->input(0).elements());
    for (Target& tg : targets) {
      float* dst = static_cast<float*>(tg.teacher->mapped());
      for (int i = 0; i < batch; i++)
        std::memcpy(dst + (size_t)i * tg.values, teacher + (size_t)i * values + tg.offset, (size_t)tg.values * 4);
      tg.teacher->flush();
    }
  }

  // Forward, loss, backward, bias gradients; Adam with `lr` (0: gradients only) at step t >= 1.  t = 0: forward
  // and loss only (nothing updated, Adam's moments included).
  double step(float lr, int t, const BftOptions& o, int counted = 0) {
    vk::Recorder rec(ctx, s->dispatch_bound(0, s->num_ops()) * 2 + 4 * (uint32_t)layers.size() + 16, 0);
    rec.begin();
    s->record_inputs(rec);
    s->record_ops(rec, 0, s->num_ops());
    s->record_zero_grads(rec);
    for (const Target& tg : targets) {
      const std::vector<vk::BufferRange> bindings = {s->tensor_storage(tg.tensor),
                                                     {tg.teacher.get(), 0, tg.teacher->size()},
                                                     s->grad_storage(tg.tensor),
                                                     {tg.loss.get(), 0, tg.loss->size()}};
      const ops::Grid grid{ops::div_up(tg.rows, ops::kShaderLocal)};
      if (dense) {
        // Each output's squared error averaged over its values: outputs of different sizes weigh the same.
        struct {
          int32_t rows, C, C4;
          float lscale, gscale;
        } mpc = {tg.rows, tg.c, tg.c4, 1.0f / (float)tg.values, 2.0f / ((float)tg.values * (float)batch)};
        ops::record_dispatch(rec, ops::shader_dispatch(*ctx, "distill_mse", {}, bindings, mpc, grid), nullptr);
      } else {
        struct {
          int32_t rows, C, C4;
        } lpc = {batch, tg.c, tg.c4};
        ops::record_dispatch(rec, ops::shader_dispatch(*ctx, "distill_loss", {}, bindings, lpc, grid), nullptr);
      }
    }
    if (t == 0) return finish(rec, counted ? counted : batch);
    s->record_backward(rec, (size_t)first + 1, s->num_ops());
    const float a1 = (float)(1.0 / (1.0 - std::pow((double)o.beta1, t)));
    const float a2 = (float)(1.0 / (1.0 - std::pow((double)o.beta2, t)));
    for (const Layer& L : layers) {
      const ops::Shape4 os = ops::shape4(s->graph().tensors[L.s_out].shape);
      const int chunks = (int)((os.rows() + kChunk - 1) / kChunk);
      struct {
        int32_t rows, C4;
      } spc = {(int32_t)os.rows(), os.c4()};
      const vk::BufferRange part{partial_buf.get(), 0, (uint64_t)chunks * os.c4() * 16};
      ops::record_dispatch(rec,
                           ops::shader_dispatch(*ctx, "channel_sum", {(uint32_t)kChunk},
                                                {s->grad_storage(L.s_out), part}, spc,
                                                ops::grid_channel_chunks(os.c4(), chunks)),
                           nullptr);
      struct {
        int32_t chunks, C, C4;
        float lr, b1, b2, eps, a1, a2;
        int32_t pad;
      } apc = {chunks, L.channels, os.c4(), lr, o.beta1, o.beta2, o.eps, a1, a2, 0};
      ops::record_dispatch(rec,
                           ops::shader_dispatch(*ctx, "adam_bias", {},
                                                {part,
                                                 s->constant_storage(L.s_bias),
                                                 {state_buf.get(), L.state_offset, (uint64_t)L.channels * 12}},
                                                apc, ops::Grid{ops::div_up(L.channels, ops::kShaderLocal)}),
                           nullptr);
    }
    return finish(rec, batch);
  }

  // Submits and returns the mean loss of the batch's first `images` images.
  double finish(vk::Recorder& rec, int images) {
    rec.end();
    rec.submit();
    double total = 0;
    for (const Target& tg : targets) {
      tg.loss->invalidate();
      const float* l = static_cast<const float*>(tg.loss->mapped());
      for (int r = 0; r < tg.rows / batch * images; r++) total += l[r];
    }
    return total / images;
  }

  // The mean loss over `count` images (inputs and teacher targets back to back), a batch at a time; the last
  // batch is padded with its last image, whose losses are not counted.
  double evaluate(const float* inputs, const float* teacher, uint32_t count, size_t n) {
    std::vector<float> in(n * batch), tv((size_t)batch * values);
    double sum = 0;
    for (uint32_t done = 0; done < count; done += (uint32_t)batch) {
      const int real = (int)std::min<uint32_t>((uint32_t)batch, count - done);
      for (int i = 0; i < batch; i++) {
        const uint32_t k = done + (uint32_t)std::min(i, real - 1);
        std::memcpy(in.data() + n * i, inputs + n * k, n * 4);
        std::memcpy(tv.data() + (size_t)values * i, teacher + (size_t)values * k, (size_t)values * 4);
      }
      stage(in.data(), tv.data());
      sum += step(0.0f, 0, BftOptions{}, real) * real;
    }
    return sum / count;
  }

  // The float biases of every layer, as the session holds them.
  std::vector<std::vector<float>> biases() {
    std::vector<std::vector<float>> r;
    for (const Layer& L : layers) {
      std::vector<float> b((size_t)L.channels);
      s->download(s->constant_storage(L.s_bias), b.data(), b.size() * 4);
      r.push_back(std::move(b));
    }
    return r;
  }

  std::vector<std::vector<float>> gradients() {
    std::vector<std::vector<float>> g;
    for (const Layer& L : layers) {
      std::vector<float> v((size_t)L.channels);
      state_buf->download(v.data(), v.size() * 4, L.state_offset + (uint64_t)L.channels * 8);
      g.push_back(std::move(v));
    }
    return g;
  }

  // The quantized graph with the trained biases (`kept`, per layer) rounded to their grids.
  Graph result(const std::vector<std::vector<float>>& kept, bool bias_16bit, int& clamped) {
    Graph out = q;
    const double lim = bias_16bit ? 32767.0 : 2147483647.0;
    for (size_t k = 0; k < layers.size(); k++) {
      const Layer& L = layers[k];
      const std::vector<float>& b = kept.at(k);
      Tensor& bt = out.tensors[L.q_bias];
      std::vector<int32_t> qv((size_t)L.channels);
      for (int c = 0; c < L.channels; c++) {
        const double sc = bt.quant.scale.size() == 1 ? bt.quant.scale[0] : bt.quant.scale.at(c);
        double v = std::round((double)b[c] / sc);
        if (v > lim || v < -lim - 1) {
          v = std::clamp(v, -lim - 1, lim);
          clamped++;
        }
        qv[c] = (int32_t)v;
      }
      std::memcpy(bt.data.data(), qv.data(), qv.size() * 4);
    }
    return out;
  }

  std::shared_ptr<vk::Context> ctx;
  Graph q, student;
  int batch;
  std::unique_ptr<TrainingSession> s;
  // One graph output and its loss: the teacher's targets of a batch and the loss of each row.
  struct Target {
    int tensor, rows, c, c4;  // rows of the loss shader: images (logits) or every row of the output (dense)
    int values, offset;       // targets per image, and where they start among the image's targets
    std::unique_ptr<vk::Buffer> teacher, loss;
  };
  int first = 0;
  bool dense = false;  // no softmax head: squared-error distillation of every output
  int values = 0;      // teacher targets per image, all outputs
  std::vector<Target> targets;
  std::vector<Layer> layers;
  std::unique_ptr<vk::Buffer> state_buf, partial_buf;
};

}  // namespace

std::vector<float> teacher_targets(std::shared_ptr<vk::Context> ctx, const Graph& float_graph,
                                   const std::vector<float>& inputs, uint32_t count, int batch, int& values,
                                   std::vector<size_t>* per_output, bool as_is) {
  const Graph t = as_is ? float_graph : logits_graph(float_graph);
  const bool dense = as_is || t.outputs.size() != 1 || softmax_input(float_graph, float_graph.outputs[0]) < 0;
  const size_t n = per_image(float_graph, "bias fine-tuning");
  SessionOptions o;
  o.batch = batch;
  Session s(ctx, t, o);
  std::vector<size_t> per;  // each output's values per image
  values = 0;
  for (size_t k = 0; k < t.outputs.size(); k++) {
    const ops::Shape4 ls = ops::shape4(s.output(k).shape);
    TARE_CHECK(dense || ls.rows() == batch, TARE_ERROR_UNSUPPORTED, "the logits must have one row per image");
    per.push_back((size_t)(ls.rows() / batch) * ls.c);
    values += (int)per.back();
  }
  std::vector<float> targets((size_t)count * values), buf(n * batch), out;
  for (uint32_t done = 0; done < count; done += (uint32_t)batch) {
    for (int i = 0; i < batch; i++) {
      const uint32_t k = std::min(done + (uint32_t)i, count - 1);  // the last batch repeats the last image
      std::memcpy(buf.data() + n * i, inputs.data() + n * k, n * 4);
    }
    s.set_input(0, buf.data(), buf.size());
    s.run();
    size_t offset = 0;  // of output k among an image's targets
    for (size_t k = 0; k < per.size(); k++) {
      out.resize((size_t)batch * per[k]);
      s.get_output(k, out.data(), out.size());
      for (int i = 0; i < batch && done + (uint32_t)i < count; i++)
        std::memcpy(targets.data() + (size_t)(done + i) * values + offset, out.data() + (size_t)i * per[k], per[k] * 4);
      offset += per[k];
    }
  }
  if (per_output) *per_output = per;
  return dense ? targets : softmax_rows(targets, values);
}

int softmax_input(const Graph& g, int output) {
  auto producer = [&](int t) -> const Op* {
    for (const Op& op : g.ops)
      if (!op.outputs.empty() && op.outputs[0] == t) return &op;
    return nullptr;
  };
  // The softmax may be followed by operators that only change its representation (the FAKE_QUANT of a fake-quant
  // graph, QUANTIZE / DEQUANTIZE of a quantized one): look through them.
  int t = output;
  for (const Op* p = producer(t); p && !p->inputs.empty(); p = producer(t)) {
    if (p->type == OpType::Softmax) return p->inputs[0];
    if (p->type != OpType::FakeQuant && p->type != OpType::Quantize && p->type != OpType::Dequantize) break;
    t = p->inputs[0];
  }
  return -1;
}

Graph logits_graph(const Graph& g) {
  Graph out = g;
  for (int& o : out.outputs) {
    const int logits = softmax_input(out, o);
    if (logits >= 0) o = logits;
  }
  // Remove operators nothing needs (in reverse order).
  std::vector<char> needed(out.tensors.size(), 0);
  for (int o : out.outputs) needed[o] = 1;
  std::vector<Op> kept;
  for (size_t i = out.ops.size(); i-- > 0;) {
    const Op& op = out.ops[i];
    bool use = false;
    for (int t : op.outputs) use = use || needed[t];
    if (!use) continue;
    for (int t : op.inputs)
      if (t >= 0) needed[t] = 1;
    kept.push_back(op);
  }
  std::reverse(kept.begin(), kept.end());
  out.ops = std::move(kept);
  remove_unused_tensors(out);
  return out;
}

BftGradients bft_gradients(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                           uint32_t count, const ImageFn& images) {
  const size_t n = per_image(float_graph, "bias fine-tuning");
  std::vector<float> inputs(n * count);
  for (uint32_t i = 0; i < count; i++) images(i, inputs.data() + n * i);
  int values = 0;
  std::vector<float> probs = teacher_targets(ctx, float_graph, inputs, count, (int)count, values);
  Trainer tr(ctx, quantized, (int)count);
  TARE_CHECK(tr.values == values, TARE_ERROR_INVALID_ARGUMENT, "the float and quantized models' outputs differ");
  tr.stage(inputs.data(), probs.data());
  BftGradients r;
  r.loss = tr.step(0.0f, 1, BftOptions{});
  r.bias = tr.gradients();
  for (const auto& L : tr.layers) r.q_ops.push_back(L.q_op);
  return r;
}

BftResult bias_fine_tuning(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized,
                           uint32_t count, const ImageFn& images, const BftOptions& o, const BftProgressFn& progress) {
  TARE_CHECK(ctx != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(count >= 1, TARE_ERROR_INVALID_ARGUMENT, "bias fine-tuning needs at least one image");
  TARE_CHECK((bool)images, TARE_ERROR_INVALID_ARGUMENT, "no image source");
  TARE_CHECK(o.rates.size() == o.mini_epochs.size() && !o.rates.empty(), TARE_ERROR_INVALID_ARGUMENT,
             "the learning-rate schedule needs one mini-epoch count per rate");
  TARE_CHECK(o.batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1");
  for (int e : o.mini_epochs) TARE_CHECK(e >= 0, TARE_ERROR_INVALID_ARGUMENT, "negative mini-epoch count");
  const auto t0 = Clock::now();
  const size_t n = per_image(float_graph, "bias fine-tuning");
  std::vector<float> inputs(n * count);
  for (uint32_t i = 0; i < count; i++) images(i, inputs.data() + n * i);

  // The batch that fits the memory budget.
  BftResult r;
  const Graph probe = student_graph(quant::fake_quant_graph(with_biases(quantized)));
  const uint64_t per = training_bytes_per_image(probe);
  const uint64_t budget = o.memory_budget ? o.memory_budget : ctx->available_device_memory() / 2;
  int batch = (int)std::min<uint64_t>((uint64_t)o.batch, std::max<uint64_t>(1, budget / std::max<uint64_t>(per, 1)));
  batch = std::min<int>(batch, (int)count);
  TARE_CHECK((uint64_t)batch * per <= budget || batch == 1, TARE_ERROR_OUT_OF_MEMORY, "no batch fits the budget");
  TARE_CHECK(per <= budget, TARE_ERROR_OUT_OF_MEMORY,
             "one image needs " + std::to_string(per >> 20) + " MiB of device memory to train, the budget is " +
                 std::to_string(budget >> 20) + " MiB");
  r.batch = batch;

  const auto tt = Clock::now();
  int values = 0;
  std::vector<float> probs = teacher_targets(ctx, float_graph, inputs, count, batch, values);
  r.teacher_ms = ms_since(tt);

  Trainer tr(ctx, quantized, batch);
  TARE_CHECK(tr.values == values, TARE_ERROR_INVALID_ARGUMENT, "the float and quantized models' outputs differ");
  r.layers = (int)tr.layers.size();
  r.training_bytes = tr.s->memory().activation_bytes;

  // The validation split: the last images, held out of training.
  TARE_CHECK(o.validation_images < 0 || (uint32_t)o.validation_images < count, TARE_ERROR_INVALID_ARGUMENT,
             "the validation split leaves no image to train on");
  const uint32_t held = o.validation_images >= 0 ? (uint32_t)o.validation_images : default_validation_images(count);
  r.validation_images = held;
  const uint32_t train = count - held;
  const float* v_inputs = inputs.data() + n * train;
  const float* v_targets = probs.data() + (size_t)values * train;
  std::vector<std::vector<float>> kept;  // the best biases so far; empty: the starting ones
  auto validate = [&](int mini_epoch) {
    if (!held) return;
    r.validation_loss.push_back(tr.evaluate(v_inputs, v_targets, held, n));
    if (mini_epoch == 0 || r.validation_loss.back() < r.validation_loss[(size_t)r.best_mini_epoch]) {
      r.best_mini_epoch = mini_epoch;
      if (mini_epoch > 0) kept = tr.biases();
    }
  };
  validate(0);

  const uint32_t per_epoch = o.images_per_mini_epoch ? o.images_per_mini_epoch : train;
  const int steps_per_epoch = (int)((per_epoch + (uint32_t)batch - 1) / (uint32_t)batch);
  const int total_epochs = std::accumulate(o.mini_epochs.begin(), o.mini_epochs.end(), 0);
  std::mt19937 rng(o.seed);
  std::vector<uint32_t> order(train);
  std::iota(order.begin(), order.end(), 0u);
  size_t cursor = train;  // position in the current shuffled pass
  std::vector<float> in_batch(n * batch), p_batch((size_t)batch * values);
  int t = 0, epoch = 0;
  for (size_t phase = 0; phase < o.rates.size(); phase++) {
    for (int e = 0; e < o.mini_epochs[phase]; e++, epoch++) {
      double sum = 0;
      for (int k = 0; k < steps_per_epoch; k++) {
        for (int i = 0; i < batch; i++) {
          if (cursor == train) {
            std::shuffle(order.begin(), order.end(), rng);
            cursor = 0;
          }
          const uint32_t img = order[cursor++];
          std::memcpy(in_batch.data() + n * i, inputs.data() + n * img, n * 4);
          std::memcpy(p_batch.data() + (size_t)values * i, probs.data() + (size_t)values * img, values * 4);
        }
        tr.stage(in_batch.data(), p_batch.data());
        const double l = tr.step(o.rates[phase], ++t, o);
        if (t == 1) r.initial_loss = l;
        sum += l;
      }
      r.loss.push_back(sum / steps_per_epoch);
      validate(epoch + 1);
      if (progress && !progress((uint32_t)epoch + 1, (uint32_t)total_epochs, r.loss.back()))
        fail(TARE_ERROR_CANCELLED, "bias fine-tuning cancelled");
    }
  }
  if (!held) kept = tr.biases();
  // The starting biases won: they are the quantized model's own, exactly (not rounded back from float).
  r.corrected = kept.empty() ? tr.q : tr.result(kept, o.bias_16bit, r.clamped);
  r.wall_ms = ms_since(t0);
  return r;
}

}  // namespace tare::calib
