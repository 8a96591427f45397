// FULLY_CONNECTED: [units, depth] weights over the input's rows (keep_num_dims keeps the leading dimensions),
// optional bias, fused activation.  Kernels: fully_connected.cpp, q8_fully_connected.cpp, grad_fully_connected.cpp.
#include "ops/op_def.h"

namespace tare::ops {

KernelPtr make_fully_connected(BuildContext& b, const Op& op);
KernelPtr make_q8_fully_connected(BuildContext& b, const Op& op);
KernelPtr make_grad_fully_connected(BuildContext& b, const Op& op);

namespace {

void read(TfliteOpReader& r) {
  OpParams& p = r.params();
  r.arity(2, 3, 2);
  if (auto opt = r.options<tflite::FullyConnectedOptions>(tflite::BuiltinOptions::FullyConnectedOptions)) {
    if (opt->weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT) {
      r.unsupported("shuffled weights format is not supported");
    }
    p.activation = r.activation(opt->fused_activation_function());
    p.keep_num_dims = opt->keep_num_dims();
  }
}

void write(TfliteOpWriter& w) {
  const OpParams& p = w.params();
  w.set_options(tflite::BuiltinOptions::FullyConnectedOptions,
                tflite::CreateFullyConnectedOptions(w.fbb(), w.activation(p.activation),
                                                    tflite::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                    p.keep_num_dims)
                    .Union());
  const DType x = w.in_type(), wt = w.in_type(1);
  int v = 1;
  if (x == DType::I16) {
    v = 7;
  } else if (w.op().inputs.size() == 2) {
    v = 6;
  } else if (p.keep_num_dims) {
    v = 5;
  } else if (x == DType::I8) {
    v = 4;
  } else if (x == DType::F32 && (wt == DType::I8 || wt == DType::U8)) {
    v = 3;
  }
  w.set_version(v);
}

void infer(ShapeContext& s) {
  const OpParams& p = s.params();
  s.need_inputs(2, 3);
  s.need_rank(1, 2, "weights");
  const auto& x = s.in(0);
  const auto& w = s.in(1);
  int units = w[0], depth = w[1];
  if (depth < 1) s.err("weights " + shape_str(w) + " have no input features");
  if (x.empty()) s.err("input must have rank >= 1");
  int64_t n = s.input(0).elements();
  if (s.has(2) && s.input(2).elements() != units) {
    s.err("bias shape " + shape_str(s.in(2)) + " does not match " + std::to_string(units) + " units");
  }
  if (p.keep_num_dims) {
    if (x.back() != depth) s.err("input " + shape_str(x) + " does not match weights " + shape_str(w));
    std::vector<int> o = x;
    o.back() = units;
    s.set_out(o);
  } else {
    if (n % depth != 0) s.err("input " + shape_str(x) + " is not a multiple of weights " + shape_str(w));
    if (n / depth > INT32_MAX) s.err("input " + shape_str(x) + " is too large");
    s.set_out({(int)(n / depth), units});
  }
}

// Each output element takes `depth` multiply-accumulates.
int64_t macs(const Graph& g, const Op& op) {
  const Tensor& w = g.tensors[op.inputs[1]];
  return w.shape.size() == 2 ? g.tensors[op.outputs[0]].elements() * w.shape[1] : 0;
}

// Column j of the NHWC-flattened input is channel j % C.
int input_channel(const std::vector<int>& w, int64_t e, int channels) { return (int)((e % w[1]) % channels); }
std::string input_mismatch(const std::vector<int>& w, int channels) {
  if (w.size() == 2 && w[1] % channels == 0) return "";
  return ": fully connected depth " + (w.size() == 2 ? std::to_string(w[1]) : std::string("?")) +
         " is not a multiple of " + std::to_string(channels) + " channels";
}

// TFLite's FULLY_CONNECTED takes per-tensor weights only (per-channel needs newer kernels).
constexpr WeightLayout kWeights = {.rank = 2,
                                   .out_axis = 0,
                                   .per_channel_ok = false,
                                   .input_channel = input_channel,
                                   .input_mismatch = input_mismatch};

}  // namespace

const OpDesc kFullyConnected = {
    .type = OpType::FullyConnected,
    .name = "FULLY_CONNECTED",
    .builtin = (int)tflite::BuiltinOperator::FULLY_CONNECTED,
    .traits = {.weights = &kWeights, .fused_activation = true},
    .read = read,
    .write = write,
    .infer = infer,
    .macs = macs,
    .make_float = make_fully_connected,
    .make_q8 = make_q8_fully_connected,
    .make_grad = make_grad_fully_connected,
    .ref_float = ref::detail::fully_connected,
    .ref_int = ref::intd::fully_connected,
    .ref_grad = [](ref::GradContext& c) { c.fully_connected(); },
};

}  // namespace tare::ops
