// Backward of FAKE_QUANT: the straight-through estimator (shaders/grad_fake_quant.comp), its range as order keys.
#include <cmath>

#include "common/error.h"
#include "ops/fake_quant_keys.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, key_lo, key_hi, act_lo, act_hi;
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
  const OpParams& pr = op.params;
  TARE_CHECK(pr.fq_scale > 0.0f && std::isnormal(pr.fq_scale) && pr.fq_qmin <= pr.fq_qmax, TARE_ERROR_INVALID_MODEL,
             where + "invalid scale or quantization range");
  Push pc{};
  pc.total = (int32_t)(s.rows() * s.c4());
  pc.key_lo = first_key_at_least(pr.fq_scale, pr.fq_zero_point, pr.fq_qmin);
  pc.key_hi = first_key_at_least(pr.fq_scale, pr.fq_zero_point, (int64_t)pr.fq_qmax + 1);
  const bool act = activation_keys(pr.activation, pc.act_lo, pc.act_hi);
  const bool store = b.claim_grad_store(op, 0);
  auto p = b.context().pipeline("grad_fake_quant", {kPer, act ? 1u : 0u, store ? 0u : 1u}, sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(pc.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
