// Op descriptors: everything Tare knows about one operator type, in one place.
//
// Each op (or op family) has one descriptor file, src/ops/op_<name>.cpp, defining `const OpDesc ops::k<Type>`; the
// op list (model/op_list.h) names every type once and src/ops/op_table.cpp collects the descriptors into the table
// read by op_desc().  The importer, exporter, shape inference, kernel registry, CPU references, quantizer,
// equalizer and calibration ask the descriptor instead of switching on the type.  See docs/adding-an-op.md.
//
// Layering: this header sits in `model` and only names the types of the layers above (kernels, references) through
// forward declarations; the table itself is defined in `ops`, which includes them all.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tare {

namespace ops {
class BuildContext;
class Kernel;
}  // namespace ops
namespace ref {
class GradContext;
namespace detail {
class OpContext;
}
namespace intd {
struct IntCtx;
}
}  // namespace ref
class TfliteOpReader;
class TfliteOpWriter;
class ShapeContext;

// How the quantizer chooses the parameters of an op's float output.
enum class OutputQuant {
  Observed,        // from the calibration range of the output itself
  SameAsInput,     // the input's scale and zero point (pools, layout ops: TFLite requires them equal)
  Probability,     // scale 1/256, zero point -128 (SOFTMAX, LOGISTIC: TFLite's fixed int8 output)
  SignedUnit,      // scale 1/128, zero point 0 (TANH: the output TFLite's quantizer fixes for int8)
  LogProbability,  // scale 16/256, zero point 127 (LOG_SOFTMAX: TFLite's fixed int8 output; uint8: 255)
  // Inputs and output share one scale and zero point, over the union of their ranges (MAXIMUM, MINIMUM: TFLite's
  // int8 kernels compare raw values; CONCATENATION: its int8 kernel refuses inputs with other parameters).
  SharedWithInputs,
};

// The weights of a weighted layer (input 1; input 2 is the optional bias, one value per output channel).
struct WeightLayout {
  int rank = 4;                    // the weights' rank
  int out_axis = 0;                // their output-channel axis (per-channel quantization, bias correction)
  bool per_channel_ok = true;      // per-channel weight quantization allowed (TFLite: not for FULLY_CONNECTED)
  bool equalizable_first = false;  // may be the first layer of a cross-layer equalization pair
  // Cross-layer equalization as the second layer: the input channel that element `e` of weights shaped `w` reads
  // from an input of `channels` channels, and why such weights cannot take that input (empty: they can).
  int (*input_channel)(const std::vector<int>& w, int64_t e, int channels) = nullptr;
  std::string (*input_mismatch)(const std::vector<int>& w, int channels) = nullptr;
};

struct OpTraits {
  // CONV_2D-like layers: constant weights, a bias that calibration corrects (IBC) or trains (BFT); null otherwise.
  const WeightLayout* weights = nullptr;
  bool fused_activation = false;  // OpParams::activation applies to the output
  // Channel c of the (single) output depends on channel c of input 0 alone, and the op commutes with positive
  // per-channel scaling: cross-layer equalization may look through it.  Checked per op by `equalize_through`.
  bool (*equalize_through)(const Graph& g, const Op& op, std::string& why) = nullptr;
  OutputQuant output_quant = OutputQuant::Observed;
  // Constant inputs are data operands (packed into NHWC4, quantized like activations): ADD, MUL, CONCATENATION.
  bool constant_operands = false;
  // The output may share input 0's device storage when both have the same NHWC4 layout (RESHAPE, SQUEEZE).
  bool may_alias = false;
};

using KernelFactory = std::unique_ptr<ops::Kernel> (*)(ops::BuildContext& b, const Op& op);

struct OpDesc {
  OpType type;
  const char* name;      // TFLite's name, e.g. "CONV_2D" (internal ops: their own)
  int builtin = -1;      // tflite::BuiltinOperator code; -1 for an internal op
  int builtin_alt = -1;  // a second code imported as this op (PADV2 as PAD), or -1
  // A TFLite CUSTOM op code imported as this op (MediaPipe's "Convolution2DTransposeBias" as TRANSPOSE_CONV), or
  // null.  `read` sees it in TfliteOpReader::custom() and parses its custom_options; export writes the builtin.
  const char* custom = nullptr;
  OpTraits traits;
  // Import: arity and options into Op::params (Op::type is set).  Null: never imported.
  void (*read)(TfliteOpReader& r) = nullptr;
  // Export: builtin options, parameter inputs and the operator version.  Null: not exportable.
  void (*write)(TfliteOpWriter& w) = nullptr;
  // Shape inference and validation: sets the output shape or fails with INVALID_MODEL.
  void (*infer)(ShapeContext& s) = nullptr;
  // Multiply-accumulates (reports); null: 0.
  int64_t (*macs)(const Graph& g, const Op& op) = nullptr;
  // GPU kernels: float32/float16, 8-bit (TFLite's integer arithmetic), backward (training).  Null: no such path.
  KernelFactory make_float = nullptr;
  KernelFactory make_q8 = nullptr;
  KernelFactory make_grad = nullptr;
  // CPU references: float, TFLite-exact integer, backward.  Null: no such path.
  void (*ref_float)(ref::detail::OpContext& c) = nullptr;
  void (*ref_int)(ref::intd::IntCtx& c) = nullptr;
  void (*ref_grad)(ref::GradContext& c) = nullptr;
};

// The descriptor of `t` (every OpType has one).
const OpDesc& op_desc(OpType t);
// The descriptor imported for a TFLite builtin code, or null when Tare does not support it.
const OpDesc* op_desc_for_builtin(int code);
// The descriptor imported for a TFLite CUSTOM op code, or null when Tare does not support it.
const OpDesc* op_desc_for_custom(const std::string& custom_code);
// Every descriptor, in OpType order.
std::span<const OpDesc* const> op_descs();

// Shorthands for the questions asked most.
inline const OpTraits& op_traits(OpType t) { return op_desc(t).traits; }
inline bool is_weighted(OpType t) { return op_traits(t).weights != nullptr; }

// Output channels of a weighted op: its weights' extent along the output-channel axis.
int weighted_out_channels(const Graph& g, const Op& op);

}  // namespace tare
