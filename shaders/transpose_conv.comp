#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// TRANSPOSE_CONV (any filter, stride, padding) on NHWC4 tensors, as a gather: out[n,oy,ox,oc] = bias[oc] + sum over
// (ky, kx, ic) of in[n,iy,ix,ic] * W[oc,ky,kx,ic] where oy = iy*SH + ky - pad_t and ox = ix*SW + kx - pad_l, then the
// fused activation.  Each invocation owns TP output positions x TC output channel groups, sums in registers and
// writes once (no atomics).
// Strides are handled by phases: the output positions of one invocation share oy mod SH (py) and ox mod SW (px), taken
// from gl_WorkGroupID.y together with the channel tile, so that which filter taps reach them is uniform across the
// workgroup; its TP positions are ox = px + SW*(jx0 + t), and a tap (ky, kx) that reaches them does so from the
// consecutive input columns ix = jx0 + t + (px + pad_l - kx)/SW.
// x: flattened (n, jy, x tile) over x and z; y: (py*SW + px)*CT + channel tile.
// Weights: vec4 w[((oc4*KH + ky)*KW + kx)*IC4*4 + ic4*4 + lane] = W[oc4*4 .. oc4*4+3][ky][kx][ic4*4+lane] (zero
// padded), so an invocation's weight addresses are uniform across the workgroup.  Bias: vec4 per oc4 group.
#include "common.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const uint ACT = 0;
layout(constant_id = 5) const int TP = 4;
layout(constant_id = 6) const int TC = 2;

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P {
  int N, OH, OW, OC4, IH, IW, IC4, pad_t, pad_l;
  int RY, XT, CT;  // rows per y phase (ceil(OH/SH)), x tiles per phase row, channel tiles
} p;

// v mod m in [0, m) for any sign of v.
int pmod(int v, int m) { return ((v % m) + m) % m; }

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (tile >= p.N * p.RY * p.XT) return;
  int yg = int(gl_WorkGroupID.y);
  int ph = yg / p.CT;
  int oc0 = (yg - ph * p.CT) * TC;
  int py = ph / SW;
  int px = ph - py * SW;
  int nz = tile / p.XT;
  int jx0 = (tile - nz * p.XT) * TP;
  int n = nz / p.RY;
  int jy = nz - n * p.RY;
  int oy = py + SH * jy;
  if (oy >= p.OH) return;

  AVEC4 acc[TP * TC];
  int wb[TC];
  int wstride = KH * KW * p.IC4 * 4;  // vec4s per oc4 group
  for (int g = 0; g < TC; g++) {
    int oc = min(oc0 + g, p.OC4 - 1);  // groups past the end compute a duplicate that is never stored
    wb[g] = oc * wstride;
    AVEC4 b = AVEC4(bias[oc]);
    for (int t = 0; t < TP; t++) acc[t * TC + g] = b;
  }

  for (int ky = 0; ky < KH; ky++) {
    int vy = py + p.pad_t - ky;
    if (pmod(vy, SH) != 0) continue;  // uniform: this tap row does not reach this y phase
    int iy = jy + vy / SH;            // exact division
    if (iy < 0 || iy >= p.IH) continue;
    int rowbase = (n * p.IH + iy) * p.IW;
    for (int kx = 0; kx < KW; kx++) {
      int vx = px + p.pad_l - kx;
      if (pmod(vx, SW) != 0) continue;  // uniform
      int ix0 = jx0 + vx / SW;
      for (int ic4 = 0; ic4 < p.IC4; ic4++) {
        AVEC4 v[TP];
        for (int t = 0; t < TP; t++) {
          int ix = ix0 + t;
          v[t] = (ix >= 0 && ix < p.IW) ? AVEC4(inp[(rowbase + ix) * p.IC4 + ic4]) : AVEC4(0);
        }
        for (int g = 0; g < TC; g++) {
          int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
          AVEC4 w0 = AVEC4(w[wi]), w1 = AVEC4(w[wi + 1]), w2 = AVEC4(w[wi + 2]), w3 = AVEC4(w[wi + 3]);
          for (int t = 0; t < TP; t++) acc[t * TC + g] += v[t].x * w0 + v[t].y * w1 + v[t].z * w2 + v[t].w * w3;
        }
      }
    }
  }
  int obase = (n * p.OH + oy) * p.OW;
  for (int t = 0; t < TP; t++) {
    int ox = px + SW * (jx0 + t);
    if (ox >= p.OW) break;
    for (int g = 0; g < TC; g++)
      if (oc0 + g < p.OC4) outp[(obase + ox) * p.OC4 + oc0 + g] = SVEC4(apply_act(acc[t * TC + g], ACT));
  }
}
