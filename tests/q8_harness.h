// Helpers for 8-bit GPU tests: build quantized graphs (Q8Builder), choose the 8-bit storage / dot-product path of a
// session (q8_session, q8_features), random raw inputs.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/session.h"
#include "model/graph.h"
#include "op_harness.h"
#include "ref/int_reference.h"
#include "test_util.h"

namespace tare::test {

// Weights of the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED tests.
enum class WKind { PerTensor, PerChannel, Uint8 };

class Q8Builder : public GraphBuilder {
 public:
  // An 8-bit activation (I8 or U8) with per-tensor scale and zero point.
  int q8(std::vector<int> shape, float scale, int zero_point, DType dtype = DType::I8) {
    int t = activation(std::move(shape));
    Tensor& x = g.tensors[t];
    x.dtype = dtype;
    x.quant.scale = {scale};
    x.quant.zero_point = {zero_point};
    return t;
  }
  int q8_input(std::vector<int> shape, float scale, int zero_point, DType dtype = DType::I8) {
    int t = q8(std::move(shape), scale, zero_point, dtype);
    g.inputs.push_back(t);
    return t;
  }
  // Adds `type` with an 8-bit output of per-tensor scale and zero point and marks that output a graph output.
  int q8_output_op(OpType type, std::vector<int> inputs, std::vector<int> out_shape, OpParams params, float scale,
                   int zero_point, DType dtype = DType::I8) {
    return q8_output_ops(type, std::move(inputs), {std::move(out_shape)}, std::move(params), scale, zero_point,
                         dtype)[0];
  }
  // The same with one output per shape (SPLIT, UNPACK), each 8-bit with these parameters and a graph output.
  std::vector<int> q8_output_ops(OpType type, std::vector<int> inputs, const std::vector<std::vector<int>>& out_shapes,
                                 OpParams params, float scale, int zero_point, DType dtype = DType::I8) {
    const std::vector<int> outs = ops(type, std::move(inputs), out_shapes, std::move(params));
    for (int o : outs) {
      Tensor& t = g.tensors[o];
      t.dtype = dtype;
      t.quant.scale = {scale};
      t.quant.zero_point = {zero_point};
      output(o);
    }
    return outs;
  }
  // Random int8 weights; per-channel scales along `axis` when scales.size() > 1 (zero points 0).
  int int8_weights(std::vector<int> shape, std::vector<float> scales, int axis = 0) {
    int t = activation(std::move(shape));
    Tensor& x = g.tensors[t];
    x.dtype = DType::I8;
    x.is_const = true;
    x.quant.scale = std::move(scales);
    x.quant.zero_point.assign(x.quant.scale.size(), 0);
    x.quant.axis = axis;
    std::uniform_int_distribution<int> d(-127, 127);
    x.data.resize((size_t)x.elements());
    for (auto& v : x.data) v = (uint8_t)(int8_t)d(rng);
    return t;
  }
  // Random uint8 weights with a zero point (legacy uint8 models).
  int uint8_weights(std::vector<int> shape, float scale, int zero_point) {
    int t = activation(std::move(shape));
    Tensor& x = g.tensors[t];
    x.dtype = DType::U8;
    x.is_const = true;
    x.quant.scale = {scale};
    x.quant.zero_point = {zero_point};
    std::uniform_int_distribution<int> d(0, 255);
    x.data.resize((size_t)x.elements());
    for (auto& v : x.data) v = (uint8_t)d(rng);
    return t;
  }
  // Random int32 bias in [-range, range], scale = input_scale * weight_scale (per channel if several).
  int int32_bias(int n, std::vector<float> scales, int range = 2000) {
    int t = activation({n});
    Tensor& x = g.tensors[t];
    x.dtype = DType::I32;
    x.is_const = true;
    x.quant.scale = std::move(scales);
    x.quant.zero_point.assign(x.quant.scale.size(), 0);
    std::uniform_int_distribution<int> d(-range, range);
    std::vector<int32_t> v((size_t)n);
    for (auto& e : v) e = d(rng);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(v.data());
    x.data.assign(b, b + v.size() * 4);
    return t;
  }
  // Random weights of kind `wk` (legacy uint8 with zero point `wzp`, int8 per tensor, or int8 per channel along
  // `axis` with scales base_scale * U(0.5, 1.5)); *scales gets their scales.
  int weights(WKind wk, std::vector<int> shape, int channels, int axis, float base_scale, int wzp,
              std::vector<float>* scales) {
    std::vector<float>& ws = *scales;
    ws.clear();
    if (wk == WKind::Uint8) {
      ws = {base_scale};
      return uint8_weights(std::move(shape), ws[0], wzp);
    }
    std::uniform_real_distribution<float> d(0.5f, 1.5f);
    if (wk == WKind::PerTensor) ws = {base_scale};
    else
      for (int i = 0; i < channels; i++) ws.push_back(base_scale * d(rng));
    return int8_weights(std::move(shape), ws, axis);
  }
  // Random int32 bias whose scales are input_scale * the weights' scales.
  int matching_bias(int channels, float input_scale, const std::vector<float>& weight_scales, int range) {
    std::vector<float> bs;
    for (float s : weight_scales) bs.push_back(input_scale * s);
    return int32_bias(channels, bs, range);
  }
  // A constant 8-bit data tensor (e.g. an ADD operand).
  int q8_constant(std::vector<int> shape, float scale, int zero_point, DType dtype = DType::I8) {
    int t = q8(std::move(shape), scale, zero_point, dtype);
    Tensor& x = g.tensors[t];
    x.is_const = true;
    std::uniform_int_distribution<int> d(0, 255);
    x.data.resize((size_t)x.elements());
    for (auto& v : x.data) v = (uint8_t)d(rng);
    return t;
  }
};

// The storage paths of the 8-bit kernels: packed 32-bit words or 8-bit storage buffers, with packed dot products on,
// off, or as the device decides (on only where they are accelerated).
enum class Q8Dot { Default, Off, On };
struct Q8Path {
  bool packed;
  Q8Dot dot;
  const char* name;
};
// Whether the device offers `p` (8-bit storage needs storageBuffer8BitAccess and shaderInt8; dot products need
// VK_KHR_shader_integer_dot_product).
inline bool q8_path_offered(const vk::Context& ctx, const Q8Path& p) {
  if (!p.packed && !(ctx.caps().int8_storage && ctx.caps().int8_arithmetic)) return false;
  if (p.dot == Q8Dot::On && !ctx.caps().integer_dot_product) return false;
  return true;
}
// The one place that turns a path into the device-feature override.
inline vk::FeatureOverride q8_features(const Q8Path& p) {
  using Dot = vk::FeatureOverride::Dot;
  return {p.packed, p.dot == Q8Dot::Off ? Dot::Off : p.dot == Q8Dot::On ? Dot::Forced : Dot::Auto};
}

// A session that runs `g` on `path`: the one place where tests pick an 8-bit path.
inline Session q8_session(std::shared_ptr<vk::Context> ctx, const Graph& g, const Q8Path& path,
                          const SessionOptions& options = {}) {
  return Session(std::move(ctx), g, options, q8_features(path));
}

// Random raw input bytes for every graph input: float32 inputs uniform in [-float_range, float_range], 8-bit
// inputs uniform over all 256 values.
inline std::vector<std::vector<uint8_t>> random_raw_inputs(const Graph& g, unsigned seed, float float_range) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> inputs;
  for (int t : g.inputs) {
    const Tensor& x = g.tensors[t];
    std::vector<uint8_t> v(x.bytes());
    if (x.dtype == DType::F32) {
      std::uniform_real_distribution<float> d(-float_range, float_range);
      for (size_t i = 0; i < v.size() / 4; i++) {
        float f = d(rng);
        std::memcpy(&v[4 * i], &f, 4);
      }
    } else {
      std::uniform_int_distribution<int> d(0, 255);
      for (auto& b : v) b = (uint8_t)d(rng);
    }
    inputs.push_back(std::move(v));
  }
  return inputs;
}

}  // namespace tare::test
