// Layout ops that only move values (SLICE, STRIDED_SLICE, TRANSPOSE, DEPTH_TO_SPACE, SPACE_TO_DEPTH, GATHER): each
// descriptor gives an index function, output element -> input element (dense, row-major), and every path is built
// on it: the GPU kernels gather through the map (shaders/gather_map.comp, q8_gather_map.comp) and scatter the
// gradient through its inverse (grad_gather_map.comp); the references copy through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/op_def.h"

namespace tare::ops {

struct IndexMap {
  std::vector<int> out_shape;
  std::vector<int64_t> src;  // per output element, its input element (only when asked for)
  std::string error;         // non-empty: the parameters do not fit the input
};
// The op's map for an input of shape `in`; `with_src` false computes the output shape only.
using IndexMapFn = IndexMap (*)(const OpParams& p, const std::vector<int>& in, bool with_src);

// Row-major strides of a shape.
std::vector<int64_t> dense_strides(const std::vector<int>& s);
// Calls f(out_index, coords) for every element of `shape` in row-major order.
template <class F>
void for_each_coord(const std::vector<int>& shape, F&& f) {
  int64_t n = 1;
  for (int d : shape) n *= d;
  std::vector<int> c(shape.size(), 0);
  for (int64_t i = 0; i < n; i++) {
    f(i, c);
    for (int d = (int)shape.size() - 1; d >= 0; d--) {
      if (++c[d] < shape[d]) break;
      c[d] = 0;
    }
  }
}

// Shape inference from the map.
void infer_index_map(ShapeContext& s, IndexMapFn fn);

// Kernels: float32/float16, 8-bit (input and output quantization must be equal: the values are copied), backward.
KernelPtr make_index_map(BuildContext& b, const Op& op, IndexMapFn fn);
KernelPtr make_q8_index_map(BuildContext& b, const Op& op, IndexMapFn fn);
KernelPtr make_grad_index_map(BuildContext& b, const Op& op, IndexMapFn fn);

// References: copy through the map (float, integer bytes), add dy into dx through it (backward).
void ref_float_index_map(ref::detail::OpContext& c, IndexMapFn fn);
void ref_int_index_map(ref::intd::IntCtx& c, IndexMapFn fn);
void ref_grad_index_map(ref::GradContext& c, IndexMapFn fn);

// The building blocks, also of the ops with several inputs or outputs (SPLIT, UNPACK, PACK: op_split_pack.cpp).
// add_gather: a dispatch that writes tensor `dst` (every element, and its padding lanes) from tensor `src`: dst's
// element i copies src's element src_of[i], or keeps its value where src_of[i] is -1 (another input writes it);
// 8-bit tensors must share their quantization.  add_grad_gather: the backward of that dispatch, grad(src) +=
// grad(dst) through the same map.  Nothing is added for an empty tensor.
void add_gather(BuildContext& b, std::vector<Dispatch>& out, int src, int dst, const std::vector<int64_t>& src_of,
                const std::string& where);
void add_grad_gather(BuildContext& b, std::vector<Dispatch>& out, int src, int dst, const std::vector<int64_t>& src_of,
                     const std::string& where);
// Same type and quantization (8-bit values copied as stored mean the same reals).
bool same_quant(const Tensor& a, const Tensor& b);

// Import check shared by the ops: 8-bit input and output with different quantization are refused (TFLite copies
// the stored values, which would change the real ones).
void check_same_quant(const TfliteOpReader& r);

}  // namespace tare::ops
