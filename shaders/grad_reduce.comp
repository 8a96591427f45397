#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of REDUCE_MAX, REDUCE_MIN and REDUCE_PROD (OP) over any set of the [N,H,W,C] view's axes (training,
// float32).  One invocation per vec4 group of the INPUT; each real lane finds its kept position's output element
// (layout of shaders/reduce.comp, as shaders/grad_mean.comp) and scans the reduced elements in row-major order:
//  - MAX / MIN: dx += dy where this element is the FIRST one equal to y (ties go to the lowest row-major index);
//  - PROD: dx += dy * (product of the other reduced elements), which needs no division by a zero x.
#include "common.glsl"

layout(constant_id = 0) const bool RN = false;
layout(constant_id = 1) const bool RH = true;
layout(constant_id = 2) const bool RW = true;
layout(constant_id = 3) const bool RC = false;
layout(constant_id = 4) const int OP = 2;  // 2 MAX, 3 MIN, 4 PROD

layout(std430, binding = 0) readonly buffer X { vec4 x[]; };
layout(std430, binding = 1) readonly buffer Y { vec4 y[]; };
layout(std430, binding = 2) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 3) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int N, H, W, C, C4;  // input view
  int OC, OC4;         // output channels and vec4 groups per output row
  int total;           // input vec4 groups
} p;

float xat(int n, int h, int w, int c) { return x[((n * p.H + h) * p.W + w) * p.C4 + (c >> 2)][c & 3]; }

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
  int n0 = RN ? 0 : n, n1 = RN ? p.N : n + 1;
  int h0 = RH ? 0 : h, h1 = RH ? p.H : h + 1;
  int w0 = RW ? 0 : w, w1 = RW ? p.W : w + 1;
  vec4 add = vec4(0);
  for (int l = 0; l < 4; l++) {
    int c = g * 4 + l;
    if (c >= p.C) break;
    int o = RC ? j : j * p.OC + c;  // dense output element
    int orow = o / p.OC, oc = o - orow * p.OC;
    float yv = y[orow * p.OC4 + (oc >> 2)][oc & 3];
    float g_out = dy[orow * p.OC4 + (oc >> 2)][oc & 3];
    int c0 = RC ? 0 : c, c1 = RC ? p.C : c + 1;
    bool first = true;  // MAX / MIN: no element before this one equals y
    bool stop = false;
    float prod = 1.0;  // PROD: product of the others
    for (int a = n0; a < n1 && !stop; a++)
      for (int b = h0; b < h1 && !stop; b++)
        for (int e = w0; e < w1 && !stop; e++)
          for (int k = c0; k < c1; k++) {
            if (a == n && b == h && e == w && k == c) {
              stop = OP != 4;  // MAX / MIN look at the earlier elements only
              if (stop) break;
              continue;
            }
            float v = xat(a, b, e, k);
            if (OP == 4) {
              prod *= v;
            } else if (v == yv) {
              first = false;
              stop = true;
              break;
            }
          }
    add[l] = OP == 4 ? g_out * prod : (first && xat(n, h, w, c) == yv ? g_out : 0.0);
  }
  dx[idx] += add;
}
