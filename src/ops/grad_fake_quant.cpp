// Backward of FAKE_QUANT: the straight-through estimator (shaders/grad_fake_quant.comp), its range as order keys;
// or nothing, where the backward kernel of the output's reader took it over (ops/ste_fold.h).
#include <cmath>

#include "common/error.h"
#include "ops/fake_quant_keys.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/ste_fold.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total;
  SteKeys keys;
};

}  // namespace

SteKeys ste_keys(const Op& fq, const std::string& where, bool& act) {
  const OpParams& pr = fq.params;
  TARE_CHECK(pr.fq_scale > 0.0f && std::isnormal(pr.fq_scale) && pr.fq_qmin <= pr.fq_qmax, TARE_ERROR_INVALID_MODEL,
             where + "invalid scale or quantization range");
  SteKeys k;
  k.key_lo = first_key_at_least(pr.fq_scale, pr.fq_zero_point, pr.fq_qmin);
  k.key_hi = first_key_at_least(pr.fq_scale, pr.fq_zero_point, (int64_t)pr.fq_qmax + 1);
  act = activation_keys(pr.activation, k.act_lo, k.act_hi);
  return k;
}

GradTarget grad_target(BuildContext& b, const Op& op, int slot) {
  GradTarget t;
  const int fq = b.claim_fake_quant_fold(op, slot);
  if (fq < 0) {
    t.tensor = op.inputs[(size_t)slot];
    t.store = b.claim_grad_store(op, slot);
    return t;
  }
  const Op& q = b.graph().ops[(size_t)fq];
  bool act = false;
  t.keys = ste_keys(q, op_where(q), act);
  t.tensor = q.inputs[0];
  t.mask = act ? 2u : 1u;
  t.store = true;  // the FAKE_QUANT's input has no other reader
  return t;
}

KernelPtr make_grad_fake_quant(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const auto [in, out] = op_io(g, op, where, true);
  check_not_const(in, where);
  const Shape4 s = shape4(out.shape), si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_INVALID_MODEL, where + "input and output shapes differ");
  bool act = false;
  Push pc{(int32_t)(s.rows() * s.c4()), ste_keys(op, where, act)};
  if (b.fake_quant_folded(op)) return nullptr;
  const bool store = b.claim_grad_store(op, 0);
  auto p = b.context().pipeline("grad_fake_quant", {kPer, act ? 1u : 0u, store ? 0u : 1u}, sizeof(pc), 3, kLocal, 1, 1);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::g(op.outputs[0]), Binding::g(op.inputs[0])},
                       pc, grid_xy(pc.total, (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
