// Host-side helpers shared by the float (<op>.cpp) and 8-bit (q8_<op>.cpp) dispatch code: error prefixes, common
// validation, a generic one-or-more-dispatch kernel, dispatch grids, broadcast descriptors, convolution / pooling
// geometry and the readers of parameter tensors (MEAN axes, PAD paddings).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/kernel.h"

namespace tare::ops {

// ---- messages and validation ---------------------------------------------------------------------------------------

// "operator N (NAME): " and "operator N (8-bit NAME): ", the prefix of every error message of a kernel factory.
std::string op_where(const Op& op);
std::string op_where_q8(const Op& op);

// op.inputs[0] and op.outputs[0] exist: "expects an input and 1 output".
void check_input_output(const Op& op, const std::string& where);
// Exactly one input and one output: "expects 1 input and 1 output".
void check_one_input_output(const Op& op, const std::string& where);
// Input, constant weights, optional bias and one output: "expects input, weights, optional bias and 1 output".
void check_weighted_op(const Op& op, const std::string& where, size_t max_inputs);
// "a constant input is not supported".
void check_not_const(const Tensor& t, const std::string& where);
// Fused activation none / relu / relu_n1_to_1 / relu6 (else UNSUPPORTED "unsupported fused activation").
void check_activation(const Op& op, const std::string& where);
// 8-bit input and output ("input and output must both be 8-bit").
void check_q8_io(const Tensor& in, const Tensor& out, const std::string& where);
// Both have quantization parameters ("input and output need quantization parameters").
void check_quantized_io(const Tensor& in, const Tensor& out, const std::string& where);

// op.inputs[0] and op.outputs[0], checked by check_one_input_output (exactly_one) or check_input_output.
struct OpIO {
  const Tensor& in;
  const Tensor& out;
};
OpIO op_io(const Graph& g, const Op& op, const std::string& where, bool exactly_one);
// The one non-constant input and the output of an element-wise op, with the same NHWC4 layout (8-bit: both
// quantized).
OpIO elementwise_io(const Graph& g, const Op& op, const std::string& where, bool q8);
// op_io of an 8-bit op: check_q8_io, and check_quantized_io when `quantized`.
OpIO q8_op_io(const Graph& g, const Op& op, const std::string& where, bool exactly_one, bool quantized);

// 128 for uint8 tensors (device value = raw value - 128), else 0.
inline int32_t u8_flip(const Tensor& t) { return t.dtype == DType::U8 ? 128 : 0; }
// The fused activation's clamp range of an 8-bit output, in device values (TFLite's
// CalculateActivationRangeQuantized on the raw zero point, then shifted).
void q8_activation_range(Activation act, const Tensor& out, int32_t* lo, int32_t* hi);

// The FUNC specialization constant of shaders/unary.comp and grad_unary.comp (src/ops/op_unary.cpp picks it).
enum class UnaryFunc : uint32_t { Logistic = 0, Relu = 1, Relu6 = 2, HardSwish = 3 };
// Float and backward kernels of those shaders (unary.cpp, grad_unary.cpp).
KernelPtr make_unary(BuildContext& b, const Op& op, UnaryFunc func);
KernelPtr make_grad_unary(BuildContext& b, const Op& op, UnaryFunc func);

// An 8-bit activation to float, scale[c] * (q - zero[c]) per channel of the last axis (`device_zeros`: zero points as
// stored, uint8 shifted), shapes checked by the caller (shaders/dequantize.comp; DEQUANTIZE, CAST).
KernelPtr make_int_to_float(BuildContext& b, const Op& op, const std::vector<float>& scales,
                            const std::vector<int32_t>& device_zeros);

// ---- dispatch ------------------------------------------------------------------------------------------------------

struct Grid {
  uint32_t x = 0, y = 1, z = 1;
  bool empty() const { return x == 0 || y == 0 || z == 0; }
};
// ceil(items / per_group) workgroups over x (<= 65535) and y: shaders recover the workgroup index as
// gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x.
Grid grid_xy(int64_t items, int64_t per_group);
// split_groups (kernel.h): over x and z, y = `y` (e.g. output channel tiles).
Grid grid_xz(int64_t items, int local, uint32_t y = 1);

// One binding of a dispatch: an activation tensor, a slice of the constant buffer, or a buffer range of its own
// (work recorded outside the graph's kernels: calibration's reductions, loss and Adam).
struct Binding {
  int tensor = -1;
  ConstSlice constant{};
  bool grad = false;         // the tensor's gradient (training sessions) rather than its value
  vk::BufferRange buffer{};  // used when set
  static Binding t(int index) { return {index, {}, false, {}}; }
  static Binding c(ConstSlice s) { return {-1, s, false, {}}; }
  static Binding g(int index) { return {index, {}, true, {}}; }
  static Binding b(vk::BufferRange r) { return {-1, {}, false, r}; }
};

struct Dispatch {
  std::shared_ptr<vk::Pipeline> pipeline;
  std::vector<Binding> bindings;
  std::vector<uint8_t> push;
  Grid grid;
  template <class Push>
  static Dispatch make(std::shared_ptr<vk::Pipeline> p, std::vector<Binding> bindings, const Push& push, Grid grid,
                       size_t push_bytes = sizeof(Push)) {
    Dispatch d{std::move(p), std::move(bindings), std::vector<uint8_t>(push_bytes), grid};
    std::memcpy(d.push.data(), &push, push_bytes);
    return d;
  }
};

// A kernel made of fixed dispatches recorded in order (an empty grid is skipped).
class DispatchKernel : public Kernel {
 public:
  explicit DispatchKernel(std::vector<Dispatch> dispatches) : dispatches_(std::move(dispatches)) {}
  void record(vk::Recorder& rec, const Resources& res) override;

 private:
  std::vector<Dispatch> dispatches_;
};

// Records one dispatch (skipped if its grid is empty); `res` resolves tensor and constant bindings (nullptr when
// every binding is a buffer of its own).
void record_dispatch(vk::Recorder& rec, const Dispatch& d, const Resources* res);

// The workgroup size of the shaders whose size is a specialization constant and that are dispatched outside an
// operator kernel (input/output packing, statistics, calibration's reductions, loss and Adam).
constexpr uint32_t kShaderLocal = 64;

// A dispatch of shader `name` on buffers of its own, outside an operator kernel: the push block's type gives its
// size, the bindings their count, kShaderLocal the workgroup size (grids are computed for it).
template <class Push>
Dispatch shader_dispatch(vk::Context& ctx, const std::string& name, const std::vector<uint32_t>& spec,
                         std::vector<vk::BufferRange> buffers, const Push& push, Grid grid) {
  std::vector<Binding> bindings;
  for (const vk::BufferRange& r : buffers) bindings.push_back(Binding::b(r));
  auto p = ctx.pipeline(name, spec, (uint32_t)sizeof(Push), (uint32_t)bindings.size(), kShaderLocal, 1, 1);
  return Dispatch::make(std::move(p), std::move(bindings), push, grid);
}

// Per-channel reductions over chunks of rows (channel_minmax, channel_diff, channel_sum): one invocation per
// (chunk, channel group), numbered chunk * c4 + group over x and z, so that a thin tensor's few groups still fill
// whole workgroups.
inline Grid grid_channel_chunks(int c4, int64_t chunks) {
  Grid g;
  split_groups(chunks * c4, kShaderLocal, g.x, g.z);
  return g;
}

template <class Push>
KernelPtr make_dispatch(std::shared_ptr<vk::Pipeline> p, std::vector<Binding> bindings, const Push& push, Grid grid,
                        size_t push_bytes = sizeof(Push)) {
  std::vector<Dispatch> d;
  d.push_back(Dispatch::make(std::move(p), std::move(bindings), push, grid, push_bytes));
  return std::make_unique<DispatchKernel>(std::move(d));
}

// ---- element-wise ops with numpy broadcasting (ADD, MUL, SUB, MAXIMUM, ...) ----------------------------------------

// The OP specialization constant of shaders/binary.comp, q8_binary.comp and grad_binary.comp (src/ops/op_binary.cpp
// picks it per descriptor).
enum class BinaryOp : uint32_t {
  Add = 0,
  Mul = 1,
  Sub = 2,
  Maximum = 3,
  Minimum = 4,
  SquaredDifference = 5,
  Div = 6,
  Prelu = 7,
  Pow = 8
};
// Float, 8-bit and backward kernels of those shaders (binary.cpp, q8_binary.cpp, grad_binary.cpp).
KernelPtr make_binary(BuildContext& b, const Op& op, BinaryOp f);
KernelPtr make_q8_binary(BuildContext& b, const Op& op, BinaryOp f);
KernelPtr make_grad_binary(BuildContext& b, const Op& op, BinaryOp f);

// An operand's row strides against the output's [N,H,W,C] view (0 along broadcast dimensions) and its vec4 groups.
struct BroadcastStrides {
  int32_t n, h, w, c4;
};
// The push-constant head shared by binary.comp and q8_binary.comp.
struct BinaryHead {
  int32_t total, c, c4, w, h;
  BroadcastStrides a, b;
};
struct BinaryGeometry {
  BinaryHead head;
  uint32_t mode_a, mode_b;  // operand read modes: 0 same shape, 1 broadcast rows, 2 broadcast channels too
  Shape4 out;
};
// Validates a binary op's operands (2 inputs, rank <= 4, broadcastable, size) and computes the layout.
BinaryGeometry binary_geometry(const Graph& g, const Op& op, const std::string& where);

// ---- CONCATENATION --------------------------------------------------------------------------------------------------

struct ConcatGeometry {
  const Tensor* out;
  Shape4 so;
  int rank, axis, axis4;  // axis4: the axis in the [N,H,W,C] view
  int dims_out[4];
  int64_t inner;  // rows inside one step of the axis (rows of the dimensions after it; channel axis: 1)
};
// Validates the op (inputs, 1 output of rank 1..4, axis, size); the fused activation is the caller's.
ConcatGeometry concat_geometry(const Graph& g, const Op& op, const std::string& where);
// Validates input i against the output (rank, shape outside the axis); returns its view, `extent` along the axis.
Shape4 concat_input(const Graph& g, const Op& op, const ConcatGeometry& cg, size_t i, const std::string& where,
                    int64_t* extent);
// The push-constant head shared by concatenation.comp and q8_concatenation.comp.
struct ConcatHead {
  int32_t total;
  int32_t in_c, in_c4, out_c, out_c4;
  int32_t block_in, block_out, row_off;  // outer axes: rows per input / output block, row offset of this input
  int32_t ch_off;                        // channel axis: channel offset of this input
};
// The head of one input at `offset` along the axis (total: the input's vec4 groups).
ConcatHead concat_head(const ConcatGeometry& cg, const Shape4& si, int64_t extent, int64_t offset);

// ---- convolution and pooling ---------------------------------------------------------------------------------------

struct ConvShapes {
  const Tensor* in;
  const Tensor* wt;
  const Tensor* out;
  Shape4 si, so;
  int kh, kw, oc;  // filter size, output channels
};
// CONV_2D: constant 4-D weights [OC, KH, KW, IC] with IC the input's channels, 4-D tensors.
ConvShapes conv2d_shapes(const Graph& g, const Op& op, const std::string& where);
// DEPTHWISE_CONV_2D: constant weights [1, KH, KW, OC], 4-D tensors, OC a multiple of the input's channels.
ConvShapes depthwise_shapes(const Graph& g, const Op& op, const std::string& where);

// q8 CONV_2D / DEPTHWISE_CONV_2D: check_weighted_op, the shapes above, 8-bit non-constant input and output.
ConvShapes q8_conv_shapes(const Graph& g, const Op& op, const std::string& where, bool depthwise);

// Top / left padding of a window op (conv_pad_before with the op's strides and dilation).
struct WindowPads {
  int top, left;
};
WindowPads conv_pads(const Shape4& in, int kh, int kw, const OpParams& p);
// A 1x1, stride-1, unpadded convolution with equal input and output sizes: a GEMM.
bool conv_is_gemm(const ConvShapes& s, const OpParams& p, WindowPads pads);
// Output pixel tiles of `tile` pixels along W: ceil(OW / tile).
inline int x_tiles(int ow, int tile) { return (ow + tile - 1) / tile; }
// Pixels per invocation of a GEMM over `pixels` pixels, one tile per invocation: max_tile, unless that leaves lanes
// of the subgroup (`lanes` invocations in lockstep; on llvmpipe its SIMD width, 8) without a tile while another
// holds several pixels: then as few pixels as give every lane a tile.  A 7x7 layer's 49 pixels: 7 tiles of 7, not
// 4 of 16 (the 8-bit kernel: 0.68-0.76x the time on lavapipe) or 7 of 8 (fp32: 0.94x).  Smaller tiles on larger
// layers, to fill a partial last step, gained 0-8 % there (and fp32 tiles of 5 lost 13 % at 14x14: a tile's weight
// loads weigh about as much as its pixels): not worth one more pipeline to compile each at a cold start.
int fitted_tile(int64_t pixels, int max_tile, uint32_t lanes);
// Float bias of a convolution (optional third input) padded with zeros to `groups` vec4 groups ("bias size
// mismatch" unless it has `channels` values), followed by a granted clip's bounds (append_clip; clip >= 0).
std::vector<float> conv_float_bias(BuildContext& b, const Op& op, int channels, int groups, const std::string& where,
                                   int clip = -1);
// Appends the bound of a clip granted by BuildContext::claim_clip (tensor `clip`: one value or one per channel), one
// value per channel padded to `groups` vec4 groups, to a kernel's per-channel constants; nothing where clip < 0.
// Floats pad with 0 (a padding lane's 0 stays 0); 8-bit bounds are device values (uint8 - 128) padded with 127 (the
// shaders write padding lanes as the zero point anyway).
void append_clip(BuildContext& b, int clip, int channels, int groups, std::vector<float>& values);
void append_clip(const Graph& g, int clip, int channels, int groups, std::vector<int32_t>& values);

// The push-constant head shared by the window convolution shaders (float and 8-bit, general and depthwise).
struct ConvHead {
  int32_t N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l;
};
inline ConvHead conv_head(const Shape4& si, const Shape4& so, WindowPads pads) {
  return {si.n, si.h, si.w, si.c4(), so.h, so.w, so.c4(), pads.top, pads.left};
}
// Window shaders: one invocation per `xt` output pixel tiles of a row, over x and z; y = output channel tiles.
inline Grid window_grid(const Shape4& so, int xt, uint32_t y) { return grid_xz((int64_t)so.n * so.h * xt, 64, y); }

// FULLY_CONNECTED: weights [units, depth], the input viewed as [batch, depth] (gathered through the dense flat index
// when its last dimension is not depth), `rows` batch rows per invocation.
struct FcHead {
  int32_t batch, depth, in4, out_c, out4, in_c, in_c4;
};
struct FcGeometry {
  const Tensor* in;
  const Tensor* wt;
  const Tensor* out;
  Shape4 si, so;
  int units, depth, in4, out4, rows;
  int64_t batch;
  uint32_t gather;
  FcHead head;
  Grid grid;
};
FcGeometry fc_geometry(const Graph& g, const Op& op, const std::string& where, uint32_t local);
// The FcGeometry of a 1x1 stride-1 unpadded convolution (conv_is_gemm): its pixels are the rows, its input channels
// the depth.
FcGeometry conv_fc_geometry(const ConvShapes& cs, const std::string& where, uint32_t local);

// AVERAGE_POOL_2D / MAX_POOL_2D: validated window and output tiling (tile output pixels per invocation).
struct PoolGeometry {
  Shape4 is, os;
  int oh, ow, tile, owt;
  WindowPads pads;
  int64_t total;
};
PoolGeometry pool_geometry(const Graph& g, const Op& op, const std::string& where, uint32_t local);

// RESIZE_BILINEAR: validated 4-D shapes.
struct ResizeShapes {
  const Tensor* in;
  const Tensor* out;
  Shape4 is, os;
};
ResizeShapes resize_shapes(const Graph& g, const Op& op, const std::string& where);

// ---- parameter tensors ---------------------------------------------------------------------------------------------

// PAD: (before, after) per dimension from the op's options or else its constant second input; validated against the
// input's rank and the output's shape.  before is aligned to the [N,H,W,C] view.
struct PadGeometry {
  const Tensor* in;
  const Tensor* out;
  Shape4 is, os;
  int before[4];
};
PadGeometry pad_geometry(BuildContext& b, const Op& op, const std::string& where);

// MEAN: the reduced axes from the op's options or else its constant second input (negative axes wrapped).
struct MeanGeometry {
  const Tensor* in;
  const Tensor* out;
  Shape4 is, os;
  int rank;
  std::vector<int> axes;
  bool reduced[4];       // in the [N,H,W,C] view
  bool reduced_orig[4];  // in the input's own dimensions
  int64_t count, kept;   // reduced and kept elements
  int64_t total;         // output vec4 groups
};
MeanGeometry mean_geometry(BuildContext& b, const Op& op, const std::string& where, uint32_t local);

}  // namespace tare::ops
