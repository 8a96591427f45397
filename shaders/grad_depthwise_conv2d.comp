#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of DEPTHWISE_CONV_2D with respect to its input (training, float32), any filter, stride, dilation, padding
// and depth multiplier MULT (output channel c*MULT + j reads input channel c):
// dx[n,iy,ix,c] += sum over (ky, kx, j) of dy[n,oy,ox,c*MULT+j] * W[ky,kx,c*MULT+j], iy = oy*SH + ky*DH - PT,
// ix = ox*SW + kx*DW - PL.  A gather: one invocation owns a block of SH input rows x TP input columns (TP a multiple
// of SW) of one channel group, sums in registers and adds into dx once.  Because the block starts on a multiple of
// the strides and the paddings are specialization constants, which taps reach which position of the block, and from
// which dy column, is known at compile time: no per-tap test, no wasted tap.  For each (block row, filter row) the
// NCOL dy columns the block needs are loaded once and reused by every filter column.
// x: flattened (n, row block, column block, channel group) over x and z, the channel group fastest so that
// neighbouring invocations touch neighbouring memory (a channel-group-major order streams the tensors once per group).
// Weights: vec4 w[((ky*KW + kx)*IC4 + c4)*MULT + j] = W[ky][kx][(c4*4 + lane)*MULT + j] over the 4 lanes (zero padded).
#include "common.glsl"
#include "ste_mask.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int MULT = 1;
layout(constant_id = 7) const int TP = 8;  // multiple of SW
layout(constant_id = 8) const int PT = 0;
layout(constant_id = 9) const int PL = 0;
// ACCUM: dx += the gradient; false: dx = it (this kernel is dx's first writer, BuildContext::claim_grad_store).
layout(constant_id = 10) const bool ACCUM = true;
// MASK: FAKE_QUANT's backward folded in (src/ops/ste_fold.h): dx is the FAKE_QUANT's input's gradient, the sum
// masked by ste_pass at XM (that input's values); 2: with its fused activation.
layout(constant_id = 11) const uint MASK = 0;
// Floor divisions of possibly negative compile-time values by the strides, through a positive offset.
const int OFFY = (KH * DH + SH) * SH, OFFX = (KW * DW + TP + SW) * SW;
const int CX0 = (PL - (KW - 1) * DW + OFFX) / SW - OFFX / SW;  // first dy column of a block (relative)
const int NCOL = (TP - 1 + PL + OFFX) / SW - OFFX / SW - CX0 + 1;
const int TB = TP / SW;  // dy columns per block step

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l;
  int OC, RY, XT;  // output channels, row blocks (ceil(IH/SH)), column blocks (ceil(IW/TP))
  int key_lo, key_hi, act_lo, act_hi;  // MASK
} p;
layout(std430, binding = 3) readonly buffer XM { ivec4 xm[]; };  // MASK: raw bits

void write_dx(int i, vec4 v) { dx[i] = ACCUM ? dx[i] + v : v; }
// MASK (which stores): masks what this invocation stored, in a second pass over it (cache-hot), so that the store
// loop stays small enough to unroll and keep the sums in registers.
void mask_dx(int i) {
  dx[i] = mix(vec4(0), dx[i], ste_pass(xm[i], p.key_lo, p.key_hi, MASK == 2u, p.act_lo, p.act_hi));
}

// dy's values for input channels c4*4 .. c4*4+3 and multiplier index j at dy pixel `pix`.
vec4 load_dy(int pix, int c4, int j) {
  if (MULT == 1) return dy[pix * p.OC4 + c4];
  vec4 r;
  for (int l = 0; l < 4; l++) {
    int oc = (c4 * 4 + l) * MULT + j;
    r[l] = oc < p.OC ? dy[pix * p.OC4 + (oc >> 2)][oc & 3] : 0.0;
  }
  return r;
}

void main() {
  int item = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (item >= p.N * p.RY * p.XT * p.IC4) return;
  int tile = item / p.IC4;
  int c4 = item - tile * p.IC4;
  int nz = tile / p.XT;
  int bx = tile - nz * p.XT;  // block column: input columns bx*TP .., dy columns from bx*TB + CX0
  int n = nz / p.RY;
  int jy = nz - n * p.RY;     // block row: input rows jy*SH ..

  for (int r = 0; r < SH; r++) {
    int iy = jy * SH + r;
    if (iy >= p.IH) break;
    vec4 acc[TP];
    for (int t = 0; t < TP; t++) acc[t] = vec4(0);
    for (int ky = 0; ky < KH; ky++) {
      const int vy = r + PT - ky * DH;
      if ((vy + OFFY) % SH != 0) continue;  // compile time: this filter row does not reach block row r
      int oy = jy + (vy + OFFY) / SH - OFFY / SH;
      if (oy < 0 || oy >= p.OH) continue;
      int rowbase = (n * p.OH + oy) * p.OW;
      int cx = bx * TB + CX0;
      for (int j = 0; j < MULT; j++) {
        vec4 col[NCOL];
        for (int q = 0; q < NCOL; q++) {
          int ox = cx + q;
          col[q] = (ox >= 0 && ox < p.OW) ? load_dy(rowbase + ox, c4, j) : vec4(0);
        }
        for (int kx = 0; kx < KW; kx++) {
          vec4 wv = w[((ky * KW + kx) * p.IC4 + c4) * MULT + j];
          for (int t = 0; t < TP; t++) {
            const int vx = t + PL - kx * DW;
            if ((vx + OFFX) % SW != 0) continue;  // compile time
            acc[t] += col[(vx + OFFX) / SW - OFFX / SW - CX0] * wv;
          }
        }
      }
    }
    int xbase = ((n * p.IH + iy) * p.IW + bx * TP) * p.IC4 + c4;
    for (int t = 0; t < TP; t++) {
      if (bx * TP + t >= p.IW) break;
      write_dx(xbase + t * p.IC4, acc[t]);
    }
    if (MASK != 0u)
      for (int t = 0; t < TP && bx * TP + t < p.IW; t++) mask_dx(xbase + t * p.IC4);
  }
}
