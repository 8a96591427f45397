// CPU reference: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D.
//
// Every output value is summed in float in TFLite's reference order (kernel row, kernel column, input channel),
// then the bias is added, then the fused activation is applied.
#include <limits>

#include "ref/ref_ops.h"
#include "ref/window.h"

namespace tare::ref::detail {

namespace {

// The window of a kh x kw filter, failing with the operator's name.
Window window(const OpContext& c, int in_h, int in_w, int kh, int kw, int dil_h, int dil_w) {
  return conv_window(c.params(), in_h, in_w, kh, kw, dil_h, dil_w,
                     [&](tare_status s, const std::string& msg) { c.fail(s, msg); });
}

// Bias values (or zeros) for `count` output channels.
std::vector<float> bias_of(const OpContext& c, size_t index, int count) {
  if (!c.has_input(index)) return std::vector<float>((size_t)count, 0.0f);
  const std::vector<float>& b = c.in(index);
  if ((int64_t)b.size() != count)
    c.fail(TARE_ERROR_INVALID_MODEL,
           "bias has " + std::to_string(b.size()) + " values for " + std::to_string(count) + " output channels");
  return b;
}

}  // namespace

void conv2d(OpContext& c) {
  c.require_inputs(2);
  check_activation(c);
  c.require_rank(0, 4);
  c.require_rank(1, 4);
  const std::vector<int>& is = c.in_shape(0);
  const std::vector<int>& ws = c.in_shape(1);
  const int n = is[0], h = is[1], w = is[2], ci = is[3];
  const int co = ws[0], kh = ws[1], kw = ws[2];
  if (ws[3] != ci)
    c.fail(TARE_ERROR_UNSUPPORTED, "filter " + shape_str(ws) + " does not match input " + shape_str(is) +
                                       " (grouped convolution is not supported)");
  const OpParams& p = c.params();
  const Window win = window(c, h, w, kh, kw, p.dilation_h, p.dilation_w);
  const std::vector<float>& in = c.in(0);
  const std::vector<float>& wt = c.in(1);
  const std::vector<float> bias = bias_of(c, 2, co);
  std::vector<float>& out = c.out(0, {n, win.out_h, win.out_w, co});

  // Filter re-laid out as [KH][KW][Cin][Cout] so the innermost loop runs over output channels with unit stride;
  // each output channel still sums its products in (ky, kx, ci) order.
  std::vector<float> wr((size_t)kh * kw * ci * co);
  for (int o = 0; o < co; o++)
    for (int y = 0; y < kh; y++)
      for (int x = 0; x < kw; x++)
        for (int i = 0; i < ci; i++)
          wr[(((size_t)y * kw + x) * ci + i) * co + o] = wt[(((size_t)o * kh + y) * kw + x) * ci + i];

  std::vector<float> acc((size_t)co);
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        for_each_tap(win, h, w, oy, ox, [&](int ky, int kx, int iy, int ix) {
          float* __restrict a = acc.data();
          const float* ip = &in[(((size_t)b * h + iy) * w + ix) * ci];
          const float* wp = &wr[((size_t)ky * kw + kx) * ci * co];
          for (int i = 0; i < ci; i++) {
            const float xv = ip[i];
            const float* __restrict wrow = wp + (size_t)i * co;
            for (int o = 0; o < co; o++) a[o] += xv * wrow[o];
          }
        });
        float* op = &out[(((size_t)b * win.out_h + oy) * win.out_w + ox) * co];
        for (int o = 0; o < co; o++) op[o] = apply_activation(acc[o] + bias[o], p.activation);
      }
}

void depthwise_conv2d(OpContext& c) {
  c.require_inputs(2);
  check_activation(c);
  c.require_rank(0, 4);
  c.require_rank(1, 4);
  const std::vector<int>& is = c.in_shape(0);
  const std::vector<int>& ws = c.in_shape(1);
  const int n = is[0], h = is[1], w = is[2], ci = is[3];
  const int kh = ws[1], kw = ws[2], co = ws[3];
  if (ws[0] != 1 || ci < 1 || co % ci != 0)
    c.fail(TARE_ERROR_INVALID_MODEL, "filter " + shape_str(ws) + " does not fit input " + shape_str(is));
  const int m = co / ci;  // depth multiplier: output channel ic*m + j reads input channel ic
  const OpParams& p = c.params();
  const Window win = window(c, h, w, kh, kw, p.dilation_h, p.dilation_w);
  const std::vector<float>& in = c.in(0);
  const std::vector<float>& wt = c.in(1);
  const std::vector<float> bias = bias_of(c, 2, co);
  std::vector<float>& out = c.out(0, {n, win.out_h, win.out_w, co});

  std::vector<float> acc((size_t)co);
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        for_each_tap(win, h, w, oy, ox, [&](int ky, int kx, int iy, int ix) {
          float* __restrict a = acc.data();
          const float* __restrict ip = &in[(((size_t)b * h + iy) * w + ix) * ci];
          const float* __restrict wp = &wt[((size_t)ky * kw + kx) * co];
          if (m == 1) {
            for (int o = 0; o < co; o++) a[o] += ip[o] * wp[o];
          } else {
            for (int i = 0; i < ci; i++)
              for (int j = 0; j < m; j++) a[i * m + j] += ip[i] * wp[i * m + j];
          }
        });
        float* op = &out[(((size_t)b * win.out_h + oy) * win.out_w + ox) * co];
        for (int o = 0; o < co; o++) op[o] = apply_activation(acc[o] + bias[o], p.activation);
      }
}

void fully_connected(OpContext& c) {
  c.require_inputs(2);
  check_activation(c);
  c.require_rank(1, 2);
  const std::vector<int>& is = c.in_shape(0);
  const std::vector<int>& ws = c.in_shape(1);
  const int units = ws[0], depth = ws[1];
  const int64_t total = elements_of(is);
  if (depth < 1 || is.empty() || total % depth != 0)
    c.fail(TARE_ERROR_INVALID_MODEL, "input " + shape_str(is) + " does not fit weights " + shape_str(ws));
  const int64_t batch = total / depth;
  std::vector<int> os;
  if (c.params().keep_num_dims) {
    if (is.back() != depth)
      c.fail(TARE_ERROR_INVALID_MODEL, "keep_num_dims needs the input's last dimension to be " + std::to_string(depth));
    os = is;
    os.back() = units;
  } else {
    os = {(int)batch, units};
  }
  const std::vector<float>& in = c.in(0);
  const std::vector<float>& wt = c.in(1);
  const std::vector<float> bias = bias_of(c, 2, units);
  std::vector<float>& out = c.out(0, os);
  for (int64_t b = 0; b < batch; b++) {
    const float* ip = &in[(size_t)b * depth];
    for (int u = 0; u < units; u++) {
      const float* wp = &wt[(size_t)u * depth];
      float s = 0.0f;
      for (int d = 0; d < depth; d++) s += ip[d] * wp[d];
      out[(size_t)b * units + u] = apply_activation(s + bias[u], c.params().activation);
    }
  }
}

namespace {

void pool(OpContext& c, bool average) {
  c.require_inputs(1);
  check_activation(c);
  c.require_rank(0, 4);
  const std::vector<int>& is = c.in_shape(0);
  const int n = is[0], h = is[1], w = is[2], ch = is[3];
  const OpParams& p = c.params();
  const Window win = window(c, h, w, p.filter_h, p.filter_w, 1, 1);
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, {n, win.out_h, win.out_w, ch});
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < win.out_h; oy++)
      for (int ox = 0; ox < win.out_w; ox++) {
        const ClippedWindow cw = clip_window(win, h, w, oy, ox);
        const int count = cw.count();
        float* op = &out[(((size_t)b * win.out_h + oy) * win.out_w + ox) * ch];
        for (int k = 0; k < ch; k++) {
          float r = average ? 0.0f : std::numeric_limits<float>::lowest();
          for (int iy = cw.y_begin; iy < cw.y_end; iy++)
            for (int ix = cw.x_begin; ix < cw.x_end; ix++) {
              const float v = in[(((size_t)b * h + iy) * w + ix) * ch + k];
              r = average ? r + v : std::max(r, v);
            }
          if (average) r = count > 0 ? r / (float)count : 0.0f;
          op[k] = apply_activation(r, p.activation);
        }
      }
}

}  // namespace

void average_pool2d(OpContext& c) { pool(c, true); }
void max_pool2d(OpContext& c) { pool(c, false); }

}  // namespace tare::ref::detail
