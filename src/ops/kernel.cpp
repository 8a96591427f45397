// Kernel selection (ops/kernel.h): the op's descriptor names its float, 8-bit and backward kernel factories.
#include "ops/kernel.h"
#include "common/error.h"
#include "model/op_desc.h"
#include "ops/op_common.h"

namespace tare::ops {

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
  if (!op_traits(op.type).may_alias) return false;
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  if (in.dtype != out.dtype) return false;  // a type conversion (CAST) has another layout
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
  const OpDesc& d = op_desc(op.type);
  if (is_q8_op(b.graph(), op)) {
    TARE_CHECK(d.make_q8, TARE_ERROR_UNSUPPORTED,
               "operator " + std::to_string(op.source_index) + ": 8-bit " + d.name + " has no GPU implementation");
    return d.make_q8(b, op);
  }
  TARE_CHECK(d.make_float, TARE_ERROR_UNSUPPORTED,
             "operator " + std::to_string(op.source_index) + ": " + d.name +
                 " has no GPU implementation for this configuration");
  return d.make_float(b, op);
}

vk::BufferRange Resources::grad(int) const { fail(TARE_ERROR_INTERNAL, "gradients exist only in training sessions"); }

KernelPtr make_grad_kernel(BuildContext& b, const Op& op) {
  if (is_alias(b.graph(), op)) return nullptr;
  const OpDesc& d = op_desc(op.type);
  TARE_CHECK(d.make_grad, TARE_ERROR_UNSUPPORTED, op_where(op) + "no backward kernel");
  return d.make_grad(b, op);
}

}  // namespace tare::ops
