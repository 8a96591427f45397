#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of RESIZE_NEAREST_NEIGHBOR (training, float32): the scatter-add of dy onto the source pixels, written as a
// gather: each input pixel sums dy over the output rows and columns whose table entry names it.  One channel group
// of one input pixel per invocation (no atomics).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(std430, binding = 2) readonly buffer Pos { int pos[]; };  // OH source rows, then OW source columns
layout(push_constant) uniform P {
  int H, W, C4;
  int OH, OW;
  int total;  // N * H * W * C4
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int x = t % p.W;
  t /= p.W;
  int y = t % p.H;
  int n = t / p.H;
  vec4 s = vec4(0);
  for (int oy = 0; oy < p.OH; oy++) {
    if (pos[oy] != y) continue;
    for (int ox = 0; ox < p.OW; ox++)
      if (pos[p.OH + ox] == x) s += dy[((n * p.OH + oy) * p.OW + ox) * p.C4 + g];
  }
  dx[idx] += s;
}
