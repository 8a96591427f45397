// MIRROR_PAD: constant paddings per dimension filled with the input reflected at its edges, REFLECT (edge not
// repeated) or SYMMETRIC (edge repeated).  Paddings in params.paddings, the mode in params.ints[kMode]; data
// movement by index map (index_map.h): each output element copies one input element, the gradient scatter-adds.
#include <limits>

#include "ops/index_map.h"

namespace tare::ops {

namespace {

constexpr size_t kMode = 0;  // params.ints[kMode]: tflite::MirrorPadMode (0 REFLECT, 1 SYMMETRIC)

// TFLite's GetInputDimension (mirror_pad.cc); offset 1 for REFLECT, 0 for SYMMETRIC.
int input_index(int o, int before, int n, int offset) {
  if (o < before) {
    const int orig = before + offset - 1;
    return orig - std::min(o, orig - offset);
  }
  o -= before;
  if (o >= n) {
    o -= n;
    const int orig = n - (1 + offset);
    return orig - std::min(o, orig);
  }
  return o;
}

IndexMap mirror_pad_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  const size_t r = in.size();
  if (p.paddings.size() != r || p.ints.size() != 1 || p.ints[kMode] < 0 || p.ints[kMode] > 1) {
    m.error = "mirror pad needs a mode and " + std::to_string(r) + " paddings for input " + shape_str(in);
    return m;
  }
  const int offset = p.ints[kMode] == 0 ? 1 : 0;
  for (size_t d = 0; d < r; d++) {
    const auto [a, b] = p.paddings[d];
    // TensorFlow's limit: REFLECT pads at most n - 1, SYMMETRIC at most n (TFLite's index clamps beyond).
    if (a < 0 || b < 0 || a > in[d] - offset || b > in[d] - offset) {
      m.error = "padding " + std::to_string(a) + "," + std::to_string(b) + " too large for dimension " +
                std::to_string(d) + " of " + shape_str(in) + (offset ? " (REFLECT)" : " (SYMMETRIC)");
      return m;
    }
    m.out_shape.push_back(in[d] + a + b);
  }
  if (!with_src) return m;
  const std::vector<int64_t> st = dense_strides(in);
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& c) {
    int64_t s = 0;
    for (size_t d = 0; d < r; d++) s += (int64_t)input_index(c[d], p.paddings[d].first, in[d], offset) * st[d];
    m.src.push_back(s);
  });
  return m;
}

void read(TfliteOpReader& r) {
  r.arity(2, 2, 2);
  const int rank = r.input_rank(0);
  const Tensor& pt = r.input(1);
  if (pt.shape.size() != 2 || pt.shape[0] != rank || pt.shape[1] != 2)
    r.invalid("paddings of shape " + shape_str(pt.shape) + " do not match input rank " + std::to_string(rank));
  const std::vector<int64_t> v = r.const_ints(1, "paddings");
  for (int i = 0; i < rank; i++) {
    const int64_t a = v[2 * i], b = v[2 * i + 1];
    if (a < 0 || b < 0 || a > std::numeric_limits<int>::max() || b > std::numeric_limits<int>::max())
      r.invalid("invalid padding " + std::to_string(a) + "," + std::to_string(b));
    r.params().paddings.emplace_back((int)a, (int)b);
  }
  auto opt = r.options<tflite::MirrorPadOptions>(tflite::BuiltinOptions::MirrorPadOptions);
  r.params().ints = {opt ? (int)opt->mode() : 0};
  check_same_quant(r);
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  const int rank = (int)w.rank(w.in(0));
  if ((int)p.paddings.size() != rank || p.ints.size() != 1) w.bad("malformed mirror pad parameters");
  std::vector<int64_t> pads;
  for (const auto& [a, b] : p.paddings) pads.insert(pads.end(), {a, b});
  w.inputs().resize(2, -1);
  w.inputs()[1] = w.int_param(1, {rank, 2}, pads, "_paddings");
  w.set_options(tflite::BuiltinOptions::MirrorPadOptions,
                tflite::CreateMirrorPadOptions(w.fbb(), (tflite::MirrorPadMode)p.ints[kMode]).Union());
  w.set_version(version_by_int_type(w));
}

}  // namespace

const OpDesc kMirrorPad = {
    .type = OpType::MirrorPad,
    .name = "MIRROR_PAD",
    .builtin = (int)tflite::BuiltinOperator::MIRROR_PAD,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read,
    .write = write,
    .infer = [](ShapeContext& s) { infer_index_map(s, mirror_pad_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, mirror_pad_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, mirror_pad_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, mirror_pad_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, mirror_pad_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, mirror_pad_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, mirror_pad_map); },
};

}  // namespace tare::ops
