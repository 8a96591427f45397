#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD (OP) over any set of the [N,H,W,C] view's axes, accumulated in fp32
// (also in the fp16 variant).  One invocation writes one channel group (vec4) of one output row.
//  - C kept (RC false): the output's channels are the input's; the invocation reduces vec4s over the reduced axes.
//  - C reduced (RC true): each of the 4 output lanes is one output element (a position of the kept N,H,W axes);
//    the reduction runs over the real lanes of whole input vec4s and the reduced N,H,W axes.
#include "common.glsl"

layout(constant_id = 0) const bool RN = false;
layout(constant_id = 1) const bool RH = true;
layout(constant_id = 2) const bool RW = true;
layout(constant_id = 3) const bool RC = false;
layout(constant_id = 4) const int OP = 0;  // 0 MEAN, 1 SUM, 2 MAX, 3 MIN, 4 PROD

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int N, H, W, C, C4;  // input view (C4: vec4 groups per input row)
  int OC, OC4;         // output channels and vec4 groups per output row
  int total;           // output rows * OC4
  float inv_count;     // 1 / number of reduced elements (MEAN)
} p;

// TFLite's initial values (lowest() / max() for MAX / MIN).
const float kFltMax = 3.402823466e38;
float init_value() { return OP == 2 ? -kFltMax : OP == 3 ? kFltMax : OP == 4 ? 1.0 : 0.0; }

vec4 combine(vec4 a, vec4 b) {
  if (OP == 2) return max(a, b);
  if (OP == 3) return min(a, b);
  if (OP == 4) return a * b;
  return a + b;
}

// Reduction over the reduced N,H,W axes around the kept position (n,h,w) of channel group g.
vec4 reduce_nhw(int n, int h, int w, int g) {
  int n0 = RN ? 0 : n, n1 = RN ? p.N : n + 1;
  int h0 = RH ? 0 : h, h1 = RH ? p.H : h + 1;
  int w0 = RW ? 0 : w, w1 = RW ? p.W : w + 1;
  vec4 s = vec4(init_value());
  for (int a = n0; a < n1; a++)
    for (int b = h0; b < h1; b++) {
      int base = ((a * p.H + b) * p.W) * p.C4 + g;
      for (int c = w0; c < w1; c++) s = combine(s, vec4(src[base + c * p.C4]));
    }
  return s;
}

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.OC4;
  int row = idx / p.OC4;
  int KH = RH ? 1 : p.H, KW = RW ? 1 : p.W;
  vec4 r = vec4(0);
  if (!RC) {
    int w = row % KW;
    int t = row / KW;
    r = reduce_nhw(t / KH, t % KH, w, g);
  } else {
    for (int i = 0; i < 4; i++) {
      int c = g * 4 + i;
      if (c >= p.OC) break;
      int j = row * p.OC + c;  // dense index over the kept N,H,W positions
      int w = j % KW;
      int t = j / KW;
      int n = t / KH, h = t % KH;
      vec4 s = vec4(init_value());
      for (int q = 0; q < p.C4; q++) {
        vec4 v = reduce_nhw(n, h, w, q);
        for (int l = 0; l < 4; l++)
          if (q * 4 + l < p.C) s.x = combine(s, vec4(v[l])).x;  // padding lanes are not data
      }
      r[i] = s.x;
    }
  }
  if (OP == 0) r *= p.inv_count;
  dst[idx] = SVEC4(mask_pad(AVEC4(r), g, p.OC));
}
