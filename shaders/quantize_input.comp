#version 450
#extension GL_GOOGLE_include_directive : require
// QUANTIZE of a float graph input read straight from its staging (ops::BuildContext::claim_input_staging): dense
// float32 [rows][C] -> 8-bit words, the values of quantize.comp, with no pass packing the floats into NHWC4 first.
// One output word per invocation; padding lanes get the output's zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };  // float32 bits
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;
  uint scale_bits;   // the output scale's float32 bits
  int zo_raw, flip;  // as in quantize.comp
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int row = idx / p.C4;
  int g = idx - row * p.C4;
  uvec4 bits;
  for (int l = 0; l < 4; l++) {
    int c = g * 4 + l;
    bits[l] = c < p.C ? src[row * p.C + c] : 0u;
  }
  ivec4 v = quantize_values(bits, p.scale_bits, p.zo_raw, p.flip);
  dst[idx] = word_pack(q8_mask(v, g, p.C, p.zo_raw - p.flip));
}
