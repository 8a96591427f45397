// Backward of FAKE_QUANT: the straight-through estimator (shaders/grad_fake_quant.comp).
#include <cstring>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total;
  uint32_t scale_bits;
  int32_t zp, qmin, qmax;
};

}  // namespace

KernelPtr make_grad_fake_quant(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  const Shape4 s = shape4(out.shape), si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_INVALID_MODEL, where + "input and output shapes differ");
  Push pc{};
  pc.total = (int32_t)(s.rows() * s.c4());
  std::memcpy(&pc.scale_bits, &op.params.fq_scale, 4);
  pc.zp = op.params.fq_zero_point;
  pc.qmin = op.params.fq_qmin;
  pc.qmax = op.params.fq_qmax;
  auto p = b.context().pipeline("grad_fake_quant", {kPer}, sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(pc.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
