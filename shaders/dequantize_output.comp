#version 450
#extension GL_GOOGLE_include_directive : require
// DEQUANTIZE (or CAST to float) of a graph output written straight into its staging
// (ops::BuildContext::claim_output_staging): 8-bit words -> dense float32 [rows][C], the values of dequantize.comp in
// float32 whatever the session's precision, with no pass unpacking NHWC4 floats afterwards.  One input word per
// invocation, numbered across rows.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 2) readonly buffer Scales { vec4 scales[]; };  // per channel group
layout(std430, binding = 3) readonly buffer Zeros { ivec4 zeros[]; };   // device zero points per channel group
layout(push_constant) uniform P { int total, C, C4; } p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int row = idx / p.C4;
  int g = idx - row * p.C4;
  precise vec4 r = scales[g] * vec4(word_unpack(src[idx]) - zeros[g]);
  int base = row * p.C + g * 4;
  for (int l = 0; l < 4; l++)
    if (g * 4 + l < p.C) dst[base + l] = r[l];
}
