// FAKE_QUANT (Tare's internal fake-quantization op, shaders/fake_quant.comp): snaps float values to an 8-bit grid
// and back, bit-exact with the CPU reference in fp32 (x / scale is rounded from the exact quotient, as QUANTIZE):
// a float estimate corrected against a table of each level's first float (ops/fake_quant_keys.h).
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "ops/fake_quant_kernel.h"
#include "ops/fake_quant_keys.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;
constexpr int64_t kMaxTableLevels = 1 << 16;  // wider ranges (never 8-bit ones) divide exactly on the device

}  // namespace

FakeQuantSetup fake_quant_setup(const OpParams& p, const Shape4& s, const std::string& where) {
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  TARE_CHECK(p.fq_scale > 0.0f && std::isnormal(p.fq_scale), TARE_ERROR_INVALID_MODEL,
             where + "the scale must be a positive normal float");
  TARE_CHECK(p.fq_qmin <= p.fq_qmax && p.fq_qmin >= -(1 << 24) && p.fq_qmax <= (1 << 24) &&
                 p.fq_zero_point >= p.fq_qmin && p.fq_zero_point <= p.fq_qmax,
             TARE_ERROR_INVALID_MODEL, where + "invalid quantization range or zero point");
  FakeQuantSetup f;
  uint32_t bits;
  std::memcpy(&bits, &p.fq_scale, 4);
  int32_t act_lo = 0, act_hi = 0;
  f.act = activation_keys(p.activation, act_lo, act_hi);
  const int32_t pc[9] = {
      (int32_t)(s.rows() * s.c4()), s.c, s.c4(), (int32_t)bits, p.fq_zero_point, p.fq_qmin, p.fq_qmax, act_lo, act_hi};
  std::memcpy(f.push, pc, sizeof pc);
  // The level table (shaders/fake_quant.comp): keys[q - qmin] = the smallest order key reaching level q.
  const int64_t levels = (int64_t)p.fq_qmax - p.fq_qmin + 1;
  f.table = levels <= kMaxTableLevels;
  f.keys.assign(f.table ? (size_t)levels : 1, 0);
  for (int64_t q = p.fq_qmin + 1; f.table && q <= p.fq_qmax; q++)
    f.keys[(size_t)(q - p.fq_qmin)] = first_key_at_least(p.fq_scale, p.fq_zero_point, q);
  return f;
}

KernelPtr make_fake_quant(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (FAKE_QUANT): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(in.dtype == DType::F32 && out.dtype == DType::F32, TARE_ERROR_UNSUPPORTED,
             where + "input and output must be float32");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 s = shape4(out.shape), si = shape4(in.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "input and output shapes must have the same channel count");
  const FakeQuantSetup f = fake_quant_setup(op.params, s, where);
  const ConstSlice ks = b.add_constant_bytes(f.keys.data(), f.keys.size() * 4);
  auto pipe = b.pipeline("fake_quant", {kPer, f.table ? 1u : 0u, f.act ? 1u : 0u, 0u}, sizeof(f.push), 4, kLocal);
  // Binding 3 (the shift) is unread without SHIFT: the table stands in.
  return make_dispatch(std::move(pipe),
                       {Binding::t(op.inputs[0]), Binding::c(ks), Binding::t(op.outputs[0]), Binding::c(ks)}, f.push,
                       grid_xy(f.push[0], (int64_t)kLocal * kPer));
}

Dispatch fake_quant_shifted_dispatch(vk::Context& ctx, const FakeQuantSetup& f, const vk::BufferRange& src,
                                     const vk::BufferRange& keys, const vk::BufferRange& dst,
                                     const vk::BufferRange& shift) {
  static_assert(kLocal == kShaderLocal, "shader_dispatch's workgroup width");
  return shader_dispatch(ctx, "fake_quant", {kPer, f.table ? 1u : 0u, f.act ? 1u : 0u, 1u}, {src, keys, dst, shift},
                         f.push, grid_xy(f.push[0], (int64_t)kLocal * kPer));
}

}  // namespace tare::ops
