// The table of GPU kernels: one factory per operator type, defined in that op's dispatch file.
#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

KernelPtr make_conv2d(BuildContext& b, const Op& op);          // conv2d.cpp
KernelPtr make_depthwise_conv2d(BuildContext& b, const Op& op);  // depthwise_conv2d.cpp
KernelPtr make_fully_connected(BuildContext& b, const Op& op); // fully_connected.cpp
KernelPtr make_binary(BuildContext& b, const Op& op);          // binary.cpp (ADD, MUL)
KernelPtr make_pool2d(BuildContext& b, const Op& op);          // pool2d.cpp (AVERAGE_POOL_2D, MAX_POOL_2D)
KernelPtr make_mean(BuildContext& b, const Op& op);            // mean.cpp
KernelPtr make_concatenation(BuildContext& b, const Op& op);   // concatenation.cpp
KernelPtr make_reshape(BuildContext& b, const Op& op);         // reshape.cpp (RESHAPE, SQUEEZE that repack)
KernelPtr make_pad(BuildContext& b, const Op& op);             // pad.cpp
KernelPtr make_softmax(BuildContext& b, const Op& op);         // softmax.cpp
KernelPtr make_unary(BuildContext& b, const Op& op);           // unary.cpp (LOGISTIC, RELU, RELU6, HARD_SWISH)
KernelPtr make_resize_bilinear(BuildContext& b, const Op& op); // resize_bilinear.cpp
KernelPtr make_fake_quant(BuildContext& b, const Op& op);      // fake_quant.cpp (internal FAKE_QUANT, float only)

// 8-bit kernels (TFLite integer semantics), q8_<op>.cpp each.
KernelPtr make_q8_conv2d(BuildContext& b, const Op& op);
KernelPtr make_q8_depthwise_conv2d(BuildContext& b, const Op& op);
KernelPtr make_q8_fully_connected(BuildContext& b, const Op& op);
KernelPtr make_q8_binary(BuildContext& b, const Op& op);       // ADD, MUL
KernelPtr make_q8_pool2d(BuildContext& b, const Op& op);       // AVERAGE_POOL_2D, MAX_POOL_2D
KernelPtr make_q8_mean(BuildContext& b, const Op& op);
KernelPtr make_q8_concatenation(BuildContext& b, const Op& op);
KernelPtr make_q8_reshape(BuildContext& b, const Op& op);      // reshape.cpp: RESHAPE, SQUEEZE that repack
KernelPtr make_q8_pad(BuildContext& b, const Op& op);
KernelPtr make_q8_softmax(BuildContext& b, const Op& op);
KernelPtr make_q8_unary(BuildContext& b, const Op& op);        // LOGISTIC, RELU, RELU6, HARD_SWISH
KernelPtr make_q8_resize_bilinear(BuildContext& b, const Op& op);
KernelPtr make_quantize(BuildContext& b, const Op& op);        // quantize.cpp: float -> 8-bit, 8-bit -> 8-bit
KernelPtr make_dequantize(BuildContext& b, const Op& op);      // dequantize.cpp: 8-bit -> float

Shape4 shape4(const std::vector<int>& s) {
  TARE_CHECK(s.size() <= 4, TARE_ERROR_UNSUPPORTED, "tensors of rank > 4 are not supported on the GPU");
  Shape4 r;
  int d[4] = {1, 1, 1, 1};
  for (size_t i = 0; i < s.size(); i++) d[4 - s.size() + i] = s[i];
  r.n = d[0];
  r.h = d[1];
  r.w = d[2];
  r.c = d[3];
  return r;
}

bool is_alias(const Graph& g, const Op& op) {
  if (op.type != OpType::Reshape && op.type != OpType::Squeeze) return false;
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  if (in.shape.size() > 4 || out.shape.size() > 4) return false;
  Shape4 a = shape4(in.shape), b = shape4(out.shape);
  return a.c == b.c && a.rows() == b.rows();
}

namespace {
// An op runs an 8-bit kernel when its first data input or its output is an 8-bit activation.
bool is_q8_op(const Graph& g, const Op& op) {
  for (int t : {op.inputs.empty() ? -1 : op.inputs[0], op.outputs.empty() ? -1 : op.outputs[0]})
    if (t >= 0 && !g.tensors[t].is_const && is_q8(g.tensors[t])) return true;
  return false;
}
}  // namespace

KernelPtr make_kernel(BuildContext& b, const Op& op) {
  if (is_alias(b.graph(), op)) return nullptr;
  if (op.type == OpType::Quantize) return make_quantize(b, op);
  if (op.type == OpType::Dequantize) return make_dequantize(b, op);
  if (op.type == OpType::FakeQuant) return make_fake_quant(b, op);
  if (is_q8_op(b.graph(), op)) {
    switch (op.type) {
      case OpType::Conv2D: return make_q8_conv2d(b, op);
      case OpType::DepthwiseConv2D: return make_q8_depthwise_conv2d(b, op);
      case OpType::FullyConnected: return make_q8_fully_connected(b, op);
      case OpType::Add:
      case OpType::Mul: return make_q8_binary(b, op);
      case OpType::AveragePool2D:
      case OpType::MaxPool2D: return make_q8_pool2d(b, op);
      case OpType::Mean: return make_q8_mean(b, op);
      case OpType::Concatenation: return make_q8_concatenation(b, op);
      case OpType::Reshape:
      case OpType::Squeeze: return make_q8_reshape(b, op);
      case OpType::Pad: return make_q8_pad(b, op);
      case OpType::Softmax: return make_q8_softmax(b, op);
      case OpType::Logistic:
      case OpType::Relu:
      case OpType::Relu6:
      case OpType::HardSwish: return make_q8_unary(b, op);
      case OpType::ResizeBilinear: return make_q8_resize_bilinear(b, op);
      default: break;
    }
    fail(TARE_ERROR_UNSUPPORTED, std::string("operator ") + std::to_string(op.source_index) + ": 8-bit " +
                                     op_name(op.type) + " has no GPU implementation");
  }
  switch (op.type) {
    case OpType::Conv2D: return make_conv2d(b, op);
    case OpType::DepthwiseConv2D: return make_depthwise_conv2d(b, op);
    case OpType::FullyConnected: return make_fully_connected(b, op);
    case OpType::Add:
    case OpType::Mul: return make_binary(b, op);
    case OpType::AveragePool2D:
    case OpType::MaxPool2D: return make_pool2d(b, op);
    case OpType::Mean: return make_mean(b, op);
    case OpType::Concatenation: return make_concatenation(b, op);
    case OpType::Reshape:
    case OpType::Squeeze: return make_reshape(b, op);
    case OpType::Pad: return make_pad(b, op);
    case OpType::Softmax: return make_softmax(b, op);
    case OpType::Logistic:
    case OpType::Relu:
    case OpType::Relu6:
    case OpType::HardSwish: return make_unary(b, op);
    case OpType::ResizeBilinear: return make_resize_bilinear(b, op);
    default: break;
  }
  fail(TARE_ERROR_UNSUPPORTED, std::string("operator ") + std::to_string(op.source_index) + ": " + op_name(op.type) +
                                   " has no GPU implementation for this configuration");
}

}  // namespace tare::ops
