// CPU reference: MEAN, CONCATENATION, RESHAPE, SQUEEZE, PAD, RESIZE_BILINEAR.
#include <algorithm>
#include <cmath>

#include "common/resize_coords.h"
#include "ref/ref_ops.h"

namespace tare::ref::detail {

std::vector<int64_t> strides_of(const std::vector<int>& s) {
  std::vector<int64_t> st(s.size());
  int64_t r = 1;
  for (size_t k = s.size(); k-- > 0;) {
    st[k] = r;
    r *= s[k];
  }
  return st;
}

std::vector<int64_t> broadcast_strides(const std::vector<int>& d) {
  std::vector<int64_t> st = strides_of(d);
  for (size_t k = 0; k < d.size(); k++)
    if (d[k] == 1) st[k] = 0;
  return st;
}

namespace {

// Axes given by the params, else by the constant second input (normalised against `rank`), sorted and unique.
std::vector<int> axes_of(const OpContext& c, int rank) {
  std::vector<int> axes = c.params().axes;
  if (axes.empty() && c.has_input(1)) {
    for (float v : c.in(1)) axes.push_back((int)v);
  }
  for (int& a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) c.fail(TARE_ERROR_INVALID_MODEL, "axis out of range for rank " + std::to_string(rank));
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

}  // namespace

void mean(OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& is = c.in_shape(0);
  const int rank = (int)is.size();
  const std::vector<int> axes = axes_of(c, rank);
  std::vector<bool> reduced((size_t)rank, false);
  for (int a : axes) reduced[a] = true;
  std::vector<int> os;        // declared output shape
  std::vector<int> kept(is);  // the input shape with reduced dimensions set to 1 (same layout as the output)
  int64_t count = 1;
  for (int k = 0; k < rank; k++) {
    if (reduced[k]) {
      count *= is[k];
      kept[k] = 1;
      if (c.params().keep_dims) os.push_back(1);
    } else {
      os.push_back(is[k]);
    }
  }
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, os);
  std::vector<double> sum(out.size(), 0.0);
  const std::vector<int64_t> ost = strides_of(kept);
  std::vector<int> idx((size_t)rank, 0);
  int64_t o = 0;
  for (size_t i = 0; i < in.size(); i++) {
    sum[(size_t)o] += in[i];
    for (int k = rank; k-- > 0;) {
      idx[k]++;
      if (!reduced[k]) o += ost[k];
      if (idx[k] < is[k]) break;
      if (!reduced[k]) o -= ost[k] * idx[k];
      idx[k] = 0;
    }
  }
  for (size_t j = 0; j < out.size(); j++) out[j] = count > 0 ? (float)(sum[j] / (double)count) : NAN;
}

void concatenation(OpContext& c) {
  c.require_inputs(1);
  check_activation(c);
  const std::vector<int>& s0 = c.in_shape(0);
  const int rank = (int)s0.size();
  const int axis = c.params().axis;
  if (axis < 0 || axis >= rank) c.fail(TARE_ERROR_INVALID_MODEL, "axis " + std::to_string(axis) + " out of range");
  std::vector<int> os = s0;
  os[axis] = 0;
  for (size_t i = 0; i < c.num_inputs(); i++) {
    const std::vector<int>& s = c.in_shape(i);
    bool ok = (int)s.size() == rank;
    for (int k = 0; ok && k < rank; k++) ok = k == axis || s[k] == s0[k];
    if (!ok) c.fail(TARE_ERROR_INVALID_MODEL, "input shapes " + shape_str(s0) + " and " + shape_str(s) + " differ");
    os[axis] += s[axis];
  }
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; k++) outer *= s0[k];
  for (int k = axis + 1; k < rank; k++) inner *= s0[k];
  std::vector<const std::vector<float>*> ins;
  for (size_t i = 0; i < c.num_inputs(); i++) ins.push_back(&c.in(i));
  std::vector<float>& out = c.out(0, os);
  size_t pos = 0;
  for (int64_t o = 0; o < outer; o++)
    for (size_t i = 0; i < ins.size(); i++) {
      const int64_t chunk = (int64_t)c.in_shape(i)[axis] * inner;
      const float* src = ins[i]->data() + o * chunk;
      for (int64_t j = 0; j < chunk; j++) out[pos++] = apply_activation(src[j], c.params().activation);
    }
}

void reshape(OpContext& c) {
  c.require_inputs(1);
  const std::vector<float>& in = c.in(0);
  if (c.op().outputs.empty() || c.op().outputs[0] < 0 || c.op().outputs[0] >= (int)c.graph().tensors.size())
    c.fail(TARE_ERROR_INVALID_MODEL, "missing output");
  const std::vector<int> os = c.graph().tensors[c.op().outputs[0]].shape;
  if (elements_of(os) != (int64_t)in.size())
    c.fail(TARE_ERROR_INVALID_MODEL, "cannot reshape " + shape_str(c.in_shape(0)) + " to " + shape_str(os));
  std::vector<float>& out = c.out(0, os);
  out = in;
}

void squeeze(OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& is = c.in_shape(0);
  const int rank = (int)is.size();
  std::vector<int> axes = c.params().axes;
  for (int& a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank || is[a] != 1)
      c.fail(TARE_ERROR_INVALID_MODEL, "cannot squeeze axis " + std::to_string(a) + " of " + shape_str(is));
  }
  std::vector<int> os;
  for (int k = 0; k < rank; k++) {
    const bool drop = axes.empty() ? is[k] == 1 : std::find(axes.begin(), axes.end(), k) != axes.end();
    if (!drop) os.push_back(is[k]);
  }
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, os);
  out = in;
}

void pad(OpContext& c) {
  c.require_inputs(1);
  const std::vector<int>& is = c.in_shape(0);
  const size_t rank = is.size();
  std::vector<std::pair<int, int>> pads = c.params().paddings;
  if (pads.empty() && c.has_input(1)) {
    const std::vector<float>& pv = c.in(1);
    for (size_t k = 0; k + 1 < pv.size(); k += 2) pads.emplace_back((int)pv[k], (int)pv[k + 1]);
  }
  if (pads.size() != rank) c.fail(TARE_ERROR_INVALID_MODEL, "needs one (before, after) pair per dimension");
  std::vector<int> os(rank);
  for (size_t k = 0; k < rank; k++) {
    if (pads[k].first < 0 || pads[k].second < 0) c.fail(TARE_ERROR_INVALID_MODEL, "negative padding");
    os[k] = is[k] + pads[k].first + pads[k].second;
  }
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, os);                                // zero-filled
  if (c.has_input(2)) std::fill(out.begin(), out.end(), c.in(2).at(0));  // PADV2's value
  const std::vector<int64_t> ost = strides_of(os);
  int64_t o = 0;
  for (size_t k = 0; k < rank; k++) o += pads[k].first * ost[k];
  std::vector<int> idx(rank, 0);
  for (size_t i = 0; i < in.size(); i++) {
    out[(size_t)o] = in[i];
    for (size_t k = rank; k-- > 0;) {
      idx[k]++;
      o += ost[k];
      if (idx[k] < is[k]) break;
      o -= ost[k] * idx[k];
      idx[k] = 0;
    }
  }
}

void resize_bilinear(OpContext& c) {
  c.require_inputs(1);
  c.require_rank(0, 4);
  const std::vector<int>& is = c.in_shape(0);
  const int n = is[0], h = is[1], w = is[2], ch = is[3];
  int oh, ow;
  if (c.has_input(1)) {
    const std::vector<float>& sz = c.in(1);
    if (sz.size() != 2) c.fail(TARE_ERROR_INVALID_MODEL, "size input must hold 2 values");
    oh = (int)sz[0];
    ow = (int)sz[1];
  } else {
    if (c.op().outputs.empty() || c.op().outputs[0] < 0 || c.op().outputs[0] >= (int)c.graph().tensors.size())
      c.fail(TARE_ERROR_INVALID_MODEL, "missing output");
    const std::vector<int>& ds = c.graph().tensors[c.op().outputs[0]].shape;
    if (ds.size() != 4) c.fail(TARE_ERROR_INVALID_MODEL, "output must have rank 4");
    oh = ds[1];
    ow = ds[2];
  }
  if (oh < 1 || ow < 1 || h < 1 || w < 1) c.fail(TARE_ERROR_INVALID_MODEL, "empty resize");
  const OpParams& p = c.params();
  if (p.align_corners && p.half_pixel_centers)
    c.fail(TARE_ERROR_INVALID_MODEL, "align_corners and half_pixel_centers are exclusive");
  const float sh = resize::scale(h, oh, p.align_corners), sw = resize::scale(w, ow, p.align_corners);
  const std::vector<float>& in = c.in(0);
  std::vector<float>& out = c.out(0, {n, oh, ow, ch});
  auto at = [&](int b, int y, int x, int k) { return in[(((size_t)b * h + y) * w + x) * ch + k]; };
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++) {
      const resize::Source sy = resize::source(y, sh, p.half_pixel_centers, h);
      const int y0 = sy.lo, y1 = sy.hi;
      const float dy = sy.frac();  // not clamped, exactly as TFLite (y0 == y1 at the low border)
      for (int x = 0; x < ow; x++) {
        const resize::Source sx = resize::source(x, sw, p.half_pixel_centers, w);
        const int x0 = sx.lo, x1 = sx.hi;
        const float dx = sx.frac();
        float* op = &out[(((size_t)b * oh + y) * ow + x) * ch];
        for (int k = 0; k < ch; k++)
          op[k] = at(b, y0, x0, k) * (1 - dy) * (1 - dx) + at(b, y1, x0, k) * dy * (1 - dx) +
                  at(b, y0, x1, k) * (1 - dy) * dx + at(b, y1, x1, k) * dy * dx;
      }
    }
}

}  // namespace tare::ref::detail
