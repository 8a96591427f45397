// TRANSPOSE: output dimension i is input dimension perm[i] (perm from the constant second input, kept in
// params.ints); data movement by index map (index_map.h).
#include "ops/index_map.h"

namespace tare::ops {

namespace {

IndexMap transpose_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const size_t r = in.size();
  const std::vector<int>& perm = p.ints;
  std::vector<bool> seen(r, false);
  if (perm.size() != r) {
    m.error = "perm of " + std::to_string(perm.size()) + " values for input " + shape_str(in);
    return m;
  }
  for (int a : perm) {
    if (a < 0 || (size_t)a >= r || seen[(size_t)a]) {
      m.error = "perm is not a permutation of the input's dimensions";
      return m;
    }
    seen[(size_t)a] = true;
    m.out_shape.push_back(in[(size_t)a]);
  }
  if (!with_src) return m;
  const std::vector<int64_t> st = dense_strides(in);
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& c) {
    int64_t s = 0;
    for (size_t i = 0; i < r; i++) s += (int64_t)c[i] * st[(size_t)perm[i]];
    m.src.push_back(s);
  });
  return m;
}

void read(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  const int rank = r.input_rank(0);
  const std::vector<int64_t> perm = r.const_ints(1, "perm");
  if ((int)perm.size() != rank) r.invalid("perm needs " + std::to_string(rank) + " values");
  for (int64_t a : perm) {
    if (a < 0 || a >= rank) r.invalid("perm value " + std::to_string(a) + " out of range");  // as TFLite
    r.params().ints.push_back((int)a);
  }
  check_same_quant(r);
}

void write(TfliteOpWriter& w) {
  const std::vector<int>& perm = w.params().ints;
  w.inputs().resize(2, -1);
  w.inputs()[1] = w.int_param(1, {(int)perm.size()}, std::vector<int64_t>(perm.begin(), perm.end()), "_perm");
  w.set_options(tflite::BuiltinOptions::TransposeOptions, tflite::CreateTransposeOptions(w.fbb()).Union());
  w.set_version(perm.size() > 4 ? 4 : version_by_int_type(w));
}

}  // namespace

const OpDesc kTranspose = {
    .type = OpType::Transpose,
    .name = "TRANSPOSE",
    .builtin = (int)tflite::BuiltinOperator::TRANSPOSE,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_index_map(s, transpose_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, transpose_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, transpose_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, transpose_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, transpose_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, transpose_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, transpose_map); },
};

}  // namespace tare::ops
