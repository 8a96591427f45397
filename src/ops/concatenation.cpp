// CONCATENATION along any axis (shaders/concatenation.comp): one dispatch per input, in input order, each copying
// its rows into the output (channel axis: at a channel offset, vec4 writes when it is a multiple of 4, element writes
// otherwise); fused activation.
#include <algorithm>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total;
  int32_t in_c, in_c4;
  int32_t out_c, out_c4;
  int32_t block_in, block_out, row_off;
  int32_t ch_off;
};

struct Part {
  std::shared_ptr<vk::Pipeline> pipeline;
  int tensor;
  Push push;
};

class ConcatKernel : public Kernel {
 public:
  ConcatKernel(std::vector<Part> parts, int out) : parts_(std::move(parts)), out_(out) {}
  void record(vk::Recorder& rec, const Resources& res) override {
    for (const Part& part : parts_) {
      uint32_t groups = div_up(part.push.total, (int64_t)kLocal * kPer);
      uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
      rec.dispatch(*part.pipeline, {res.tensor(part.tensor), res.tensor(out_)}, &part.push, sizeof(Push), gx, gy);
    }
  }

 private:
  std::vector<Part> parts_;
  int out_;
};

}  // namespace

KernelPtr make_concatenation(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects inputs and 1 output");
  const Tensor& out = g.tensors[op.outputs[0]];
  const int rank = (int)out.shape.size();
  TARE_CHECK(rank >= 1 && rank <= 4, TARE_ERROR_UNSUPPORTED, where + "output rank must be 1..4");
  const int axis = op.params.axis;
  TARE_CHECK(axis >= 0 && axis < rank, TARE_ERROR_INVALID_MODEL, where + "axis out of range");
  TARE_CHECK(op.params.activation == Activation::None || op.params.activation == Activation::Relu ||
                 op.params.activation == Activation::ReluN1To1 || op.params.activation == Activation::Relu6,
             TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
  const Shape4 so = shape4(out.shape);
  TARE_CHECK(so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const int axis4 = axis + 4 - rank;  // axis in the [N,H,W,C] view
  const int dims_out[4] = {so.n, so.h, so.w, so.c};
  // Rows inside one step of the axis (rows of the dimensions after it; channel axis: 1).
  int64_t inner = 1;
  for (int d = axis4 + 1; d < 3; d++) inner *= dims_out[d];
  int64_t offset = 0;
  std::vector<Part> parts;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    TARE_CHECK(op.inputs[i] >= 0, TARE_ERROR_INVALID_MODEL, where + "missing input");
    const Tensor& t = g.tensors[op.inputs[i]];
    TARE_CHECK(t.shape.size() == out.shape.size(), TARE_ERROR_INVALID_MODEL, where + "input ranks differ");
    for (int d = 0; d < rank; d++)
      TARE_CHECK(d == axis || t.shape[d] == out.shape[d], TARE_ERROR_INVALID_MODEL,
                 where + "input shapes differ outside the axis");
    const Shape4 si = shape4(t.shape);
    const int dims_in[4] = {si.n, si.h, si.w, si.c};
    const int64_t extent = dims_in[axis4];
    if (si.rows() * si.c4() == 0) {
      offset += extent;
      continue;
    }
    Push p{};
    p.total = (int32_t)(si.rows() * si.c4());
    p.in_c = si.c;
    p.in_c4 = si.c4();
    p.out_c = so.c;
    p.out_c4 = so.c4();
    bool aligned = true, last = false;
    if (axis4 == 3) {
      p.block_in = p.block_out = 1;
      p.row_off = 0;
      p.ch_off = (int32_t)offset;
      aligned = offset % 4 == 0;
      last = offset + extent == so.c;
    } else {
      p.block_in = (int32_t)(extent * inner);
      p.block_out = (int32_t)(dims_out[axis4] * inner);
      p.row_off = (int32_t)(offset * inner);
      p.ch_off = 0;
    }
    offset += extent;
    auto pipe = b.pipeline("concatenation", {act_code(op.params.activation), aligned ? 1u : 0u, last ? 1u : 0u, kPer},
                           sizeof(Push), 2, kLocal);
    parts.push_back({std::move(pipe), op.inputs[i], p});
  }
  TARE_CHECK(offset == dims_out[axis4], TARE_ERROR_INVALID_MODEL, where + "input sizes do not add up to the output");
  return std::make_unique<ConcatKernel>(std::move(parts), op.outputs[0]);
}

}  // namespace tare::ops
