#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// CONV_2D, general window (any filter, stride, dilation, padding) on NHWC4 tensors.
// One invocation: TP consecutive output x positions of one output row, times TC groups of 4 output channels.
// Weights: vec4 w[((oc4*KH + ky)*KW + kx)*IC4*4 + ic4*4 + lane] = weights of output channels oc4*4..+3 for input
// channel ic4*4+lane (zero padded).  Bias: vec4 per oc4 group.
#include "common.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const uint ACT = 0;
#define TP 4
#define TC 2

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P { int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l; } p;

void main() {
  int ox0 = int(gl_GlobalInvocationID.x) * TP;
  int oc0 = int(gl_GlobalInvocationID.y) * TC;
  int nz = int(gl_GlobalInvocationID.z);
  if (ox0 >= p.OW || oc0 >= p.OC4 || nz >= p.N * p.OH) return;
  int n = nz / p.OH;
  int oy = nz - n * p.OH;

  AVEC4 acc[TP][TC];
  for (int g = 0; g < TC; g++) {
    AVEC4 b = oc0 + g < p.OC4 ? AVEC4(bias[oc0 + g]) : AVEC4(0);
    for (int t = 0; t < TP; t++) acc[t][g] = b;
  }
  int wstride = KH * KW * p.IC4 * 4;  // vec4s per oc4 group
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    if (iy < 0 || iy >= p.IH) continue;
    int rowbase = (n * p.IH + iy) * p.IW;
    for (int kx = 0; kx < KW; kx++) {
      int ixs[TP];
      for (int t = 0; t < TP; t++) {
        int ix = (ox0 + t) * SW - p.pad_l + kx * DW;
        ixs[t] = (ix >= 0 && ix < p.IW && ox0 + t < p.OW) ? (rowbase + ix) * p.IC4 : -1;
      }
      int wbase = (ky * KW + kx) * p.IC4 * 4;
      for (int ic4 = 0; ic4 < p.IC4; ic4++) {
        AVEC4 v[TP];
        for (int t = 0; t < TP; t++) v[t] = ixs[t] >= 0 ? AVEC4(inp[ixs[t] + ic4]) : AVEC4(0);
        for (int g = 0; g < TC; g++) {
          int wi = (oc0 + g) * wstride + wbase + ic4 * 4;
          if (oc0 + g >= p.OC4) break;
          AVEC4 w0 = AVEC4(w[wi]), w1 = AVEC4(w[wi + 1]), w2 = AVEC4(w[wi + 2]), w3 = AVEC4(w[wi + 3]);
          for (int t = 0; t < TP; t++) acc[t][g] += v[t].x * w0 + v[t].y * w1 + v[t].z * w2 + v[t].w * w3;
        }
      }
    }
  }
  int obase = ((n * p.OH + oy) * p.OW + ox0) * p.OC4;
  for (int t = 0; t < TP; t++) {
    if (ox0 + t >= p.OW) break;
    for (int g = 0; g < TC; g++)
      if (oc0 + g < p.OC4) outp[obase + t * p.OC4 + oc0 + g] = SVEC4(apply_act(acc[t][g], ACT));
  }
}
