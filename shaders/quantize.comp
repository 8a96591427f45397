#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// QUANTIZE float -> int8 / uint8, TFLite's AffineQuantize as the integer reference computes it:
// clamp(round(x / scale) + zero_point) with round() half away from zero of the exact quotient (TFLite divides in
// double; the GPU needs no fp64: q8_exact.glsl's quantize_values, a float quotient checked against its error bound
// and an exact integer division near half-way points).  The output is written as packed words (the same bytes as
// the 8-bit storage layout).  One output word per invocation; padding lanes get the output's zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

#if TARE_FP16
layout(std430, binding = 0) readonly buffer Src { f16vec4 src[]; };
#else
layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };
#endif
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;
  uint scale_bits;      // the output scale's float32 bits
  int zo_raw, flip;     // the output's own zero point; 128 for uint8 (device value = value - 128)
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
#if TARE_FP16
  uvec4 bits = floatBitsToUint(vec4(src[idx]));
#else
  uvec4 bits = src[idx];
#endif
  ivec4 v = quantize_values(bits, p.scale_bits, p.zo_raw, p.flip);
  dst[idx] = word_pack(q8_mask(v, g, p.C, p.zo_raw - p.flip));
}
