#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of LOG_SOFTMAX over the channels of each row (training, float32): dx += dy - exp(y) * sum_c dy_c, y the
// forward output.  Two schedules, as shaders/softmax.comp: WG == 1 one invocation per row; WG > 1 one workgroup per
// row, partial sums combined through shared memory.  Padding lanes of dy are 0 (the sum needs no masking); exp(y)
// of a padding lane is 1, so the update is masked to keep dx's padding 0.
#include "common.glsl"

layout(constant_id = 0) const uint WG = 1;

layout(std430, binding = 0) readonly buffer Y { vec4 y[]; };    // forward output
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int rows; int C; int C4; } p;

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
  for (int g = first; g < p.C4; g += step) d4 += dy[base + g];
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
    vec4 live = vec4(lessThan(ivec4(g * 4) + ivec4(0, 1, 2, 3), ivec4(p.C)));
    dx[base + g] += live * (dy[base + g] - exp(y[base + g]) * d);
  }
}
