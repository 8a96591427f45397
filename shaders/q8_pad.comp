#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit PAD over the [N,H,W,C] view: every output word gathers its lanes from the input (values copied as they are,
// as TFLite does) or, outside the input, the pad value (the output's zero point, or PADV2's stored value).  Lanes
// past the output's channels hold the zero point.  One word per invocation.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int N, H, W, C, C4;       // input
  int OH, OW, OC, OC4;      // output
  int bn, bh, bw, bc;       // padding before each dimension
  int total;                // output words
  int zo, shift;            // device zero point of the output; input device value + shift = output device value
  int pv;                   // device pad value
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.OC4;
  int t = idx / p.OC4;
  int ox = t % p.OW;
  t /= p.OW;
  int oy = t % p.OH;
  int on = t / p.OH;
  int n = on - p.bn, y = oy - p.bh, x = ox - p.bw;
  ivec4 v = ivec4(p.pv);
  for (int l = 0; l < 4; l++)
    if (g * 4 + l >= p.OC) v[l] = p.zo;
  if (n >= 0 && n < p.N && y >= 0 && y < p.H && x >= 0 && x < p.W) {
    int base = ((n * p.H + y) * p.W + x) * p.C4;
    if ((p.bc & 3) == 0) {
      int ig = g - (p.bc >> 2);
      if (ig >= 0 && ig < p.C4) {
        ivec4 s = word_unpack(src[base + ig]) + p.shift;
        for (int l = 0; l < 4; l++) {
          int c = ig * 4 + l;
          if (c < p.C) v[l] = s[l];
        }
      }
    } else {
      for (int l = 0; l < 4; l++) {
        int c = g * 4 + l - p.bc;
        if (c >= 0 && c < p.C) v[l] = word_unpack(src[base + (c >> 2)])[c & 3] + p.shift;
      }
    }
  }
  dst[idx] = word_pack(v);
}
