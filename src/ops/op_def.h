// What a descriptor file (src/ops/op_<name>.cpp) includes: the descriptor type, the import/export and shape
// contexts, the kernel interface, the CPU references' contexts, and the declaration of every descriptor object
// (so that each file's `const OpDesc k<Type> = {...}` has external linkage for the table in op_table.cpp).
#pragma once

#include "common/error.h"
#include "model/op_desc.h"
#include "model/op_shape.h"
#include "model/tflite_ops.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ref/grad_ops.h"
#include "ref/int_ops.h"
#include "ref/ref_ops.h"

namespace tare::ops {

#define TARE_OP_DECLARE(T) extern const OpDesc k##T;
TARE_OPS(TARE_OP_DECLARE)
#undef TARE_OP_DECLARE

// Import of an op with one input, one output and no options.
inline void read_one_input(TfliteOpReader& r) { r.arity(1, 1, 1); }

// TFLite's usual version rule: 3 for int16 activations, 2 for int8 ones, else 1.
inline int version_by_int_type(const TfliteOpWriter& w) {
  const DType x = w.in_type();
  if (x == DType::I16) return 3;
  return x == DType::I8 ? 2 : 1;
}

// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (op_resize_bilinear.cpp): arity and the constant size input into
// OpParams::new_height / new_width; on export the size input and the version; the [N, height, width, C] output.
void read_resize_size(TfliteOpReader& r);
void write_resize_size(TfliteOpWriter& w);
void infer_resize(ShapeContext& s);

// The input channel that element e of [O,KH,KW,I] weights reads: e % I (CONV_2D, TRANSPOSE_CONV; op_conv2d.cpp).
int conv_input_channel(const std::vector<int>& w, int64_t e, int channels);

// CONV_2D and DEPTHWISE_CONV_2D shape inference (op_conv2d.cpp): NHWC input, [O,KH,KW,I] / [1,KH,KW,I*M] filter.
void infer_conv(ShapeContext& s, bool depthwise);

}  // namespace tare::ops
