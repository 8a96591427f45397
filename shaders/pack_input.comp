#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Dense float32 [rows][C] -> NHWC4 storage (padding lanes zero).  One invocation per NHWC4 vector, the vectors
// numbered across rows, so that an image's few channels do not leave most of each workgroup idle.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int rows; int C; int C4; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (w >= p.rows * p.C4) return;
  int row = w / p.C4;
  int g = w - row * p.C4;
  vec4 v = vec4(0);
  int base = row * p.C + g * 4;
  for (int i = 0; i < 4; i++)
    if (g * 4 + i < p.C) v[i] = src[base + i];
  dst[w] = SVEC4(v);
}
