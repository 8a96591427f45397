// 8-bit CONCATENATION along any axis (shaders/q8_concatenation.comp): one dispatch per input, in input order.  Inputs
// whose scale / zero point differ from the output's are requantized as the integer reference (TFLite's uint8 kernel)
// does; the fused activation is a clamp.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t total;
  int32_t in_c, in_c4, out_c, out_c4;
  int32_t block_in, block_out, row_off;
  int32_t ch_off, first, words;
  int32_t flip_in, flip_out, zo_raw, lo, hi;
  float scale, bias;
};

struct Part {
  std::shared_ptr<vk::Pipeline> pipeline;
  int tensor;
  Push push;
};

class Q8ConcatKernel : public Kernel {
 public:
  Q8ConcatKernel(std::vector<Part> parts, int out) : parts_(std::move(parts)), out_(out) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    for (const Part& part : parts_) {
      uint32_t gx, gz;
      split_groups(part.push.total, kLocal, gx, gz);
      rec.dispatch(*part.pipeline, {res.tensor(part.tensor), res.tensor(out_)}, &part.push, sizeof(Push), gx, 1, gz);
    }
  }

 private:
  std::vector<Part> parts_;
  int out_;
};

}  // namespace

KernelPtr make_q8_concatenation(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (8-bit CONCATENATION): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects inputs and 1 output");
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(out) && out.quant.quantized(), TARE_ERROR_UNSUPPORTED, where + "the output must be quantized 8-bit");
  const int rank = (int)out.shape.size();
  TARE_CHECK(rank >= 1 && rank <= 4, TARE_ERROR_UNSUPPORTED, where + "output rank must be 1..4");
  const int axis = op.params.axis;
  TARE_CHECK(axis >= 0 && axis < rank, TARE_ERROR_INVALID_MODEL, where + "axis out of range");
  const int act = (int)op.params.activation;
  TARE_CHECK(act >= 0 && act <= 3, TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
  const Shape4 so = shape4(out.shape);
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const int axis4 = axis + 4 - rank;
  const int dims_out[4] = {so.n, so.h, so.w, so.c};
  int64_t inner = 1;
  for (int d = axis4 + 1; d < 3; d++) inner *= dims_out[d];

  const float ys = tensor_scale(out);
  const int32_t flip_out = out.dtype == DType::U8 ? 128 : 0;
  const int32_t yz = device_zero_point(out) + flip_out;
  int32_t lo, hi;
  quant::activation_range(act, ys, yz, -128 + flip_out, 127 + flip_out, &lo, &hi);
  const float inverse_output_scale = 1.0f / ys;

  // The last input with channels ends the output's rows (channel axis: writes the padding lanes).
  int last_nonempty = -1;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    TARE_CHECK(op.inputs[i] >= 0, TARE_ERROR_INVALID_MODEL, where + "missing input");
    if (shape4(g.tensors[op.inputs[i]].shape).rows() * shape4(g.tensors[op.inputs[i]].shape).c > 0)
      last_nonempty = (int)i;
  }
  int64_t offset = 0;
  std::vector<Part> parts;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    const Tensor& t = g.tensors[op.inputs[i]];
    TARE_CHECK(is_q8(t) && t.quant.quantized(), TARE_ERROR_UNSUPPORTED,
               where + "input '" + t.name + "' is not a quantized 8-bit tensor");
    TARE_CHECK(t.shape.size() == out.shape.size(), TARE_ERROR_INVALID_MODEL, where + "input ranks differ");
    for (int d = 0; d < rank; d++)
      TARE_CHECK(d == axis || t.shape[d] == out.shape[d], TARE_ERROR_INVALID_MODEL,
                 where + "input shapes differ outside the axis");
    const Shape4 si = shape4(t.shape);
    const int dims_in[4] = {si.n, si.h, si.w, si.c};
    const int64_t extent = dims_in[axis4];
    if (si.rows() * si.c == 0) {
      offset += extent;
      continue;
    }
    Push p{};
    p.in_c = si.c;
    p.in_c4 = si.c4();
    p.out_c = so.c;
    p.out_c4 = so.c4();
    p.flip_in = t.dtype == DType::U8 ? 128 : 0;
    p.flip_out = flip_out;
    p.zo_raw = yz;
    p.lo = lo;
    p.hi = hi;
    const float xs = tensor_scale(t);
    const int32_t xz = device_zero_point(t) + p.flip_in;
    const bool same = xz == yz && xs == ys;
    p.scale = xs * inverse_output_scale;
    p.bias = (float)(-xz) * p.scale;
    const bool channel = axis4 == 3;
    const bool last = channel && (int)i == last_nonempty;
    if (channel) {
      p.ch_off = (int32_t)offset;
      p.first = (int32_t)(offset / 4);
      const int64_t last_word = last ? so.c4() - 1 : (offset + extent - 1) / 4;
      p.words = (int32_t)(last_word - p.first + 1);
      p.total = (int32_t)(si.rows() * p.words);
    } else {
      p.block_in = (int32_t)(extent * inner);
      p.block_out = (int32_t)(dims_out[axis4] * inner);
      p.row_off = (int32_t)(offset * inner);
      p.total = (int32_t)(si.rows() * si.c4());
    }
    offset += extent;
    auto pipe = b.pipeline_q8("q8_concatenation", false, {channel ? 1u : 0u, same ? 1u : 0u, last ? 1u : 0u},
                              sizeof(Push), 2, kLocal);
    parts.push_back({std::move(pipe), op.inputs[i], p});
  }
  TARE_CHECK(offset == dims_out[axis4], TARE_ERROR_INVALID_MODEL, where + "input sizes do not add up to the output");
  return std::make_unique<Q8ConcatKernel>(std::move(parts), op.outputs[0]);
}

}  // namespace tare::ops
