// The table of backward kernels (training): one factory per operator type, defined in grad_<op>.cpp.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

KernelPtr make_grad_unary(BuildContext& b, const Op& op);       // grad_unary.cpp (RELU, RELU6, HARD_SWISH, LOGISTIC)
KernelPtr make_grad_fake_quant(BuildContext& b, const Op& op);  // grad_fake_quant.cpp (straight-through estimator)

vk::BufferRange Resources::grad(int) const {
  fail(TARE_ERROR_INTERNAL, "gradients exist only in training sessions");
}

KernelPtr make_grad_kernel(BuildContext& b, const Op& op) {
  if (is_alias(b.graph(), op)) return nullptr;
  switch (op.type) {
    case OpType::Relu:
    case OpType::Relu6:
    case OpType::HardSwish:
    case OpType::Logistic: return make_grad_unary(b, op);
    case OpType::FakeQuant: return make_grad_fake_quant(b, op);
    default: break;
  }
  fail(TARE_ERROR_UNSUPPORTED, op_where(op) + "no backward kernel");
}

}  // namespace tare::ops
