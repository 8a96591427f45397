#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of RESHAPE / SQUEEZE that repack (training, float32): dx += dy through the dense flat index, the
// transpose of shaders/reshape.comp.  Each input element (row, c) has flat index row * in_c + c and reads the output
// gradient element with the same flat index.  One vec4 group of the input per loop step, PER groups per invocation;
// padding lanes get 0.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int total; int in_c, in_c4, out_c, out_c4; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int row = idx / p.in_c4;
    int c = (idx - row * p.in_c4) * 4;
    int n = min(4, p.in_c - c);
    int e = row * p.in_c + c;
    int orow = e / p.out_c;
    int oc = e - orow * p.out_c;
    vec4 v = vec4(0);
    for (int j = 0; j < 4; j++) {
      if (j < n) {
        v[j] = dy[orow * p.out_c4 + (oc >> 2)][oc & 3];
        oc++;
        if (oc == p.out_c) {
          oc = 0;
          orow++;
        }
      }
    }
    dx[idx] += v;
  }
}
