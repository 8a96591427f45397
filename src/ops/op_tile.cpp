// TILE: the input repeated multiples[d] times along each dimension d (multiples from the constant second input, kept
// in params.ints); data movement by index map (index_map.h): the gradient sums the copies.
#include <limits>

#include "ops/index_map.h"

namespace tare::ops {

namespace {

IndexMap tile_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const size_t r = in.size();
  if (p.ints.size() != r) {
    m.error = std::to_string(p.ints.size()) + " multiples for input " + shape_str(in);
    return m;
  }
  for (size_t d = 0; d < r; d++) {
    const int64_t n = (int64_t)in[d] * p.ints[d];
    if (p.ints[d] < 1 || n > std::numeric_limits<int>::max()) {
      m.error = "multiple " + std::to_string(p.ints[d]) + " not supported for dimension " + std::to_string(d);
      return m;
    }
    m.out_shape.push_back((int)n);
  }
  if (!with_src) return m;
  const std::vector<int64_t> st = dense_strides(in);
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& c) {
    int64_t s = 0;
    for (size_t d = 0; d < r; d++) s += (int64_t)(c[d] % in[d]) * st[d];
    m.src.push_back(s);
  });
  return m;
}

void read(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  const int rank = r.input_rank(0);
  const std::vector<int64_t> v = r.const_ints(1, "multiples");
  if ((int)v.size() != rank) r.invalid("multiples need " + std::to_string(rank) + " values");
  for (int64_t x : v) {
    // A zero multiple would give an empty output, which sessions do not hold.
    if (x < 1 || x > std::numeric_limits<int>::max()) r.unsupported("multiple " + std::to_string(x));
    r.params().ints.push_back((int)x);
  }
  check_same_quant(r);
}

void write(TfliteOpWriter& w) {
  const std::vector<int>& v = w.params().ints;
  w.inputs().resize(2, -1);
  w.inputs()[1] = w.int_param(1, {(int)v.size()}, std::vector<int64_t>(v.begin(), v.end()), "_multiples");
  w.set_options(tflite::BuiltinOptions::TileOptions, tflite::CreateTileOptions(w.fbb()).Union());
  // TFLite's op_version.cc: int8 is version 3 (uint8 stays 1).
  w.set_version(w.in_type() == DType::I8 ? 3 : 1);
}

}  // namespace

const OpDesc kTile = {
    .type = OpType::Tile,
    .name = "TILE",
    .builtin = (int)tflite::BuiltinOperator::TILE,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_index_map(s, tile_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, tile_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, tile_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, tile_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, tile_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, tile_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, tile_map); },
};

}  // namespace tare::ops
