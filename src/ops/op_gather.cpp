// GATHER with constant indices along one axis (batch_dims 0): params.ints = axis, the indices' rank, their shape,
// their values.  Data movement by index map (index_map.h); the gradient adds every copy back (an index may repeat).
#include "ops/index_map.h"

namespace tare::ops {

namespace {

enum { kAxis, kIndexRank, kHead };

IndexMap gather_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const std::vector<int>& v = p.ints;
  if (v.size() < kHead || v[kIndexRank] < 0 || v.size() < (size_t)kHead + v[kIndexRank]) {
    m.error = "malformed gather parameters";
    return m;
  }
  const int axis = v[kAxis], ir = v[kIndexRank];
  if (axis < 0 || (size_t)axis >= in.size()) {
    m.error = "axis " + std::to_string(axis) + " out of range for " + shape_str(in);
    return m;
  }
  const std::vector<int> ishape(v.begin() + kHead, v.begin() + kHead + ir);
  int64_t count = 1;
  for (int d : ishape) count *= d;
  if (count < 0 || v.size() != (size_t)(kHead + ir + count)) {
    m.error = "indices do not match their shape";
    return m;
  }
  const int* idx = v.data() + kHead + ir;
  for (int64_t i = 0; i < count; i++)
    if (idx[i] < 0 || idx[i] >= in[(size_t)axis]) {
      m.error = "index " + std::to_string(idx[i]) + " out of range for dimension " + std::to_string(axis);
      return m;
    }
  m.out_shape.assign(in.begin(), in.begin() + axis);
  m.out_shape.insert(m.out_shape.end(), ishape.begin(), ishape.end());
  m.out_shape.insert(m.out_shape.end(), in.begin() + axis + 1, in.end());
  if (!with_src) return m;
  int64_t inner = 1, outer = 1;
  for (size_t d = (size_t)axis + 1; d < in.size(); d++) inner *= in[d];
  for (int d = 0; d < axis; d++) outer *= in[(size_t)d];
  const int64_t n = in[(size_t)axis];
  m.src.reserve((size_t)(outer * count * inner));
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < count; i++)
      for (int64_t k = 0; k < inner; k++) m.src.push_back((o * n + idx[i]) * inner + k);
  return m;
}

void read(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  auto opt = r.options<tflite::GatherOptions>(tflite::BuiltinOptions::GatherOptions);
  if (opt && opt->batch_dims() != 0) r.unsupported("batch_dims other than 0 is not supported");
  const int rank = r.input_rank(0);
  if (rank < 1) r.invalid("input must have at least one dimension");
  const int axis = r.normalise_axis(opt ? opt->axis() : 0, rank);
  const std::vector<int64_t> idx = r.const_ints(1, "indices");
  const std::vector<int>& ishape = r.input(1).shape;
  std::vector<int>& v = r.params().ints;
  v = {axis, (int)ishape.size()};
  v.insert(v.end(), ishape.begin(), ishape.end());
  for (int64_t i : idx) {
    if (i < 0 || i >= r.input(0).shape[(size_t)axis]) r.invalid("index " + std::to_string(i) + " out of range");
    v.push_back((int)i);
  }
  check_same_quant(r);
}

void write(TfliteOpWriter& w) {
  const std::vector<int>& v = w.params().ints;
  if (v.size() < kHead || v.size() < (size_t)kHead + v[kIndexRank]) w.bad("malformed gather parameters");
  const std::vector<int> ishape(v.begin() + kHead, v.begin() + kHead + v[kIndexRank]);
  w.inputs().resize(2, -1);
  w.inputs()[1] = w.int_param(1, ishape, std::vector<int64_t>(v.begin() + kHead + v[kIndexRank], v.end()), "_indices");
  w.set_options(tflite::BuiltinOptions::GatherOptions, tflite::CreateGatherOptions(w.fbb(), v[kAxis], 0).Union());
  w.set_version(version_by_int_type(w));
}

}  // namespace

const OpDesc kGather = {
    .type = OpType::Gather,
    .name = "GATHER",
    .builtin = (int)tflite::BuiltinOperator::GATHER,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_index_map(s, gather_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, gather_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, gather_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, gather_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, gather_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, gather_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, gather_map); },
};

}  // namespace tare::ops
