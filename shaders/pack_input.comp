#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Dense float32 [rows][C] -> NHWC4 storage (padding lanes zero).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int rows; int C; int C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  int row = int(gl_GlobalInvocationID.y) + int(gl_GlobalInvocationID.z) * 65535;
  if (g >= p.C4 || row >= p.rows) return;
  vec4 v = vec4(0);
  int base = row * p.C + g * 4;
  for (int i = 0; i < 4; i++)
    if (g * 4 + i < p.C) v[i] = src[base + i];
  dst[row * p.C4 + g] = SVEC4(v);
}
