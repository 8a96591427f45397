#include "engine/compiled_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "common/error.h"
#include "common/fp16.h"
#include "engine/planner.h"
#include "model/constants.h"
#include "model/op_desc.h"
#include "ops/op_common.h"
#include "vk/pipeline.h"

namespace tare {

namespace {

// Dispatches an operator may record: 8 for its kernel, one more per input and output (SPLIT, PACK: one dispatch per
// piece), `per_output` per output for a hook (statistics).
uint32_t op_dispatch_bound(const Op& op, uint32_t per_output) {
  return 8 + (uint32_t)(op.inputs.size() + op.outputs.size()) + per_output * (uint32_t)op.outputs.size();
}

}  // namespace

class CompiledGraph::Impl : public ops::BuildContext, public ops::Resources {
 public:
  Impl(std::shared_ptr<vk::Context> ctx, const Graph& g, const PlanOptions& o)
      : ctx_(ctx), g_(g), o_(o), int8_(vk::int8_features(ctx->caps(), o.features)) {}

  // BuildContext
  const Graph& graph() const override { return g_; }
  vk::Context& context() const override { return *ctx_; }
  bool fp16() const override { return o_.fp16; }
  bool int8_storage() const override { return int8_.int8_storage; }
  bool integer_dot() const override { return int8_.integer_dot; }
  ops::ConstSlice add_constant_floats(const std::vector<float>& v) override {
    if (o_.fp16) {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); i++) h[i] = float_to_half(v[i]);
      return add_constant_bytes(h.data(), h.size() * 2);
    }
    return add_constant_bytes(v.data(), v.size() * 4);
  }
  ops::ConstSlice add_constant_bytes(const void* data, size_t bytes) override {
    uint64_t align = std::max<uint64_t>(64, ctx_->caps().min_storage_buffer_offset_alignment);
    uint64_t off = (constants_.size() + align - 1) / align * align;
    constants_.resize(off + bytes);
    if (bytes) std::memcpy(constants_.data() + off, data, bytes);
    return {off, bytes};
  }
  std::vector<float> constant_as_float(int t) const override { return constant_to_float(g_.tensors[t]); }
  bool claim_grad_store(const Op& op, int slot) override {
    if (grad_op_ < 0 || &op != &g_.ops[(size_t)grad_op_] || slot < 0 || slot >= (int)op.inputs.size()) return false;
    const int in = op.inputs[(size_t)slot];
    if (in < 0 || g_.tensors[in].is_const) return false;
    const int r = root_of(in);
    if (first_grad_writer_[r] != grad_op_ || seeded_[r]) return false;
    for (size_t k = 0; k < op.inputs.size(); k++)  // x + x: the second write must add to the first
      if ((int)k != slot && op.inputs[k] >= 0 && !g_.tensors[op.inputs[k]].is_const && root_of(op.inputs[k]) == r)
        return false;
    for (int out : op.outputs)
      if (root_of(out) == r) return false;
    grad_stored_[r] = 1;
    return true;
  }
  int claim_fake_quant_fold(const Op& op, int slot) override {
    if (!o_.fold_fake_quant || grad_op_ < 0 || &op != &g_.ops[(size_t)grad_op_] || slot < 0 ||
        slot >= (int)op.inputs.size())
      return -1;
    const int q = op.inputs[(size_t)slot];
    if (q < 0 || g_.tensors[q].is_const || root_of(q) != q || readers_[q] != 1 || seeded_[q]) return -1;
    const int f = producer_[q];
    if (f < 0 || g_.ops[(size_t)f].type != OpType::FakeQuant || g_.ops[(size_t)f].inputs.empty()) return -1;
    const int t = g_.ops[(size_t)f].inputs[0];
    if (t < 0 || g_.tensors[t].is_const || root_of(t) != t || readers_[t] != 1 || seeded_[t]) return -1;
    folded_[(size_t)f] = 1;
    grad_stored_[t] = 1;
    grad_unused_[q] = 1;
    return f;
  }
  // The index of `op` in the graph for the inference fusions (claim_clip, claim_*_staging); -1 where they are off.
  int fusing(const Op& op) const {
    if (!o_.inference_fusions || o_.training || !o_.keep_until.empty() || &op < g_.ops.data() ||
        &op >= g_.ops.data() + g_.ops.size())
      return -1;
    return (int)(&op - g_.ops.data());
  }
  int claim_clip(const Op& op) override {
    if (fusing(op) < 0 || op.outputs.size() != 1) return -1;
    const int t = op.outputs[0];
    const int m = sole_reader_[(size_t)t];
    if (m < 0 || graph_output_[(size_t)t]) return -1;
    const Op& mo = g_.ops[(size_t)m];
    if (mo.type != OpType::Minimum || mo.inputs.size() != 2 || mo.inputs[0] != t || mo.outputs.size() != 1) return -1;
    const int c = mo.inputs[1];
    if (c < 0 || c == t || !g_.tensors[c].is_const) return -1;
    const Tensor &x = g_.tensors[t], &y = g_.tensors[mo.outputs[0]], &k = g_.tensors[c];
    if (x.shape.empty() || x.shape != y.shape || x.dtype != y.dtype || k.dtype != x.dtype) return -1;
    if (x.dtype != DType::F32 && !(ops::is_q8(x) && x.quant.scale.size() == 1 && x.quant.zero_point.size() == 1 &&
                                   x.quant.scale == y.quant.scale && x.quant.zero_point == y.quant.zero_point &&
                                   k.quant.scale == y.quant.scale && k.quant.zero_point == y.quant.zero_point))
      return -1;
    const int channels = x.shape.back();
    if (k.elements() != 1 && !(k.elements() == channels && k.shape.back() == channels)) return -1;
    clip_fused_[(size_t)m] = 1;
    return c;
  }
  vk::BufferRange claim_input_staging(const Op& op) override {
    const int i = fusing(op);
    if (i < 0 || op.inputs.empty()) return {};
    const int t = op.inputs[0];
    if (t < 0 || sole_reader_[(size_t)t] != i || graph_output_[(size_t)t] ||
        (g_.tensors[t].dtype != DType::F32 && !ops::is_q8(g_.tensors[t])))
      return {};
    return stage_only(t, g_.inputs, inputs_);
  }
  vk::BufferRange claim_output_staging(const Op& op) override {
    if (fusing(op) < 0 || op.outputs.size() != 1) return {};
    const int t = op.outputs[0];
    if (t < 0 || reads_[(size_t)t] != 0 || std::count(g_.inputs.begin(), g_.inputs.end(), t) != 0 ||
        g_.tensors[t].dtype != DType::F32)
      return {};
    return stage_only(t, g_.outputs, outputs_);
  }
  // Grants claim_input_staging / claim_output_staging of tensor t where `listed` (the graph's inputs or outputs)
  // names it exactly once: t then lives in that staging buffer alone.  Empty elsewhere.
  vk::BufferRange stage_only(int t, const std::vector<int>& listed,
                             const std::vector<std::unique_ptr<vk::Buffer>>& staging) {
    const auto it = std::find(listed.begin(), listed.end(), t);
    if (it == listed.end() || std::count(listed.begin(), listed.end(), t) != 1) return {};
    staged_only_[(size_t)t] = 1;
    const vk::Buffer* buffer = staging[(size_t)(it - listed.begin())].get();
    return {buffer, 0, buffer->size()};
  }
  bool fake_quant_folded(const Op& fq) const override {
    return !folded_.empty() && &fq >= g_.ops.data() && &fq < g_.ops.data() + g_.ops.size() &&
           folded_[(size_t)(&fq - g_.ops.data())];
  }

  // Resources
  vk::BufferRange tensor(int index) const override {
    const Tensor& t = g_.tensors[index];
    if (t.is_const) {
      auto it = packed_consts_.find(index);
      TARE_CHECK(it != packed_consts_.end(), TARE_ERROR_INTERNAL, "constant tensor used as data was not packed");
      return constant(it->second);
    }
    int root = root_of(index);
    TARE_CHECK(offsets_[root] != UINT64_MAX, TARE_ERROR_INTERNAL, "tensor '" + t.name + "' has no storage");
    uint64_t bytes = ops::device_bytes(t, elem_bytes());
    return {arena_.get(), offsets_[root], std::max<uint64_t>(bytes, 4)};
  }
  vk::BufferRange grad(int index) const override {
    TARE_CHECK(grads_ != nullptr, TARE_ERROR_INVALID_ARGUMENT, "not a training session");
    const Tensor& t = g_.tensors[index];
    TARE_CHECK(!t.is_const, TARE_ERROR_INTERNAL, "constant tensors have no gradient");
    int root = root_of(index);
    TARE_CHECK(!grad_unused_[root], TARE_ERROR_INVALID_ARGUMENT,
               "the gradient of '" + t.name +
                   "' is not computed: the FAKE_QUANT that produces it has its backward folded into its reader's "
                   "(PlanOptions::fold_fake_quant)");
    TARE_CHECK(grad_offsets_[root] != UINT64_MAX, TARE_ERROR_INTERNAL, "tensor '" + t.name + "' has no gradient");
    return {grads_.get(), grad_offsets_[root], std::max<uint64_t>(ops::device_bytes(t, 4), 4)};
  }
  void record_backward(vk::Recorder& rec, size_t begin, size_t end) {
    TARE_CHECK(grads_ != nullptr, TARE_ERROR_INVALID_ARGUMENT, "not a training session");
    // A gradient's first writer may store it (claim_grad_store): a range that skipped it would leave a later
    // writer adding to the previous pass's values.
    TARE_CHECK(end == g_.ops.size(), TARE_ERROR_INVALID_ARGUMENT, "the backward pass starts at the last operator");
    for (size_t i = end; i-- > begin;) {
      if (!grad_kernels_[i]) continue;
      rec.begin_region(std::string("grad ") + op_name(g_.ops[i].type) + "#" + std::to_string(g_.ops[i].source_index));
      grad_kernels_[i]->record(rec, *this);
      rec.end_region();
    }
  }
  vk::BufferRange constant(ops::ConstSlice s) const override {
    return {constants_buf_.get(), s.offset, std::max<uint64_t>(s.bytes, 4)};
  }

  // This graph's buffer behind a range handed out (tensor_storage, grad_storage, constant_storage).
  vk::Buffer& own(const vk::BufferRange& r, uint64_t bytes) const {
    vk::Buffer* b = r.buffer == arena_.get()           ? arena_.get()
                    : r.buffer == grads_.get()         ? grads_.get()
                    : r.buffer == constants_buf_.get() ? constants_buf_.get()
                                                       : nullptr;
    TARE_CHECK(b != nullptr && r.buffer != nullptr, TARE_ERROR_INVALID_ARGUMENT, "not a range of this graph's storage");
    TARE_CHECK(bytes <= r.size, TARE_ERROR_INVALID_ARGUMENT, "copy larger than the range");
    return *b;
  }

  void pack_constant(int index) {
    if (packed_consts_.count(index)) return;
    const Tensor& t = g_.tensors[index];
    ops::Shape4 s = ops::shape4(t.shape);
    if (ops::is_q8(t)) {  // int8 lanes, uint8 shifted to int8, padding = device zero point
      const int flip = t.dtype == DType::U8 ? 128 : 0;
      std::vector<int8_t> packed((size_t)s.padded_elements(), (int8_t)ops::device_zero_point(t));
      for (int64_t r = 0; r < s.rows(); r++)
        for (int c = 0; c < s.c; c++) packed[r * s.c4() * 4 + c] = (int8_t)((int)t.data[r * s.c + c] - flip);
      packed_consts_[index] = add_constant_bytes(packed.data(), packed.size());
      return;
    }
    std::vector<float> dense = constant_to_float(t), packed((size_t)s.padded_elements(), 0.0f);
    for (int64_t r = 0; r < s.rows(); r++)
      for (int c = 0; c < s.c; c++) packed[r * s.c4() * 4 + c] = dense[r * s.c + c];
    packed_consts_[index] = add_constant_floats(packed);
  }

  // A shader binds a tensor's storage in one descriptor, which maxStorageBufferRange bounds (128 MiB on lavapipe,
  // less on many phones).  Tensors are not split across bindings: a larger one is refused, by name.
  void check_binding_size(const Tensor& t, uint64_t bytes) const {
    const uint64_t limit = ctx_->caps().max_storage_buffer_range;
    TARE_CHECK(bytes <= limit, TARE_ERROR_UNSUPPORTED,
               "tensor '" + t.name + "' " + shape_str(t.shape) + " needs " + std::to_string(bytes) +
                   " bytes of device storage, above the device's maxStorageBufferRange of " + std::to_string(limit) +
                   " bytes (the most one shader binding can address)");
  }

  int root_of(int t) const {
    while (alias_of_[t] >= 0) t = alias_of_[t];
    return t;
  }

  // The training planner: each gradient's first writer in backward order (the last operator with a backward
  // kernel that reads the tensor or an alias view of it), its readers (alias operators included), each tensor's
  // producer, and the gradients seeded from outside (graph outputs).
  void plan_grad_writers() {
    const size_t nt = g_.tensors.size();
    first_grad_writer_.assign(nt, -1);
    readers_.assign(nt, 0);
    producer_.assign(nt, -1);
    seeded_.assign(nt, 0);
    grad_stored_.assign(nt, 0);
    grad_unused_.assign(nt, 0);
    folded_.assign(g_.ops.size(), 0);
    for (size_t i = 0; i < g_.ops.size(); i++) {
      const bool alias = ops::is_alias(g_, g_.ops[i]);  // no backward kernel: its views share the root's gradient
      for (int in : g_.ops[i].inputs) {
        if (in < 0 || g_.tensors[in].is_const) continue;
        readers_[root_of(in)]++;
        if (!alias) first_grad_writer_[root_of(in)] = (int)i;
      }
      for (int out : g_.ops[i].outputs) producer_[out] = (int)i;
    }
    for (int t : g_.outputs)
      if (!g_.tensors[t].is_const) seeded_[root_of(t)] = 1;
  }

  void build(MemoryReport& report, PipelineReport& pipelines) {
    vk::PipelineCollector collected;  // every pipeline the kernels and the input/output packing ask for
    const size_t nt = g_.tensors.size();
    alias_of_.assign(nt, -1);
    offsets_.assign(nt, UINT64_MAX);
    const bool fp16 = o_.fp16;
    if (fp16 && !(ctx_->caps().fp16_arithmetic && ctx_->caps().fp16_storage))
      fail(TARE_ERROR_UNSUPPORTED,
           "fp16 precision needs shaderFloat16 and 16-bit storage, which device '" + ctx_->caps().name + "' lacks");
    auto supported = [](const Tensor& t) { return t.dtype == DType::F32 || ops::is_q8(t); };
    for (int t : g_.inputs)
      TARE_CHECK(supported(g_.tensors[t]), TARE_ERROR_UNSUPPORTED,
                 "graph input '" + g_.tensors[t].name + "' has type " + dtype_name(g_.tensors[t].dtype) +
                     " (float32, int8 and uint8 are supported)");
    for (int t : g_.outputs)
      TARE_CHECK(supported(g_.tensors[t]), TARE_ERROR_UNSUPPORTED,
                 "graph output '" + g_.tensors[t].name + "' has type " + dtype_name(g_.tensors[t].dtype) +
                     " (float32, int8 and uint8 are supported)");

    // Staging for inputs and outputs (dense, in the tensor's own dtype), before the kernels: a kernel may read an
    // input's staging or write an output's directly (claim_input_staging, claim_output_staging).
    auto add_staging = [&](int t, vk::MemoryKind kind, std::vector<std::unique_ptr<vk::Buffer>>& to) {
      uint64_t bytes = (g_.tensors[t].bytes() + 3) / 4 * 4;
      check_binding_size(g_.tensors[t], bytes);
      to.push_back(std::make_unique<vk::Buffer>(ctx_, bytes, kind));
      report.staging_bytes += bytes;
    };
    for (int t : g_.inputs) add_staging(t, vk::MemoryKind::Upload, inputs_);
    for (int t : g_.outputs) add_staging(t, vk::MemoryKind::Readback, outputs_);

    // Each tensor's only reader (for the inference fusions; -1: none or several) and the graph outputs.
    sole_reader_.assign(nt, -1);
    graph_output_.assign(nt, 0);
    clip_fused_.assign(g_.ops.size(), 0);
    staged_only_.assign(nt, 0);
    reads_.assign(nt, 0);
    for (size_t i = 0; i < g_.ops.size(); i++)
      for (int in : g_.ops[i].inputs)
        if (in >= 0 && reads_[(size_t)in]++ == 0) sole_reader_[(size_t)in] = (int)i;
    for (size_t t = 0; t < nt; t++)
      if (reads_[t] != 1) sole_reader_[t] = -1;
    for (int t : g_.outputs) graph_output_[(size_t)t] = 1;

    // Kernels (and the constants they pack), aliases.  A MINIMUM whose clip its input's producer took over
    // (claim_clip) is an alias of that input: the producer writes the clipped values there.
    kernels_.resize(g_.ops.size());
    for (size_t i = 0; i < g_.ops.size(); i++) {
      const Op& op = g_.ops[i];
      for (int out : op.outputs)
        TARE_CHECK(supported(g_.tensors[out]), TARE_ERROR_UNSUPPORTED,
                   "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): output type " +
                       dtype_name(g_.tensors[out].dtype) + " is not supported (float32, int8, uint8)");
      if (ops::is_alias(g_, op) || clip_fused_[i]) {
        alias_of_[op.outputs[0]] = op.inputs[0];
        continue;
      }
      kernels_[i] = ops::make_kernel(*this, op);
    }
    if (o_.training) {
      TARE_CHECK(!fp16, TARE_ERROR_UNSUPPORTED, "training sessions are float32 only");
      plan_grad_writers();
      grad_kernels_.resize(g_.ops.size());
      for (size_t i = g_.ops.size(); i-- > 0;) {  // in backward order: a reader folds its FAKE_QUANT's backward first
        grad_op_ = (int)i;
        grad_kernels_[i] = ops::make_grad_kernel(*this, g_.ops[i]);
      }
      grad_op_ = -1;
    }
    // Constant tensors used as data inputs of element-wise style ops, and constant graph outputs (unpacked from
    // there like any output), are packed into NHWC4.
    for (const Op& op : g_.ops) {
      if (!op_traits(op.type).constant_operands) continue;
      for (int in : op.inputs)
        if (in >= 0 && g_.tensors[in].is_const) pack_constant(in);
    }
    for (int t : g_.outputs)
      if (g_.tensors[t].is_const) pack_constant(t);

    // Lifetimes over the op order; graph inputs live from step 0, outputs to the end.
    const int steps = (int)g_.ops.size() + 1;
    std::vector<int> first(nt, -1), last(nt, -1);
    auto touch = [&](int t, int step) {
      if (t < 0 || g_.tensors[t].is_const || staged_only_[(size_t)t]) return;
      int r = root_of(t);
      if (first[r] < 0 || step < first[r]) first[r] = step;
      last[r] = std::max(last[r], step);
    };
    for (int t : g_.inputs) touch(t, 0);
    for (size_t i = 0; i < g_.ops.size(); i++) {
      for (int t : g_.ops[i].inputs) touch(t, (int)i + 1);
      for (int t : g_.ops[i].outputs) touch(t, (int)i + 1);
    }
    for (int t : g_.outputs) touch(t, steps);
    if (o_.training)  // the backward pass reads every forward value
      for (size_t t = 0; t < nt; t++)
        if (first[t] >= 0) last[t] = steps;
    if (!o_.keep_until.empty()) {
      TARE_CHECK(o_.keep_until.size() == nt, TARE_ERROR_INVALID_ARGUMENT, "keep_until must have one entry per tensor");
      for (size_t t = 0; t < nt; t++)
        if (o_.keep_until[t] >= 0 && first[root_of((int)t)] >= 0)
          last[root_of((int)t)] = std::max(last[root_of((int)t)], std::min(o_.keep_until[t] + 1, steps));
    }
    std::vector<PlanItem> items;
    std::vector<int> item_tensor;
    for (size_t t = 0; t < nt; t++) {
      if (first[t] < 0) continue;
      // The root's storage must hold its largest alias view (all alias views have the same padded size).
      uint64_t bytes = ops::device_bytes(g_.tensors[t], elem_bytes());
      check_binding_size(g_.tensors[t], bytes);
      items.push_back({bytes, first[t], last[t]});
      item_tensor.push_back((int)t);
      report.unplanned_bytes += bytes;
    }
    uint64_t align = std::max<uint64_t>(64, ctx_->caps().min_storage_buffer_offset_alignment);
    Plan plan = plan_memory(items, align);
    for (size_t i = 0; i < items.size(); i++) offsets_[item_tensor[i]] = plan.offsets[i];
    arena_ = std::make_unique<vk::Buffer>(ctx_, plan.total, vk::MemoryKind::Device);
    report.activation_bytes = plan.total;
    if (o_.training) {  // one gradient region per stored tensor (alias views share their root's)
      // Those needing zeroing first, so that one fill covers them; then those their first writer stores.
      grad_offsets_.assign(nt, UINT64_MAX);
      uint64_t total = 0;
      for (char stored : {0, 1}) {
        for (size_t i = 0; i < items.size(); i++) {
          if (grad_stored_[item_tensor[i]] != stored || grad_unused_[item_tensor[i]]) continue;
          grad_offsets_[item_tensor[i]] = total;
          total += (items[i].bytes + align - 1) / align * align;
        }
        if (!stored) zeroed_grad_bytes_ = total;
      }
      grads_ = std::make_unique<vk::Buffer>(ctx_, std::max<uint64_t>(total, 16), vk::MemoryKind::Device);
      report.activation_bytes += total;
    }

    // Constants: one upload.
    constants_buf_ = std::make_unique<vk::Buffer>(ctx_, std::max<uint64_t>(constants_.size(), 16),
                                                  vk::MemoryKind::Device);
    constants_buf_->upload(constants_.data(), constants_.size());
    report.constant_bytes = constants_.size();
    std::vector<uint8_t>().swap(constants_);

    for (size_t i = 0; i < g_.inputs.size(); i++) {
      const int t = g_.inputs[i];
      if (staged_only_[(size_t)t]) continue;  // its reader reads the staging
      input_io_.push_back(io_dispatch(true, g_.tensors[t], {inputs_[i].get(), 0, inputs_[i]->size()}, tensor(t)));
    }
    for (size_t i = 0; i < g_.outputs.size(); i++) {
      const int t = g_.outputs[i];
      if (staged_only_[(size_t)t]) continue;  // its writer writes the staging
      output_io_.push_back(io_dispatch(false, g_.tensors[t], tensor(t), {outputs_[i].get(), 0, outputs_[i]->size()}));
    }

    // The new pipelines, compiled together (in parallel) rather than one by one when first recorded.
    const vk::CompileStats cs = vk::compile_pipelines(collected.pipelines());
    std::set<std::string> shaders;
    for (const auto& p : collected.pipelines()) shaders.insert(p->shader());
    pipelines.pipelines = (uint32_t)collected.pipelines().size();
    pipelines.shaders = (uint32_t)shaders.size();
    pipelines.compiled = cs.compiled;
    pipelines.threads = cs.threads;
    pipelines.compile_ms = cs.wall_ms;
    pipelines.compile_sum_ms = cs.sum_ms;
  }

  void record_run(const TensorHook& after, uint32_t extra_per_op) {
    TARE_CHECK(!rec_, TARE_ERROR_INTERNAL, "the run is recorded once");
    size_t dispatches = 3 * g_.inputs.size() + g_.outputs.size() + 16;
    for (const Op& op : g_.ops) dispatches += op_dispatch_bound(op, extra_per_op);
    rec_ = std::make_unique<vk::Recorder>(ctx_, (uint32_t)dispatches,
                                          o_.profiling ? (uint32_t)(2 * g_.ops.size() + 8) : 0);
    rec_->begin();
    record_inputs(*rec_);
    if (after)
      for (int t : g_.inputs)
        if (!staged_only_[(size_t)t]) after(*rec_, t);
    record_ops(*rec_, 0, g_.ops.size(), after);
    record_outputs(*rec_);
    rec_->end();
  }

  void record_inputs(vk::Recorder& rec) {
    for (const ops::Dispatch& d : input_io_) ops::record_dispatch(rec, d, nullptr);
  }

  void record_ops(vk::Recorder& rec, size_t begin, size_t end, const TensorHook& after) {
    for (size_t i = begin; i < end; i++) {
      if (!kernels_[i]) continue;
      rec.begin_region(std::string(op_name(g_.ops[i].type)) + "#" + std::to_string(g_.ops[i].source_index));
      kernels_[i]->record(rec, *this);
      rec.end_region();
      if (after)
        for (int t : g_.ops[i].outputs)
          if (!staged_only_[(size_t)t]) after(rec, t);
    }
  }

  void record_outputs(vk::Recorder& rec) {
    for (const ops::Dispatch& d : output_io_) ops::record_dispatch(rec, d, nullptr);
  }

  // note_constant / update_constant (bias correction).
  void note_constant(int t, ops::ConstSlice slice) override { noted_[t] = slice; }
  // The constant's bytes in the storage type.
  std::vector<uint8_t> constant_bytes(int t, const std::vector<float>& v, ops::ConstSlice& slice) {
    auto it = noted_.find(t);
    TARE_CHECK(it != noted_.end(), TARE_ERROR_INVALID_ARGUMENT,
               "tensor " + std::to_string(t) + " is not a constant the session can rewrite");
    slice = it->second;
    const size_t n = (size_t)g_.tensors[t].elements();
    TARE_CHECK(v.size() == n, TARE_ERROR_INVALID_ARGUMENT,
               "constant '" + g_.tensors[t].name + "' has " + std::to_string(n) + " values, got " +
                   std::to_string(v.size()));
    std::vector<uint8_t> bytes(n * elem_bytes());
    if (o_.fp16) {
      for (size_t i = 0; i < n; i++) {
        uint16_t h = float_to_half(v[i]);
        std::memcpy(bytes.data() + 2 * i, &h, 2);
      }
    } else if (n) {
      std::memcpy(bytes.data(), v.data(), n * 4);
    }
    TARE_CHECK(bytes.size() <= slice.bytes, TARE_ERROR_INTERNAL, "constant slice too small");
    return bytes;
  }
  void update_constant(int t, const std::vector<float>& v) {
    ops::ConstSlice slice;
    std::vector<uint8_t> bytes = constant_bytes(t, v, slice);
    constants_buf_->upload(bytes.data(), bytes.size(), slice.offset);
  }
  void record_constant_update(vk::Recorder& rec, int t, const std::vector<float>& v) {
    ops::ConstSlice slice;
    std::vector<uint8_t> bytes = constant_bytes(t, v, slice);
    if (!update_staging_) {  // one region per noted constant, at the same offsets as in the constant buffer
      uint64_t end = 16;
      for (const auto& [tensor, sl] : noted_) end = std::max(end, sl.offset + sl.bytes);
      update_staging_ = std::make_unique<vk::Buffer>(ctx_, end, vk::MemoryKind::Upload);
    }
    std::memcpy(static_cast<uint8_t*>(update_staging_->mapped()) + slice.offset, bytes.data(), bytes.size());
    update_staging_->flush(slice.offset, bytes.size());
    rec.copy(*update_staging_, slice.offset, *constants_buf_, slice.offset, bytes.size());
  }

  // Packing of a graph input (pack) or unpacking of an output between its staging and its device storage.
  // Float: dense NHWC float32 <-> NHWC4 in the storage type; x over channel groups, y and z over rows.  8-bit: dense
  // bytes (uint8 or int8) <-> NHWC4 int8 words, one word per invocation.
  ops::Dispatch io_dispatch(bool pack, const Tensor& t, vk::BufferRange src, vk::BufferRange dst) {
    const ops::Shape4 s = ops::shape4(t.shape);
    if (!ops::is_q8(t)) {
      const struct { int32_t rows, C, C4; } pc = {(int32_t)s.rows(), s.c, s.c4()};
      ops::Grid grid;
      ops::split_groups(s.rows() * s.c4(), ops::kShaderLocal, grid.x, grid.z);
      return ops::shader_dispatch(*ctx_, shader(pack ? "pack_input" : "unpack_output"), {}, {src, dst}, pc, grid);
    }
    struct {
      int32_t rows, C, C4, words, flip, zero;
    } pc = {(int32_t)s.rows(), s.c, s.c4(), 0, t.dtype == DType::U8 ? 1 : 0, ops::device_zero_point(t)};
    pc.words = pack ? (int32_t)(s.rows() * s.c4()) : (int32_t)((t.bytes() + 3) / 4);
    ops::Grid grid;
    ops::split_groups(pc.words, ops::kShaderLocal, grid.x, grid.z);
    return ops::shader_dispatch(*ctx_, pack ? "pack_input_q8" : "unpack_output_q8", {}, {src, dst}, pc, grid);
  }

  std::shared_ptr<vk::Context> ctx_;
  const Graph& g_;
  PlanOptions o_;
  vk::Int8Features int8_;
  std::vector<uint8_t> constants_;
  std::map<int, ops::ConstSlice> packed_consts_;
  std::map<int, ops::ConstSlice> noted_;
  std::vector<int> alias_of_;
  std::vector<uint64_t> offsets_;
  std::vector<ops::Dispatch> input_io_, output_io_;  // packing of each input, unpacking of each output
  std::vector<ops::KernelPtr> kernels_, grad_kernels_;
  std::unique_ptr<vk::Buffer> grads_;
  std::vector<uint64_t> grad_offsets_;
  // Training planner (plan_grad_writers, claim_grad_store), per root tensor; grad_op_: the operator whose backward
  // kernel is being built.
  // grad_unused_: gradients no kernel writes or reads (a folded FAKE_QUANT's output); folded_: per operator.
  std::vector<int> first_grad_writer_, readers_, producer_;
  std::vector<char> seeded_, grad_stored_, grad_unused_, folded_;
  int grad_op_ = -1;
  // The inference fusions: each tensor's readings by operators and only reader (-1: none or several), the graph
  // outputs, the MINIMUMs taken over (claim_clip), the graph inputs and outputs kept in their staging alone
  // (claim_input_staging, claim_output_staging).
  std::vector<int> reads_, sole_reader_;
  std::vector<char> graph_output_, clip_fused_, staged_only_;
  uint64_t zeroed_grad_bytes_ = 0;  // the gradients [0, this) need zeroing before a backward pass
  std::unique_ptr<vk::Buffer> arena_, constants_buf_;
  std::vector<std::unique_ptr<vk::Buffer>> inputs_, outputs_;
  std::unique_ptr<vk::Recorder> rec_;
  std::unique_ptr<vk::Buffer> update_staging_;
};

CompiledGraph::CompiledGraph(std::shared_ptr<vk::Context> ctx, const Graph& graph, const PlanOptions& options)
    : ctx_(std::move(ctx)), options_(options) {
  TARE_CHECK(ctx_ != nullptr, TARE_ERROR_INVALID_ARGUMENT, "no context");
  TARE_CHECK(options.batch >= 0, TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 0");
  if (options.batch > 0) {
    try {
      graph_ = with_batch(graph, options.batch);
    } catch (const Error& e) {  // the model is fine; the requested batch is not
      fail(TARE_ERROR_INVALID_ARGUMENT, "batch " + std::to_string(options.batch) + ": " + e.what());
    }
  } else {
    graph_ = graph;
  }
  impl_ = std::make_unique<Impl>(ctx_, graph_, options_);
  impl_->build(memory_, pipelines_);
}

CompiledGraph::~CompiledGraph() = default;

void CompiledGraph::set_input_bytes(size_t i, const void* data, size_t bytes) {
  TARE_CHECK(i < num_inputs(), TARE_ERROR_INVALID_ARGUMENT, "input index " + std::to_string(i) + " out of range");
  TARE_CHECK(bytes == input(i).bytes(), TARE_ERROR_INVALID_ARGUMENT,
             "input '" + input(i).name + "' takes " + std::to_string(input(i).bytes()) + " bytes, got " +
                 std::to_string(bytes));
  TARE_CHECK(data != nullptr || bytes == 0, TARE_ERROR_INVALID_ARGUMENT, "input data is NULL");
  impl_->inputs_[i]->upload(data, bytes);
}

void CompiledGraph::get_output_bytes(size_t i, void* data, size_t bytes) const {
  TARE_CHECK(i < num_outputs(), TARE_ERROR_INVALID_ARGUMENT, "output index " + std::to_string(i) + " out of range");
  TARE_CHECK(bytes == output(i).bytes(), TARE_ERROR_INVALID_ARGUMENT,
             "output '" + output(i).name + "' has " + std::to_string(output(i).bytes()) + " bytes, got room for " +
                 std::to_string(bytes));
  TARE_CHECK(data != nullptr || bytes == 0, TARE_ERROR_INVALID_ARGUMENT, "output buffer is NULL");
  impl_->outputs_[i]->download(data, bytes);
}

void CompiledGraph::set_input(size_t i, const float* data, size_t count) {
  TARE_CHECK(i < num_inputs() && input(i).dtype == DType::F32, TARE_ERROR_INVALID_ARGUMENT,
             "input " + std::to_string(i) + " is not a float32 input");
  size_t n = (size_t)input(i).elements();
  TARE_CHECK(count == n, TARE_ERROR_INVALID_ARGUMENT,
             "input '" + input(i).name + "' takes " + std::to_string(n) + " values, got " + std::to_string(count));
  TARE_CHECK(data != nullptr || n == 0, TARE_ERROR_INVALID_ARGUMENT, "input data is NULL");
  impl_->inputs_[i]->upload(data, n * 4);
}

void CompiledGraph::get_output(size_t i, float* data, size_t count) const {
  TARE_CHECK(i < num_outputs() && output(i).dtype == DType::F32, TARE_ERROR_INVALID_ARGUMENT,
             "output " + std::to_string(i) + " is not a float32 output");
  size_t n = (size_t)output(i).elements();
  TARE_CHECK(count == n, TARE_ERROR_INVALID_ARGUMENT,
             "output '" + output(i).name + "' has " + std::to_string(n) + " values, got room for " +
                 std::to_string(count));
  TARE_CHECK(data != nullptr || n == 0, TARE_ERROR_INVALID_ARGUMENT, "output buffer is NULL");
  impl_->outputs_[i]->download(data, n * 4);
}

void CompiledGraph::record_run(const TensorHook& after_tensor, uint32_t extra_dispatches_per_op) {
  impl_->record_run(after_tensor, extra_dispatches_per_op);
}

void CompiledGraph::run() {
  if (!impl_->rec_) record_run();
  impl_->rec_->submit();
}

std::vector<std::pair<std::string, double>> CompiledGraph::profile() const {
  return impl_->rec_ ? impl_->rec_->region_times() : std::vector<std::pair<std::string, double>>{};
}

vk::RunTimes CompiledGraph::run_times() const { return impl_->rec_ ? impl_->rec_->run_times() : vk::RunTimes{}; }

void CompiledGraph::record_inputs(vk::Recorder& rec) { impl_->record_inputs(rec); }

void CompiledGraph::record_ops(vk::Recorder& rec, size_t begin, size_t end, const TensorHook& after_tensor) {
  TARE_CHECK(begin <= end && end <= graph_.ops.size(), TARE_ERROR_INVALID_ARGUMENT, "operator range out of bounds");
  impl_->record_ops(rec, begin, end, after_tensor);
}

void CompiledGraph::record_outputs(vk::Recorder& rec) { impl_->record_outputs(rec); }

uint32_t CompiledGraph::dispatch_bound(size_t begin, size_t end) const {
  uint32_t n = 2 * (uint32_t)graph_.inputs.size() + 2 * (uint32_t)graph_.outputs.size() + 4;
  for (size_t i = begin; i < std::min(end, graph_.ops.size()); i++) n += op_dispatch_bound(graph_.ops[i], 0);
  return n;
}

vk::BufferRange CompiledGraph::tensor_storage(int t) const {
  TARE_CHECK(t >= 0 && t < (int)graph_.tensors.size() && !graph_.tensors[t].is_const, TARE_ERROR_INVALID_ARGUMENT,
             "not an activation tensor");
  return impl_->tensor(t);
}

bool CompiledGraph::has_storage(int t) const {
  return t >= 0 && t < (int)graph_.tensors.size() && !graph_.tensors[t].is_const &&
         impl_->offsets_[impl_->root_of(t)] != UINT64_MAX;
}

void CompiledGraph::update_constant(int t, const std::vector<float>& values) {
  TARE_CHECK(t >= 0 && t < (int)graph_.tensors.size(), TARE_ERROR_INVALID_ARGUMENT, "tensor index out of range");
  impl_->update_constant(t, values);
}

void CompiledGraph::record_constant_update(vk::Recorder& rec, int t, const std::vector<float>& values) {
  TARE_CHECK(t >= 0 && t < (int)graph_.tensors.size(), TARE_ERROR_INVALID_ARGUMENT, "tensor index out of range");
  impl_->record_constant_update(rec, t, values);
}

vk::BufferRange CompiledGraph::constant_storage(int t) const {
  auto it = impl_->noted_.find(t);
  TARE_CHECK(it != impl_->noted_.end(), TARE_ERROR_INVALID_ARGUMENT,
             "tensor " + std::to_string(t) + " is not a constant the session keeps as it is");
  return impl_->constant(it->second);
}

void CompiledGraph::record_zero_grads(vk::Recorder& rec) {
  TARE_CHECK(options_.training, TARE_ERROR_INVALID_ARGUMENT, "not a training session");
  if (impl_->zeroed_grad_bytes_ > 0) rec.fill(*impl_->grads_, 0, impl_->zeroed_grad_bytes_, 0u);
}

void CompiledGraph::record_backward(vk::Recorder& rec, size_t begin, size_t end) {
  TARE_CHECK(begin <= end && end <= graph_.ops.size(), TARE_ERROR_INVALID_ARGUMENT, "operator range out of bounds");
  impl_->record_backward(rec, begin, end);
}

bool CompiledGraph::grad_zeroed(int t) const { return grad_storage(t).offset < impl_->zeroed_grad_bytes_; }

vk::BufferRange CompiledGraph::grad_storage(int t) const {
  TARE_CHECK(t >= 0 && t < (int)graph_.tensors.size() && !graph_.tensors[t].is_const, TARE_ERROR_INVALID_ARGUMENT,
             "not an activation tensor");
  return impl_->grad(t);
}

void CompiledGraph::upload(const vk::BufferRange& dst, const void* data, uint64_t bytes) {
  impl_->own(dst, bytes).upload(data, bytes, dst.offset);
}

void CompiledGraph::download(const vk::BufferRange& src, void* data, uint64_t bytes) const {
  impl_->own(src, bytes).download(data, bytes, src.offset);
}

}  // namespace tare
