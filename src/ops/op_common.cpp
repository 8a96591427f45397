// Host-side helpers shared by the float and 8-bit dispatch code (see op_common.h).
#include "ops/op_common.h"

#include <algorithm>

#include "common/error.h"
#include "common/fixed_point.h"

namespace tare::ops {

// ---- messages and validation ---------------------------------------------------------------------------------------

std::string op_where(const Op& op) {
  return "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
}

std::string op_where_q8(const Op& op) {
  return "operator " + std::to_string(op.source_index) + " (8-bit " + op_name(op.type) + "): ";
}

void check_input_output(const Op& op, const std::string& where) {
  TARE_CHECK(!op.inputs.empty() && op.inputs[0] >= 0 && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects an input and 1 output");
}

void check_one_input_output(const Op& op, const std::string& where) {
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
}

void check_weighted_op(const Op& op, const std::string& where, size_t max_inputs) {
  TARE_CHECK(op.inputs.size() >= 2 && op.inputs.size() <= max_inputs && op.outputs.size() == 1 && op.inputs[0] >= 0 &&
                 op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects input, weights, optional bias and 1 output");
}

void check_not_const(const Tensor& t, const std::string& where) {
  TARE_CHECK(!t.is_const, TARE_ERROR_UNSUPPORTED, where + "a constant input is not supported");
}

void check_activation(const Op& op, const std::string& where) {
  const int act = (int)op.params.activation;
  TARE_CHECK(act >= 0 && act <= 3, TARE_ERROR_UNSUPPORTED, where + "unsupported fused activation");
}

void check_q8_io(const Tensor& in, const Tensor& out, const std::string& where) {
  TARE_CHECK(is_q8(in) && is_q8(out), TARE_ERROR_UNSUPPORTED, where + "input and output must both be 8-bit");
}

void check_quantized_io(const Tensor& in, const Tensor& out, const std::string& where) {
  TARE_CHECK(in.quant.quantized() && out.quant.quantized(), TARE_ERROR_INVALID_MODEL,
             where + "input and output need quantization parameters");
}

OpIO op_io(const Graph& g, const Op& op, const std::string& where, bool exactly_one) {
  if (exactly_one) check_one_input_output(op, where);
  else check_input_output(op, where);
  return {g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]};
}

OpIO elementwise_io(const Graph& g, const Op& op, const std::string& where, bool q8) {
  const OpIO io = q8 ? q8_op_io(g, op, where, true, true) : op_io(g, op, where, true);
  check_not_const(io.in, where);
  const Shape4 si = shape4(io.in.shape), s = shape4(io.out.shape);
  TARE_CHECK(si.c == s.c && si.rows() == s.rows(), TARE_ERROR_INVALID_MODEL,
             where + "output shape must match the input's");
  TARE_CHECK(s.rows() * s.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  return io;
}

OpIO q8_op_io(const Graph& g, const Op& op, const std::string& where, bool exactly_one, bool quantized) {
  const OpIO io = op_io(g, op, where, exactly_one);
  check_q8_io(io.in, io.out, where);
  if (quantized) check_quantized_io(io.in, io.out, where);
  return io;
}

void q8_activation_range(Activation act, const Tensor& out, int32_t* lo, int32_t* hi) {
  const int32_t flip = u8_flip(out);
  quant::activation_range((int)act, tensor_scale(out), device_zero_point(out) + flip, -128 + flip, 127 + flip, lo, hi);
  *lo -= flip;
  *hi -= flip;
}

// ---- dispatch ------------------------------------------------------------------------------------------------------

Grid grid_xy(int64_t items, int64_t per_group) {
  const uint32_t groups = div_up(items, per_group);
  return {std::min<uint32_t>(groups, 65535), div_up(groups, 65535), 1};
}

int fitted_tile(int64_t pixels, int max_tile, uint32_t lanes) {
  const int64_t n = std::max<int64_t>(lanes, 1), most = std::max(max_tile, 1);
  return pixels >= n * most ? (int)most : (int)std::max<int64_t>(1, (pixels + n - 1) / n);
}

Grid grid_xz(int64_t items, int local, uint32_t y) {
  Grid g;
  split_groups(items, local, g.x, g.z);
  g.y = y;
  return g;
}

void record_dispatch(vk::Recorder& rec, const Dispatch& d, const Resources* res) {
  if (d.grid.empty()) return;
  std::vector<vk::BufferRange> bufs;
  bufs.reserve(d.bindings.size());
  for (const Binding& bd : d.bindings) {
    if (bd.buffer.buffer) {
      bufs.push_back(bd.buffer);
      continue;
    }
    TARE_CHECK(res != nullptr, TARE_ERROR_INTERNAL, "a tensor binding needs the graph's resources");
    bufs.push_back(bd.tensor < 0 ? res->constant(bd.constant)
                   : bd.grad     ? res->grad(bd.tensor)
                                 : res->tensor(bd.tensor));
  }
  rec.dispatch(*d.pipeline, bufs, d.push.data(), (uint32_t)d.push.size(), d.grid.x, d.grid.y, d.grid.z);
}

void DispatchKernel::record(vk::Recorder& rec, const Resources& res) {
  for (const Dispatch& d : dispatches_) record_dispatch(rec, d, &res);
}

// ---- element-wise ops with numpy broadcasting -----------------------------------------------------------------

namespace {

uint32_t broadcast_operand(const Shape4& in, const Shape4& out, BroadcastStrides& s) {
  s.c4 = in.c4();
  s.w = in.w == 1 ? 0 : 1;
  s.h = in.h == 1 ? 0 : in.w;
  s.n = in.n == 1 ? 0 : in.h * in.w;
  if (in.c == out.c && in.n == out.n && in.h == out.h && in.w == out.w) return 0;
  return in.c == out.c ? 1 : 2;
}

}  // namespace

BinaryGeometry binary_geometry(const Graph& g, const Op& op, const std::string& where) {
  TARE_CHECK(op.inputs.size() == 2 && op.outputs.size() == 1 && op.inputs[0] >= 0 && op.inputs[1] >= 0,
             TARE_ERROR_INVALID_MODEL, where + "expects 2 inputs and 1 output");
  const Tensor& ta = g.tensors[op.inputs[0]];
  const Tensor& tb = g.tensors[op.inputs[1]];
  const Tensor& to = g.tensors[op.outputs[0]];
  TARE_CHECK(ta.shape.size() <= 4 && tb.shape.size() <= 4 && to.shape.size() <= 4, TARE_ERROR_UNSUPPORTED,
             where + "operands of rank > 4 are not supported");
  const Shape4 sa = shape4(ta.shape), sb = shape4(tb.shape), so = shape4(to.shape);
  auto fits = [](int d, int o) { return d == o || d == 1; };
  for (const Shape4* s : {&sa, &sb})
    TARE_CHECK(fits(s->n, so.n) && fits(s->h, so.h) && fits(s->w, so.w) && fits(s->c, so.c), TARE_ERROR_INVALID_MODEL,
               where + "operand shapes do not broadcast to the output");
  TARE_CHECK(so.c4() <= 1 << 24 && so.rows() * so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  BinaryGeometry r{};
  r.out = so;
  r.head.total = (int32_t)(so.rows() * so.c4());
  r.head.c = so.c;
  r.head.c4 = so.c4();
  r.head.w = so.w;
  r.head.h = so.h;
  r.mode_a = broadcast_operand(sa, so, r.head.a);
  r.mode_b = broadcast_operand(sb, so, r.head.b);
  return r;
}

// ---- CONCATENATION --------------------------------------------------------------------------------------------------

ConcatGeometry concat_geometry(const Graph& g, const Op& op, const std::string& where) {
  TARE_CHECK(!op.inputs.empty() && op.outputs.size() == 1, TARE_ERROR_INVALID_MODEL,
             where + "expects inputs and 1 output");
  ConcatGeometry r{};
  r.out = &g.tensors[op.outputs[0]];
  r.rank = (int)r.out->shape.size();
  TARE_CHECK(r.rank >= 1 && r.rank <= 4, TARE_ERROR_UNSUPPORTED, where + "output rank must be 1..4");
  r.axis = op.params.axis;
  TARE_CHECK(r.axis >= 0 && r.axis < r.rank, TARE_ERROR_INVALID_MODEL, where + "axis out of range");
  r.so = shape4(r.out->shape);
  TARE_CHECK(r.so.rows() * r.so.c4() < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  r.axis4 = r.axis + 4 - r.rank;
  r.dims_out[0] = r.so.n;
  r.dims_out[1] = r.so.h;
  r.dims_out[2] = r.so.w;
  r.dims_out[3] = r.so.c;
  r.inner = 1;
  for (int d = r.axis4 + 1; d < 3; d++) r.inner *= r.dims_out[d];
  return r;
}

Shape4 concat_input(const Graph& g, const Op& op, const ConcatGeometry& cg, size_t i, const std::string& where,
                    int64_t* extent) {
  TARE_CHECK(op.inputs[i] >= 0, TARE_ERROR_INVALID_MODEL, where + "missing input");
  const Tensor& t = g.tensors[op.inputs[i]];
  TARE_CHECK(t.shape.size() == cg.out->shape.size(), TARE_ERROR_INVALID_MODEL, where + "input ranks differ");
  for (int d = 0; d < cg.rank; d++)
    TARE_CHECK(d == cg.axis || t.shape[d] == cg.out->shape[d], TARE_ERROR_INVALID_MODEL,
               where + "input shapes differ outside the axis");
  const Shape4 si = shape4(t.shape);
  const int dims_in[4] = {si.n, si.h, si.w, si.c};
  *extent = dims_in[cg.axis4];
  return si;
}

ConcatHead concat_head(const ConcatGeometry& cg, const Shape4& si, int64_t extent, int64_t offset) {
  ConcatHead h{};
  h.total = (int32_t)(si.rows() * si.c4());
  h.in_c = si.c;
  h.in_c4 = si.c4();
  h.out_c = cg.so.c;
  h.out_c4 = cg.so.c4();
  if (cg.axis4 == 3) {
    h.block_in = h.block_out = 1;
    h.ch_off = (int32_t)offset;
  } else {
    h.block_in = (int32_t)(extent * cg.inner);
    h.block_out = (int32_t)(cg.dims_out[cg.axis4] * cg.inner);
    h.row_off = (int32_t)(offset * cg.inner);
  }
  return h;
}

// ---- convolution and pooling ---------------------------------------------------------------------------------------

namespace {

ConvShapes conv_tensors(const Graph& g, const Op& op) {
  ConvShapes s{};
  s.in = &g.tensors[op.inputs[0]];
  s.wt = &g.tensors[op.inputs[1]];
  s.out = &g.tensors[op.outputs[0]];
  return s;
}

}  // namespace

ConvShapes conv2d_shapes(const Graph& g, const Op& op, const std::string& where) {
  ConvShapes s = conv_tensors(g, op);
  const Tensor &in = *s.in, &wt = *s.wt, &out = *s.out;
  TARE_CHECK(wt.is_const && wt.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "weights must be constant 4-D");
  TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
  s.oc = wt.shape[0];
  s.kh = wt.shape[1];
  s.kw = wt.shape[2];
  TARE_CHECK(wt.shape[3] == in.shape[3], TARE_ERROR_UNSUPPORTED, where + "grouped convolution is not supported");
  s.si = shape4(in.shape);
  s.so = shape4(out.shape);
  return s;
}

ConvShapes depthwise_shapes(const Graph& g, const Op& op, const std::string& where) {
  ConvShapes s = conv_tensors(g, op);
  const Tensor &in = *s.in, &wt = *s.wt, &out = *s.out;
  TARE_CHECK(wt.is_const && wt.shape.size() == 4 && wt.shape[0] == 1, TARE_ERROR_UNSUPPORTED,
             where + "weights must be constant [1,KH,KW,C]");
  TARE_CHECK(in.shape.size() == 4 && out.shape.size() == 4, TARE_ERROR_UNSUPPORTED, where + "tensors must be 4-D");
  s.kh = wt.shape[1];
  s.kw = wt.shape[2];
  s.oc = wt.shape[3];
  s.si = shape4(in.shape);
  s.so = shape4(out.shape);
  TARE_CHECK(s.oc == s.so.c && s.si.c > 0 && s.oc % s.si.c == 0, TARE_ERROR_INVALID_MODEL,
             where + "channel counts do not match");
  return s;
}

ConvShapes q8_conv_shapes(const Graph& g, const Op& op, const std::string& where, bool depthwise) {
  check_weighted_op(op, where, op.inputs.size());
  const ConvShapes s = depthwise ? depthwise_shapes(g, op, where) : conv2d_shapes(g, op, where);
  TARE_CHECK(is_q8(*s.in) && is_q8(*s.out) && !s.in->is_const, TARE_ERROR_UNSUPPORTED,
             where + "input and output must be 8-bit activations");
  return s;
}

WindowPads conv_pads(const Shape4& in, int kh, int kw, const OpParams& p) {
  return {conv_pad_before(in.h, kh, p.stride_h, p.dilation_h, p.padding),
          conv_pad_before(in.w, kw, p.stride_w, p.dilation_w, p.padding)};
}

bool conv_is_gemm(const ConvShapes& s, const OpParams& p, WindowPads pads) {
  return s.kh == 1 && s.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && pads.top == 0 && pads.left == 0 &&
         s.si.h == s.so.h && s.si.w == s.so.w;
}

std::vector<float> conv_float_bias(BuildContext& b, const Op& op, int channels, int groups, const std::string& where,
                                   int clip) {
  std::vector<float> bias((size_t)groups * 4, 0.0f);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    std::vector<float> bv = b.constant_as_float(op.inputs[2]);
    TARE_CHECK((int)bv.size() == channels, TARE_ERROR_INVALID_MODEL, where + "bias size mismatch");
    std::copy(bv.begin(), bv.end(), bias.begin());
  }
  append_clip(b, clip, channels, groups, bias);
  return bias;
}

void append_clip(BuildContext& b, int clip, int channels, int groups, std::vector<float>& values) {
  if (clip < 0) return;
  const std::vector<float> v = b.constant_as_float(clip);
  TARE_CHECK(v.size() == 1 || (int)v.size() == channels, TARE_ERROR_INTERNAL, "clip bound size mismatch");
  const size_t base = values.size();
  values.resize(base + (size_t)groups * 4, 0.0f);
  for (int c = 0; c < channels; c++) values[base + (size_t)c] = v[v.size() == 1 ? 0 : (size_t)c];
}

void append_clip(const Graph& g, int clip, int channels, int groups, std::vector<int32_t>& values) {
  if (clip < 0) return;
  const Tensor& t = g.tensors[(size_t)clip];
  const int64_t n = t.elements();
  TARE_CHECK(is_q8(t) && (n == 1 || n == channels) && t.data.size() >= (size_t)n, TARE_ERROR_INTERNAL,
             "clip bound size mismatch");
  const size_t base = values.size();
  values.resize(base + (size_t)groups * 4, 127);
  for (int c = 0; c < channels; c++) {
    const uint8_t raw = t.data[n == 1 ? 0 : (size_t)c];
    values[base + (size_t)c] = t.dtype == DType::U8 ? (int32_t)raw - 128 : (int32_t)(int8_t)raw;
  }
}

namespace {

// The rest of an FcGeometry from its tensors, si, units, depth and batch.
void fc_layout(FcGeometry& r, const std::string& where, uint32_t local) {
  r.in4 = (r.depth + 3) / 4;
  r.out4 = (r.units + 3) / 4;
  TARE_CHECK((int64_t)r.in4 * r.out4 * 16 < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "weights too large");
  r.gather = r.si.c == r.depth ? 0 : 1;
  r.rows = r.batch >= 4 ? 4 : r.batch >= 2 ? 2 : 1;
  r.head = {(int32_t)r.batch, r.depth, r.in4, r.units, r.out4, r.si.c, r.si.c4()};
  const int64_t blocks = (r.batch + r.rows - 1) / r.rows;
  r.grid = {div_up(r.out4, local), (uint32_t)std::min<int64_t>(blocks, 65535), div_up(blocks, 65535)};
}

}  // namespace

FcGeometry fc_geometry(const Graph& g, const Op& op, const std::string& where, uint32_t local) {
  check_weighted_op(op, where, 3);
  FcGeometry r{};
  r.in = &g.tensors[op.inputs[0]];
  r.wt = &g.tensors[op.inputs[1]];
  r.out = &g.tensors[op.outputs[0]];
  const Tensor &in = *r.in, &wt = *r.wt;
  TARE_CHECK(wt.is_const, TARE_ERROR_UNSUPPORTED, where + "non-constant weights are not supported");
  TARE_CHECK(wt.shape.size() == 2 && wt.shape[0] >= 1 && wt.shape[1] >= 1, TARE_ERROR_INVALID_MODEL,
             where + "weights must have shape [units, depth]");
  r.units = wt.shape[0];
  r.depth = wt.shape[1];
  TARE_CHECK(!in.shape.empty() && in.elements() % r.depth == 0, TARE_ERROR_INVALID_MODEL,
             where + "input does not fit the weights");
  r.batch = in.elements() / r.depth;
  r.si = shape4(in.shape);
  r.so = shape4(r.out->shape);
  TARE_CHECK(r.so.c == r.units && r.so.rows() == r.batch, TARE_ERROR_INVALID_MODEL,
             where + "output shape does not match");
  TARE_CHECK(r.batch * std::max(r.si.c4(), r.so.c4()) < INT32_MAX && (int64_t)in.elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large");
  fc_layout(r, where, local);
  return r;
}

FcGeometry conv_fc_geometry(const ConvShapes& cs, const std::string& where, uint32_t local) {
  FcGeometry r{};
  r.in = cs.in;
  r.wt = cs.wt;
  r.out = cs.out;
  r.si = cs.si;
  r.so = cs.so;
  r.units = cs.oc;
  r.depth = cs.si.c;
  r.batch = cs.so.rows();
  fc_layout(r, where, local);
  return r;
}

PoolGeometry pool_geometry(const Graph& g, const Op& op, const std::string& where, uint32_t local) {
  TARE_CHECK(op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0, TARE_ERROR_INVALID_MODEL,
             where + "expects 1 input and 1 output");
  const Tensor& it = g.tensors[op.inputs[0]];
  const Tensor& ot = g.tensors[op.outputs[0]];
  TARE_CHECK(it.shape.size() == 4 && ot.shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  check_not_const(it, where);
  const OpParams& p = op.params;
  TARE_CHECK(p.filter_h >= 1 && p.filter_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1, TARE_ERROR_INVALID_MODEL,
             where + "filter size and strides must be >= 1");
  TARE_CHECK((int)p.activation >= 0 && (int)p.activation <= 3, TARE_ERROR_INVALID_MODEL,
             where + "unknown fused activation");
  PoolGeometry r{};
  r.is = shape4(it.shape);
  r.os = shape4(ot.shape);
  TARE_CHECK(r.os.n == r.is.n && r.os.c == r.is.c, TARE_ERROR_INVALID_MODEL,
             where + "output shape does not match the input");
  r.oh = conv_out_size(r.is.h, p.filter_h, p.stride_h, 1, p.padding);
  r.ow = conv_out_size(r.is.w, p.filter_w, p.stride_w, 1, p.padding);
  TARE_CHECK(r.os.h == r.oh && r.os.w == r.ow, TARE_ERROR_INVALID_MODEL,
             where + "output size does not match the window");
  r.tile = std::max(1, std::min(4, r.ow));
  r.owt = x_tiles(r.ow, r.tile);
  r.total = (int64_t)r.os.n * r.oh * r.owt * r.is.c4();
  TARE_CHECK(r.total < (int64_t)INT32_MAX - local && r.is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  r.pads = {conv_pad_before(r.is.h, p.filter_h, p.stride_h, 1, p.padding),
            conv_pad_before(r.is.w, p.filter_w, p.stride_w, 1, p.padding)};
  return r;
}

ResizeShapes resize_shapes(const Graph& g, const Op& op, const std::string& where) {
  const OpIO io = op_io(g, op, where, false);
  ResizeShapes r{};
  r.in = &io.in;
  r.out = &io.out;
  check_not_const(io.in, where);
  TARE_CHECK(r.in->shape.size() == 4 && r.out->shape.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "only 4-D (NHWC) tensors are supported");
  TARE_CHECK(!(op.params.align_corners && op.params.half_pixel_centers), TARE_ERROR_INVALID_MODEL,
             where + "align_corners and half_pixel_centers are exclusive");
  r.is = shape4(r.in->shape);
  r.os = shape4(r.out->shape);
  TARE_CHECK(r.os.n == r.is.n && r.os.c == r.is.c, TARE_ERROR_INVALID_MODEL,
             where + "output shape does not match the input");
  TARE_CHECK(r.is.h >= 1 && r.is.w >= 1 && r.os.h >= 1 && r.os.w >= 1, TARE_ERROR_INVALID_MODEL,
             where + "empty resize");
  return r;
}

// ---- parameter tensors ---------------------------------------------------------------------------------------------

namespace {

// PAD / MEAN: a non-constant input of rank <= 4 and the output.
template <class Geometry>
void param_op_io(const Graph& g, const Op& op, const std::string& where, Geometry& r) {
  const OpIO io = op_io(g, op, where, false);
  r.in = &io.in;
  r.out = &io.out;
  check_not_const(io.in, where);
  TARE_CHECK(io.in.shape.size() <= 4, TARE_ERROR_UNSUPPORTED, where + "inputs of rank > 4 are not supported");
}

// The values of the op's constant second input (empty if it has none): the fallback for options left empty.
std::vector<float> const_param(BuildContext& b, const Op& op) {
  const Graph& g = b.graph();
  if (op.inputs.size() > 1 && op.inputs[1] >= 0 && g.tensors[op.inputs[1]].is_const)
    return b.constant_as_float(op.inputs[1]);
  return {};
}

}  // namespace

PadGeometry pad_geometry(BuildContext& b, const Op& op, const std::string& where) {
  PadGeometry r{};
  param_op_io(b.graph(), op, where, r);
  const size_t rank = r.in->shape.size();
  std::vector<std::pair<int, int>> pads = op.params.paddings;
  if (pads.empty()) {
    std::vector<float> v = const_param(b, op);
    for (size_t k = 0; k + 1 < v.size(); k += 2) pads.emplace_back((int)v[k], (int)v[k + 1]);
  }
  TARE_CHECK(pads.size() == rank, TARE_ERROR_INVALID_MODEL, where + "needs one (before, after) pair per dimension");
  for (size_t k = 0; k < rank; k++) {
    TARE_CHECK(pads[k].first >= 0 && pads[k].second >= 0, TARE_ERROR_INVALID_MODEL, where + "negative padding");
    r.before[k + 4 - rank] = pads[k].first;
  }
  r.is = shape4(r.in->shape);
  r.os = shape4(r.out->shape);
  const Shape4 &is = r.is, &os = r.os;
  TARE_CHECK(os.n >= is.n + r.before[0] && os.h >= is.h + r.before[1] && os.w >= is.w + r.before[2] &&
                 os.c >= is.c + r.before[3],
             TARE_ERROR_INVALID_MODEL, where + "output shape does not match the paddings");
  return r;
}

MeanGeometry mean_geometry(BuildContext& b, const Op& op, const std::string& where, uint32_t local) {
  MeanGeometry r{};
  param_op_io(b.graph(), op, where, r);
  r.rank = (int)r.in->shape.size();
  r.axes = op.params.axes;
  if (r.axes.empty())
    for (float v : const_param(b, op)) r.axes.push_back((int)v < 0 ? (int)v + r.rank : (int)v);
  for (int a : r.axes) {
    TARE_CHECK(a >= 0 && a < r.rank, TARE_ERROR_INVALID_MODEL, where + "axis " + std::to_string(a) + " out of range");
    r.reduced[a + 4 - r.rank] = true;
    r.reduced_orig[a] = true;
  }
  r.is = shape4(r.in->shape);
  r.os = shape4(r.out->shape);
  const Shape4 &is = r.is, &os = r.os;
  const int dims[4] = {is.n, is.h, is.w, is.c};
  r.count = 1;
  r.kept = 1;
  for (int d = 0; d < 4; d++) (r.reduced[d] ? r.count : r.kept) *= dims[d];
  TARE_CHECK(r.count > 0 && r.kept > 0, TARE_ERROR_UNSUPPORTED, where + "empty tensors are not supported");
  TARE_CHECK(r.kept == os.rows() * os.c, TARE_ERROR_INVALID_MODEL, where + "output shape does not match the axes");
  TARE_CHECK(r.reduced[3] || os.c == is.c, TARE_ERROR_INTERNAL, where + "output channels differ from the input's");
  r.total = os.rows() * os.c4();
  TARE_CHECK(r.total < (int64_t)INT32_MAX - local && is.padded_elements() < INT32_MAX, TARE_ERROR_UNSUPPORTED,
             where + "tensor too large");
  return r;
}

}  // namespace tare::ops
