#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of L2_NORMALIZATION (y = x / max(|x|, 1e-6) over the last dimension): dx += (dy - y (y . dy)) / |x|
// where |x| > 1e-6, else dy / 1e-6 (the clamped norm is a constant).  One invocation per NHWC4 row; padding lanes
// of x and dy are 0, so dx's stay 0.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { vec4 xs[]; };
layout(std430, binding = 1) readonly buffer GY { vec4 gy[]; };
layout(std430, binding = 2) buffer GX { vec4 gx[]; };
layout(push_constant) uniform P { int rows, c4; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int row = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (row >= p.rows) return;
  int base = row * p.c4;
  float sum = 0.0, xdy = 0.0;
  for (int g = 0; g < p.c4; g++) {
    sum += dot(xs[base + g], xs[base + g]);
    xdy += dot(xs[base + g], gy[base + g]);
  }
  float norm = sqrt(sum);
  if (norm > 1e-6) {
    float k = xdy / (norm * norm);  // y . dy / |x|, with y = x / |x|
    for (int g = 0; g < p.c4; g++) gx[base + g] += (gy[base + g] - xs[base + g] * k) / norm;
  } else {
    for (int g = 0; g < p.c4; g++) gx[base + g] += gy[base + g] / 1e-6;
  }
}
