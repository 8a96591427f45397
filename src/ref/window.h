// The window geometry of CONV_2D, DEPTHWISE_CONV_2D and the 2-D pools, shared by the float, integer and backward
// CPU references so that all three read the same input element for every filter tap.
#pragma once

#include <algorithm>
#include <string>

#include "common/error.h"
#include "model/graph.h"

namespace tare::ref::detail {

struct Window {
  int out_h, out_w, pad_top, pad_left;
  int kh, kw, stride_h, stride_w, dil_h, dil_w;
};

// Checks the op's strides and padding and a kh x kw filter's dilation, and computes the output size and the top /
// left padding.  fail(tare_status, const std::string&) reports a bad window; callers pass their context's fail, which
// names the operator and throws.
template <class Fail>
Window conv_window(const OpParams& p, int in_h, int in_w, int kh, int kw, int dil_h, int dil_w, Fail&& fail) {
  if (p.stride_h < 1 || p.stride_w < 1 || dil_h < 1 || dil_w < 1 || kh < 1 || kw < 1)
    fail(TARE_ERROR_INVALID_MODEL, std::string("bad stride, dilation or filter size"));
  if (p.padding != Padding::Same && p.padding != Padding::Valid)
    fail(TARE_ERROR_UNSUPPORTED, std::string("unknown padding"));
  Window w;
  w.out_h = conv_out_size(in_h, kh, p.stride_h, dil_h, p.padding);
  w.out_w = conv_out_size(in_w, kw, p.stride_w, dil_w, p.padding);
  w.pad_top = conv_pad_before(in_h, kh, p.stride_h, dil_h, p.padding);
  w.pad_left = conv_pad_before(in_w, kw, p.stride_w, dil_w, p.padding);
  w.kh = kh;
  w.kw = kw;
  w.stride_h = p.stride_h;
  w.stride_w = p.stride_w;
  w.dil_h = dil_h;
  w.dil_w = dil_w;
  if (w.out_h < 1 || w.out_w < 1) fail(TARE_ERROR_INVALID_MODEL, std::string("empty output window"));
  return w;
}

// Calls f(ky, kx, iy, ix) for the taps of output position (oy, ox) that land inside the in_h x in_w input, kernel row
// by kernel row: the order the references accumulate in, so callers keep their sums bit for bit.
template <class F>
inline void for_each_tap(const Window& win, int in_h, int in_w, int oy, int ox, F&& f) {
  for (int ky = 0; ky < win.kh; ky++) {
    const int iy = oy * win.stride_h - win.pad_top + ky * win.dil_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < win.kw; kx++) {
      const int ix = ox * win.stride_w - win.pad_left + kx * win.dil_w;
      if (ix >= 0 && ix < in_w) f(ky, kx, iy, ix);
    }
  }
}

// The input rows [y_begin, y_end) and columns [x_begin, x_end) a pooling window covers: padding never counts, neither
// in an average's divisor nor in a max.  Pools have no dilation.
struct ClippedWindow {
  int y_begin, y_end, x_begin, x_end;
  int count() const { return std::max(0, y_end - y_begin) * std::max(0, x_end - x_begin); }
};

inline ClippedWindow clip_window(const Window& win, int in_h, int in_w, int oy, int ox) {
  const int y0 = oy * win.stride_h - win.pad_top, x0 = ox * win.stride_w - win.pad_left;
  return {std::max(0, y0), std::min(in_h, y0 + win.kh), std::max(0, x0), std::min(in_w, x0 + win.kw)};
}

}  // namespace tare::ref::detail
