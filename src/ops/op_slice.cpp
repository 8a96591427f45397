// SLICE and STRIDED_SLICE: a box (with strides for STRIDED_SLICE) of the input.  Parameters from constant inputs
// (and StridedSliceOptions' masks), kept in params.ints; data movement by index map (index_map.h).
#include <limits>

#include "ops/index_map.h"

namespace tare::ops {

namespace {

using BOpt = tflite::BuiltinOptions;

// ---- SLICE: params.ints = begin[0..r) then size[0..r) (size -1: to the end) -----------------------------------------

IndexMap slice_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const size_t r = in.size();
  if (p.ints.size() != 2 * r) {
    m.error = "begin and size need " + std::to_string(r) + " values each for input " + shape_str(in);
    return m;
  }
  std::vector<int> begin(r);
  for (size_t d = 0; d < r; d++) {
    const int b = p.ints[d], s = p.ints[r + d];
    const int size = s == -1 ? in[d] - b : s;
    if (b < 0 || b > in[d] || size < 0 || (int64_t)b + size > in[d]) {
      m.error = "begin " + std::to_string(b) + " size " + std::to_string(s) + " out of range for dimension " +
                std::to_string(d) + " of " + shape_str(in);
      return m;
    }
    begin[d] = b;
    m.out_shape.push_back(size);
  }
  if (!with_src) return m;
  const std::vector<int64_t> st = dense_strides(in);
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& c) {
    int64_t s = 0;
    for (size_t d = 0; d < r; d++) s += (int64_t)(begin[d] + c[d]) * st[d];
    m.src.push_back(s);
  });
  return m;
}

void read_slice(TfliteOpReader& r) {
  r.arity(3, 3, 3);
  const int rank = r.input_rank(0);
  const std::vector<int64_t> b = r.const_ints(1, "begin"), s = r.const_ints(2, "size");
  if ((int)b.size() != rank || (int)s.size() != rank)
    r.invalid("begin and size need " + std::to_string(rank) + " values each");
  std::vector<int>& v = r.params().ints;
  for (int64_t x : b) v.push_back((int)std::clamp<int64_t>(x, -1, std::numeric_limits<int>::max()));
  for (int64_t x : s) v.push_back((int)std::clamp<int64_t>(x, -2, std::numeric_limits<int>::max()));
  check_same_quant(r);
}

void write_slice(TfliteOpWriter& w) {
  const std::vector<int>& v = w.params().ints;
  const int r = (int)v.size() / 2;
  w.inputs().resize(3, -1);
  w.inputs()[1] = w.int_param(1, {r}, std::vector<int64_t>(v.begin(), v.begin() + r), "_begin");
  w.inputs()[2] = w.int_param(2, {r}, std::vector<int64_t>(v.begin() + r, v.end()), "_size");
  w.set_options(BOpt::SliceOptions, tflite::CreateSliceOptions(w.fbb()).Union());
  w.set_version(r > 4 ? 3 : version_by_int_type(w));
}

// ---- STRIDED_SLICE: params.ints = the five masks, offset, then begin, end, strides (k values each) ------------------

enum { kBeginMask, kEndMask, kEllipsisMask, kNewAxisMask, kShrinkMask, kOffset, kHead };

// The per-input-dimension box after the masks (TensorFlow's canonicalisation: the ellipsis stands for the
// dimensions no other entry names, new axes add output dimensions of 1, shrunk dimensions leave the output) with
// TFLite's StartForAxis / StopForAxis clamping.
IndexMap strided_slice_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const int r = (int)in.size();
  if (p.ints.size() < kHead || (p.ints.size() - kHead) % 3 != 0) {
    m.error = "malformed strided slice parameters";
    return m;
  }
  const int k = (int)(p.ints.size() - kHead) / 3;
  const int* begin = p.ints.data() + kHead;
  const int* end = begin + k;
  const int* stride = end + k;
  const int bm = p.ints[kBeginMask], em = p.ints[kEndMask], elm = p.ints[kEllipsisMask], nm = p.ints[kNewAxisMask],
            sm = p.ints[kShrinkMask];
  if (p.ints[kOffset]) {
    m.error = "the offset option is not supported";
    return m;
  }
  if (elm & (elm - 1)) {
    m.error = "more than one ellipsis";
    return m;
  }
  int named = 0;  // input dimensions named by entries other than the ellipsis and new axes
  for (int i = 0; i < k; i++)
    if (!(elm >> i & 1) && !(nm >> i & 1)) named++;
  if (named > r) {
    m.error = std::to_string(named) + " sliced dimensions for input " + shape_str(in);
    return m;
  }
  std::vector<int> first(r), step(r, 1), count(r);
  std::vector<bool> kept(r, true);
  int d = 0;
  auto full = [&](int dim) { first[dim] = 0, step[dim] = 1, count[dim] = in[dim]; };
  for (int i = 0; i < k && m.error.empty(); i++) {
    if (elm >> i & 1) {
      for (int e = 0; e < r - named; e++, d++) {
        full(d);
        m.out_shape.push_back(in[d]);
      }
      continue;
    }
    if (nm >> i & 1) {
      m.out_shape.push_back(1);
      continue;
    }
    const int n = in[d], s = stride[i];
    if (s == 0) {
      m.error = "stride 0";
      break;
    }
    int64_t a = bm >> i & 1 ? (s > 0 ? 0 : n - 1) : begin[i];
    if (!(bm >> i & 1) && a < 0) a += n;
    a = s > 0 ? std::clamp<int64_t>(a, 0, n) : std::clamp<int64_t>(a, -1, n - 1);
    if (sm >> i & 1) {
      if (a < 0 || a >= n) {
        m.error = "shrunk index " + std::to_string(begin[i]) + " out of range for dimension " + std::to_string(d);
        break;
      }
      first[d] = (int)a, step[d] = 1, count[d] = 1, kept[d] = false;
      d++;
      continue;
    }
    int64_t b = em >> i & 1 ? (s > 0 ? n : -1) : end[i];
    if (!(em >> i & 1) && b < 0) b += n;
    b = s > 0 ? std::clamp<int64_t>(b, 0, n) : std::clamp<int64_t>(b, -1, n - 1);
    const int64_t c = s > 0 ? (b - a + s - 1) / s : (a - b - s - 1) / -s;
    first[d] = (int)a, step[d] = s, count[d] = (int)std::max<int64_t>(0, c);
    m.out_shape.push_back(count[d]);
    d++;
  }
  if (!m.error.empty()) return m;
  for (; d < r; d++) {  // dimensions after the last entry (no ellipsis): whole
    full(d);
    m.out_shape.push_back(in[d]);
  }
  if (!with_src) return m;
  std::vector<int> box;  // the kept input dimensions' counts, in order: the output's order without new axes
  for (int i = 0; i < r; i++) box.push_back(count[i]);
  const std::vector<int64_t> st = dense_strides(in);
  for_each_coord(box, [&](int64_t, const std::vector<int>& c) {
    int64_t s = 0;
    for (int i = 0; i < r; i++) s += ((int64_t)first[i] + (int64_t)c[i] * step[i]) * st[i];
    m.src.push_back(s);
  });
  return m;
}

void read_strided_slice(TfliteOpReader& r) {
  r.arity(4, 4, 4);
  auto opt = r.options<tflite::StridedSliceOptions>(BOpt::StridedSliceOptions);
  std::vector<int>& v = r.params().ints;
  v = {opt ? opt->begin_mask() : 0,    opt ? opt->end_mask() : 0,         opt ? opt->ellipsis_mask() : 0,
       opt ? opt->new_axis_mask() : 0, opt ? opt->shrink_axis_mask() : 0, opt && opt->offset() ? 1 : 0};
  if (v[kOffset]) r.unsupported("the offset option (end relative to begin) is not supported");
  if (v[kEllipsisMask] & (v[kEllipsisMask] - 1)) r.invalid("more than one ellipsis");
  const std::vector<int64_t> b = r.const_ints(1, "begin"), e = r.const_ints(2, "end"), s = r.const_ints(3, "strides");
  if (b.size() != e.size() || b.size() != s.size() || b.empty() || b.size() > 32)
    r.invalid("begin, end and strides need the same number of values (1 to 32)");
  for (const auto* x : {&b, &e, &s})
    for (int64_t y : *x) v.push_back((int)std::clamp<int64_t>(y, INT32_MIN, INT32_MAX));
  check_same_quant(r);
}

void write_strided_slice(TfliteOpWriter& w) {
  const std::vector<int>& v = w.params().ints;
  if (v.size() < kHead || (v.size() - kHead) % 3 != 0) w.bad("malformed strided slice parameters");
  const int k = (int)(v.size() - kHead) / 3;
  w.inputs().resize(4, -1);
  const char* names[] = {"_begin", "_end", "_strides"};
  for (int i = 0; i < 3; i++) {
    const auto at = v.begin() + kHead + i * k;
    w.inputs()[1 + i] = w.int_param(1 + i, {k}, std::vector<int64_t>(at, at + k), names[i]);
  }
  w.set_options(BOpt::StridedSliceOptions,
                tflite::CreateStridedSliceOptions(w.fbb(), v[kBeginMask], v[kEndMask], v[kEllipsisMask],
                                                  v[kNewAxisMask], v[kShrinkMask], v[kOffset] != 0)
                    .Union());
  w.set_version(w.rank(w.in(0)) > 4 ? 4 : version_by_int_type(w));
}

}  // namespace

const OpDesc kSlice = {
    .type = OpType::Slice,
    .name = "SLICE",
    .builtin = (int)tflite::BuiltinOperator::SLICE,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_slice,
    .write = write_slice,
    .infer = [](ShapeContext& s) { infer_index_map(s, slice_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, slice_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, slice_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, slice_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, slice_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, slice_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, slice_map); },
};

const OpDesc kStridedSlice = {
    .type = OpType::StridedSlice,
    .name = "STRIDED_SLICE",
    .builtin = (int)tflite::BuiltinOperator::STRIDED_SLICE,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_strided_slice,
    .write = write_strided_slice,
    .infer = [](ShapeContext& s) { infer_index_map(s, strided_slice_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, strided_slice_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, strided_slice_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, strided_slice_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, strided_slice_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, strided_slice_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, strided_slice_map); },
};

}  // namespace tare::ops
