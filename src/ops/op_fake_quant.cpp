// FAKE_QUANT, internal (never imported or exported): the fake-quant float path (src/quant/fake_quant.h).
// y = (clamp(round_half_away(x / scale) + zp, qmin, qmax) - zp) * scale, float32 in and out; x / scale is rounded
// as QUANTIZE rounds it (the double quotient, i.e. the exact one), the product is a float32 product.  Parameters:
// OpParams::fq_*.  A fused activation (OpParams::activation) clamps x first: BFT's student quantizes a layer's
// pre-activation output in one kernel, and its gradient in one kernel too.  Backward: the straight-through
// estimator, times the activation's own rule (src/ref/grad_ops.h, passes).  Kernels: fake_quant.cpp,
// grad_fake_quant.cpp.
#include <cmath>

#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_fake_quant(BuildContext& b, const Op& op);
KernelPtr make_grad_fake_quant(BuildContext& b, const Op& op);

namespace {

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(1, 1);
  if (!(p.fq_scale > 0) || !std::isnormal(p.fq_scale)) s.err("scale must be a positive normal float");
  if (p.fq_qmin > p.fq_qmax) s.err("empty quantization range");
  if (p.fq_qmin < -(1 << 24) || p.fq_qmax > (1 << 24)) s.err("quantization range beyond [-2^24, 2^24]");
  if (p.fq_zero_point < p.fq_qmin || p.fq_zero_point > p.fq_qmax) s.err("zero point outside the range");
  s.set_out(s.in(0));
}

}  // namespace

const OpDesc kFakeQuant = {
    .type = OpType::FakeQuant,
    .name = "FAKE_QUANT",
    .infer = infer,
    .make_float = make_fake_quant,
    .make_grad = make_grad_fake_quant,
    .ref_float = ref::detail::fake_quant,
    .ref_grad = [](ref::GradContext& c) { c.fake_quant(); },
};

}  // namespace tare::ops
