#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// DEQUANTIZE int8 / uint8 -> float: scale * (q - zero_point) (one float32 multiplication of an exact integer, equal
// to the reference's float(double(scale) * (q - zero_point))), per tensor or per channel along the last axis (tables
// of scales and device zero points per channel group).  The input is read as packed words (the same bytes as the
// 8-bit storage layout).  One output vec4 per invocation; padding lanes are 0.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(std430, binding = 2) readonly buffer Scales { vec4 scales[]; };  // per channel group
layout(std430, binding = 3) readonly buffer Zeros { ivec4 zeros[]; };   // device zero points per channel group
layout(push_constant) uniform P { int total, C, C4; } p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  ivec4 q = word_unpack(src[idx]);
  precise vec4 r = scales[g] * vec4(q - zeros[g]);
  dst[idx] = SVEC4(mask_pad(AVEC4(r), g, p.C));
}
