// FAKE_QUANT (Tare's internal fake-quantization op, shaders/fake_quant.comp): snaps float values to an 8-bit grid
// and back, bit-exact with the CPU reference in fp32 (x / scale is rounded from the exact quotient, as QUANTIZE).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "ops/kernel.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

class FakeQuantKernel : public Kernel {
 public:
  FakeQuantKernel(std::shared_ptr<vk::Pipeline> p, int in, int out, const int32_t (&pc)[7])
      : p_(std::move(p)), in_(in), out_(out) {
    std::copy(pc, pc + 7, pc_);
  }
  void record(vk::Recorder& rec, const Resources& res) override {
    const int64_t total = pc_[0];
    if (total == 0) return;
    uint32_t groups = div_up(total, (int64_t)kLocal * kPer);
    uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
    rec.dispatch(*p_, {res.tensor(in_), res.tensor(out_)}, pc_, sizeof(pc_), gx, gy);
  }

 private:
  std::shared_ptr<vk::Pipeline> p_;
  int in_, out_;
  int32_t pc_[7] = {};
};

}  // namespace

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
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  const OpParams& p = op.params;
  TARE_CHECK(p.fq_scale > 0.0f && std::isnormal(p.fq_scale), TARE_ERROR_INVALID_MODEL,
             where + "the scale must be a positive normal float");
  TARE_CHECK(p.fq_qmin <= p.fq_qmax && p.fq_qmin >= -(1 << 24) && p.fq_qmax <= (1 << 24) &&
                 p.fq_zero_point >= p.fq_qmin && p.fq_zero_point <= p.fq_qmax,
             TARE_ERROR_INVALID_MODEL, where + "invalid quantization range or zero point");
  uint32_t bits;
  std::memcpy(&bits, &p.fq_scale, 4);
  const int32_t pc[7] = {
      (int32_t)(s.rows() * s.c4()), s.c, s.c4(), (int32_t)bits, p.fq_zero_point, p.fq_qmin, p.fq_qmax};
  auto pipe = b.pipeline("fake_quant", {kPer}, sizeof(pc), 2, kLocal);
  return std::make_unique<FakeQuantKernel>(std::move(pipe), op.inputs[0], op.outputs[0], pc);
}

}  // namespace tare::ops
