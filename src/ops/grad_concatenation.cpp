// Backward of CONCATENATION along any axis (shaders/grad_concatenation.comp): one dispatch per non-constant input,
// each gathering its slice of the output gradient.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

}  // namespace

KernelPtr make_grad_concatenation(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const ConcatGeometry cg = concat_geometry(g, op, where);
  TARE_CHECK(op.params.activation == Activation::None, TARE_ERROR_UNSUPPORTED,
             where + "backward needs the fused activation split out (NONE)");
  int64_t offset = 0;
  std::vector<Dispatch> parts;
  for (size_t i = 0; i < op.inputs.size(); i++) {
    int64_t extent = 0;
    const Shape4 si = concat_input(g, op, cg, i, where, &extent);
    const int64_t at = offset;
    offset += extent;
    if (si.rows() * si.c4() == 0 || g.tensors[op.inputs[i]].is_const) continue;
    const ConcatHead h = concat_head(cg, si, extent, at);
    const bool aligned = cg.axis4 != 3 || at % 4 == 0;
    auto pipe = b.context().pipeline("grad_concatenation", {aligned ? 1u : 0u, kPer}, sizeof(ConcatHead), 2, kLocal, 1,
                                     1);
    parts.push_back(Dispatch::make(std::move(pipe), {Binding::g(op.outputs[0]), Binding::g(op.inputs[i])}, h,
                                   grid_xy(h.total, (int64_t)kLocal * kPer)));
  }
  TARE_CHECK(offset == cg.dims_out[cg.axis4], TARE_ERROR_INVALID_MODEL,
             where + "input sizes do not add up to the output");
  return std::make_unique<DispatchKernel>(std::move(parts));
}

}  // namespace tare::ops
