// SPLIT, SPLIT_V, UNPACK (one input, several outputs) and PACK (several inputs, one output): a "whole" tensor (the
// input of the first three, PACK's output) cut along one axis into "pieces" (their outputs, PACK's inputs); UNPACK's
// and PACK's pieces lack the axis.  Every path copies elements through the piece -> whole index map: the GPU
// kernels are the index-map gathers of index_map.h, one dispatch per piece; the 8-bit paths copy the stored values,
// as TFLite's int8 kernels do, so the whole and its pieces share one quantization.
//
// Parameters: params.axis (normalised, >= 0), params.ints = {num_splits} (SPLIT), the size_splits as written, one
// -1 allowed (SPLIT_V), {num} (UNPACK), {values_count} (PACK).  SPLIT's axis input, TFLite's first, is stored second
// (the data input comes first in the graph, as for every other op) and written back first.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/index_map.h"

namespace tare::ops {

namespace {

using BOpt = tflite::BuiltinOptions;

struct Pieces {
  std::vector<int> whole;                // the undivided tensor's shape
  int axis = 0;                          // the cut axis of `whole`
  std::vector<int> offset, length;       // per piece: its first index and extent along the axis
  std::vector<std::vector<int>> shapes;  // per piece
  std::string error;                     // non-empty: the parameters do not fit the shapes
};
// The pieces of an input shaped `in[0]` (SPLIT, SPLIT_V, UNPACK) or the whole of inputs shaped `in` (PACK).
using PiecesFn = Pieces (*)(const OpParams& p, const std::vector<std::vector<int>>& in);

struct PieceOp {
  PiecesFn fn;
  bool pack;  // the pieces are the inputs (PACK), else the outputs
};

// ---- the pieces of each op ------------------------------------------------------------------------------------------

std::string check_axis(const OpParams& p, size_t rank) {
  if (p.axis < 0 || (size_t)p.axis >= rank)
    return "axis " + std::to_string(p.axis) + " out of range for rank " + std::to_string(rank);
  return "";
}

// Cuts `whole` along p.axis into pieces of `lengths` (which add up to the axis' extent); `squeeze` drops the axis
// from the pieces' shapes.
Pieces cut(const OpParams& p, const std::vector<int>& whole, const std::vector<int>& lengths, bool squeeze) {
  Pieces r;
  r.whole = whole;
  r.axis = p.axis;
  int at = 0;
  for (int len : lengths) {
    std::vector<int> s = whole;
    if (squeeze) s.erase(s.begin() + p.axis);
    else s[(size_t)p.axis] = len;
    r.offset.push_back(at);
    r.length.push_back(len);
    r.shapes.push_back(std::move(s));
    at += len;
  }
  return r;
}

Pieces split_pieces(const OpParams& p, const std::vector<std::vector<int>>& in) {
  Pieces r;
  const std::vector<int>& x = in.at(0);
  if (!(r.error = check_axis(p, x.size())).empty()) return r;
  const int n = p.ints.size() == 1 ? p.ints[0] : 0, dim = x[(size_t)p.axis];
  if (n < 1) r.error = "num_splits must be at least 1";
  else if (dim % n)
    r.error = "dimension " + std::to_string(dim) + " of axis " + std::to_string(p.axis) + " does not divide into " +
              std::to_string(n) + " splits";
  return r.error.empty() ? cut(p, x, std::vector<int>((size_t)n, dim / std::max(n, 1)), false) : r;
}

Pieces split_v_pieces(const OpParams& p, const std::vector<std::vector<int>>& in) {
  Pieces r;
  const std::vector<int>& x = in.at(0);
  if (!(r.error = check_axis(p, x.size())).empty()) return r;
  const int dim = x[(size_t)p.axis];
  std::vector<int> sizes = p.ints;
  if (sizes.empty()) r.error = "size_splits is empty";
  int64_t known = 0;
  int unknown = -1;
  for (size_t k = 0; k < sizes.size() && r.error.empty(); k++) {
    if (sizes[k] == -1 && unknown < 0) unknown = (int)k;
    else if (sizes[k] < 0) r.error = "size_splits may hold one -1 and sizes >= 0, has " + std::to_string(sizes[k]);
    else known += sizes[k];
  }
  if (!r.error.empty()) return r;
  if (unknown >= 0 && known <= dim) sizes[(size_t)unknown] = dim - (int)known;
  else if (known != dim)
    r.error = "size_splits add up to " + std::to_string(known) + ", not to dimension " + std::to_string(dim) +
              " of axis " + std::to_string(p.axis);
  return r.error.empty() ? cut(p, x, sizes, false) : r;
}

Pieces unpack_pieces(const OpParams& p, const std::vector<std::vector<int>>& in) {
  Pieces r;
  const std::vector<int>& x = in.at(0);
  if (!(r.error = check_axis(p, x.size())).empty()) return r;
  const int num = p.ints.size() == 1 ? p.ints[0] : -1, dim = x[(size_t)p.axis];
  if (num != dim)
    r.error = "num " + std::to_string(num) + " differs from dimension " + std::to_string(dim) + " of axis " +
              std::to_string(p.axis);
  return r.error.empty() ? cut(p, x, std::vector<int>((size_t)dim, 1), true) : r;
}

Pieces pack_pieces(const OpParams& p, const std::vector<std::vector<int>>& in) {
  Pieces r;
  const int count = p.ints.size() == 1 ? p.ints[0] : -1;
  if (in.empty() || count != (int)in.size()) {
    r.error = "values_count " + std::to_string(count) + " differs from the " + std::to_string(in.size()) + " inputs";
    return r;
  }
  for (const auto& s : in)
    if (s != in[0]) {
      r.error = "inputs " + shape_str(in[0]) + " and " + shape_str(s) + " differ";
      return r;
    }
  if (!(r.error = check_axis(p, in[0].size() + 1)).empty()) return r;
  std::vector<int> whole = in[0];
  whole.insert(whole.begin() + p.axis, (int)in.size());
  return cut(p, whole, std::vector<int>(in.size(), 1), true);
}

constexpr PieceOp kSplitOp{split_pieces, false}, kSplitVOp{split_v_pieces, false}, kUnpackOp{unpack_pieces, false},
    kPackOp{pack_pieces, true};

// ---- the index map ----------------------------------------------------------------------------------------------

// Piece k's element i -> the whole's element (dense, row-major).
std::vector<int64_t> piece_map(const Pieces& ps, size_t k) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < ps.axis; d++) outer *= ps.whole[(size_t)d];
  for (size_t d = (size_t)ps.axis + 1; d < ps.whole.size(); d++) inner *= ps.whole[d];
  const int64_t dim = ps.whole[(size_t)ps.axis], len = ps.length[k], off = ps.offset[k];
  std::vector<int64_t> m;
  m.reserve((size_t)(outer * len * inner));
  for (int64_t o = 0; o < outer; o++)
    for (int64_t a = 0; a < len; a++)
      for (int64_t i = 0; i < inner; i++) m.push_back((o * dim + off + a) * inner + i);
  return m;
}

// The whole's element -> piece k's element, -1 where another piece lies (PACK's gather from input k).
std::vector<int64_t> whole_map(const Pieces& ps, size_t k) {
  int64_t n = 1;
  for (int d : ps.whole) n *= d;
  std::vector<int64_t> m((size_t)n, -1);
  const std::vector<int64_t> pm = piece_map(ps, k);
  for (size_t i = 0; i < pm.size(); i++) m[(size_t)pm[i]] = (int64_t)i;
  return m;
}

// The data inputs: all of PACK's, the first of the others (SPLIT's axis, SPLIT_V's sizes are parameters).
size_t data_inputs(const Op& op, const PieceOp& po) { return po.pack ? op.inputs.size() : 1; }

std::vector<std::vector<int>> input_shapes(const Graph& g, const Op& op, const PieceOp& po) {
  std::vector<std::vector<int>> in;
  for (size_t k = 0; k < data_inputs(op, po); k++) in.push_back(g.tensors[(size_t)op.inputs[k]].shape);
  return in;
}

// The whole tensor and piece k of an operator.
int whole_tensor(const Op& op, const PieceOp& po) { return po.pack ? op.outputs[0] : op.inputs[0]; }
int piece_tensor(const Op& op, const PieceOp& po, size_t k) { return po.pack ? op.inputs[k] : op.outputs[k]; }

void infer_pieces(ShapeContext& s, const PieceOp& po) {
  const Op& op = s.op();
  if (po.pack) {
    if (op.inputs.empty()) s.err("expects at least 1 input");
    s.need_inputs(op.inputs.size(), op.inputs.size());
  } else {
    if (op.outputs.empty()) s.err("expects at least 1 output");
    s.need_inputs(1, 3, op.outputs.size());
  }
  std::vector<std::vector<int>> in;
  for (size_t k = 0; k < data_inputs(op, po); k++) in.push_back(s.in(k));
  const Pieces ps = po.fn(s.params(), in);
  if (!ps.error.empty()) s.err(ps.error);
  if (po.pack) return s.set_out(ps.whole);
  if (ps.shapes.size() != op.outputs.size())
    s.err(std::to_string(ps.shapes.size()) + " pieces for " + std::to_string(op.outputs.size()) + " outputs");
  for (size_t k = 0; k < ps.shapes.size(); k++) s.set_out(k, ps.shapes[k]);
}

// The pieces, checked against the graph's tensors (kernels, references).
Pieces checked_pieces(const Graph& g, const Op& op, const PieceOp& po, const std::string& where) {
  const size_t n = po.pack ? op.inputs.size() : op.outputs.size();
  TARE_CHECK(n >= 1 && !op.inputs.empty() && !op.outputs.empty() && (po.pack || op.outputs.size() == n) &&
                 (!po.pack || op.outputs.size() == 1),
             TARE_ERROR_INVALID_MODEL, where + "malformed operator");
  for (size_t k = 0; k < data_inputs(op, po); k++)
    TARE_CHECK(op.inputs[k] >= 0 && op.inputs[k] < (int)g.tensors.size(), TARE_ERROR_INVALID_MODEL,
               where + "input " + std::to_string(k) + " is missing");
  Pieces ps = po.fn(op.params, input_shapes(g, op, po));
  TARE_CHECK(ps.error.empty(), TARE_ERROR_INVALID_MODEL, where + ps.error);
  TARE_CHECK(ps.shapes.size() == n, TARE_ERROR_INVALID_MODEL, where + "pieces do not match the operator");
  TARE_CHECK(g.tensors[(size_t)whole_tensor(op, po)].shape == ps.whole, TARE_ERROR_INVALID_MODEL,
             where + "shape does not match the parameters");
  for (size_t k = 0; k < n; k++)
    TARE_CHECK(g.tensors[(size_t)piece_tensor(op, po, k)].shape == ps.shapes[k], TARE_ERROR_INVALID_MODEL,
               where + "piece " + std::to_string(k) + " has shape " +
                   shape_str(g.tensors[(size_t)piece_tensor(op, po, k)].shape) + ", expected " +
                   shape_str(ps.shapes[k]));
  return ps;
}

// ---- kernels --------------------------------------------------------------------------------------------------

KernelPtr make_pieces(BuildContext& b, const Op& op, const PieceOp& po, bool q8) {
  const std::string where = q8 ? op_where_q8(op) : op_where(op);
  const Pieces ps = checked_pieces(b.graph(), op, po, where);
  const Tensor& whole = b.graph().tensors[(size_t)whole_tensor(op, po)];
  TARE_CHECK(whole.shape.size() <= 4, TARE_ERROR_UNSUPPORTED,
             where + "tensors of rank > 4 are not supported on the GPU, has " + shape_str(whole.shape));
  std::vector<Dispatch> d;
  for (size_t k = 0; k < ps.shapes.size(); k++) {
    const int piece = piece_tensor(op, po, k);
    TARE_CHECK(is_q8(b.graph().tensors[(size_t)piece]) == q8 && is_q8(whole) == q8, TARE_ERROR_UNSUPPORTED,
               where + "8-bit and float tensors cannot be mixed (the values are copied)");
    if (po.pack) add_gather(b, d, piece, whole_tensor(op, po), whole_map(ps, k), where);
    else add_gather(b, d, whole_tensor(op, po), piece, piece_map(ps, k), where);
  }
  return std::make_unique<DispatchKernel>(std::move(d));
}

KernelPtr make_grad_pieces(BuildContext& b, const Op& op, const PieceOp& po) {
  const std::string where = op_where(op);
  const Pieces ps = checked_pieces(b.graph(), op, po, where);
  TARE_CHECK(ps.whole.size() <= 4, TARE_ERROR_UNSUPPORTED,
             where + "tensors of rank > 4 are not supported on the GPU, has " + shape_str(ps.whole));
  std::vector<Dispatch> d;
  for (size_t k = 0; k < ps.shapes.size(); k++) {
    const int piece = piece_tensor(op, po, k);
    // PACK: grad(input k) += grad(output) at its elements; the others: grad(input) += grad(output k).
    if (po.pack && !b.graph().tensors[(size_t)piece].is_const)
      add_grad_gather(b, d, piece, whole_tensor(op, po), whole_map(ps, k), where);
    if (!po.pack) add_grad_gather(b, d, whole_tensor(op, po), piece, piece_map(ps, k), where);
  }
  return std::make_unique<DispatchKernel>(std::move(d));
}

// ---- references -----------------------------------------------------------------------------------------------

void ref_float_pieces(ref::detail::OpContext& c, const PieceOp& po) {
  const Pieces ps = checked_pieces(c.graph(), c.op(), po, c.where() + ": ");
  if (po.pack) {
    std::vector<float>& y = c.out(0, ps.whole);
    for (size_t k = 0; k < ps.shapes.size(); k++) {
      const std::vector<int64_t> m = piece_map(ps, k);
      const std::vector<float>& x = c.in(k);
      for (size_t i = 0; i < m.size(); i++) y[(size_t)m[i]] = x[i];
    }
    return;
  }
  const std::vector<float>& x = c.in(0);
  for (size_t k = 0; k < ps.shapes.size(); k++) {
    const std::vector<int64_t> m = piece_map(ps, k);
    std::vector<float>& y = c.out(k, ps.shapes[k]);
    for (size_t i = 0; i < m.size(); i++) y[i] = x[(size_t)m[i]];
  }
}

// TFLite's int8/uint8 kernels copy the stored values.
void ref_int_pieces(ref::intd::IntCtx& c, const PieceOp& po) {
  const Pieces ps = checked_pieces(c.g, c.op, po, c.where() + ": ");
  const Tensor& whole = po.pack ? c.out_tensor(0) : c.in_tensor(0);
  for (size_t k = 0; k < ps.shapes.size(); k++)
    if (!same_quant(whole, po.pack ? c.in_tensor(k) : c.out_tensor(k)))
      c.fail(TARE_ERROR_UNSUPPORTED, "inputs and outputs must have the same type and quantization");
  const size_t es = dtype_size(whole.dtype);
  uint8_t* packed = po.pack ? c.out_bytes(0) : nullptr;
  for (size_t k = 0; k < ps.shapes.size(); k++) {
    const std::vector<int64_t> m = piece_map(ps, k);
    const uint8_t* x = po.pack ? c.in_bytes(k) : c.in_bytes(0);
    uint8_t* y = po.pack ? packed : c.out_bytes(k);
    for (size_t i = 0; i < m.size(); i++) {
      if (po.pack) std::memcpy(y + (size_t)m[i] * es, x + i * es, es);
      else std::memcpy(y + i * es, x + (size_t)m[i] * es, es);
    }
  }
}

// SPLIT: the input's gradient is the outputs' gradients concatenated; PACK: the output's gradient unstacked.
void ref_grad_pieces(ref::GradContext& c, const PieceOp& po) {
  const Pieces ps = checked_pieces(c.graph(), c.op(), po, "backward " + op_where(c.op()));
  for (size_t k = 0; k < ps.shapes.size(); k++) {
    const std::vector<int64_t> m = piece_map(ps, k);
    std::vector<float>* gx = c.grad(po.pack ? c.input(k) : c.input(0));
    if (!gx) continue;
    const std::vector<float>& gy = c.output_grad(po.pack ? 0 : k);
    for (size_t i = 0; i < m.size(); i++) {
      if (po.pack) (*gx)[i] += gy[(size_t)m[i]];
      else (*gx)[(size_t)m[i]] += gy[i];
    }
  }
}

// ---- import / export ----------------------------------------------------------------------------------------------

// 8-bit whole and pieces must share their quantization (TFLite copies the stored values).
void check_pieces_quant(const TfliteOpReader& r, const Op& op, bool pack) {
  const Tensor& whole = pack ? r.output() : r.input(0);
  const size_t n = pack ? op.inputs.size() : op.outputs.size();
  for (size_t k = 0; k < n; k++) {
    const Tensor& piece = pack ? r.input(k) : r.output(k);
    if ((is_q8(whole) || is_q8(piece)) && !same_quant(whole, piece))
      r.unsupported(
          "8-bit inputs and outputs with different types or quantization are not supported (the values "
          "are copied)");
  }
}

int single_int(const TfliteOpReader& r, size_t input, const char* what) {
  const std::vector<int64_t> v = r.const_ints(input, what);
  if (v.size() != 1) r.invalid(std::string(what) + " must hold one value, holds " + std::to_string(v.size()));
  return (int)std::clamp<int64_t>(v[0], INT32_MIN, INT32_MAX);
}

int option_count(const TfliteOpReader& r, int count, const char* what) {
  if (count < 1 || count > 65536) r.invalid(std::string(what) + " " + std::to_string(count) + " out of range");
  return count;
}

void read_split(TfliteOpReader& r) {
  auto opt = r.options<tflite::SplitOptions>(BOpt::SplitOptions);
  const int n = option_count(r, opt ? opt->num_splits() : 0, "num_splits");
  r.arity(2, 2, 2, (size_t)n);
  std::vector<int>& in = r.op().inputs;
  std::swap(in[0], in[1]);  // data first: {value, axis}
  r.params().axis = r.normalise_axis(single_int(r, 1, "axis"), r.input_rank(0));
  r.params().ints = {n};
  check_pieces_quant(r, r.op(), false);
}

void write_split(TfliteOpWriter& w) {
  const int axis = w.int_param(1, {}, {w.params().axis}, "_axis");
  w.inputs() = {axis, w.op().inputs[0]};
  w.set_options(BOpt::SplitOptions, tflite::CreateSplitOptions(w.fbb(), (int)w.op().outputs.size()).Union());
  w.set_version(version_by_int_type(w));
}

void read_split_v(TfliteOpReader& r) {
  auto opt = r.options<tflite::SplitVOptions>(BOpt::SplitVOptions);
  const int n = option_count(r, opt ? opt->num_splits() : 0, "num_splits");
  r.arity(3, 3, 3, (size_t)n);
  const std::vector<int64_t> sizes = r.const_ints(1, "size_splits");
  if ((int)sizes.size() != n)
    r.invalid("size_splits holds " + std::to_string(sizes.size()) + " values for " + std::to_string(n) + " splits");
  r.params().axis = r.normalise_axis(single_int(r, 2, "axis"), r.input_rank(0));
  for (int64_t s : sizes) r.params().ints.push_back((int)std::clamp<int64_t>(s, -2, INT32_MAX));
  check_pieces_quant(r, r.op(), false);
}

void write_split_v(TfliteOpWriter& w) {
  const std::vector<int>& sizes = w.params().ints;
  w.inputs().resize(3, -1);
  w.inputs()[1] = w.int_param(1, {(int)sizes.size()}, std::vector<int64_t>(sizes.begin(), sizes.end()), "_sizes");
  w.inputs()[2] = w.int_param(2, {}, {w.params().axis}, "_axis");
  w.set_options(BOpt::SplitVOptions, tflite::CreateSplitVOptions(w.fbb(), (int)sizes.size()).Union());
  w.set_version(version_by_int_type(w));
}

void read_unpack(TfliteOpReader& r) {
  auto opt = r.options<tflite::UnpackOptions>(BOpt::UnpackOptions);
  const int n = option_count(r, opt ? opt->num() : 0, "num");
  r.arity(1, 1, 1, (size_t)n);
  r.params().axis = r.normalise_axis(opt ? opt->axis() : 0, r.input_rank(0));
  r.params().ints = {n};
  check_pieces_quant(r, r.op(), false);
}

void write_unpack(TfliteOpWriter& w) {
  w.set_options(BOpt::UnpackOptions,
                tflite::CreateUnpackOptions(w.fbb(), w.params().ints.at(0), w.params().axis).Union());
  // TFLite's versioning: 2 for int8 and uint8.
  w.set_version(w.in_type() == DType::I8 || w.in_type() == DType::U8 ? 2 : 1);
}

void read_pack(TfliteOpReader& r) {
  auto opt = r.options<tflite::PackOptions>(BOpt::PackOptions);
  const size_t n = r.op().inputs.size();
  if (n == 0) r.invalid("has no input");
  r.arity(n, n, n);
  const int count = opt ? opt->values_count() : 0;
  if (count != (int)n)
    r.invalid("values_count " + std::to_string(count) + " differs from " + std::to_string(n) + " inputs");
  r.params().axis = r.normalise_axis(opt ? opt->axis() : 0, r.input_rank(0) + 1);
  r.params().ints = {count};
  check_pieces_quant(r, r.op(), true);
}

void write_pack(TfliteOpWriter& w) {
  w.set_options(BOpt::PackOptions,
                tflite::CreatePackOptions(w.fbb(), (int)w.op().inputs.size(), w.params().axis).Union());
  w.set_version(version_by_int_type(w));
}

}  // namespace

#define TARE_PIECE_PATHS(PO) \
  .infer = [](ShapeContext& s) { infer_pieces(s, PO); }, \
  .make_float = [](BuildContext& b, const Op& op) { return make_pieces(b, op, PO, false); }, \
  .make_q8 = [](BuildContext& b, const Op& op) { return make_pieces(b, op, PO, true); }, \
  .make_grad = [](BuildContext& b, const Op& op) { return make_grad_pieces(b, op, PO); }, \
  .ref_float = [](ref::detail::OpContext& c) { ref_float_pieces(c, PO); }, \
  .ref_int = [](ref::intd::IntCtx& c) { ref_int_pieces(c, PO); }, \
  .ref_grad = [](ref::GradContext& c) { ref_grad_pieces(c, PO); }

const OpDesc kSplit = {
    .type = OpType::Split,
    .name = "SPLIT",
    .builtin = (int)tflite::BuiltinOperator::SPLIT,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_split,
    .write = write_split,
    TARE_PIECE_PATHS(kSplitOp),
};

const OpDesc kSplitV = {
    .type = OpType::SplitV,
    .name = "SPLIT_V",
    .builtin = (int)tflite::BuiltinOperator::SPLIT_V,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_split_v,
    .write = write_split_v,
    TARE_PIECE_PATHS(kSplitVOp),
};

const OpDesc kUnpack = {
    .type = OpType::Unpack,
    .name = "UNPACK",
    .builtin = (int)tflite::BuiltinOperator::UNPACK,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_unpack,
    .write = write_unpack,
    TARE_PIECE_PATHS(kUnpackOp),
};

// PACK's inputs and output share one quantization (as CONCATENATION's would): inputs with other parameters are
// requantized by the quantizer; constant inputs are data.
const OpDesc kPack = {
    .type = OpType::Pack,
    .name = "PACK",
    .builtin = (int)tflite::BuiltinOperator::PACK,
    .traits = {.output_quant = OutputQuant::SharedWithInputs, .constant_operands = true},
    .read = read_pack,
    .write = write_pack,
    TARE_PIECE_PATHS(kPackOp),
};

#undef TARE_PIECE_PATHS

}  // namespace tare::ops
