// DEPTH_TO_SPACE and SPACE_TO_DEPTH (NHWC, TFLite's DCR order: channel block (dy * b + dx) * C + c), block size
// from the options in params.ints[kBlock]; data movement by index map (index_map.h).
#include "ops/index_map.h"

namespace tare::ops {

namespace {

constexpr size_t kBlock = 0;  // params.ints[kBlock]

// The block size and the input's [N,H,W,C], or an error.
bool nhwc_block(const OpParams& p, const std::vector<int>& in, IndexMap& m, int& b) {
  if (in.size() != 4) {
    m.error = "input must be 4-D, is " + shape_str(in);
    return false;
  }
  b = p.ints.empty() ? 0 : p.ints[kBlock];
  if (b < 1) {
    m.error = "block size " + std::to_string(b) + " must be positive";
    return false;
  }
  return true;
}

IndexMap depth_to_space_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  int b = 0;
  if (!nhwc_block(p, in, m, b)) return m;
  const int n = in[0], h = in[1], w = in[2], c = in[3];
  if (c % (b * b) != 0) {
    m.error = "channels " + std::to_string(c) + " not a multiple of block size squared";
    return m;
  }
  const int oc = c / (b * b);
  m.out_shape = {n, h * b, w * b, oc};
  if (!with_src) return m;
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& o) {
    const int ic = ((o[1] % b) * b + o[2] % b) * oc + o[3];
    m.src.push_back((((int64_t)o[0] * h + o[1] / b) * w + o[2] / b) * c + ic);
  });
  return m;
}

IndexMap space_to_depth_map(const OpParams& p, const std::vector<int>& in, bool with_src) {
  IndexMap m;
  int b = 0;
  if (!nhwc_block(p, in, m, b)) return m;
  const int n = in[0], h = in[1], w = in[2], c = in[3];
  if (h % b != 0 || w % b != 0) {
    m.error = "height and width of " + shape_str(in) + " not multiples of block size " + std::to_string(b);
    return m;
  }
  m.out_shape = {n, h / b, w / b, c * b * b};
  if (!with_src) return m;
  for_each_coord(m.out_shape, [&](int64_t, const std::vector<int>& o) {
    const int blk = o[3] / c, ic = o[3] % c;
    const int y = o[1] * b + blk / b, x = o[2] * b + blk % b;
    m.src.push_back((((int64_t)o[0] * h + y) * w + x) * c + ic);
  });
  return m;
}

template <class Options>
int block_option(TfliteOpReader& r, tflite::BuiltinOptions type) {
  r.arity(1, 1, 1);
  auto opt = r.options<Options>(type);
  if (!opt || opt->block_size() < 1) r.invalid("block size must be positive");
  if (r.input_rank(0) != 4) r.invalid("input must be 4-D");
  check_same_quant(r);
  return opt->block_size();
}

void read_d2s(TfliteOpReader& r) {
  r.params().ints = {block_option<tflite::DepthToSpaceOptions>(r, tflite::BuiltinOptions::DepthToSpaceOptions)};
}
void read_s2d(TfliteOpReader& r) {
  r.params().ints = {block_option<tflite::SpaceToDepthOptions>(r, tflite::BuiltinOptions::SpaceToDepthOptions)};
}

void write_d2s(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::DepthToSpaceOptions,
                tflite::CreateDepthToSpaceOptions(w.fbb(), w.params().ints.at(kBlock)).Union());
  w.set_version(version_by_int_type(w));
}
void write_s2d(TfliteOpWriter& w) {
  w.set_options(tflite::BuiltinOptions::SpaceToDepthOptions,
                tflite::CreateSpaceToDepthOptions(w.fbb(), w.params().ints.at(kBlock)).Union());
  w.set_version(version_by_int_type(w));
}

}  // namespace

const OpDesc kDepthToSpace = {
    .type = OpType::DepthToSpace,
    .name = "DEPTH_TO_SPACE",
    .builtin = (int)tflite::BuiltinOperator::DEPTH_TO_SPACE,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_d2s,
    .write = write_d2s,
    .infer = [](ShapeContext& s) { infer_index_map(s, depth_to_space_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, depth_to_space_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, depth_to_space_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, depth_to_space_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, depth_to_space_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, depth_to_space_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, depth_to_space_map); },
};

const OpDesc kSpaceToDepth = {
    .type = OpType::SpaceToDepth,
    .name = "SPACE_TO_DEPTH",
    .builtin = (int)tflite::BuiltinOperator::SPACE_TO_DEPTH,
    .traits = {.output_quant = OutputQuant::SameAsInput},
    .read = read_s2d,
    .write = write_s2d,
    .infer = [](ShapeContext& s) { infer_index_map(s, space_to_depth_map); },
    .make_float = [](BuildContext& b, const Op& op) { return make_index_map(b, op, space_to_depth_map); },
    .make_q8 = [](BuildContext& b, const Op& op) { return make_q8_index_map(b, op, space_to_depth_map); },
    .make_grad = [](BuildContext& b, const Op& op) { return make_grad_index_map(b, op, space_to_depth_map); },
    .ref_float = [](ref::detail::OpContext& c) { ref_float_index_map(c, space_to_depth_map); },
    .ref_int = [](ref::intd::IntCtx& c) { ref_int_index_map(c, space_to_depth_map); },
    .ref_grad = [](ref::GradContext& c) { ref_grad_index_map(c, space_to_depth_map); },
};

}  // namespace tare::ops
