// The table of backward kernels (training): one factory per operator type, defined in grad_<op>.cpp.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

KernelPtr make_grad_unary(BuildContext& b, const Op& op);       // grad_unary.cpp (RELU, RELU6, HARD_SWISH, LOGISTIC)
KernelPtr make_grad_fake_quant(BuildContext& b, const Op& op);  // grad_fake_quant.cpp (straight-through estimator)
KernelPtr make_grad_conv2d(BuildContext& b, const Op& op);  // grad_conv2d.cpp
KernelPtr make_grad_depthwise_conv2d(BuildContext& b, const Op& op);  // grad_depthwise_conv2d.cpp
KernelPtr make_grad_fully_connected(BuildContext& b, const Op& op);  // grad_fully_connected.cpp
KernelPtr make_grad_pool2d(BuildContext& b, const Op& op);             // grad_pool2d.cpp (AVERAGE / MAX)
KernelPtr make_grad_mean(BuildContext& b, const Op& op);               // grad_mean.cpp
KernelPtr make_grad_binary(BuildContext& b, const Op& op);             // grad_binary.cpp (ADD, MUL)
KernelPtr make_grad_concatenation(BuildContext& b, const Op& op);      // grad_concatenation.cpp
KernelPtr make_grad_pad(BuildContext& b, const Op& op);                // grad_pad.cpp
KernelPtr make_grad_reshape(BuildContext& b, const Op& op);            // grad_reshape.cpp (RESHAPE, SQUEEZE repack)
KernelPtr make_grad_softmax(BuildContext& b, const Op& op);            // grad_softmax.cpp
KernelPtr make_grad_resize_bilinear(BuildContext& b, const Op& op);    // grad_resize_bilinear.cpp

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
    case OpType::Conv2D: return make_grad_conv2d(b, op);
    case OpType::DepthwiseConv2D: return make_grad_depthwise_conv2d(b, op);
    case OpType::FullyConnected: return make_grad_fully_connected(b, op);
    case OpType::AveragePool2D:
    case OpType::MaxPool2D: return make_grad_pool2d(b, op);
    case OpType::Mean: return make_grad_mean(b, op);
    case OpType::Add:
    case OpType::Mul: return make_grad_binary(b, op);
    case OpType::Concatenation: return make_grad_concatenation(b, op);
    case OpType::Pad: return make_grad_pad(b, op);
    case OpType::Reshape:
    case OpType::Squeeze: return make_grad_reshape(b, op);
    case OpType::Softmax: return make_grad_softmax(b, op);
    case OpType::ResizeBilinear: return make_grad_resize_bilinear(b, op);
    default: break;
  }
  fail(TARE_ERROR_UNSUPPORTED, op_where(op) + "no backward kernel");
}

}  // namespace tare::ops
