// Backward of RESIZE_BILINEAR (shaders/grad_resize_bilinear.comp): the transpose of the forward interpolation, in
// gather form from per-axis tables built here with the forward's float coordinate arithmetic (TFLite's reference:
// src = dst * scale, or (dst + 0.5) * scale - 0.5 with half-pixel centers; low = max(floor(src), 0), high =
// min(ceil(src), in - 1); weights 1 - (src - low) to low and src - low to high).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

struct Push {
  int32_t h, w, c4, oh, ow, total;
  int32_t row_off, col_off, row_ent, col_ent;
};

// For each input index along one axis, the output indices that read it and the weight they give it (two reads of
// the same input by one output are summed).
std::vector<std::vector<std::pair<int, float>>> axis_table(int in, int out, float scale, bool half_pixel) {
  std::vector<std::vector<std::pair<int, float>>> t((size_t)in);
  auto add = [&](int i, int o, float w) {
    auto& l = t[(size_t)i];
    if (!l.empty() && l.back().first == o) l.back().second += w;
    else l.emplace_back(o, w);
  };
  for (int o = 0; o < out; o++) {
    const float c = half_pixel ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
    const int lo = std::max((int)std::floor(c), 0);
    const int hi = std::min((int)std::ceil(c), in - 1);
    const float frac = c - (float)lo;
    add(lo, o, 1.0f - frac);
    add(hi, o, frac);
  }
  return t;
}

// Appends a table as CSR: offsets (in + 1 ints) at *off, then (index, float bits) pairs at *ent.
void append_csr(std::vector<int32_t>& buf, const std::vector<std::vector<std::pair<int, float>>>& t,
                std::vector<int32_t>& entries, int32_t* off) {
  *off = (int32_t)buf.size();
  int32_t k = (int32_t)entries.size() / 2;
  for (const auto& l : t) {
    buf.push_back(k);
    for (const auto& [o, w] : l) {
      int32_t bits;
      std::memcpy(&bits, &w, 4);
      entries.push_back(o);
      entries.push_back(bits);
      k++;
    }
  }
  buf.push_back(k);
}

}  // namespace

KernelPtr make_grad_resize_bilinear(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const ResizeShapes rs = resize_shapes(b.graph(), op, where);
  const Shape4 &is = rs.is, &os = rs.os;
  const OpParams& p = op.params;
  const int64_t total = is.rows() * is.c4();
  TARE_CHECK(total < (int64_t)INT32_MAX - kLocal && os.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  // Scales in float exactly as the forward (resize_bilinear.cpp) computes them.
  float sh = (float)is.h / (float)os.h, sw = (float)is.w / (float)os.w;
  if (p.align_corners && os.h > 1) sh = (float)(is.h - 1) / (float)(os.h - 1);
  if (p.align_corners && os.w > 1) sw = (float)(is.w - 1) / (float)(os.w - 1);
  // Layout: row offsets, column offsets, row entries, column entries (entry indices are relative to each list).
  std::vector<int32_t> head, rows, cols;
  Push pc{is.h, is.w, is.c4(), os.h, os.w, (int32_t)total, 0, 0, 0, 0};
  append_csr(head, axis_table(is.h, os.h, sh, p.half_pixel_centers), rows, &pc.row_off);
  append_csr(head, axis_table(is.w, os.w, sw, p.half_pixel_centers), cols, &pc.col_off);
  pc.row_ent = (int32_t)head.size();
  head.insert(head.end(), rows.begin(), rows.end());
  pc.col_ent = (int32_t)head.size();
  head.insert(head.end(), cols.begin(), cols.end());
  const ConstSlice tab = b.add_constant_bytes(head.data(), head.size() * sizeof(int32_t));
  auto pipe = b.context().pipeline("grad_resize_bilinear", {}, sizeof(Push), 3, kLocal, 1, 1);
  return make_dispatch(std::move(pipe), {Binding::g(op.outputs[0]), Binding::g(op.inputs[0]), Binding::c(tab)}, pc,
                       grid_xy(total, kLocal));
}

}  // namespace tare::ops
