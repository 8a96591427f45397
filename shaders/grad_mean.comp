#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of MEAN and SUM over any set of the [N,H,W,C] view's axes (training, float32): dx += dy(kept position)
// * inv_count (1 / count for MEAN, 1 for SUM).
// One invocation per vec4 group of the INPUT reads the output element(s) of its kept position, with the layout of
// shaders/reduce.comp:
//  - C kept (RC false): output row (n*KH + h)*KW + w over the kept N,H,W positions, same channel group;
//  - C reduced (RC true): output element j = (n*KH + h)*KW + w (dense index over the kept positions), stored at row
//    j / OC, channel j % OC; the scalar goes to every real lane of the group.
#include "common.glsl"

layout(constant_id = 0) const bool RN = false;
layout(constant_id = 1) const bool RH = true;
layout(constant_id = 2) const bool RW = true;
layout(constant_id = 3) const bool RC = false;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int H, W, C, C4;   // input view (N implied by total)
  int OC, OC4;       // output channels and vec4 groups per output row
  int total;         // input vec4 groups
  float inv_count;   // 1 / number of reduced elements
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int w = t % p.W;
  t /= p.W;
  int h = t % p.H;
  int n = t / p.H;
  int KH = RH ? 1 : p.H, KW = RW ? 1 : p.W;
  int j = ((RN ? 0 : n) * KH + (RH ? 0 : h)) * KW + (RW ? 0 : w);
  vec4 v;
  if (!RC) {
    v = dy[j * p.OC4 + g];
  } else {
    int orow = j / p.OC, oc = j - orow * p.OC;
    v = mask_pad(vec4(dy[orow * p.OC4 + (oc >> 2)][oc & 3]), g, p.C);
  }
  dx[idx] += v * p.inv_count;
}
