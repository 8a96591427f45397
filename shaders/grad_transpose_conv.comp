#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of TRANSPOSE_CONV with respect to its input (training, float32): a convolution of dy with the same weights,
// dx[n,iy,ix,ic] += sum over (ky, kx, oc) of dy[n, iy*SH - pad_t + ky, ix*SW - pad_l + kx, oc] * W[oc,ky,kx,ic].
// One invocation: TP consecutive input x positions of one input row, times TC groups of 4 input channels; sums in
// registers and adds into dx once (no atomics).  For each window row and dy channel group, the NCOL dy columns the
// tile needs are loaded once and reused.
// Weights: vec4 w[((ic4*KH + ky)*KW + kx)*OC4*4 + oc4*4 + lane] = W[oc4*4+lane][ky][kx][ic4*4 .. ic4*4+3] (zero
// padded).
#include "common.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int TP = 4;
layout(constant_id = 5) const int TC = 2;
const int NCOL = (TP - 1) * SW + KW;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
// dy is the op's output [N, OH, OW, OC4], dx its input [N, IH, IW, IC4].
layout(push_constant) uniform P { int N, OH, OW, OC4, IH, IW, IC4, pad_t, pad_l, XT; } p;

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int ic0 = int(gl_WorkGroupID.y) * TC;
  if (tile >= p.N * p.IH * p.XT) return;
  int nz = tile / p.XT;
  int ix0 = (tile - nz * p.XT) * TP;
  int n = nz / p.IH;
  int iy = nz - n * p.IH;

  vec4 acc[TP * TC];
  for (int i = 0; i < TP * TC; i++) acc[i] = vec4(0);
  int wb[TC];
  int wstride = KH * KW * p.OC4 * 4;  // vec4s per ic4 group
  for (int g = 0; g < TC; g++) wb[g] = min(ic0 + g, p.IC4 - 1) * wstride;  // past the end: never stored
  int ox0 = ix0 * SW - p.pad_l;
  for (int ky = 0; ky < KH; ky++) {
    int oy = iy * SH - p.pad_t + ky;
    if (oy < 0 || oy >= p.OH) continue;
    int rowbase = (n * p.OH + oy) * p.OW;
    for (int oc4 = 0; oc4 < p.OC4; oc4++) {
      vec4 col[NCOL];
      for (int j = 0; j < NCOL; j++) {
        int ox = ox0 + j;
        col[j] = (ox >= 0 && ox < p.OW) ? dy[(rowbase + ox) * p.OC4 + oc4] : vec4(0);
      }
      for (int kx = 0; kx < KW; kx++) {
        for (int g = 0; g < TC; g++) {
          int wi = wb[g] + ((ky * KW + kx) * p.OC4 + oc4) * 4;
          vec4 w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
          for (int t = 0; t < TP; t++) {
            vec4 v = col[t * SW + kx];
            acc[t * TC + g] += v.x * w0 + v.y * w1 + v.z * w2 + v.w * w3;
          }
        }
      }
    }
  }
  int xbase = ((n * p.IH + iy) * p.IW + ix0) * p.IC4;
  for (int t = 0; t < TP; t++) {
    if (ix0 + t >= p.IW) break;
    for (int g = 0; g < TC; g++)
      if (ic0 + g < p.IC4) dx[xbase + t * p.IC4 + ic0 + g] += acc[t * TC + g];
  }
}
