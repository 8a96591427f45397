// BATCH_MATMUL: out[..., i, n] = sum_k opA[..., i, k] * opB[..., k, n], opA = A or its last two dimensions swapped
// (adj_x), opB likewise (adj_y); the batch dimensions broadcast as TFLite's Prepare allows (a dimension of 1 against
// any).  Operands of rank 2..4 (TFLite allows 5; Tare's tensors stop at 4).  Either operand may be an activation or a
// constant (the session packs a constant operand like an activation); with two activations both get gradients.
//
// 8-bit: TFLite's int8 kernel (batch_matmul.cc EvalInt8Int8): int8 operands and output, per-tensor scales, any
// zero points, the multiplier GetQuantizedConvolutionMultipler forms (the scale product in float, the quotient in
// double), no activation (clamp to [-128, 127]); its default kernel runs the GEMM in ruy, which rounds once.  uint8
// and per-channel operands are refused as TFLite refuses them.  The quantizer treats a constant operand as TFLite's
// quantizer does (BATCH_MATMUL's inputs are activations: per-tensor asymmetric int8 over its own range); the op is
// not a weighted layer (no bias input in the format), so IBC and BFT leave it alone.
//
// Kernels: shaders/batch_matmul.comp (float forward and, with ACCUMULATE, both gradients) and q8_batch_matmul.comp.
#include <algorithm>
#include <array>
#include <functional>

#include "common/fixed_point.h"
#include "ops/op_def.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr uint32_t kRowBlocks = 2;      // batch_matmul.comp's register tile: 4 x kRowBlocks rows by 4 columns
constexpr size_t kAdjX = 0, kAdjY = 1;  // params.ints[kAdjX], params.ints[kAdjY]

bool adj_x(const OpParams& p) { return p.ints.size() > kAdjX && p.ints[kAdjX] != 0; }
bool adj_y(const OpParams& p) { return p.ints.size() > kAdjY && p.ints[kAdjY] != 0; }

// ---- import / export ---------------------------------------------------------------------------------------------

void read(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  for (size_t i = 0; i < 2; i++)
    if (r.input_rank(i) > 4)
      r.unsupported("operand " + std::to_string(i) + " has rank " + std::to_string(r.input_rank(i)) +
                    " (Tare's tensors have rank <= 4)");
  auto opt = r.options<tflite::BatchMatMulOptions>(tflite::BuiltinOptions::BatchMatMulOptions);
  r.params().ints = {opt && opt->adj_x() ? 1 : 0, opt && opt->adj_y() ? 1 : 0};
}

void write(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::BatchMatMulOptions,
                tflite::CreateBatchMatMulOptions(w.fbb(), adj_x(w.params()), adj_y(w.params()), false).Union());
  w.set_version(version_by_int_type(w));
}

// ---- shapes ------------------------------------------------------------------------------------------------------

// Both operands extended to the output's rank; M, N, K; the batch dimensions.
struct MatShapes {
  std::vector<int> a, b, out, batch;  // batch: the output's leading dimensions
  int M = 0, N = 0, K = 0;
  std::string error;  // empty: valid
};
MatShapes mat_shapes(const std::vector<int>& a, const std::vector<int>& b, const OpParams& p) {
  MatShapes s;
  if (a.size() < 2 || a.size() > 4 || b.size() < 2 || b.size() > 4) {
    s.error = "operands " + shape_str(a) + " and " + shape_str(b) + " must have rank 2 to 4";
    return s;
  }
  const size_t rank = std::max(a.size(), b.size());
  s.a.assign(rank - a.size(), 1);
  s.a.insert(s.a.end(), a.begin(), a.end());
  s.b.assign(rank - b.size(), 1);
  s.b.insert(s.b.end(), b.begin(), b.end());
  for (size_t i = 0; i + 2 < rank; i++) {
    if (s.a[i] != s.b[i] && s.a[i] != 1 && s.b[i] != 1) {
      s.error = "batch dimensions of " + shape_str(a) + " and " + shape_str(b) + " do not broadcast";
      return s;
    }
    s.batch.push_back(s.a[i] == 1 ? s.b[i] : s.a[i]);
  }
  const int ka = adj_x(p) ? s.a[rank - 2] : s.a[rank - 1], kb = adj_y(p) ? s.b[rank - 1] : s.b[rank - 2];
  if (ka != kb) {
    s.error = "inner dimensions differ: " + shape_str(a) + (adj_x(p) ? " (adj_x)" : "") + " x " + shape_str(b) +
              (adj_y(p) ? " (adj_y)" : "");
    return s;
  }
  s.K = ka;
  s.M = adj_x(p) ? s.a[rank - 1] : s.a[rank - 2];
  s.N = adj_y(p) ? s.b[rank - 2] : s.b[rank - 1];
  s.out = s.batch;
  s.out.push_back(s.M);
  s.out.push_back(s.N);
  return s;
}

void infer(ShapeContext& s) {
  s.need_inputs(2, 2);
  const MatShapes m = mat_shapes(s.in(0), s.in(1), s.params());
  if (!m.error.empty()) s.err(m.error);
  s.set_out(m.out);
}

int64_t macs(const Graph& g, const Op& op) {
  const MatShapes m = mat_shapes(g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape, op.params);
  int64_t n = (int64_t)m.M * m.N * m.K;
  for (int d : m.batch) n *= d;
  return n;
}

// ---- GPU kernels -------------------------------------------------------------------------------------------------

// An operand's NHWC4 rows against the product's batch ([N,H] of the views): vec4 groups per row, row offset per
// step of each batch dimension (0 where it broadcasts).
struct Side {
  int32_t c4, sn, sh;
};
Side side(const Shape4& s) { return {s.c4(), s.n == 1 ? 0 : s.h * s.w, s.h == 1 ? 0 : s.w}; }

struct Views {
  const Tensor *a, *b, *out;
  Shape4 sa, sb, so;
  int K;
};
Views views(const Graph& g, const Op& op, const std::string& where) {
  TARE_CHECK(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0 &&
                 op.outputs[0] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects 2 inputs and 1 output");
  Views v{&g.tensors[op.inputs[0]], &g.tensors[op.inputs[1]], &g.tensors[op.outputs[0]], {}, {}, {}, 0};
  const MatShapes m = mat_shapes(v.a->shape, v.b->shape, op.params);
  TARE_CHECK(m.error.empty(), TARE_ERROR_UNSUPPORTED, where + m.error);
  TARE_CHECK(v.out->shape == m.out, TARE_ERROR_INVALID_MODEL,
             where + "output " + shape_str(v.out->shape) + " should be " + shape_str(m.out));
  v.sa = shape4(v.a->shape);
  v.sb = shape4(v.b->shape);
  v.so = shape4(v.out->shape);
  v.K = m.K;
  for (const Shape4* s : {&v.sa, &v.sb, &v.so})
    TARE_CHECK(s->rows() * s->c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  return v;
}

// One product R (+)= opX * opY over the full batch `full` (see batch_matmul.comp), on a pipeline made by `pipe`
// from the adjoint flags and the row blocks of the tile.
struct Push {
  int32_t total, M, N, K, MT, N4, FN, FH, rn, rh;
  Side x, y;
};
template <class MakePipe>
Dispatch product(MakePipe pipe, bool x_adj, bool y_adj, Binding x, const Shape4& sx, Binding y, const Shape4& sy,
                 Binding r, const Shape4& sr, int K, const Shape4& full) {
  const uint32_t rows = sr.w > 4 ? kRowBlocks : 1;  // short products waste no half-empty tiles
  Push pc{};
  pc.M = sr.w;
  pc.N = sr.c;
  pc.K = K;
  pc.MT = (sr.w + 4 * (int)rows - 1) / (4 * (int)rows);
  pc.N4 = sr.c4();
  pc.FN = full.n;
  pc.FH = full.h;
  pc.rn = sr.n;
  pc.rh = sr.h;
  pc.x = side(sx);
  pc.y = side(sy);
  pc.total = sr.n * sr.h * pc.MT * pc.N4;
  return Dispatch::make(pipe({x_adj, y_adj, rows}), {x, y, r}, pc, grid_xy(pc.total, kLocal));
}

KernelPtr make_float(BuildContext& b, const Op& op) {
  const Views v = views(b.graph(), op, op_where(op));
  auto pipe = [&](std::array<uint32_t, 3> s) {
    return b.pipeline("batch_matmul", {s[0], s[1], 0, s[2]}, sizeof(Push), 3, kLocal);
  };
  std::vector<Dispatch> d;
  d.push_back(product(pipe, adj_x(op.params), adj_y(op.params), Binding::t(op.inputs[0]), v.sa,
                      Binding::t(op.inputs[1]), v.sb, Binding::t(op.outputs[0]), v.so, v.K, v.so));
  return std::make_unique<DispatchKernel>(std::move(d));
}

// dA and dB as products of dY with the other operand (each added into the operand's gradient, summed over the batch
// dimensions it was broadcast along); a constant operand gets none.
KernelPtr make_grad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const Views v = views(b.graph(), op, where);
  const bool ax = adj_x(op.params), ay = adj_y(op.params);
  const Binding dy = Binding::g(op.outputs[0]), a = Binding::t(op.inputs[0]), bb = Binding::t(op.inputs[1]);
  const int n = v.so.c, m = v.so.w;  // the forward's N (dA's sum) and M (dB's sum)
  auto pipe = [&](std::array<uint32_t, 3> s) {
    return b.context().pipeline("batch_matmul", {s[0], s[1], 1, s[2]}, sizeof(Push), 3, kLocal, 1, 1);
  };
  std::vector<Dispatch> d;
  if (!v.a->is_const) {
    const Binding da = Binding::g(op.inputs[0]);
    if (!ax)  // dA[M,K] = dY[M,N] * opB^T
      d.push_back(product(pipe, false, !ay, dy, v.so, bb, v.sb, da, v.sa, n, v.so));
    else  // dA^T[K,M] = opB[K,N] * dY^T
      d.push_back(product(pipe, ay, true, bb, v.sb, dy, v.so, da, v.sa, n, v.so));
  }
  if (!v.b->is_const) {
    const Binding db = Binding::g(op.inputs[1]);
    if (!ay)  // dB[K,N] = opA^T * dY
      d.push_back(product(pipe, !ax, false, a, v.sa, dy, v.so, db, v.sb, m, v.so));
    else  // dB^T[N,K] = dY^T * opA
      d.push_back(product(pipe, true, ax, dy, v.so, a, v.sa, db, v.sb, m, v.so));
  }
  return std::make_unique<DispatchKernel>(std::move(d));
}

// TFLite's refusals of the int8 kernel, in both the GPU kernel and the integer reference.
std::string q8_refusal(const Tensor& a, const Tensor& b, const Tensor& out) {
  for (const Tensor* t : {&a, &b, &out}) {
    if (t->dtype != DType::I8)
      return "tensor '" + t->name + "' is " + dtype_name(t->dtype) +
             ": TFLite's quantized BATCH_MATMUL takes int8 operands and output only";
    if (t->quant.scale.size() != 1)
      return "tensor '" + t->name + "' needs per-tensor quantization (one scale and zero point)";
  }
  return "";
}
quant::QuantizedMultiplier q8_multiplier(float sa, float sb, float so) {
  return quant::quantize_multiplier((double)(sa * sb) / (double)so);  // GetQuantizedConvolutionMultipler
}

KernelPtr make_q8(BuildContext& b, const Op& op) {
  const std::string where = op_where_q8(op);
  const Views v = views(b.graph(), op, where);
  const std::string refusal = q8_refusal(*v.a, *v.b, *v.out);
  TARE_CHECK(refusal.empty(), TARE_ERROR_UNSUPPORTED, where + refusal);
  const quant::QuantizedMultiplier m = q8_multiplier(tensor_scale(*v.a), tensor_scale(*v.b), tensor_scale(*v.out));
  TARE_CHECK(m.shift <= 30, TARE_ERROR_UNSUPPORTED, where + "output multiplier too large");  // mbqm_single's range
  struct {
    int32_t total, M, N, K, M4, N4, FN, FH;
    Side x, y;
    int32_t zx, zy, zo, mult, shift;
  } pc{};
  pc.M = v.so.w;
  pc.N = v.so.c;
  pc.K = v.K;
  pc.M4 = (pc.M + 3) / 4;
  pc.N4 = v.so.c4();
  pc.FN = v.so.n;
  pc.FH = v.so.h;
  pc.x = side(v.sa);
  pc.y = side(v.sb);
  pc.zx = device_zero_point(*v.a);
  pc.zy = device_zero_point(*v.b);
  pc.zo = device_zero_point(*v.out);
  pc.mult = m.multiplier;
  pc.shift = m.shift;
  pc.total = pc.FN * pc.FH * pc.M4 * pc.N4;
  auto p = b.pipeline_q8("q8_batch_matmul", false, {adj_x(op.params), adj_y(op.params)}, sizeof(pc), 3, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.inputs[1]), Binding::t(op.outputs[0])},
                       pc, grid_xy(pc.total, kLocal));
}

// ---- CPU references ----------------------------------------------------------------------------------------------

// Walks the output's batches: f(output batch, A's batch, B's batch), flat indices (broadcast operands repeat).
template <class F>
void for_each_batch(const MatShapes& s, F f) {
  const size_t nb = s.batch.size();
  int64_t count = 1;
  for (int d : s.batch) count *= d;
  for (int64_t ob = 0; ob < count; ob++) {
    int64_t rest = ob, ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t i = nb; i-- > 0;) {
      const int64_t k = rest % s.batch[i];
      rest /= s.batch[i];
      if (s.a[i] != 1) ia += k * sa;
      if (s.b[i] != 1) ib += k * sb;
      sa *= s.a[i];
      sb *= s.b[i];
    }
    f(ob, ia, ib);
  }
}

// Offsets of opA[i][k] and opB[k][n] inside one batch.
struct Index {
  bool ax, ay;
  int M, N, K;
  int64_t a(int i, int k) const { return ax ? (int64_t)k * M + i : (int64_t)i * K + k; }
  int64_t b(int k, int n) const { return ay ? (int64_t)n * K + k : (int64_t)k * N + n; }
};

MatShapes ref_shapes(const std::vector<int>& a, const std::vector<int>& b, const OpParams& p,
                     const std::function<void(const std::string&)>& fail) {
  MatShapes s = mat_shapes(a, b, p);
  if (!s.error.empty()) fail(s.error);
  return s;
}

void ref_float(ref::detail::OpContext& c) {
  c.require_inputs(2);
  const MatShapes s = ref_shapes(c.in_shape(0), c.in_shape(1), c.params(),
                                 [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  const std::vector<float>&a = c.in(0), &b = c.in(1);
  std::vector<float>& y = c.out(0, s.out);
  const Index ix{adj_x(c.params()), adj_y(c.params()), s.M, s.N, s.K};
  const int64_t mk = (int64_t)s.M * s.K, kn = (int64_t)s.K * s.N, mn = (int64_t)s.M * s.N;
  for_each_batch(s, [&](int64_t ob, int64_t ia, int64_t ib) {
    for (int i = 0; i < s.M; i++)
      for (int n = 0; n < s.N; n++) {
        float total = 0.0f;
        for (int k = 0; k < s.K; k++) total += a[ia * mk + ix.a(i, k)] * b[ib * kn + ix.b(k, n)];
        y[ob * mn + (int64_t)i * s.N + n] = total;
      }
  });
}

void ref_int(ref::intd::IntCtx& c) {
  const Tensor &ta = c.in_tensor(0), &tb = c.in_tensor(1), &to = c.out_tensor(0);
  const std::string refusal = q8_refusal(ta, tb, to);
  if (!refusal.empty()) c.fail(TARE_ERROR_UNSUPPORTED, refusal);
  const MatShapes s = ref_shapes(ta.shape, tb.shape, c.op.params,
                                 [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  if (to.shape != s.out) c.fail(TARE_ERROR_INVALID_MODEL, "output shape should be " + shape_str(s.out));
  const ref::intd::QView a = c.in_q(0), b = c.in_q(1), y = c.out_q(0);
  const quant::QuantizedMultiplier m = q8_multiplier(a.scale, b.scale, y.scale);
  const Index ix{adj_x(c.op.params), adj_y(c.op.params), s.M, s.N, s.K};
  const int64_t mk = (int64_t)s.M * s.K, kn = (int64_t)s.K * s.N, mn = (int64_t)s.M * s.N;
  for_each_batch(s, [&](int64_t ob, int64_t ia, int64_t ib) {
    for (int i = 0; i < s.M; i++)
      for (int n = 0; n < s.N; n++) {
        int32_t total = 0;
        for (int k = 0; k < s.K; k++)
          total += (a.at(ia * mk + ix.a(i, k)) - a.zp) * (b.at(ib * kn + ix.b(k, n)) - b.zp);
        const int32_t v = quant::multiply_by_quantized_multiplier_single_rounding(total, m) + y.zp;
        y.set(ob * mn + (int64_t)i * s.N + n, std::clamp(v, -128, 127));
      }
  });
}

// dA[i][k] = sum_n dY[i][n] opB[k][n], dB[k][n] = sum_i opA[i][k] dY[i][n], each summed over the batches that map to
// the operand (in double); stored back through the adjoint layouts.
void ref_grad(ref::GradContext& c) {
  const int ta = c.input(0), tb = c.input(1);
  const MatShapes s = ref_shapes(c.shape(ta), c.shape(tb), c.op().params,
                                 [&](const std::string& m) { c.fail(TARE_ERROR_INVALID_MODEL, m); });
  c.require_shape(c.op().outputs[0], s.out);
  std::vector<float>*ga = c.grad(ta), *gb = c.grad(tb);
  if (!ga && !gb) return;
  const std::vector<float>&a = c.value(ta), &b = c.value(tb), &gy = c.output_grad();
  const Index ix{adj_x(c.op().params), adj_y(c.op().params), s.M, s.N, s.K};
  const int64_t mk = (int64_t)s.M * s.K, kn = (int64_t)s.K * s.N, mn = (int64_t)s.M * s.N;
  std::vector<double> da(ga ? a.size() : 0, 0.0), db(gb ? b.size() : 0, 0.0);
  for_each_batch(s, [&](int64_t ob, int64_t ia, int64_t ib) {
    for (int i = 0; i < s.M; i++)
      for (int n = 0; n < s.N; n++) {
        const double g = gy[ob * mn + (int64_t)i * s.N + n];
        for (int k = 0; k < s.K; k++) {
          if (ga) da[ia * mk + ix.a(i, k)] += g * b[ib * kn + ix.b(k, n)];
          if (gb) db[ib * kn + ix.b(k, n)] += g * a[ia * mk + ix.a(i, k)];
        }
      }
  });
  c.add_to(ga, da);
  c.add_to(gb, db);
}

}  // namespace

const OpDesc kBatchMatmul = {
    .type = OpType::BatchMatmul,
    .name = "BATCH_MATMUL",
    .builtin = (int)tflite::BuiltinOperator::BATCH_MATMUL,
    .traits = {.constant_operands = true},
    .read = read,
    .write = write,
    .infer = infer,
    .macs = macs,
    .make_float = make_float,
    .make_q8 = make_q8,
    .make_grad = make_grad,
    .ref_float = ref_float,
    .ref_int = ref_int,
    .ref_grad = ref_grad,
};

}  // namespace tare::ops
