// GPU operator kernels: the interface between the session (src/engine) and each op's dispatch code (src/ops).
//
// Device layout of activation tensors ("NHWC4"): a tensor of rank <= 4 is viewed as [N,H,W,C] (missing leading
// dimensions are 1; the last TFLite dimension is always C) and stored as N*H*W rows of C4 = ceil(C/4)*4 elements,
// each element float32 (or float16 when the session runs in fp16).  Channels C..C4-1 of every row are padding and
// every kernel MUST write them as 0, so that consumers may read whole vec4s.
//
// 8-bit tensors (dtype I8 or U8) use the same NHWC4 view with one 32-bit word per group of 4 channels (4 int8
// lanes); uint8 tensors are stored as int8 (q - 128) with their zero point shifted by -128 (see shaders/quant.glsl).
// Padding lanes of 8-bit tensors hold the device zero point.  An op whose data tensors are 8-bit runs an integer
// kernel (make_q8_<op>), with TFLite's integer semantics, bit-exact against src/ref's integer reference.
//
// Kernel factories are named by each op's descriptor (src/ops/op_<name>.cpp, see docs/adding-an-op.md); shared
// validation, geometry and a generic DispatchKernel are in op_common.h.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/graph.h"
#include "vk/buffer.h"
#include "vk/command.h"
#include "vk/context.h"

namespace tare::ops {

// The 4-D view of a tensor.
struct Shape4 {
  int n = 1, h = 1, w = 1, c = 1;
  int c4() const { return (c + 3) / 4; }  // vec4 groups per row
  int64_t rows() const { return (int64_t)n * h * w; }
  int64_t padded_elements() const { return rows() * c4() * 4; }
};

Shape4 shape4(const std::vector<int>& shape);  // rank <= 4 only (else throws UNSUPPORTED)

// True for tensors stored as 8-bit on the device.
inline bool is_q8(const Tensor& t) { return t.dtype == DType::I8 || t.dtype == DType::U8; }
// Bytes of a tensor's device storage: NHWC4 elements of `elem_bytes` (float) or one byte per lane (8-bit).
inline uint64_t device_bytes(const Tensor& t, size_t float_elem_bytes) {
  return (uint64_t)shape4(t.shape).padded_elements() * (is_q8(t) ? 1 : float_elem_bytes);
}
// The zero point of an 8-bit tensor as stored on the device (uint8: zero point - 128); 0 if not quantized.
inline int32_t device_zero_point(const Tensor& t) {
  int32_t z = t.quant.zero_point.empty() ? 0 : (int32_t)t.quant.zero_point[0];
  return t.dtype == DType::U8 ? z - 128 : z;
}
inline float tensor_scale(const Tensor& t) { return t.quant.scale.empty() ? 1.0f : t.quant.scale[0]; }

// A slice of the session's constant buffer.
struct ConstSlice {
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

// Where things live at record time.
class Resources {
 public:
  virtual ~Resources() = default;
  virtual vk::BufferRange tensor(int index) const = 0;       // activation tensor (arena)
  virtual vk::BufferRange constant(ConstSlice s) const = 0;  // constant data
  // Training sessions only: dL/dtensor, stored like the tensor (NHWC4 float32, padding lanes 0).
  virtual vk::BufferRange grad(int index) const;
};

// What a kernel factory gets.
class BuildContext {
 public:
  virtual ~BuildContext() = default;
  virtual const Graph& graph() const = 0;
  virtual vk::Context& context() const = 0;
  virtual bool fp16() const = 0;  // activations and weights stored as float16, arithmetic in fp16
  // Element size of activation storage (4 or 2).
  size_t elem_bytes() const { return fp16() ? 2 : 4; }
  // "name" or "name_fp16" according to the session's precision.
  std::string shader(const std::string& base) const { return fp16() ? base + "_fp16" : base; }
  // 8-bit kernels: whether the session uses 8-bit storage buffers and packed dot products.
  virtual bool int8_storage() const = 0;
  virtual bool integer_dot() const = 0;
  // "name", "name_s8", "name_dot" or "name_s8_dot" (a shader marked TARE_VARIANT_INT8_STORAGE / TARE_VARIANT_DOT).
  std::string shader_q8(const std::string& base, bool has_dot_variant) const {
    std::string s = base;
    if (int8_storage()) s += "_s8";
    if (has_dot_variant && integer_dot()) s += "_dot";
    return s;
  }
  std::shared_ptr<vk::Pipeline> pipeline_q8(const std::string& base, bool has_dot_variant,
                                            const std::vector<uint32_t>& spec, uint32_t push_bytes, uint32_t bindings,
                                            uint32_t lx, uint32_t ly = 1, uint32_t lz = 1) const {
    return context().pipeline(shader_q8(base, has_dot_variant), spec, push_bytes, bindings, lx, ly, lz);
  }
  // Appends float data to the constant buffer, converted to the storage type (float32 or float16); returns its
  // slice (aligned for binding).
  virtual ConstSlice add_constant_floats(const std::vector<float>& values) = 0;
  // Appends raw bytes as they are (int32 tables, etc.).
  virtual ConstSlice add_constant_bytes(const void* data, size_t bytes) = 0;
  // Declares that `slice` holds constant tensor `tensor`'s values as they are (storage type, dense, from the slice's
  // start), so that the session can rewrite them in place (bias correction).  Optional for kernels.
  virtual void note_constant(int tensor, ConstSlice slice) { (void)tensor, (void)slice; }
  // Tensor i's value as float (constant tensors only: float32, float16 or dequantized ints).
  virtual std::vector<float> constant_as_float(int tensor) const = 0;
  // Training: the backward kernel of `op` asks to STORE dL/d(op.inputs[slot]) instead of adding into it.  True
  // where this op is that gradient's first writer in backward order (its last consumer, through exactly one input
  // slot, and not a graph output, whose gradient is seeded): the gradient then needs no zeroing, and the kernel must
  // write every element of it, padding lanes included (as 0).  False elsewhere: the kernel adds.
  virtual bool claim_grad_store(const Op& op, int slot) { return (void)op, (void)slot, false; }
  // Training: the backward kernel of `op` asks to take over the backward of the FAKE_QUANT that produces
  // op.inputs[slot] (ops/ste_fold.h).  Returns that FAKE_QUANT's index in graph().ops where granted (the output has
  // no other reader, the FAKE_QUANT's input no reader but it, neither is a graph output): the kernel then stores
  // the FAKE_QUANT's input gradient, masked, instead of op.inputs[slot]'s.  -1 elsewhere.  Backward kernels are
  // built from the last operator to the first, so a FAKE_QUANT learns it was folded (fake_quant_folded) in time.
  virtual int claim_fake_quant_fold(const Op& op, int slot) { return (void)op, (void)slot, -1; }
  virtual bool fake_quant_folded(const Op& fq) const { return (void)fq, false; }
  // Inference: `op`'s kernel asks to apply the MINIMUM that reads its output and a constant bound (one value or one
  // per output channel: cross-layer equalization's RELU6 bound, quant/equalize.cpp), so that the MINIMUM runs no
  // pass of its own.  Returns the bound's tensor where granted (the output is the MINIMUM's first operand, has no other
  // reader and is no graph output; the MINIMUM's output then shares the storage `op` writes); the kernel must store
  // what the MINIMUM would: floats `v < c ? v : c`, 8-bit min(v, c) of the raw values (one shared quantization).
  // -1 elsewhere.  The bounds: append_clip (op_common.h).
  virtual int claim_clip(const Op& op) { return (void)op, -1; }
  // Inference: `op`'s kernel asks to read graph input op.inputs[0] straight from its staging, as the caller wrote it
  // (dense NHWC of the tensor's type: float32, or uint8 / int8 bytes; the tensor's bytes()), rather than from device
  // storage that a packing pass fills first.  Returns the staging where granted (a float32 or 8-bit graph input,
  // listed once, that `op` alone reads, once, and that is no graph output): the input then gets neither that pass
  // nor storage.  An empty range (no buffer) elsewhere.
  virtual vk::BufferRange claim_input_staging(const Op& op) { return (void)op, vk::BufferRange{}; }
  // Inference: likewise, `op`'s kernel asks to write graph output op.outputs[0] straight into its staging, as the
  // caller reads it (dense NHWC float32), rather than into device storage that a pass unpacks afterwards.  Granted
  // for a float32 graph output listed once that no operator reads and that is no graph input.
  virtual vk::BufferRange claim_output_staging(const Op& op) { return (void)op, vk::BufferRange{}; }
  // A cached pipeline (see vk::Context::pipeline).
  std::shared_ptr<vk::Pipeline> pipeline(const std::string& base, const std::vector<uint32_t>& spec,
                                         uint32_t push_bytes, uint32_t bindings, uint32_t lx, uint32_t ly = 1,
                                         uint32_t lz = 1) const {
    return context().pipeline(shader(base), spec, push_bytes, bindings, lx, ly, lz);
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Records the op's dispatches.  Called once per session (the command buffer is replayed).
  virtual void record(vk::Recorder& rec, const Resources& res) = 0;
};

using KernelPtr = std::unique_ptr<Kernel>;

// Builds the kernel of `op`, or returns nullptr if the op is a pure alias (its output shares its input's storage,
// e.g. RESHAPE/SQUEEZE that keep the channel count).  Throws tare::Error(TARE_ERROR_UNSUPPORTED) for an op or a
// configuration with no GPU implementation.
KernelPtr make_kernel(BuildContext& b, const Op& op);
// The backward kernel of `op` (float32 graphs, fused activation NONE: training splits activations out).  It ADDS
// dL/d(input) into res.grad(input) for every non-constant float input, from res.grad(output) and the forward
// tensors (several consumers of a tensor add up; the trainer zeroes the gradients first), or stores it where
// BuildContext::claim_grad_store granted it (the gradient's first writer).  Weights get no gradient; bias
// gradients are reductions of grad(output) done by the trainer.  nullptr for an alias op (its gradient storage
// aliases too) and for a FAKE_QUANT whose backward its output's reader took over.  Throws
// tare::Error(TARE_ERROR_UNSUPPORTED) for an op without a backward kernel.
KernelPtr make_grad_kernel(BuildContext& b, const Op& op);

// True if the op's output can alias its first input (no data movement in the NHWC4 layout).
bool is_alias(const Graph& g, const Op& op);

// Work-group helper.
inline uint32_t div_up(int64_t a, int64_t b) { return (uint32_t)((a + b - 1) / b); }

// Splits `items` invocations in workgroups of `local` over x (<= 65535 groups) and z: shaders recover the linear
// index as gl_GlobalInvocationID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x * gl_WorkGroupSize.x.
inline void split_groups(int64_t items, int local, uint32_t& gx, uint32_t& gz) {
  int64_t groups = (items + local - 1) / local;
  gx = (uint32_t)std::min<int64_t>(groups, 65535);
  gz = (uint32_t)((groups + 65534) / 65535);
}

// Fused activation code for shaders' ACT specialization constant: 0 none, 1 relu, 2 relu_n1_to_1, 3 relu6.
inline uint32_t act_code(Activation a) { return (uint32_t)a; }

}  // namespace tare::ops
