#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// PAD with zeros (PADV2: a value) over the [N,H,W,C] view.  One invocation writes one channel group (vec4) of TILE consecutive
// output pixels of a row.  ALIGNED: the channel padding before is a multiple of 4 (whole vec4 copies).
#include "common.glsl"

layout(constant_id = 0) const int TILE = 4;
layout(constant_id = 1) const bool ALIGNED = true;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int N, H, W, C, C4;      // input view
  int OH, OW, OC, OC4;     // output view (batch = N + pn_before + pn_after, not needed)
  int pn, ph, pw, pc;      // padding before each dimension
  int OWT, total;          // tiles per output row, invocations
  float value;             // the pad value
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.OC4;
  int t = idx / p.OC4;
  int xt = t % p.OWT;
  t /= p.OWT;
  int oy = t % p.OH;
  int on = t / p.OH;
  int n = on - p.pn, y = oy - p.ph;
  bool row_in = n >= 0 && n < p.N && y >= 0 && y < p.H;
  int inrow = (n * p.H + y) * p.W;
  int outrow = (on * p.OH + oy) * p.OW;
  for (int i = 0; i < TILE; i++) {
    int ox = xt * TILE + i;
    if (ox >= p.OW) break;
    int x = ox - p.pw;
    AVEC4 v = AVEC4(p.value);
    if (row_in && x >= 0 && x < p.W) {
      int base = (inrow + x) * p.C4;
      if (ALIGNED) {
        int gi = g - p.pc / 4;
        if (gi >= 0 && gi < p.C4) {
          AVEC4 s = AVEC4(src[base + gi]);
          for (int l = 0; l < 4; l++)  // the input's padding lanes are not data: the value after the channels
            if (gi * 4 + l < p.C) v[l] = s[l];
        }
      } else {
        for (int l = 0; l < 4; l++) {
          int ci = g * 4 + l - p.pc;
          if (ci >= 0 && ci < p.C) v[l] = AFLOAT(src[base + ci / 4][ci % 4]);
        }
      }
    }
    dst[(outrow + ox) * p.OC4 + g] = SVEC4(mask_pad(v, g, p.OC));
  }
}
