#include "calib/layer_runner.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>

#include "calib/layers.h"
#include "common/error.h"
#include "model/constants.h"
#include "ops/fake_quant_kernel.h"
#include "ops/op_common.h"
#include "quant/fake_quant.h"
#include "vk/command.h"

namespace tare::calib {

namespace {

constexpr int kChunk = 64;         // rows per partial sum (shaders/channel_diff.comp)
constexpr uint32_t kShiftPer = 4;  // vec4 groups per invocation (shaders/channel_shift.comp)

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Relu: return "RELU";
    case Activation::Relu6: return "RELU6";
    case Activation::ReluN1To1: return "RELU_N1_TO_1";
    default: return "NONE";
  }
}

std::vector<int> weighted_ops(const Graph& g) {
  std::vector<int> r;
  for (size_t i = 0; i < g.ops.size(); i++)
    if (is_weighted(g.ops[i].type)) r.push_back((int)i);
  return r;
}

}  // namespace

Graph split_activations(Graph g, std::vector<int>& index, bool every_op) {
  const std::vector<Op> ops = std::move(g.ops);  // the tensors (the weights) move along, not copied
  Graph out = std::move(g);
  out.ops.clear();
  index.assign(ops.size(), -1);
  for (size_t i = 0; i < ops.size(); i++) {
    const Op& op = ops[i];
    index[i] = (int)out.ops.size();
    const Activation a = op.params.activation;
    // FAKE_QUANT applies its own fused activation, forward and backward.
    if ((!every_op && !is_weighted(op.type)) || op.type == OpType::FakeQuant ||
        (a != Activation::Relu && a != Activation::Relu6)) {
      out.ops.push_back(op);
      continue;
    }
    Tensor pre = out.tensors[op.outputs[0]];
    pre.name += "/pre";
    pre.quant = QuantParams{};
    out.tensors.push_back(std::move(pre));
    const int p = (int)out.tensors.size() - 1;
    Op w = op;
    w.params.activation = Activation::None;
    w.outputs[0] = p;
    Op act;
    act.type = a == Activation::Relu ? OpType::Relu : OpType::Relu6;
    act.inputs = {p};
    act.outputs = {op.outputs[0]};
    act.source_index = op.source_index;
    out.ops.push_back(std::move(w));
    out.ops.push_back(std::move(act));
  }
  return out;
}

Graph activations_into_fake_quant(Graph g) {
  std::vector<int> readers(g.tensors.size(), 0), reader(g.tensors.size(), -1);
  for (size_t i = 0; i < g.ops.size(); i++)
    for (int t : g.ops[i].inputs)
      if (t >= 0) readers[t]++, reader[t] = (int)i;
  for (int t : g.outputs) readers[t]++;
  for (Op& op : g.ops) {
    const Activation a = op.params.activation;
    if (op.type == OpType::FakeQuant || (a != Activation::Relu && a != Activation::Relu6) || op.outputs.size() != 1)
      continue;
    const int t = op.outputs[0];
    if (readers[t] != 1 || reader[t] < 0) continue;
    Op& fq = g.ops[reader[t]];
    if (fq.type != OpType::FakeQuant || fq.params.activation != Activation::None) continue;
    fq.params.activation = a;  // op's output is now its pre-activation value
    op.params.activation = Activation::None;
  }
  return g;
}

namespace {

// The operator that reads tensor t first at or after op `from`, or -1.
int consumer(const Graph& g, int t, int from) {
  for (size_t i = (size_t)from; i < g.ops.size(); i++)
    for (int in : g.ops[i].inputs)
      if (in == t) return (int)i;
  return -1;
}

bool same_layer_shape(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.size() != b.size() || a.empty()) return false;
  return std::equal(a.begin() + 1, a.end(), b.begin() + 1);
}

}  // namespace

Graph with_biases(const Graph& quantized) {
  Graph g = quantized;
  std::map<int, int> uses;
  for (const Op& op : g.ops)
    if (is_weighted(op.type) && op.inputs.size() > 2 && op.inputs[2] >= 0) uses[op.inputs[2]]++;
  for (Op& op : g.ops) {
    if (!is_weighted(op.type) || op.inputs.size() < 2 || op.inputs[0] < 0) continue;
    const Tensor& in = g.tensors[op.inputs[0]];
    if (!is_q8(in)) continue;
    const Tensor& w = g.tensors[op.inputs[1]];
    TARE_CHECK(!in.quant.scale.empty() && !w.quant.scale.empty(), TARE_ERROR_INVALID_MODEL,
               "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) +
                   "): 8-bit data without quantization parameters");
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
      int& b = op.inputs[2];
      TARE_CHECK(g.tensors[b].dtype == DType::I32, TARE_ERROR_UNSUPPORTED,
                 "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): bias type " +
                     dtype_name(g.tensors[b].dtype) + " (int32 expected)");
      if (uses[b] > 1) {  // shared: give this op its own copy
        uses[b]--;
        Tensor copy = g.tensors[b];
        copy.name += "/" + std::to_string(op.source_index);
        g.tensors.push_back(std::move(copy));
        b = (int)g.tensors.size() - 1;
      }
      continue;
    }
    const int n = weighted_out_channels(g, op);
    Tensor b;
    b.name = g.tensors[op.outputs[0]].name + "/bias";
    b.dtype = DType::I32;
    b.shape = {n};
    b.is_const = true;
    b.data.assign((size_t)n * 4, 0);
    for (float s : w.quant.scale) b.quant.scale.push_back(in.quant.scale[0] * s);
    b.quant.zero_point.assign(b.quant.scale.size(), 0);
    b.quant.axis = 0;
    g.tensors.push_back(std::move(b));
    if (op.inputs.size() < 3) op.inputs.resize(3, -1);
    op.inputs[2] = (int)g.tensors.size() - 1;
  }
  return g;
}

LayerRunner::LayerRunner(std::shared_ptr<vk::Context> ctx, const Graph& float_graph, const Graph& quantized, int batch,
                         uint8_t points, bool moments)
    : ctx_(std::move(ctx)), batch_(batch), points_(points), moments_(moments), q_(quantized) {
  TARE_CHECK(points != kNone && points <= kBoth, TARE_ERROR_INVALID_ARGUMENT, "no point to measure");
  TARE_CHECK(batch >= 1, TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1");
  TARE_CHECK(float_graph.inputs.size() == 1 && q_.inputs.size() == 1, TARE_ERROR_UNSUPPORTED,
             "bias correction supports models with one input");
  for (int t : float_graph.inputs)
    TARE_CHECK(float_graph.tensors[t].dtype == DType::F32, TARE_ERROR_INVALID_ARGUMENT,
               "the float model's input is not float32");
  quant::FakeQuantMap map;
  Graph fq0 = quant::fake_quant_graph(q_, &map);
  std::vector<int> fq_index, f_index;
  const std::vector<int> fqw = weighted_ops(fq0);
  fq_ = split_activations(activations_into_fake_quant(std::move(fq0)), fq_index);
  // F's pre-activation outputs exist only where they are measured: a fused activation costs no pass of its own.
  const bool split_float = points & kPre;
  if (split_float) {
    f_ = split_activations(float_graph, f_index);
  } else {
    f_ = float_graph;
    f_index.resize(f_.ops.size());
    for (size_t i = 0; i < f_index.size(); i++) f_index[i] = (int)i;
  }

  const std::vector<int> qw = weighted_ops(q_), fw = weighted_ops(float_graph);
  TARE_CHECK(qw.size() == fqw.size(), TARE_ERROR_INTERNAL, "fake-quant graph lost a layer");
  TARE_CHECK(qw.size() == fw.size(), TARE_ERROR_INVALID_ARGUMENT,
             "the quantized model has " + std::to_string(qw.size()) + " weighted layers, the float model " +
                 std::to_string(fw.size()));
  std::vector<int> keep(fq_.tensors.size(), -1);
  for (size_t k = 0; k < qw.size(); k++) {
    const Op& qop = q_.ops[qw[k]];
    const Op& fop0 = float_graph.ops[fw[k]];
    const std::string where = "layer " + std::to_string(k) + " (operator " + std::to_string(qop.source_index) + ", " +
                              op_name(qop.type) + "): ";
    TARE_CHECK(fop0.type == qop.type, TARE_ERROR_INVALID_ARGUMENT,
               where + "the float model has " + op_name(fop0.type) + " there");
    TARE_CHECK(same_layer_shape(float_graph.tensors[fop0.outputs[0]].shape, q_.tensors[qop.outputs[0]].shape),
               TARE_ERROR_INVALID_ARGUMENT, where + "output shapes of the float and quantized models differ");
    if (!is_q8(q_.tensors[qop.inputs[0]]) || !is_q8(q_.tensors[qop.outputs[0]])) continue;  // not an 8-bit layer
    TARE_CHECK(qop.inputs.size() > 2 && qop.inputs[2] >= 0, TARE_ERROR_INVALID_ARGUMENT,
               where + "no bias (use with_biases)");
    Layer L;
    L.name = q_.tensors[qop.outputs[0]].name;
    L.op = op_name(qop.type);
    L.activation = activation_name(qop.params.activation);
    L.channels = weighted_out_channels(q_, qop);
    L.q_op = qw[k];
    L.q_bias = qop.inputs[2];
    // FQ: weighted op, optional split activation, the FAKE_QUANT of the output.
    L.fq_op = fq_index[fqw[k]];
    const Op& fqop = fq_.ops[L.fq_op];
    TARE_CHECK(fqop.type == qop.type && fqop.inputs.size() > 2, TARE_ERROR_INTERNAL, where + "fake-quant mismatch");
    L.fq_bias = fqop.inputs[2];
    L.fq_pre = fqop.outputs[0];
    // Only the layer's own fused RELU / RELU6 was split out: a standalone RELU after a layer with no fused activation
    // is another layer's business (it has its own output quantization).
    const bool split = qop.params.activation == Activation::Relu || qop.params.activation == Activation::Relu6;
    int post_float = L.fq_pre, last = L.fq_op;
    if (split && L.fq_op + 1 < (int)fq_.ops.size() && fq_.ops[L.fq_op + 1].inputs.size() == 1 &&
        fq_.ops[L.fq_op + 1].inputs[0] == L.fq_pre &&
        (fq_.ops[L.fq_op + 1].type == OpType::Relu || fq_.ops[L.fq_op + 1].type == OpType::Relu6)) {
      last = L.fq_op + 1;
      post_float = fq_.ops[last].outputs[0];
    }
    const int fqc = consumer(fq_, post_float, last + 1);
    TARE_CHECK(fqc == last + 1 && fq_.ops[fqc].type == OpType::FakeQuant, TARE_ERROR_INTERNAL,
               where + "the output's FAKE_QUANT does not follow the layer");
    L.fq_post = fq_.ops[fqc].outputs[0];
    L.fq_end = fqc + 1;
    keep[fqop.inputs[0]] = std::max(keep[fqop.inputs[0]], fqc);
    keep[L.fq_pre] = std::max(keep[L.fq_pre], fqc);
    keep[post_float] = std::max(keep[post_float], fqc);
    // F: weighted op and optional split activation.
    L.f_op = f_index[fw[k]];
    L.f_pre = f_.ops[L.f_op].outputs[0];
    L.f_post = L.f_pre;
    L.f_end = L.f_op + 1;
    if (split && split_float && L.f_op + 1 < (int)f_.ops.size() && f_.ops[L.f_op + 1].inputs.size() == 1 &&
        f_.ops[L.f_op + 1].inputs[0] == L.f_pre &&
        (f_.ops[L.f_op + 1].type == OpType::Relu || f_.ops[L.f_op + 1].type == OpType::Relu6)) {
      L.f_post = f_.ops[L.f_op + 1].outputs[0];
      L.f_end = L.f_op + 2;
    }
    TARE_CHECK(fop0.params.activation == qop.params.activation, TARE_ERROR_INVALID_ARGUMENT,
               where + "fused activations of the float and quantized models differ");
    layers_.push_back(std::move(L));
  }
  TARE_CHECK(!layers_.empty(), TARE_ERROR_INVALID_ARGUMENT, "the quantized model has no 8-bit layer to correct");

  SegmentOptions fo;
  fo.batch = batch;
  fs_ = std::make_unique<SegmentSession>(ctx_, f_, fo);
  SegmentOptions qo;
  qo.batch = batch;
  qo.keep_until = keep;
  qs_ = std::make_unique<SegmentSession>(ctx_, fq_, qo);
  TARE_CHECK(fs_->input(0).elements() == qs_->input(0).elements(), TARE_ERROR_INVALID_ARGUMENT,
             "the float and quantized models take inputs of different sizes");

  // Sums: per layer, 2 slots x 2 points x C4 groups x 4 vec4.
  const uint64_t align = std::max<uint64_t>(64, ctx_->caps().min_storage_buffer_offset_alignment);
  uint64_t total = 0, partial = 64;
  for (const Layer& L : layers_) {
    layer_offset_.push_back(total);
    const ops::Shape4 s = ops::shape4(fs_->graph().tensors[L.f_pre].shape);
    const uint64_t block = ((uint64_t)s.c4() * 64 + align - 1) / align * align;
    total += 4 * block;
    const uint64_t chunks = (uint64_t)((s.rows() + kChunk - 1) / kChunk);
    partial = std::max<uint64_t>(partial, chunks * s.c4() * 64);
  }
  sums_ = std::make_unique<vk::Buffer>(ctx_, std::max<uint64_t>(total, 64), vk::MemoryKind::Device);
  // A layer's shift (C4 vec4s) fits in the first quarter of its sums block, so the same offsets / 4 are aligned.
  shift_ = std::make_unique<vk::Buffer>(ctx_, std::max<uint64_t>(total / 4, 64), vk::MemoryKind::Upload);
  for (const Layer& L : layers_) evaluated_.push_back(constant_to_float(fq_.tensors[L.fq_bias]));
  plan_shifted_fake_quants(align);
  partial_ = std::make_unique<vk::Buffer>(ctx_, partial, vk::MemoryKind::Device);
  readback_ = std::make_unique<vk::Buffer>(ctx_, sums_->size(), vk::MemoryKind::Readback);
  runs_.assign(layers_.size() * 4, 0.0);
  reset_sums();
}

LayerRunner::~LayerRunner() = default;

uint64_t LayerRunner::slot_offset(int l, int slot, int point) const {
  const uint64_t align = std::max<uint64_t>(64, ctx_->caps().min_storage_buffer_offset_alignment);
  const ops::Shape4 s = ops::shape4(fs_->graph().tensors[layers_[l].f_pre].shape);
  const uint64_t block = ((uint64_t)s.c4() * 64 + align - 1) / align * align;
  return layer_offset_[l] + (uint64_t)(slot * 2 + point) * block;
}

void LayerRunner::plan_shifted_fake_quants(uint64_t align) {
  std::vector<int> readers(fq_.tensors.size(), 0);
  for (const Op& op : fq_.ops)
    for (int t : op.inputs)
      if (t >= 0) readers[t]++;
  for (int t : fq_.outputs) readers[t]++;
  std::vector<uint8_t> keys;
  for (const Layer& L : layers_) {
    shifted_.emplace_back();
    const Op& fq = fq_.ops[L.fq_end - 1];
    // The layer's output is read by its FAKE_QUANT alone, right after the weighted op (no split RELU between).
    if (L.fq_end != L.fq_op + 2 || fq.type != OpType::FakeQuant || fq.inputs[0] != L.fq_pre || readers[L.fq_pre] != 1)
      continue;
    const Graph& g = qs_->graph();
    ShiftedFakeQuant& f = shifted_.back();
    f.setup = ops::fake_quant_setup(fq.params, ops::shape4(g.tensors[L.fq_post].shape),
                                    "layer '" + L.name + "' (FAKE_QUANT): ");
    f.keys_offset = keys.size();
    f.keys_bytes = f.setup.keys.size() * 4;
    keys.resize((keys.size() + f.keys_bytes + align - 1) / align * align);
    std::memcpy(keys.data() + f.keys_offset, f.setup.keys.data(), f.keys_bytes);
    f.on = true;
  }
  keys_ = std::make_unique<vk::Buffer>(ctx_, std::max<uint64_t>(keys.size(), 64), vk::MemoryKind::Device);
  if (!keys.empty()) keys_->upload(keys.data(), keys.size());
}

void LayerRunner::reset_sums() {
  std::vector<uint8_t> zero(sums_->size(), 0);
  sums_->upload(zero.data(), zero.size());
  std::memset(readback_->mapped(), 0, readback_->size());
  std::fill(runs_.begin(), runs_.end(), 0.0);
}

void LayerRunner::set_images(const float* data, size_t floats) {
  TARE_CHECK(floats == (size_t)fs_->input(0).elements(), TARE_ERROR_INVALID_ARGUMENT,
             "the batch takes " + std::to_string(fs_->input(0).elements()) + " values, got " + std::to_string(floats));
  fs_->set_input(0, data, floats);
  qs_->set_input(0, data, floats);
  fpos_ = qpos_ = 0;
  inputs_packed_ = false;
  unwritten_ = -1;
}

void LayerRunner::record_diff(vk::Recorder& rec, int fq_tensor, int f_tensor, uint64_t offset,
                              const ShiftedFakeQuant* quantize) {
  const ops::Shape4 s = ops::shape4(qs_->graph().tensors[fq_tensor].shape);
  const ops::Shape4 sf = ops::shape4(fs_->graph().tensors[f_tensor].shape);
  TARE_CHECK(s.rows() == sf.rows() && s.c == sf.c, TARE_ERROR_INTERNAL, "layer outputs of different shapes");
  const int chunks = (int)((s.rows() + kChunk - 1) / kChunk);
  struct RowsC4 {
    int32_t rows, C4;
  };
  struct DiffPush {
    int32_t rows, C4;
    int32_t fake_quant[7] = {};  // C, scale bits, zero point, qmin, qmax, activation keys (QUANT)
  } pc{(int32_t)s.rows(), s.c4()};
  const ops::FakeQuantSetup* f = quantize ? &quantize->setup : nullptr;
  if (f) {  // FAKE_QUANT's push block less its total and C4
    pc.fake_quant[0] = f->push[1];
    std::copy(f->push + 3, f->push + 9, pc.fake_quant + 1);
  }
  const vk::BufferRange keys = f ? vk::BufferRange{keys_.get(), quantize->keys_offset, quantize->keys_bytes}
                                 : vk::BufferRange{keys_.get(), 0, keys_->size()};  // unread
  const vk::BufferRange part{partial_.get(), 0, (uint64_t)chunks * s.c4() * 64};
  const std::vector<uint32_t> spec = {(uint32_t)kChunk, f ? 1u : 0u, f && f->table ? 1u : 0u, f && f->act ? 1u : 0u,
                                      moments_ ? 1u : 0u};
  ops::record_dispatch(rec,
                       ops::shader_dispatch(*ctx_, "channel_diff", spec,
                                            {qs_->tensor_storage(fq_tensor), fs_->tensor_storage(f_tensor), part, keys},
                                            pc, ops::grid_channel_chunks(s.c4(), chunks)),
                       nullptr);
  ops::record_dispatch(rec,
                       ops::shader_dispatch(*ctx_, "channel_diff_merge", {moments_ ? 1u : 0u},
                                            {part, {sums_.get(), offset, (uint64_t)s.c4() * 64}},
                                            RowsC4{chunks, s.c4()}, ops::Grid{ops::div_up(s.c4(), ops::kShaderLocal)}),
                       nullptr);
}

void LayerRunner::record_pass(vk::Recorder& rec, const Pass& pass, bool last) {
  const int l = pass.layer, slot = pass.slot;
  const Layer& L = layers_[l];
  if (!inputs_packed_) {
    fs_->record_inputs(rec);
    qs_->record_inputs(rec);
    inputs_packed_ = true;
  }
  if (pass.rerun) {
    TARE_CHECK(qpos_ == (size_t)L.fq_end, TARE_ERROR_INTERNAL, "only the layer just advanced can run again");
    if (shifted_[l].on && !(pass.points & kPre)) {
      record_shifted_fake_quant(rec, l);  // the stored pre-activation output keeps the bias it was evaluated with
    } else {
      record_shift(rec, l);
      qs_->record_ops(rec, L.fq_op + 1, L.fq_end);
    }
    unwritten_ = -1;
  } else {
    TARE_CHECK(fpos_ <= (size_t)L.f_op && qpos_ <= (size_t)L.fq_op, TARE_ERROR_INTERNAL,
               "layers must be advanced in order");
    record_unwritten(rec);
    fs_->record_ops(rec, fpos_, L.f_end);
    // The last pass of a submission leaves its FAKE_QUANT's output unwritten where it can (a rerun, which writes it,
    // usually follows) and measures the error quantizing on the fly.
    const bool skip = last && shifted_[l].on;
    qs_->record_ops(rec, qpos_, skip ? L.fq_end - 1 : L.fq_end);
    if (skip) unwritten_ = l;
    for (int k = l; k >= 0 && layers_[k].fq_op >= (int)qpos_; k--)  // the layers evaluated now, with today's biases
      evaluated_[k] = constant_to_float(fq_.tensors[layers_[k].fq_bias]);
    fpos_ = L.f_end;
    qpos_ = L.fq_end;
  }
  const bool unwritten = unwritten_ == l;
  const int fq_tensor[2] = {L.fq_pre, unwritten ? L.fq_pre : L.fq_post}, f_tensor[2] = {L.f_pre, L.f_post};
  for (int point = 0; point < 2; point++)
    if (pass.points & (1 << point))
      record_diff(rec, fq_tensor[point], f_tensor[point], slot_offset(l, slot, point),
                  point == 1 && unwritten ? &shifted_[l] : nullptr);
  // The points' blocks are contiguous: one copy of the measured ones to the host-visible mirror.
  if (pass.points == kNone) return;
  const uint64_t block = slot_offset(l, slot, 1) - slot_offset(l, slot, 0);
  const uint64_t begin = slot_offset(l, slot, pass.points & kPre ? 0 : 1);
  const uint64_t end = slot_offset(l, slot, pass.points & kPost ? 1 : 0) + block;
  rec.copy(*sums_, begin, *readback_, begin, end - begin);
  for (int point = 0; point < 2; point++)
    if (pass.points & (1 << point)) runs_[(l * 2 + slot) * 2 + point] += 1;
}

vk::BufferRange LayerRunner::stage_shift(int l, std::vector<float>* bias_now) {
  const Layer& L = layers_[l];
  std::vector<float> now = constant_to_float(fq_.tensors[L.fq_bias]);
  const ops::Shape4 s = ops::shape4(qs_->graph().tensors[L.fq_pre].shape);
  TARE_CHECK(now.size() == (size_t)s.c && evaluated_[l].size() == now.size(), TARE_ERROR_INTERNAL,
             "bias and layer channels differ");
  float* shift = reinterpret_cast<float*>(static_cast<uint8_t*>(shift_->mapped()) + layer_offset_[l] / 4);
  std::fill(shift, shift + (size_t)s.c4() * 4, 0.0f);  // padding lanes stay 0
  for (int c = 0; c < s.c; c++) shift[c] = now[c] - evaluated_[l][c];
  shift_->flush(layer_offset_[l] / 4, (uint64_t)s.c4() * 16);
  if (bias_now) *bias_now = std::move(now);
  return {shift_.get(), layer_offset_[l] / 4, (uint64_t)s.c4() * 16};
}

void LayerRunner::record_shift(vk::Recorder& rec, int l) {
  const Layer& L = layers_[l];
  const vk::BufferRange shift = stage_shift(l, &evaluated_[l]);  // shifted in place: evaluated with today's bias
  const ops::Shape4 s = ops::shape4(qs_->graph().tensors[L.fq_pre].shape);
  struct {
    int32_t total, C4;
  } pc = {(int32_t)(s.rows() * s.c4()), s.c4()};
  ops::record_dispatch(rec,
                       ops::shader_dispatch(*ctx_, "channel_shift", {kShiftPer}, {qs_->tensor_storage(L.fq_pre), shift},
                                            pc, ops::grid_xy(pc.total, (int64_t)ops::kShaderLocal * kShiftPer)),
                       nullptr);
}

void LayerRunner::record_shifted_fake_quant(vk::Recorder& rec, int l) {
  const Layer& L = layers_[l];
  const ShiftedFakeQuant& f = shifted_[l];
  ops::record_dispatch(rec,
                       ops::fake_quant_shifted_dispatch(*ctx_, f.setup, qs_->tensor_storage(L.fq_pre),
                                                        {keys_.get(), f.keys_offset, f.keys_bytes},
                                                        qs_->tensor_storage(L.fq_post), stage_shift(l)),
                       nullptr);
}

void LayerRunner::record_unwritten(vk::Recorder& rec) {
  if (unwritten_ < 0) return;
  const Layer& L = layers_[unwritten_];
  qs_->record_ops(rec, L.fq_end - 1, L.fq_end);
  unwritten_ = -1;
}

uint32_t LayerRunner::dispatch_bound(const Pass& pass) const {
  const Layer& L = layers_.at(pass.layer);
  const uint32_t diffs = 4;  // two reductions per point
  if (pass.rerun) return qs_->dispatch_bound(L.fq_op + 1, L.fq_end) + 1 + diffs;
  return fs_->dispatch_bound(std::min(fpos_, (size_t)L.f_end), L.f_end) +
         qs_->dispatch_bound(std::min(qpos_, (size_t)L.fq_end), L.fq_end) + diffs;
}

void LayerRunner::run(const std::vector<Pass>& passes) {
  if (passes.empty() && pending_.empty()) return;
  // Bound each pass as if it ran alone: advances start where the previous one stops, so the sum is an upper bound.
  uint32_t bound =
      8 + (unwritten_ >= 0 ? qs_->dispatch_bound(layers_[unwritten_].fq_end - 1, layers_[unwritten_].fq_end) : 0);
  for (const Pass& p : passes) {
    TARE_CHECK(p.layer >= 0 && p.layer < (int)layers_.size() && (p.slot == 0 || p.slot == 1) && p.points <= kBoth,
               TARE_ERROR_INVALID_ARGUMENT, "layer, slot or points out of range");
    TARE_CHECK((p.points & ~points_) == 0, TARE_ERROR_INVALID_ARGUMENT,
               "this runner was not built to measure that point (LayerRunner's points)");
    bound += dispatch_bound(p);
  }
  vk::Recorder rec(ctx_, bound, 0);
  rec.begin();
  for (const auto& [tensor, values] : pending_) qs_->record_constant_update(rec, tensor, values);
  pending_.clear();
  for (size_t i = 0; i < passes.size(); i++) record_pass(rec, passes[i], i + 1 == passes.size());
  rec.end();
  rec.submit();
  readback_->invalidate();
}

void LayerRunner::run_all(int slot) {
  std::vector<Pass> all;
  for (int l = 0; l < (int)layers_.size(); l++) all.push_back({l, slot, false, points_});
  run(all);
}

std::vector<int32_t> LayerRunner::bias(int l) const {
  const Tensor& b = q_.tensors[layers_.at(l).q_bias];
  std::vector<int32_t> v(b.data.size() / 4);
  std::memcpy(v.data(), b.data.data(), v.size() * 4);
  return v;
}

void LayerRunner::set_bias(int l, const std::vector<int32_t>& q) {
  const Layer& L = layers_.at(l);
  Tensor& b = q_.tensors[L.q_bias];
  TARE_CHECK(q.size() * 4 == b.data.size(), TARE_ERROR_INVALID_ARGUMENT, "bias size mismatch");
  std::memcpy(b.data.data(), q.data(), b.data.size());
  std::vector<float> v = constant_to_float(b);
  Tensor& fb = fq_.tensors[L.fq_bias];
  std::memcpy(fb.data.data(), v.data(), std::min(fb.data.size(), v.size() * 4));
  pending_.emplace_back(L.fq_bias, std::move(v));
}

StageErrors LayerRunner::sums(int l, int slot) const {
  const Layer& L = layers_.at(l);
  const ops::Shape4 s = ops::shape4(fs_->graph().tensors[L.f_pre].shape);
  StageErrors r;
  for (int point = 0; point < 2; point++) {
    std::vector<float> raw((size_t)s.c4() * 16);
    std::memcpy(raw.data(), static_cast<const uint8_t*>(readback_->mapped()) + slot_offset(l, slot, point),
                raw.size() * 4);
    ErrorSums& e = point == 0 ? r.pre : r.post;
    e.resize(s.c);
    for (int c = 0; c < s.c; c++) {
      const float* g = raw.data() + (c / 4) * 16 + c % 4;
      const double unmeasured = std::numeric_limits<double>::quiet_NaN();
      e[c].sum_e = g[0];
      e[c].sum_e2 = moments_ ? g[4] : unmeasured;
      e[c].sum_x = moments_ ? g[8] : unmeasured;
      e[c].sum_x2 = moments_ ? g[12] : unmeasured;
      e[c].count = (double)s.rows() * runs_[(l * 2 + slot) * 2 + point];
    }
  }
  return r;
}

}  // namespace tare::calib
