#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// CONV_2D, general window (any filter, stride, dilation, padding) on NHWC4 tensors.
// One invocation: TP consecutive output x positions of one output row, times TC groups of 4 output channels.
// x: flattened (n, oy, x tile) index; the channel groups come from gl_WorkGroupID.y so that weight addresses are
// uniform across the workgroup (lavapipe then loads them once instead of gathering per lane).  For each window
// row and input channel group, the NCOL input columns the tile needs are loaded once and reused.
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
layout(constant_id = 7) const int TP = 4;
layout(constant_id = 8) const int TC = 2;
layout(constant_id = 9) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the bias, bias[OC4 + oc4]
const int NCOL = (TP - 1) * SW + (KW - 1) * DW + 1;

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P { int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, XT; } p;

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int oc0 = int(gl_WorkGroupID.y) * TC;
  if (tile >= p.N * p.OH * p.XT) return;
  int nz = tile / p.XT;
  int ox0 = (tile - nz * p.XT) * TP;
  int n = nz / p.OH;
  int oy = nz - n * p.OH;

  AVEC4 acc[TP * TC];
  int wb[TC];
  int wstride = KH * KW * p.IC4 * 4;  // vec4s per oc4 group
  for (int g = 0; g < TC; g++) {
    int oc = min(oc0 + g, p.OC4 - 1);  // groups past the end compute a duplicate that is never stored
    wb[g] = oc * wstride;
    AVEC4 b = AVEC4(bias[oc]);
    for (int t = 0; t < TP; t++) acc[t * TC + g] = b;
  }
  int ix0 = ox0 * SW - p.pad_l;
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    if (iy < 0 || iy >= p.IH) continue;
    int rowbase = (n * p.IH + iy) * p.IW;
    for (int ic4 = 0; ic4 < p.IC4; ic4++) {
      AVEC4 col[NCOL];
      for (int j = 0; j < NCOL; j++) {
        int ix = ix0 + j;
        col[j] = (ix >= 0 && ix < p.IW) ? AVEC4(inp[(rowbase + ix) * p.IC4 + ic4]) : AVEC4(0);
      }
      for (int kx = 0; kx < KW; kx++) {
        for (int g = 0; g < TC; g++) {
          int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
          AVEC4 w0 = AVEC4(w[wi]), w1 = AVEC4(w[wi + 1]), w2 = AVEC4(w[wi + 2]), w3 = AVEC4(w[wi + 3]);
          for (int t = 0; t < TP; t++) {
            AVEC4 v = col[t * SW + kx * DW];
            acc[t * TC + g] += v.x * w0 + v.y * w1 + v.z * w2 + v.w * w3;
          }
        }
      }
    }
  }
  AVEC4 bound[TC];  // read once per group, after the loop (no registers held through it)
  for (int g = 0; g < TC; g++) bound[g] = CLIP ? AVEC4(bias[p.OC4 + min(oc0 + g, p.OC4 - 1)]) : AVEC4(0);
  int obase = ((n * p.OH + oy) * p.OW + ox0) * p.OC4;
  for (int t = 0; t < TP; t++) {
    if (ox0 + t >= p.OW) break;
    for (int g = 0; g < TC; g++)
      if (oc0 + g < p.OC4) {
        AVEC4 v = apply_act(acc[t * TC + g], ACT);
        if (CLIP) v = clip_to(v, bound[g]);
        outp[obase + t * p.OC4 + oc0 + g] = SVEC4(v);
      }
  }
}
