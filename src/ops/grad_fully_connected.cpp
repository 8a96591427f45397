// Backward of FULLY_CONNECTED with respect to its input (training, float32), the input viewed as [batch, depth] as
// the forward views it (keep_num_dims or not, the output's rows are the batch rows).  When the input's last
// dimension is depth its NHWC4 rows are the batch rows: the GEMM of the 1x1 convolution (grad_conv2d_1x1.comp);
// otherwise every input element is reached through its dense flat index (grad_fully_connected.comp).
#include "common/error.h"
#include "ops/grad_weighted.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

}  // namespace

KernelPtr make_grad_fully_connected(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  check_grad_weighted(b, op, where);
  const FcGeometry fc = fc_geometry(b.graph(), op, where, kLocal);
  const int units = fc.units, depth = fc.depth, in4 = fc.in4, out4 = fc.out4;
  const std::vector<float> w = b.constant_as_float(op.inputs[1]);
  TARE_CHECK((int64_t)w.size() == (int64_t)units * depth, TARE_ERROR_INVALID_MODEL, where + "weights size");

  if (!fc.gather) {
    // vec4 [(k*out4 + u4)*4 + lane] = W[u4*4 + lane][k*4 .. k*4+3].
    std::vector<float> packed((size_t)in4 * out4 * 16, 0.0f);
    for (int u = 0; u < units; u++)
      for (int d = 0; d < depth; d++)
        packed[(((size_t)(d / 4) * out4 * 4) + (size_t)u) * 4 + d % 4] = w[(size_t)u * depth + d];
    return make_grad_gemm(b, packed, fc.batch, in4, out4, op.outputs[0], grad_target(b, op, 0));
  }
  // vec4 [d*out4 + u4] = W[u4*4 .. u4*4+3][d].
  TARE_CHECK((int64_t)depth * out4 * 4 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "weights too large");
  std::vector<float> packed((size_t)depth * out4 * 4, 0.0f);
  for (int u = 0; u < units; u++)
    for (int d = 0; d < depth; d++) packed[(size_t)d * out4 * 4 + (size_t)u] = w[(size_t)u * depth + d];
  const ConstSlice ws = b.add_constant_floats(packed);
  const int32_t total = (int32_t)(fc.si.rows() * fc.si.c4());
  const int32_t push[5] = {total, depth, out4, fc.si.c, fc.si.c4()};
  auto p = b.context().pipeline("grad_fully_connected", {}, sizeof(push), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::g(op.outputs[0]), Binding::c(ws), Binding::g(op.inputs[0])}, push,
                       grid_xz(total, (int)kLocal));
}

}  // namespace tare::ops
