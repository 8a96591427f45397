// CPU reference of the backward pass (see backward.h).  Every rule reads the forward values of its operator's inputs
// and outputs and the gradient of its output, and adds its contributions to the gradients of its inputs.  Sums
// (bias reductions, the input gradients of convolutions and fully connected layers, broadcast reductions, softmax)
// are accumulated in double and rounded once.
#include "ref/backward.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "model/op_desc.h"
#include "ref/grad_ops.h"
#include "ref/ref_ops.h"
#include "ref/window.h"

namespace tare::ref {

using detail::broadcast_strides;
using detail::strides_of;

namespace {

// The window of a kh x kw filter, failing with the rule's operator.
detail::Window window(const GradContext& c, int in_h, int in_w, int kh, int kw, int dil_h, int dil_w) {
  return detail::conv_window(c.op().params, in_h, in_w, kh, kw, dil_h, dil_w,
                             [&](tare_status s, const std::string& msg) { c.fail(s, msg); });
}

}  // namespace

void GradContext::conv2d() {
  const int x = input(0), w = input(1), o = op_->outputs[0];
  require_rank(x, 4);
  require_rank(w, 4);
  const std::vector<int>& is = shape(x);
  const std::vector<int>& ws = shape(w);
  const int n = is[0], h = is[1], wd = is[2], ci = is[3];
  const int co = ws[0], kh = ws[1], kw = ws[2];
  if (ws[3] != ci) fail(TARE_ERROR_UNSUPPORTED, "filter does not match the input (grouped convolution)");
  const OpParams& p = op_->params;
  const detail::Window win = window(*this, h, wd, kh, kw, p.dilation_h, p.dilation_w);
  require_shape(o, {n, win.out_h, win.out_w, co});
  const std::vector<float> gy = masked_output_grad(p.activation);
  add_bias_grad(2, co, gy);
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& wt = value(w);
  std::vector<double> dx(gx->size(), 0.0);
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        const float* go = &gy[(((size_t)b * win.out_h + oy) * win.out_w + ox) * co];
        detail::for_each_tap(win, h, wd, oy, ox, [&](int ky, int kx, int iy, int ix) {
          double* dp = &dx[(((size_t)b * h + iy) * wd + ix) * ci];
          for (int oc = 0; oc < co; oc++) {
            const double gv = go[oc];
            if (gv == 0.0) continue;
            const float* wp = &wt[(((size_t)oc * kh + ky) * kw + kx) * ci];
            for (int i = 0; i < ci; i++) dp[i] += gv * wp[i];
          }
        });
      }
  add_to(gx, dx);
}

void GradContext::depthwise_conv2d() {
  const int x = input(0), w = input(1), o = op_->outputs[0];
  require_rank(x, 4);
  require_rank(w, 4);
  const std::vector<int>& is = shape(x);
  const std::vector<int>& ws = shape(w);
  const int n = is[0], h = is[1], wd = is[2], ci = is[3];
  const int kh = ws[1], kw = ws[2], co = ws[3];
  if (ws[0] != 1 || ci < 1 || co % ci != 0) fail(TARE_ERROR_INVALID_MODEL, "filter does not fit the input");
  const int m = co / ci;  // output channel ic*m + j reads input channel ic
  const OpParams& p = op_->params;
  const detail::Window win = window(*this, h, wd, kh, kw, p.dilation_h, p.dilation_w);
  require_shape(o, {n, win.out_h, win.out_w, co});
  const std::vector<float> gy = masked_output_grad(p.activation);
  add_bias_grad(2, co, gy);
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& wt = value(w);
  std::vector<double> dx(gx->size(), 0.0);
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        const float* go = &gy[(((size_t)b * win.out_h + oy) * win.out_w + ox) * co];
        detail::for_each_tap(win, h, wd, oy, ox, [&](int ky, int kx, int iy, int ix) {
          double* dp = &dx[(((size_t)b * h + iy) * wd + ix) * ci];
          const float* wp = &wt[((size_t)ky * kw + kx) * co];
          for (int i = 0; i < ci; i++)
            for (int j = 0; j < m; j++) dp[i] += (double)go[i * m + j] * wp[i * m + j];
        });
      }
  add_to(gx, dx);
}

void GradContext::fully_connected() {
  const int x = input(0), w = input(1), o = op_->outputs[0];
  require_rank(w, 2);
  const int units = shape(w)[0], depth = shape(w)[1];
  const int64_t total = tensor(x).elements();
  if (depth < 1 || total % depth != 0) fail(TARE_ERROR_INVALID_MODEL, "input does not fit the weights");
  const int64_t batch = total / depth;
  if (tensor(o).elements() != batch * units) fail(TARE_ERROR_INVALID_MODEL, "output size does not fit the weights");
  const std::vector<float> gy = masked_output_grad(op_->params.activation);
  add_bias_grad(2, units, gy);
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& wt = value(w);
  std::vector<double> dx(gx->size(), 0.0);
  for (int64_t b = 0; b < batch; b++) {
    double* dp = &dx[(size_t)b * depth];
    for (int u = 0; u < units; u++) {
      const double gv = gy[(size_t)b * units + u];
      if (gv == 0.0) continue;
      const float* wp = &wt[(size_t)u * depth];
      for (int d = 0; d < depth; d++) dp[d] += gv * wp[d];
    }
  }
  add_to(gx, dx);
}

void GradContext::pool(bool average) {
  const int x = input(0), o = op_->outputs[0];
  require_rank(x, 4);
  const std::vector<int>& is = shape(x);
  const int n = is[0], h = is[1], w = is[2], ch = is[3];
  const OpParams& p = op_->params;
  const detail::Window win = window(*this, h, w, p.filter_h, p.filter_w, 1, 1);
  require_shape(o, {n, win.out_h, win.out_w, ch});
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float> gy = masked_output_grad(p.activation);
  const std::vector<float>* in = average ? nullptr : &value(x);
  std::vector<double> dx(gx->size(), 0.0);
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        // The window clipped to the input, as the forward pass clips it.
        const detail::ClippedWindow cw = detail::clip_window(win, h, w, oy, ox);
        const int count = cw.count();
        if (count == 0) continue;
        const float* go = &gy[(((size_t)b * win.out_h + oy) * win.out_w + ox) * ch];
        auto at = [&](int iy, int ix, int k) { return (((size_t)b * h + iy) * w + ix) * ch + k; };
        for (int k = 0; k < ch; k++) {
          if (go[k] == 0.0f) continue;
          if (average) {
            const double share = (double)go[k] / count;
            for (int iy = cw.y_begin; iy < cw.y_end; iy++)
              for (int ix = cw.x_begin; ix < cw.x_end; ix++) dx[at(iy, ix, k)] += share;
          } else {
            size_t best = at(cw.y_begin, cw.x_begin, k);
            for (int iy = cw.y_begin; iy < cw.y_end; iy++)
              for (int ix = cw.x_begin; ix < cw.x_end; ix++)
                if ((*in)[at(iy, ix, k)] > (*in)[best]) best = at(iy, ix, k);
            dx[best] += go[k];
          }
        }
      }
  add_to(gx, dx);
}

void GradContext::mean() {
  const int x = input(0), o = op_->outputs[0];
  const std::vector<int>& is = shape(x);
  const int rank = (int)is.size();
  std::vector<int> axes = op_->params.axes;
  if (axes.empty() && has_input(1))
    for (float v : value(input(1))) axes.push_back((int)v);
  std::vector<bool> reduced((size_t)rank, false);
  for (int a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) fail(TARE_ERROR_INVALID_MODEL, "axis out of range");
    reduced[a] = true;
  }
  std::vector<int> kept(is);
  int64_t count = 1;
  for (int k = 0; k < rank; k++)
    if (reduced[k]) {
      count *= is[k];
      kept[k] = 1;
    }
  int64_t kept_n = 1;
  for (int d : kept) kept_n *= d;
  if (tensor(o).elements() != kept_n) fail(TARE_ERROR_INVALID_MODEL, "output size does not match the reduction");
  std::vector<float>* gx = grad(x);
  if (!gx || count == 0) return;
  const std::vector<float>& gy = res_.activations[o];
  const std::vector<int64_t> ost = strides_of(kept);
  std::vector<int> idx((size_t)rank, 0);
  int64_t oi = 0;
  for (size_t i = 0; i < gx->size(); i++) {
    (*gx)[i] += (float)((double)gy[(size_t)oi] / (double)count);
    for (int k = rank; k-- > 0;) {
      idx[k]++;
      if (!reduced[k]) oi += ost[k];
      if (idx[k] < is[k]) break;
      if (!reduced[k]) oi -= ost[k] * idx[k];
      idx[k] = 0;
    }
  }
}

void GradContext::binary(double (*pa)(float a, float b), double (*pb)(float a, float b)) {
  const int a = input(0), bt = input(1), o = op_->outputs[0];
  const std::vector<int>& sa = shape(a);
  const std::vector<int>& sb = shape(bt);
  const size_t rank = std::max(sa.size(), sb.size());
  std::vector<int> da(rank, 1), db(rank, 1), dout(rank);
  std::copy(sa.begin(), sa.end(), da.begin() + (rank - sa.size()));
  std::copy(sb.begin(), sb.end(), db.begin() + (rank - sb.size()));
  for (size_t k = 0; k < rank; k++) {
    if (da[k] != db[k] && da[k] != 1 && db[k] != 1) fail(TARE_ERROR_INVALID_MODEL, "shapes do not broadcast");
    dout[k] = da[k] == 1 ? db[k] : da[k];
  }
  int64_t out_n = 1;
  for (int d : dout) out_n *= d;
  if (tensor(o).elements() != out_n) fail(TARE_ERROR_INVALID_MODEL, "output size does not match the broadcast");
  std::vector<float>* ga = grad(a);
  std::vector<float>* gb = grad(bt);
  if (!ga && !gb) return;
  const std::vector<float> gy = masked_output_grad(op_->params.activation);
  const std::vector<float>& va = value(a);
  const std::vector<float>& vb = value(bt);
  std::vector<double> acc_a(ga ? ga->size() : 0, 0.0), acc_b(gb ? gb->size() : 0, 0.0);
  const std::vector<int64_t> st_a = broadcast_strides(da), st_b = broadcast_strides(db);
  std::vector<int> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (size_t i = 0; i < gy.size(); i++) {
    const double g = gy[i];
    const float x = va[(size_t)ia], y = vb[(size_t)ib];
    if (ga) acc_a[(size_t)ia] += g * pa(x, y);
    if (gb) acc_b[(size_t)ib] += g * pb(x, y);
    for (size_t k = rank; k-- > 0;) {
      idx[k]++;
      ia += st_a[k];
      ib += st_b[k];
      if (idx[k] < dout[k]) break;
      ia -= st_a[k] * idx[k];
      ib -= st_b[k] * idx[k];
      idx[k] = 0;
    }
  }
  // (a and b may be the same tensor: each operand's contribution is added.)
  add_to(ga, acc_a);
  add_to(gb, acc_b);
}

void GradContext::concatenation() {
  const int o = op_->outputs[0];
  const std::vector<int>& os = shape(o);
  const int rank = (int)os.size();
  const int axis = op_->params.axis;
  if (axis < 0 || axis >= rank) fail(TARE_ERROR_INVALID_MODEL, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; k++) outer *= os[k];
  for (int k = axis + 1; k < rank; k++) inner *= os[k];
  int total = 0;
  for (size_t i = 0; i < op_->inputs.size(); i++) {
    const std::vector<int>& s = shape(input(i));
    if ((int)s.size() != rank) fail(TARE_ERROR_INVALID_MODEL, "input ranks differ");
    total += s[axis];
  }
  if (total != os[axis]) fail(TARE_ERROR_INVALID_MODEL, "input sizes do not add up to the output");
  const std::vector<float> gy = masked_output_grad(op_->params.activation);
  int64_t offset = 0;  // along the concatenated axis, in elements of one outer slice
  const int64_t out_chunk = (int64_t)os[axis] * inner;
  for (size_t i = 0; i < op_->inputs.size(); i++) {
    const int64_t chunk = (int64_t)shape(input(i))[axis] * inner;
    if (std::vector<float>* gx = grad(input(i)))
      for (int64_t r = 0; r < outer; r++)
        for (int64_t j = 0; j < chunk; j++) (*gx)[(size_t)(r * chunk + j)] += gy[(size_t)(r * out_chunk + offset + j)];
    offset += chunk;
  }
}

void GradContext::pass_through() {
  const int x = input(0), o = op_->outputs[0];
  if (op_->type == OpType::Dequantize) {
    const Tensor& t = tensor(x);
    if (!t.is_const && t.dtype != DType::F32 && t.dtype != DType::F16)
      fail(TARE_ERROR_UNSUPPORTED, "no gradient through the dequantization of an integer activation");
  }
  if (tensor(x).elements() != tensor(o).elements()) fail(TARE_ERROR_INVALID_MODEL, "element counts differ");
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& gy = res_.activations[o];
  for (size_t i = 0; i < gy.size(); i++) (*gx)[i] += gy[i];
}

void GradContext::pad() {
  const int x = input(0), o = op_->outputs[0];
  const std::vector<int>& is = shape(x);
  const size_t rank = is.size();
  std::vector<std::pair<int, int>> pads = op_->params.paddings;
  if (pads.empty() && has_input(1)) {
    const std::vector<float>& pv = value(input(1));
    for (size_t k = 0; k + 1 < pv.size(); k += 2) pads.emplace_back((int)pv[k], (int)pv[k + 1]);
  }
  if (pads.size() != rank) fail(TARE_ERROR_INVALID_MODEL, "needs one (before, after) pair per dimension");
  std::vector<int> os(rank);
  for (size_t k = 0; k < rank; k++) {
    if (pads[k].first < 0 || pads[k].second < 0) fail(TARE_ERROR_INVALID_MODEL, "negative padding");
    os[k] = is[k] + pads[k].first + pads[k].second;
  }
  require_shape(o, os);
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& gy = res_.activations[o];
  const std::vector<int64_t> ost = strides_of(os);
  int64_t oi = 0;
  for (size_t k = 0; k < rank; k++) oi += pads[k].first * ost[k];
  std::vector<int> idx(rank, 0);
  for (size_t i = 0; i < gx->size(); i++) {
    (*gx)[i] += gy[(size_t)oi];
    for (size_t k = rank; k-- > 0;) {
      idx[k]++;
      oi += ost[k];
      if (idx[k] < is[k]) break;
      oi -= ost[k] * idx[k];
      idx[k] = 0;
    }
  }
}

void GradContext::unary(double (*derivative)(float x, float y)) {
  const int x = input(0), o = op_->outputs[0];
  if (tensor(x).elements() != tensor(o).elements()) fail(TARE_ERROR_INVALID_MODEL, "element counts differ");
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& gy = res_.activations[o];
  const std::vector<float>& xv = value(x);
  const std::vector<float>& yv = value(o);
  for (size_t i = 0; i < gy.size(); i++) (*gx)[i] += (float)(derivative(xv[i], yv[i]) * gy[i]);
}

void GradContext::softmax() {
  const int x = input(0), o = op_->outputs[0];
  const std::vector<int>& s = shape(o);
  if (s.empty()) fail(TARE_ERROR_UNSUPPORTED, "scalar input");
  if (shape(x) != s) fail(TARE_ERROR_INVALID_MODEL, "input and output shapes differ");
  std::vector<float>* gx = grad(x);
  const int depth = s.back();
  if (!gx || depth == 0) return;
  const std::vector<float>& gy = res_.activations[o];
  const std::vector<float>& y = value(o);
  const double beta = op_->params.beta;
  const size_t rows = gy.size() / (size_t)depth;
  // dx_i = beta * y_i * (g_i - sum_j g_j y_j): the Jacobian diag(y) - y y^T (times beta) applied to g.
  for (size_t r = 0; r < rows; r++) {
    const size_t base = r * depth;
    double dot = 0.0;
    for (int i = 0; i < depth; i++) dot += (double)gy[base + i] * y[base + i];
    for (int i = 0; i < depth; i++) (*gx)[base + i] += (float)(beta * y[base + i] * ((double)gy[base + i] - dot));
  }
}

void GradContext::fake_quant() {
  const int x = input(0), o = op_->outputs[0];
  const OpParams& p = op_->params;
  if (!(p.fq_scale > 0) || !std::isnormal(p.fq_scale)) fail(TARE_ERROR_INVALID_MODEL, "invalid scale");
  if (tensor(x).elements() != tensor(o).elements()) fail(TARE_ERROR_INVALID_MODEL, "element counts differ");
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  const std::vector<float>& gy = res_.activations[o];
  const std::vector<float>& xv = value(x);
  for (size_t i = 0; i < gy.size(); i++) {
    // A fused activation first (its own rule), then the forward's rounding: the double quotient, half away from zero.
    const float y = detail::apply_activation(xv[i], p.activation);
    const double q = std::round((double)y / (double)p.fq_scale) + p.fq_zero_point;
    if (q >= p.fq_qmin && q <= p.fq_qmax && passes(p.activation, y)) (*gx)[i] += gy[i];  // NaN: no gradient
  }
}

void GradContext::resize_bilinear() {
  const int x = input(0), o = op_->outputs[0];
  require_rank(x, 4);
  require_rank(o, 4);
  const std::vector<int>& is = shape(x);
  const std::vector<int>& os = shape(o);
  const int n = is[0], h = is[1], w = is[2], ch = is[3];
  const int oh = os[1], ow = os[2];
  if (os[0] != n || os[3] != ch || oh < 1 || ow < 1 || h < 1 || w < 1)
    fail(TARE_ERROR_INVALID_MODEL, "output shape does not fit the input");
  const OpParams& p = op_->params;
  if (p.align_corners && p.half_pixel_centers)
    fail(TARE_ERROR_INVALID_MODEL, "align_corners and half_pixel_centers are exclusive");
  std::vector<float>* gx = grad(x);
  if (!gx) return;
  // The forward's coordinates, computed the same way (float arithmetic, as TFLite).
  float sh = (float)h / (float)oh, sw = (float)w / (float)ow;
  if (p.align_corners && oh > 1) sh = (float)(h - 1) / (float)(oh - 1);
  if (p.align_corners && ow > 1) sw = (float)(w - 1) / (float)(ow - 1);
  auto coord = [&](int v, float scale, int in_size, float& frac, int& lo, int& hi) {
    const float c = p.half_pixel_centers ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
    lo = std::max((int)std::floor(c), 0);
    hi = std::min((int)std::ceil(c), in_size - 1);
    frac = c - (float)lo;
  };
  const std::vector<float>& gy = res_.activations[o];
  std::vector<double> dx(gx->size(), 0.0);
  auto at = [&](int b, int y, int xx, int k) { return (((size_t)b * h + y) * w + xx) * ch + k; };
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++) {
      float dy;
      int y0, y1;
      coord(y, sh, h, dy, y0, y1);
      for (int xo = 0; xo < ow; xo++) {
        float dxf;
        int x0, x1;
        coord(xo, sw, w, dxf, x0, x1);
        const float* go = &gy[(((size_t)b * oh + y) * ow + xo) * ch];
        // The forward's weights: (1-dy)(1-dx), dy(1-dx), (1-dy)dx, dy dx, each a float product.
        const double w00 = (1 - dy) * (1 - dxf), w10 = dy * (1 - dxf), w01 = (1 - dy) * dxf, w11 = dy * dxf;
        for (int k = 0; k < ch; k++) {
          const double g = go[k];
          dx[at(b, y0, x0, k)] += g * w00;
          dx[at(b, y1, x0, k)] += g * w10;
          dx[at(b, y0, x1, k)] += g * w01;
          dx[at(b, y1, x1, k)] += g * w11;
        }
      }
    }
  add_to(gx, dx);
}

void GradContext::dispatch() {
  const auto rule = op_desc(op_->type).ref_grad;
  if (!rule) fail(TARE_ERROR_UNSUPPORTED, "no backward rule for this operator");
  rule(*this);
}

Gradients GradContext::run(const std::vector<std::pair<int, std::vector<float>>>& seeds) {
  const size_t nt = g_.tensors.size();
  if (fwd_.size() != nt)
    tare::fail(TARE_ERROR_INVALID_ARGUMENT,
               "backward: the forward value table does not match the graph's tensor count");
  res_.activations.assign(nt, {});

  // Which tensors need a gradient: all activations, or (without input gradients) those that depend on a bias.
  needed_.assign(nt, opt_.input_gradients);
  if (!opt_.input_gradients) {
    for (const Op& op : g_.ops) {
      bool dep = false;
      for (size_t i = 0; i < op.inputs.size(); i++) {
        const int t = op.inputs[i];
        if (t < 0 || t >= (int)nt) continue;
        if (needed_[t] || (i == 2 && is_weighted(op.type))) dep = true;
      }
      if (dep)
        for (int t : op.outputs)
          if (t >= 0 && t < (int)nt) needed_[t] = true;
    }
  }
  // Every bias gets an entry, zero until some gradient reaches it.
  for (const Op& op : g_.ops)
    if (is_weighted(op.type) && op.inputs.size() > 2 && op.inputs[2] >= 0 && op.inputs[2] < (int)nt)
      bias_acc_[op.inputs[2]].assign((size_t)std::max<int64_t>(0, g_.tensors[op.inputs[2]].elements()), 0.0);

  for (const auto& [t, gv] : seeds) {
    if (t < 0 || t >= (int)nt) tare::fail(TARE_ERROR_INVALID_ARGUMENT, "backward: seed tensor index out of range");
    const Tensor& ts = g_.tensors[t];
    if ((int64_t)gv.size() != ts.elements())
      tare::fail(TARE_ERROR_INVALID_ARGUMENT, "backward: the seed of '" + ts.name + "' " + shape_str(ts.shape) +
                                                  " holds " + std::to_string(gv.size()) + " values");
    if (ts.is_const) tare::fail(TARE_ERROR_INVALID_ARGUMENT, "backward: seed on constant tensor '" + ts.name + "'");
    if (!needed_[t]) continue;
    std::vector<float>& acc = res_.activations[t];
    if (acc.empty()) acc.assign(gv.size(), 0.0f);
    for (size_t i = 0; i < gv.size(); i++) acc[i] += gv[i];
  }

  for (size_t k = g_.ops.size(); k-- > 0;) {
    op_ = &g_.ops[k];
    op_index_ = (int)k;
    if (op_->outputs.empty()) fail(TARE_ERROR_INVALID_MODEL, "has no output");
    bool reached = false;
    for (int o : op_->outputs) {
      if (o < 0 || o >= (int)nt) fail(TARE_ERROR_INVALID_MODEL, "output tensor index out of range");
      reached = reached || !res_.activations[o].empty();
    }
    if (!reached) continue;  // no gradient reaches this operator
    // Outputs of a multi-output op (SPLIT) that no consumer used pass zeros.
    for (int o : op_->outputs)
      if (res_.activations[o].empty()) res_.activations[o].assign((size_t)g_.tensors[o].elements(), 0.0f);
    dispatch();
  }
  for (auto& [t, acc] : bias_acc_) {
    std::vector<float>& r = res_.biases[t];
    r.resize(acc.size());
    for (size_t i = 0; i < acc.size(); i++) r[i] = (float)acc[i];
  }
  return std::move(res_);
}

Gradients backward(const Graph& g, const Values& forward, const std::vector<std::pair<int, std::vector<float>>>& seeds,
                   const BackwardOptions& options) {
  GradContext b(g, forward, options);
  return b.run(seeds);
}

float distillation_loss(const std::vector<float>& teacher_logits, const std::vector<float>& student_logits, int classes,
                        std::vector<float>* grad) {
  if (classes < 1 || teacher_logits.size() != student_logits.size() || teacher_logits.size() % (size_t)classes != 0 ||
      teacher_logits.empty())
    fail(TARE_ERROR_INVALID_ARGUMENT, "distillation_loss: " + std::to_string(teacher_logits.size()) + " teacher and " +
                                          std::to_string(student_logits.size()) +
                                          " student logits are not whole rows of " + std::to_string(classes));
  const size_t rows = teacher_logits.size() / (size_t)classes;
  if (grad) grad->assign(student_logits.size(), 0.0f);
  std::vector<double> pt((size_t)classes), ps((size_t)classes);
  double loss = 0.0;
  // softmax(v) into p; returns log(sum exp(v - max)) + max (the log-normaliser).
  auto softmax_row = [&](const float* v, std::vector<double>& p) {
    double mx = v[0];
    for (int c = 1; c < classes; c++) mx = std::max(mx, (double)v[c]);
    double sum = 0.0;
    for (int c = 0; c < classes; c++) {
      p[c] = std::exp((double)v[c] - mx);
      sum += p[c];
    }
    for (int c = 0; c < classes; c++) p[c] /= sum;
    return mx + std::log(sum);
  };
  for (size_t r = 0; r < rows; r++) {
    const float* t = &teacher_logits[r * classes];
    const float* s = &student_logits[r * classes];
    softmax_row(t, pt);
    const double lse = softmax_row(s, ps);
    for (int c = 0; c < classes; c++) {
      if (pt[c] > 0.0) loss -= pt[c] * ((double)s[c] - lse);
      if (grad) (*grad)[r * classes + c] = (float)((ps[c] - pt[c]) / (double)rows);
    }
  }
  return (float)(loss / (double)rows);
}

}  // namespace tare::ref
