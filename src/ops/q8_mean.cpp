// 8-bit MEAN over any set of axes of a rank <= 4 tensor (shaders/q8_mean.comp), choosing TFLite's arithmetic as the
// integer reference does: the 4-D keep_dims H,W case through a quantized multiplier, equal input / output parameters
// through an integer division, anything else through TFLite's float requantization (emulated exactly).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"
#include "quant/fixed_point.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t n, h, w, c, c4, oc, oc4, total, count, flip_in, flip_out, m, s, ibias;
  float fcount, fscale, fbias;
  int32_t zo_raw, qmin, qmax, zo;
};

class Q8MeanKernel : public Kernel {
 public:
  void record(vk::Recorder& rec, const Resources& res) override {
    uint32_t groups = div_up(pc_.total, kLocal);
    uint32_t gx = std::min<uint32_t>(groups, 65535);
    rec.dispatch(*pipe_, {res.tensor(in_), res.tensor(out_)}, &pc_, sizeof(pc_), gx, div_up(groups, gx));
  }

  std::shared_ptr<vk::Pipeline> pipe_;
  int in_ = -1, out_ = -1;
  Push pc_{};
};

}  // namespace

KernelPtr make_q8_mean(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  const std::string where = "operator " + std::to_string(op.source_index) + " (8-bit MEAN): ";
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(is_q8(it) && is_q8(ot), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
  TARE_CHECK(it.quant.quantized() && ot.quant.quantized(), TARE_ERROR_INVALID_MODEL,
             where + "input and output need quantization parameters");
  TARE_CHECK(!it.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
  TARE_CHECK(it.shape.size() <= 4, TARE_ERROR_UNSUPPORTED, where + "inputs of rank > 4 are not supported");
  const int rank = (int)it.shape.size();
  std::vector<int> axes = op.params.axes;
  if (axes.empty() && op.inputs.size() > 1 && op.inputs[1] >= 0 && g.tensors[op.inputs[1]].is_const) {
    for (float v : b.constant_as_float(op.inputs[1])) axes.push_back((int)v < 0 ? (int)v + rank : (int)v);
  }
  bool reduced[4] = {false, false, false, false};
  bool reduced_orig[4] = {false, false, false, false};
  for (int a : axes) {
    TARE_CHECK(a >= 0 && a < rank, TARE_ERROR_INVALID_MODEL, where + "axis " + std::to_string(a) + " out of range");
    reduced[a + 4 - rank] = true;
    reduced_orig[a] = true;
  }
  Shape4 is = shape4(it.shape), os = shape4(ot.shape);
  const int dims[4] = {is.n, is.h, is.w, is.c};
  int64_t count = 1, kept = 1;
  for (int d = 0; d < 4; d++) (reduced[d] ? count : kept) *= dims[d];
  TARE_CHECK(count > 0 && kept > 0, TARE_ERROR_UNSUPPORTED, where + "empty tensors are not supported");
  TARE_CHECK(count * 255 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "too many reduced elements");
  TARE_CHECK(kept == os.rows() * os.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the axes");
  TARE_CHECK(reduced[3] || os.c == is.c, TARE_ERROR_INTERNAL, where + "output channels differ from the input's");
  const int64_t total = os.rows() * os.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");

  const float xs = tensor_scale(it), ys = tensor_scale(ot);
  const int32_t flip_in = it.dtype == DType::U8 ? 128 : 0, flip_out = ot.dtype == DType::U8 ? 128 : 0;
  const int32_t xz = device_zero_point(it) + flip_in, yz = device_zero_point(ot) + flip_out;  // raw zero points
  Push pc{};
  pc.n = is.n;
  pc.h = is.h;
  pc.w = is.w;
  pc.c = is.c;
  pc.c4 = is.c4();
  pc.oc = os.c;
  pc.oc4 = os.c4();
  pc.total = (int32_t)total;
  pc.count = (int32_t)count;
  pc.flip_in = flip_in;
  pc.flip_out = flip_out;
  pc.zo_raw = yz;
  pc.qmin = -128 + flip_out;
  pc.qmax = 127 + flip_out;
  pc.zo = device_zero_point(ot);
  int mode;
  const bool hw4d = rank == 4 && op.params.keep_dims && axes.size() == 2 && reduced_orig[1] && reduced_orig[2];
  if (hw4d) {
    mode = 0;
    const float num = (float)count;
    float temp = (float)xz * xs / ys;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    pc.ibias = yz - (int32_t)temp;
    const float real_scale = xs / (num * ys);
    quant::QuantizedMultiplier m = quant::quantize_multiplier((double)real_scale);
    pc.m = m.multiplier;
    pc.s = m.shift;
  } else if (xz == yz && xs == ys) {
    mode = 1;
  } else {
    mode = 2;
    pc.fcount = (float)count;
    pc.fscale = xs / ys;
    pc.fbias = (float)(-xz) * pc.fscale;
  }
  auto k = std::make_unique<Q8MeanKernel>();
  k->in_ = op.inputs[0];
  k->out_ = op.outputs[0];
  std::vector<uint32_t> spec;
  for (bool r : reduced) spec.push_back(r ? 1u : 0u);
  spec.push_back((uint32_t)mode);
  k->pipe_ = b.pipeline_q8("q8_mean", false, spec, sizeof(Push), 2, kLocal);
  k->pc_ = pc;
  return k;
}

}  // namespace tare::ops
