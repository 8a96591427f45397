// FULLY_CONNECTED (shaders/fully_connected.comp): constant weights [units, depth] (float or dequantized), optional
// bias, fused activation, keep_num_dims.  The input is viewed as [batch, depth]; when its last dimension is depth
// its NHWC4 rows are exactly those rows, otherwise the shader gathers through the dense flat index.
#include <algorithm>

#include "common/error.h"
#include "ops/fc_kernels.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

KernelPtr make_fc_kernel(BuildContext& b, const Op& op, const FcGeometry& fc, const std::vector<float>& w,
                         const std::vector<float>& bias) {
  const int units = fc.units, depth = fc.depth, in4 = fc.in4, out4 = fc.out4;
  // Weights: [in4][out4][4 inputs j][4 units] (zero padded).
  std::vector<float> packed((size_t)in4 * out4 * 16, 0.0f);
  for (int u = 0; u < units; u++)
    for (int d = 0; d < depth; d++) {
      size_t k = d / 4, j = d % 4, gi = u / 4, l = u % 4;
      packed[((k * out4 + gi) * 4 + j) * 4 + l] = w[(size_t)u * depth + d];
    }
  ConstSlice ws = b.add_constant_floats(packed);
  ConstSlice bs = b.add_constant_floats(bias);
  if (op.inputs.size() == 3 && op.inputs[2] >= 0) b.note_constant(op.inputs[2], bs);

  // fp16: partial sums over 2 input groups (8 products) before the fp32 accumulator; fp32: plain accumulation.
  const uint32_t chunk = b.fp16() ? 2 : 64;
  auto p = b.pipeline("fully_connected", {act_code(op.params.activation), fc.gather, (uint32_t)fc.rows, chunk},
                      sizeof(FcHead), 4, kFcLocal);
  return make_dispatch(std::move(p),
                       {Binding::t(op.inputs[0]), Binding::c(ws), Binding::c(bs), Binding::t(op.outputs[0])}, fc.head,
                       fc.grid);
}

KernelPtr make_fully_connected(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  const FcGeometry fc = fc_geometry(g, op, where, kFcLocal);
  check_not_const(*fc.in, where);
  check_activation(op, where);
  std::vector<float> bias((size_t)fc.out4 * 4, 0.0f);
  if (op.inputs.size() == 3 && op.inputs[2] >= 0) {
    TARE_CHECK(g.tensors[op.inputs[2]].is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant bias");
    std::vector<float> bv = b.constant_as_float(op.inputs[2]);
    TARE_CHECK((int)bv.size() == fc.units, TARE_ERROR_INVALID_MODEL, where + "bias size does not match the units");
    std::copy(bv.begin(), bv.end(), bias.begin());
  }
  return make_fc_kernel(b, op, fc, b.constant_as_float(op.inputs[1]), bias);
}

}  // namespace tare::ops
