#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of PAD (training, float32): dx += dy at the input element's place in the padded output.  One invocation
// per vec4 group of the INPUT.  ALIGNED (channel padding before a multiple of 4): whole vec4 reads with the lanes
// past the input's channels masked off; otherwise lane by lane.
#include "common.glsl"

layout(constant_id = 0) const bool ALIGNED = true;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int H, W, C, C4;     // input view
  int OH, OW, OC4;     // output view
  int pn, ph, pw, pc;  // padding before each dimension
  int total;           // input vec4 groups
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int x = t % p.W;
  t /= p.W;
  int y = t % p.H;
  int n = t / p.H;
  int obase = (((n + p.pn) * p.OH + y + p.ph) * p.OW + x + p.pw) * p.OC4;
  vec4 v = vec4(0);
  if (ALIGNED) {
    v = mask_pad(dy[obase + (p.pc >> 2) + g], g, p.C);
  } else {
    for (int l = 0; l < 4; l++) {
      int c = g * 4 + l;
      int oc = c + p.pc;
      if (c < p.C) v[l] = dy[obase + (oc >> 2)][oc & 3];
    }
  }
  dx[idx] += v;
}
