// Kernels and references of the index-map layout ops (index_map.h).
#include "ops/index_map.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

// The op's map, checked against the graph's output shape.
IndexMap checked_map(const Graph& g, const Op& op, IndexMapFn fn, const std::string& where) {
  check_input_output(op, where);
  const Tensor& in = g.tensors[(size_t)op.inputs[0]];
  const Tensor& out = g.tensors[(size_t)op.outputs[0]];
  IndexMap m = fn(op.params, in.shape, true);
  TARE_CHECK(m.error.empty(), TARE_ERROR_INVALID_MODEL, where + m.error);
  TARE_CHECK(m.out_shape == out.shape, TARE_ERROR_INVALID_MODEL,
             where + "output shape " + shape_str(out.shape) + " does not match " + shape_str(m.out_shape));
  return m;
}

// Dense element index -> lane of the NHWC4 storage (rows of C4 groups of 4 lanes).
int64_t device_lane(int64_t i, int c, int c4) { return i / c * c4 * 4 + i % c; }

// For every lane of the output's storage, the input lane it copies (-1: a padding lane, -2: an element another
// input writes, kept).
std::vector<int32_t> device_map(const std::vector<int64_t>& src_of, const Shape4& is, const Shape4& os,
                                const std::string& where) {
  TARE_CHECK(os.padded_elements() < INT32_MAX && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  std::vector<int32_t> lanes((size_t)os.padded_elements(), -1);
  for (size_t i = 0; i < src_of.size(); i++)
    lanes[(size_t)device_lane((int64_t)i, os.c, os.c4())] =
        src_of[i] < 0 ? -2 : (int32_t)device_lane(src_of[i], is.c, is.c4());
  return lanes;
}

}  // namespace

bool same_quant(const Tensor& a, const Tensor& b) {
  return a.dtype == b.dtype && a.quant.scale == b.quant.scale && a.quant.zero_point == b.quant.zero_point;
}

std::vector<int64_t> dense_strides(const std::vector<int>& s) {
  std::vector<int64_t> r(s.size(), 1);
  for (int d = (int)s.size() - 2; d >= 0; d--) r[d] = r[d + 1] * s[d + 1];
  return r;
}

void infer_index_map(ShapeContext& s, IndexMapFn fn) {
  s.need_inputs(1, 4);
  IndexMap m = fn(s.params(), s.in(0), false);
  if (!m.error.empty()) s.err(m.error);
  s.set_out(m.out_shape);
}

void check_same_quant(const TfliteOpReader& r) {
  const Tensor &x = r.input(0), &y = r.output();
  if (is_q8(x) || is_q8(y)) {
    if (!same_quant(x, y))
      r.unsupported(
          "8-bit input and output with different types or quantization are not supported (the values "
          "are copied)");
  }
}

// The words [first, last] of a lane map (4 lanes a word) that hold a lane >= 0: a dispatch over them writes all its
// elements (the words outside hold only elements another dispatch writes, and their padding lanes).
std::pair<int32_t, int32_t> used_words(const std::vector<int32_t>& lanes) {
  int32_t first = -1, last = -1;
  for (size_t i = 0; i < lanes.size(); i++)
    if (lanes[i] >= 0) {
      if (first < 0) first = (int32_t)(i / 4);
      last = (int32_t)(i / 4);
    }
  return {first, last};
}

void add_gather(BuildContext& b, std::vector<Dispatch>& out, int src, int dst, const std::vector<int64_t>& src_of,
                const std::string& where) {
  const Graph& g = b.graph();
  const Tensor &it = g.tensors[(size_t)src], &ot = g.tensors[(size_t)dst];
  TARE_CHECK(!is_q8(ot) || same_quant(it, ot), TARE_ERROR_UNSUPPORTED,
             where + "input and output must have the same type and quantization (the values are copied)");
  const std::vector<int32_t> lanes = device_map(src_of, shape4(it.shape), shape4(ot.shape), where);
  // Only the words this source writes (PACK: its own stretch of the output); a map without a kept element
  // covers every word, so that all padding lanes are written.
  int32_t first = 0, last = (int32_t)(lanes.size() / 4) - 1;
  if (std::find(src_of.begin(), src_of.end(), -1) != src_of.end()) std::tie(first, last) = used_words(lanes);
  if (lanes.empty() || first < 0) return;
  const ConstSlice map = b.add_constant_bytes(lanes.data() + 4 * first, (size_t)(last - first + 1) * 16);
  const int32_t total = last - first + 1;
  const std::vector<Binding> bindings = {Binding::t(src), Binding::t(dst), Binding::c(map)};
  if (!is_q8(ot)) {
    const struct { int32_t total, first; } pc{total, first};
    out.push_back(
        Dispatch::make(b.pipeline("gather_map", {}, sizeof(pc), 3, kLocal), bindings, pc, grid_xz(total, kLocal)));
    return;
  }
  const struct { int32_t total, zo, first; } pc{total, device_zero_point(ot), first};
  out.push_back(Dispatch::make(b.pipeline_q8("q8_gather_map", false, {}, sizeof(pc), 3, kLocal), bindings, pc,
                               grid_xz(total, kLocal)));
}

void add_grad_gather(BuildContext& b, std::vector<Dispatch>& out, int src, int dst, const std::vector<int64_t>& src_of,
                     const std::string& where) {
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const Graph& g = b.graph();
  const Shape4 is = shape4(g.tensors[(size_t)src].shape), os = shape4(g.tensors[(size_t)dst].shape);
  const std::vector<int32_t> lanes = device_map(src_of, is, os, where);
  // The inverse map as lists (CSR) per input lane: GATHER may read an input element more than once.
  const size_t in_lanes = (size_t)is.padded_elements();
  if (in_lanes == 0) return;
  std::vector<int32_t> start(in_lanes + 1, 0), list;
  for (int32_t s : lanes)
    if (s >= 0) start[(size_t)s + 1]++;
  for (size_t i = 0; i < in_lanes; i++) start[i + 1] += start[i];
  list.assign((size_t)start[in_lanes] + 1, 0);  // + 1: never an empty buffer
  std::vector<int32_t> fill(start.begin(), start.end() - 1);
  for (size_t o = 0; o < lanes.size(); o++)
    if (lanes[o] >= 0) list[(size_t)fill[(size_t)lanes[o]]++] = (int32_t)o;
  // Only the input words some output lane copied (SPLIT: this output's stretch of the input).
  int32_t first = -1, last = -1;
  for (size_t i = 0; i < in_lanes; i++)
    if (start[i + 1] > start[i]) {
      if (first < 0) first = (int32_t)(i / 4);
      last = (int32_t)(i / 4);
    }
  if (first < 0) return;
  const ConstSlice cs = b.add_constant_bytes(start.data(), start.size() * 4);
  const ConstSlice cl = b.add_constant_bytes(list.data(), list.size() * 4);
  const struct { int32_t total, first; } pc{last - first + 1, first};
  auto p = b.context().pipeline("grad_gather_map", {}, sizeof(pc), 4, kLocal, 1, 1);
  out.push_back(Dispatch::make(std::move(p), {Binding::g(dst), Binding::g(src), Binding::c(cs), Binding::c(cl)}, pc,
                               grid_xz(pc.total, kLocal)));
}

KernelPtr make_index_map(BuildContext& b, const Op& op, IndexMapFn fn) {
  const std::string where = op_where(op);
  std::vector<Dispatch> d;
  add_gather(b, d, op.inputs[0], op.outputs[0], checked_map(b.graph(), op, fn, where).src, where);
  return std::make_unique<DispatchKernel>(std::move(d));
}

KernelPtr make_q8_index_map(BuildContext& b, const Op& op, IndexMapFn fn) {
  const std::string where = op_where_q8(op);
  const auto [it, ot] = q8_op_io(b.graph(), op, where, false, false);
  TARE_CHECK(same_quant(it, ot), TARE_ERROR_UNSUPPORTED,
             where + "input and output must have the same type and quantization (the values are copied)");
  std::vector<Dispatch> d;
  add_gather(b, d, op.inputs[0], op.outputs[0], checked_map(b.graph(), op, fn, where).src, where);
  return std::make_unique<DispatchKernel>(std::move(d));
}

KernelPtr make_grad_index_map(BuildContext& b, const Op& op, IndexMapFn fn) {
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  std::vector<Dispatch> d;
  add_grad_gather(b, d, op.inputs[0], op.outputs[0], checked_map(b.graph(), op, fn, where).src, where);
  return std::make_unique<DispatchKernel>(std::move(d));
}

void ref_float_index_map(ref::detail::OpContext& c, IndexMapFn fn) {
  c.require_inputs(1);
  const IndexMap m = fn(c.params(), c.in_shape(0), true);
  if (!m.error.empty()) c.fail(TARE_ERROR_INVALID_MODEL, m.error);
  const std::vector<float>& x = c.in(0);
  std::vector<float>& y = c.out(0, m.out_shape);
  for (size_t i = 0; i < m.src.size(); i++) y[i] = x[(size_t)m.src[i]];
}

// TFLite's int8/uint8 kernels of these ops copy the stored values.
void ref_int_index_map(ref::intd::IntCtx& c, IndexMapFn fn) {
  const Tensor &in = c.in_tensor(0), &out = c.out_tensor(0);
  if (in.dtype != out.dtype || !same_quant(in, out))
    c.fail(TARE_ERROR_UNSUPPORTED, "input and output must have the same type and quantization");
  const IndexMap m = fn(c.op.params, in.shape, true);
  if (!m.error.empty()) c.fail(TARE_ERROR_INVALID_MODEL, m.error);
  if (m.out_shape != out.shape) c.fail(TARE_ERROR_INVALID_MODEL, "output shape does not match the parameters");
  const size_t es = (size_t)(in.elements() ? in.bytes() / in.elements() : 1);
  const uint8_t* x = c.in_bytes(0);
  uint8_t* y = c.out_bytes(0);
  for (size_t i = 0; i < m.src.size(); i++) std::memcpy(y + i * es, x + (size_t)m.src[i] * es, es);
}

void ref_grad_index_map(ref::GradContext& c, IndexMapFn fn) {
  const int x = c.input(0);
  const IndexMap m = fn(c.op().params, c.shape(x), true);
  if (!m.error.empty()) c.fail(TARE_ERROR_INVALID_MODEL, m.error);
  std::vector<float>* gx = c.grad(x);
  if (!gx) return;
  const std::vector<float>& gy = c.output_grad();
  if (gy.size() != m.src.size()) c.fail(TARE_ERROR_INVALID_MODEL, "output gradient size does not match");
  for (size_t i = 0; i < gy.size(); i++) (*gx)[(size_t)m.src[i]] += gy[i];
}

}  // namespace tare::ops
