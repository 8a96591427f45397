// 8-bit CONCATENATION along any axis (shaders/q8_concatenation.comp): one dispatch per input, in input order.  Inputs
// whose scale / zero point differ from the output's are requantized as the integer reference (TFLite's uint8 kernel)
// does; the fused activation is a clamp.
#include "common/error.h"
#include "common/fixed_point.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  ConcatHead head;
  int32_t first, words;
  int32_t flip_in, flip_out, zo_raw, lo, hi;
  float scale, bias;
};

}  // namespace

KernelPtr make_q8_concatenation(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where_q8(op);
  const ConcatGeometry cg = concat_geometry(g, op, where);
  const Tensor& out = *cg.out;
  TARE_CHECK(is_q8(out) && out.quant.quantized(), TARE_ERROR_UNSUPPORTED, where + "the output must be quantized 8-bit");
  check_activation(op, where);
  const Shape4& so = cg.so;

  const float ys = tensor_scale(out);
  const int32_t flip_out = u8_flip(out);
  const int32_t yz = device_zero_point(out) + flip_out;
  int32_t lo, hi;
  quant::activation_range((int)op.params.activation, ys, yz, -128 + flip_out, 127 + flip_out, &lo, &hi);
  const float inverse_output_scale = 1.0f / ys;

  // The last input with channels ends the output's rows (channel axis: writes the padding lanes).
  int last_nonempty = -1;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    TARE_CHECK(op.inputs[i] >= 0, TARE_ERROR_INVALID_MODEL, where + "missing input");
    if (shape4(g.tensors[op.inputs[i]].shape).rows() * shape4(g.tensors[op.inputs[i]].shape).c > 0)
      last_nonempty = (int)i;
  }
  int64_t offset = 0;
  std::vector<Dispatch> parts;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    const Tensor& t = g.tensors[op.inputs[i]];
    TARE_CHECK(is_q8(t) && t.quant.quantized(), TARE_ERROR_UNSUPPORTED,
               where + "input '" + t.name + "' is not a quantized 8-bit tensor");
    int64_t extent = 0;
    const Shape4 si = concat_input(g, op, cg, i, where, &extent);
    if (si.rows() * si.c == 0) {
      offset += extent;
      continue;
    }
    Push p{};
    p.head = concat_head(cg, si, extent, offset);
    p.flip_in = u8_flip(t);
    p.flip_out = flip_out;
    p.zo_raw = yz;
    p.lo = lo;
    p.hi = hi;
    const float xs = tensor_scale(t);
    const int32_t xz = device_zero_point(t) + p.flip_in;
    const bool same = xz == yz && xs == ys;
    p.scale = xs * inverse_output_scale;
    p.bias = (float)(-xz) * p.scale;
    const bool channel = cg.axis4 == 3;
    const bool last = channel && (int)i == last_nonempty;
    if (channel) {
      p.first = (int32_t)(offset / 4);
      const int64_t last_word = last ? so.c4() - 1 : (offset + extent - 1) / 4;
      p.words = (int32_t)(last_word - p.first + 1);
      p.head.total = (int32_t)(si.rows() * p.words);
    }
    offset += extent;
    auto pipe = b.pipeline_q8("q8_concatenation", false, {channel ? 1u : 0u, same ? 1u : 0u, last ? 1u : 0u},
                              sizeof(Push), 2, kLocal);
    parts.push_back(Dispatch::make(std::move(pipe), {Binding::t(op.inputs[i]), Binding::t(op.outputs[0])}, p,
                                   grid_xz(p.head.total, kLocal)));
  }
  TARE_CHECK(offset == cg.dims_out[cg.axis4], TARE_ERROR_INVALID_MODEL,
             where + "input sizes do not add up to the output");
  return std::make_unique<DispatchKernel>(std::move(parts));
}

}  // namespace tare::ops
