// CONCATENATION along any axis (shaders/concatenation.comp): one dispatch per input, in input order, each copying
// its rows into the output (channel axis: at a channel offset, vec4 writes when it is a multiple of 4, element writes
// otherwise); fused activation.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_concatenation(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const ConcatGeometry cg = concat_geometry(g, op, where);
  check_activation(op, where);
  int64_t offset = 0;
  std::vector<Dispatch> parts;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    int64_t extent = 0;
    const Shape4 si = concat_input(g, op, cg, i, where, &extent);
    if (si.rows() * si.c4() == 0) {
      offset += extent;
      continue;
    }
    const ConcatHead p = concat_head(cg, si, extent, offset);
    bool aligned = true, last = false;
    if (cg.axis4 == 3) {
      aligned = offset % 4 == 0;
      last = offset + extent == cg.so.c;
    }
    offset += extent;
    auto pipe = b.pipeline("concatenation", {act_code(op.params.activation), aligned ? 1u : 0u, last ? 1u : 0u, kPer},
                           sizeof(ConcatHead), 2, kLocal);
    parts.push_back(Dispatch::make(std::move(pipe), {Binding::t(op.inputs[i]), Binding::t(op.outputs[0])}, p,
                                   grid_xy(p.total, (int64_t)kLocal * kPer)));
  }
  TARE_CHECK(offset == cg.dims_out[cg.axis4], TARE_ERROR_INVALID_MODEL,
             where + "input sizes do not add up to the output");
  return std::make_unique<DispatchKernel>(std::move(parts));
}

}  // namespace tare::ops
