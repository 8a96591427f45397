#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// NHWC4 storage -> dense float32 [rows][C].
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };
layout(push_constant) uniform P { int rows; int C; int C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  int row = int(gl_GlobalInvocationID.y) + int(gl_GlobalInvocationID.z) * 65535;
  if (g >= p.C4 || row >= p.rows) return;
  vec4 v = vec4(src[row * p.C4 + g]);
  int base = row * p.C + g * 4;
  for (int i = 0; i < 4; i++)
    if (g * 4 + i < p.C) dst[base + i] = v[i];
}
