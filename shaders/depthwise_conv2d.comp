#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// DEPTHWISE_CONV_2D on NHWC4 tensors.  One invocation: TP consecutive output x positions of one channel group.
// x: flattened (n, oy, x tile); the channel group is gl_WorkGroupID.y (uniform weight loads).  Each input row of
// the window is loaded once per invocation (NCOL columns) and reused by every output position and filter column.
// Weights: vec4 w[(ky*KW + kx)*OC4 + oc4] (output channel order, zero padded); bias vec4 per group.
// Depth multiplier MULT: output channel oc reads input channel oc / MULT (MULT = 1 takes the vector path).
#include "common.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const uint ACT = 0;
layout(constant_id = 7) const int MULT = 1;
layout(constant_id = 8) const int TP = 4;
layout(constant_id = 9) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the bias, bias[OC4 + oc4]
const int NCOL = (TP - 1) * SW + (KW - 1) * DW + 1;

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P { int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, OC, XT; } p;

AVEC4 load_in(int pix, int oc4) {
  if (MULT == 1) return AVEC4(inp[pix * p.IC4 + oc4]);
  AVEC4 r;
  for (int l = 0; l < 4; l++) {
    int ic = min(oc4 * 4 + l, p.OC - 1) / MULT;
    r[l] = AVEC4(inp[pix * p.IC4 + ic / 4])[ic % 4];
  }
  return r;
}

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int oc4 = int(gl_WorkGroupID.y);
  if (tile >= p.N * p.OH * p.XT) return;
  int nz = tile / p.XT;
  int ox0 = (tile - nz * p.XT) * TP;
  int n = nz / p.OH;
  int oy = nz - n * p.OH;
  AVEC4 acc[TP];
  AVEC4 b = AVEC4(bias[oc4]);
  for (int t = 0; t < TP; t++) acc[t] = b;
  int ix0 = ox0 * SW - p.pad_l;
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    if (iy < 0 || iy >= p.IH) continue;
    int rowbase = (n * p.IH + iy) * p.IW;
    AVEC4 col[NCOL];
    for (int j = 0; j < NCOL; j++) {
      int ix = ix0 + j;
      col[j] = (ix >= 0 && ix < p.IW) ? load_in(rowbase + ix, oc4) : AVEC4(0);
    }
    for (int kx = 0; kx < KW; kx++) {
      AVEC4 wv = AVEC4(w[(ky * KW + kx) * p.OC4 + oc4]);
      for (int t = 0; t < TP; t++) acc[t] += col[t * SW + kx * DW] * wv;
    }
  }
  AVEC4 bound = CLIP ? AVEC4(bias[p.OC4 + oc4]) : AVEC4(0);  // read after the loop, as the other kernels
  int obase = ((n * p.OH + oy) * p.OW + ox0) * p.OC4 + oc4;
  for (int t = 0; t < TP; t++) {
    if (ox0 + t >= p.OW) break;
    AVEC4 v = apply_act(acc[t], ACT);
    if (CLIP) v = clip_to(v, bound);
    outp[obase + t * p.OC4] = SVEC4(v);
  }
}
