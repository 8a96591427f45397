#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of CONV_2D with respect to its input (training, float32), general window (any filter, stride, dilation,
// padding): dx[n,iy,ix,ic] += sum over (ky, kx, oc) of dy[n,oy,ox,oc] * W[oc,ky,kx,ic] where iy = oy*SH + ky*DH -
// pad_t and ix = ox*SW + kx*DW - pad_l.  A gather: each invocation owns TP input positions x TC input channel groups,
// sums in registers and adds into dx once (no atomics).
// Strides are handled by phases: the input positions of one invocation share iy mod SH (py) and ix mod SW (px), taken
// from gl_WorkGroupID.y together with the channel tile, so that which filter taps reach them is uniform across the
// workgroup; its TP positions are ix = px + SW*(jx0 + t), and a tap (ky, kx) that reaches them does so from the
// consecutive output columns ox = jx0 + t + (px + pad_l - kx*DW)/SW.  With SW = 1 the dy columns of a window row are
// loaded once and reused by every tap (NCOL columns); otherwise each valid tap loads its TP columns.
// x: flattened (n, jy, x tile) over x and z; y: (py*SW + px)*CT + channel tile.
// Weights (transposed for the gather): vec4 w[(((ic4*KH + ky)*KW + kx)*OC4 + oc4)*4 + lane] = W[oc4*4+lane][ky][kx]
// [ic4*4 .. ic4*4+3] (zero padded), so an invocation's weight addresses are uniform across the workgroup.
#include "common.glsl"
#include "ste_mask.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int TP = 4;
layout(constant_id = 7) const int TC = 2;
// ACCUM: dx += the gradient; false: dx = it (this kernel is dx's first writer, BuildContext::claim_grad_store).
layout(constant_id = 8) const bool ACCUM = true;
// MASK: FAKE_QUANT's backward folded in (src/ops/ste_fold.h): dx is the FAKE_QUANT's input's gradient, the sum
// masked by ste_pass at XM (that input's values); 2: with its fused activation.
layout(constant_id = 9) const uint MASK = 0;
const int NCOL = TP + (KW - 1) * DW;  // SW = 1: dy columns of one window row

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l;
  int RY, XT, CT;  // rows per y phase (ceil(IH/SH)), x tiles per phase row, channel tiles
  int key_lo, key_hi, act_lo, act_hi;  // MASK
} p;
layout(std430, binding = 3) readonly buffer XM { ivec4 xm[]; };  // MASK: raw bits

void write_dx(int i, vec4 v) { dx[i] = ACCUM ? dx[i] + v : v; }
// MASK (which stores): masks what this invocation stored, in a second pass over it (cache-hot), so that the store
// loop stays small enough to unroll and keep the sums in registers.
void mask_dx(int i) {
  dx[i] = mix(vec4(0), dx[i], ste_pass(xm[i], p.key_lo, p.key_hi, MASK == 2u, p.act_lo, p.act_hi));
}

// v mod m in [0, m) for any sign of v.
int pmod(int v, int m) { return ((v % m) + m) % m; }

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (tile >= p.N * p.RY * p.XT) return;
  int yg = int(gl_WorkGroupID.y);
  int ph = yg / p.CT;
  int ic0 = (yg - ph * p.CT) * TC;
  int py = ph / SW;
  int px = ph - py * SW;
  int nz = tile / p.XT;
  int jx0 = (tile - nz * p.XT) * TP;
  int n = nz / p.RY;
  int jy = nz - n * p.RY;
  int iy = py + SH * jy;
  if (iy >= p.IH) return;

  vec4 acc[TP * TC];
  for (int i = 0; i < TP * TC; i++) acc[i] = vec4(0);
  int wb[TC];
  for (int g = 0; g < TC; g++) wb[g] = min(ic0 + g, p.IC4 - 1) * (KH * KW * p.OC4 * 4);  // past the end: unused

  for (int ky = 0; ky < KH; ky++) {
    int vy = py + p.pad_t - ky * DH;
    if (pmod(vy, SH) != 0) continue;  // uniform: this tap row does not reach this y phase
    int oy = jy + vy / SH;            // exact division
    if (oy < 0 || oy >= p.OH) continue;
    int rowbase = (n * p.OH + oy) * p.OW;
    if (SW == 1) {
      int c0 = jx0 + p.pad_l - (KW - 1) * DW;  // column j holds ox = c0 + j
      for (int oc4 = 0; oc4 < p.OC4; oc4++) {
        vec4 col[NCOL];
        for (int j = 0; j < NCOL; j++) {
          int ox = c0 + j;
          col[j] = (ox >= 0 && ox < p.OW) ? dy[(rowbase + ox) * p.OC4 + oc4] : vec4(0);
        }
        for (int kx = 0; kx < KW; kx++) {
          for (int g = 0; g < TC; g++) {
            int wi = wb[g] + ((ky * KW + kx) * p.OC4 + oc4) * 4;
            vec4 w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
            for (int t = 0; t < TP; t++) {
              vec4 v = col[t + (KW - 1 - kx) * DW];
              acc[t * TC + g] += v.x * w0 + v.y * w1 + v.z * w2 + v.w * w3;
            }
          }
        }
      }
    } else {
      for (int kx = 0; kx < KW; kx++) {
        int vx = px + p.pad_l - kx * DW;
        if (pmod(vx, SW) != 0) continue;  // uniform
        int ox0 = jx0 + vx / SW;
        for (int oc4 = 0; oc4 < p.OC4; oc4++) {
          vec4 v[TP];
          for (int t = 0; t < TP; t++) {
            int ox = ox0 + t;
            v[t] = (ox >= 0 && ox < p.OW) ? dy[(rowbase + ox) * p.OC4 + oc4] : vec4(0);
          }
          for (int g = 0; g < TC; g++) {
            int wi = wb[g] + ((ky * KW + kx) * p.OC4 + oc4) * 4;
            vec4 w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
            for (int t = 0; t < TP; t++) acc[t * TC + g] += v[t].x * w0 + v[t].y * w1 + v[t].z * w2 + v[t].w * w3;
          }
        }
      }
    }
  }
  int xbase = (n * p.IH + iy) * p.IW;
  for (int t = 0; t < TP; t++) {
    int ix = px + SW * (jx0 + t);
    if (ix >= p.IW) break;
    for (int g = 0; g < TC; g++)
      if (ic0 + g < p.IC4) {
        int i = (xbase + ix) * p.IC4 + ic0 + g;
        write_dx(i, acc[t * TC + g]);
      }
  }
  if (MASK != 0u)
    for (int t = 0; t < TP && px + SW * (jx0 + t) < p.IW; t++)
      for (int g = 0; g < TC && ic0 + g < p.IC4; g++) mask_dx((xbase + px + SW * (jx0 + t)) * p.IC4 + ic0 + g);
}
