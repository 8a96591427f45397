#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of SOFTMAX over the channels of each row (training, float32): dx += beta * y * (dy - sum_c dy_c y_c), y
// the forward output.  Two schedules, as shaders/softmax.comp: WG == 1 one invocation per row; WG > 1 one workgroup
// per row, partial dot products combined through shared memory.  Padding lanes of y and dy are 0, so the dot needs
// no masking and dx's padding stays 0.
#include "common.glsl"

layout(constant_id = 0) const uint WG = 1;

layout(std430, binding = 0) readonly buffer Y { vec4 y[]; };    // forward output
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int rows; int C4; float beta; } p;

shared float red[WG];

void main() {
  int row, first, step;
  if (WG == 1u) {
    row = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    first = 0;
    step = 1;
  } else {
    row = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);
    first = int(gl_LocalInvocationID.x);
    step = int(WG);
  }
  if (row >= p.rows) return;  // uniform per workgroup in the WG > 1 schedule
  int base = row * p.C4;
  vec4 d4 = vec4(0);
  for (int g = first; g < p.C4; g += step) d4 += dy[base + g] * y[base + g];
  float d = (d4.x + d4.y) + (d4.z + d4.w);
  if (WG > 1u) {
    red[first] = d;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
      if (uint(first) < s) red[first] += red[first + int(s)];
      barrier();
    }
    d = red[0];
  }
  for (int g = first; g < p.C4; g += step) {
    vec4 yv = y[base + g];
    dx[base + g] += p.beta * yv * (dy[base + g] - d);
  }
}
