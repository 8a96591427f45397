#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// L2_NORMALIZATION over the last dimension as TFLite's reference: y = x / max(sqrt(sum x^2), 1e-6), the sum in
// float32 (also in fp16 sessions).  One invocation per NHWC4 row; padding lanes (0) stay 0.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int rows, c4; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int row = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (row >= p.rows) return;
  int base = row * p.c4;
  float sum = 0.0;
  for (int g = 0; g < p.c4; g++) {
    vec4 x = vec4(src[base + g]);
    sum += dot(x, x);
  }
  float norm = max(sqrt(sum), 1e-6);
  for (int g = 0; g < p.c4; g++) dst[base + g] = SVEC4(vec4(src[base + g]) / norm);
}
