// 8-bit LOGISTIC, RELU, RELU6 and HARD_SWISH as standalone operators (shaders/q8_unary.comp), TFLite's integer
// kernels as the integer reference implements them.  LOGISTIC's table is built here with the reference's own
// quant::populate_lut and re-indexed by the device value.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kPer = 4;

struct Push {
  int32_t total, c, c4, zi, zo, m, s, lo, hi, out_mult, out_exp, relu_mult, relu_exp;
};

class Q8UnaryKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    if (pc_.total == 0) return;
    uint32_t groups = div_up(pc_.total, (int64_t)kLocal * kPer);
    uint32_t gx = std::min<uint32_t>(groups, 65535), gy = div_up(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_), res.constant(table_)}, &pc_, sizeof(pc_), gx, gy);
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  ConstSlice table_;
  Push pc_{};
};

}  // namespace

KernelPtr make_q8_unary(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  std::string where = "operator " + std::to_string(op.source_index) + " (8-bit " + op_name(op.type) + "): ";
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(in) && is_q8(out), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(in.quant.quantized() && out.quant.quantized(), TARE_ERROR_INVALID_MODEL,
             where + "input and output need quantization parameters");
  TARE_CHECK(!in.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(in.elements() == out.elements(), TARE_ERROR_INVALID_MODEL, where + "input and output sizes differ");
  Shape4 si = shape4(in.shape), s = shape4(out.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_UNSUPPORTED,
             where + "output shape must match the input's");
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");

  const float xs = tensor_scale(in), ys = tensor_scale(out);
  const int32_t flip_in = in.dtype == DType::U8 ? 128 : 0, flip_out = out.dtype == DType::U8 ? 128 : 0;
  const int32_t xz = device_zero_point(in) + flip_in, yz = device_zero_point(out) + flip_out;  // raw
  const int32_t qmin = -128 + flip_out, qmax = 127 + flip_out;
  auto k = std::make_unique<Q8UnaryKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  Push& pc = k->pc_;
  pc.total = (int32_t)(s.rows() * s.c4());
  pc.c = s.c;
  pc.c4 = s.c4();
  pc.zi = device_zero_point(in);
  pc.zo = device_zero_point(out);
  int code = 0;
  int8_t dev_table[256] = {};
  if (op.type == OpType::Logistic) {
    int32_t ref_table[256];
    quant::populate_lut(xs, xz, ys, yz, qmin, qmax, quant::logistic_float, ref_table);
    // The reference looks up ref_table[(uint8)q] for the input's own value q = device value + flip_in.
    for (int d = -128; d < 128; d++)
      dev_table[(uint8_t)(int8_t)d] = (int8_t)(ref_table[(uint8_t)(d + flip_in)] - flip_out);
  } else if (op.type == OpType::Relu || op.type == OpType::Relu6) {
    code = 1;
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)(xs / ys));
    pc.m = m.multiplier;
    pc.s = m.shift;
    pc.lo = std::max(qmin, yz + (int32_t)std::round(0.0f / ys));
    pc.hi = op.type == OpType::Relu ? qmax : std::min(qmax, yz + (int32_t)std::round(6.0f / ys));
    pc.lo -= flip_out;
    pc.hi -= flip_out;
  } else if (op.type == OpType::HardSwish) {
    code = 2;
    quant::HardSwishParams hp;
    TARE_CHECK(quant::hard_swish_params(xs, xz, ys, yz, &hp), TARE_ERROR_UNSUPPORTED,
               where + "output multiplier >= 1 (TFLite rejects it)");
    pc.out_mult = hp.output_multiplier_fixedpoint_int16;
    pc.out_exp = hp.output_multiplier_exponent;
    pc.relu_mult = hp.reluish_multiplier_fixedpoint_int16;
    pc.relu_exp = hp.reluish_multiplier_exponent;
  } else {
    fail(TARE_ERROR_UNSUPPORTED, where + "not an element-wise activation");
  }
  k->table_ = b.add_constant_bytes(dev_table, sizeof(dev_table));
  k->pipe_ = b.pipeline_q8("q8_unary", false, {(uint32_t)code, kPer}, sizeof(Push), 3, kLocal);
  return k;
}

}  // namespace tare::ops
