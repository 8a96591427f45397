#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of DEPTHWISE_CONV_2D with respect to its input (training, float32), any filter, stride, dilation, padding
// and depth multiplier MULT (output channel c*MULT + j reads input channel c):
// dx[n,iy,ix,c] += sum over (ky, kx, j) of dy[n,oy,ox,c*MULT+j] * W[ky,kx,c*MULT+j], iy = oy*SH + ky*DH - pad_t,
// ix = ox*SW + kx*DW - pad_l.  A gather: one invocation owns TP input positions of one channel group, sums in
// registers and adds into dx once.  Strides by phases as in grad_conv2d.comp: the positions of an invocation share
// iy mod SH and ix mod SW (from gl_WorkGroupID.y with the channel group), so the taps that reach them are uniform
// across the workgroup; with SW = 1 the dy columns of a window row are loaded once for every tap (NCOL).
// x: flattened (n, jy, x tile) over x and z; y: (py*SW + px)*IC4 + c4.
// Weights: vec4 w[((ky*KW + kx)*IC4 + c4)*MULT + j] = W[ky][kx][(c4*4 + lane)*MULT + j] over the 4 lanes (zero padded).
#include "common.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int MULT = 1;
layout(constant_id = 7) const int TP = 8;
const int NCOL = TP + (KW - 1) * DW;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l;
  int OC, RY, XT;  // output channels, rows per y phase (ceil(IH/SH)), x tiles per phase row
} p;

int pmod(int v, int m) { return ((v % m) + m) % m; }

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
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (tile >= p.N * p.RY * p.XT) return;
  int yg = int(gl_WorkGroupID.y);
  int ph = yg / p.IC4;
  int c4 = yg - ph * p.IC4;
  int py = ph / SW;
  int px = ph - py * SW;
  int nz = tile / p.XT;
  int jx0 = (tile - nz * p.XT) * TP;
  int n = nz / p.RY;
  int jy = nz - n * p.RY;
  int iy = py + SH * jy;
  if (iy >= p.IH) return;

  vec4 acc[TP];
  for (int t = 0; t < TP; t++) acc[t] = vec4(0);
  for (int ky = 0; ky < KH; ky++) {
    int vy = py + p.pad_t - ky * DH;
    if (pmod(vy, SH) != 0) continue;  // uniform
    int oy = jy + vy / SH;
    if (oy < 0 || oy >= p.OH) continue;
    int rowbase = (n * p.OH + oy) * p.OW;
    for (int j = 0; j < MULT; j++) {
      if (SW == 1) {
        int c0 = jx0 + p.pad_l - (KW - 1) * DW;
        vec4 col[NCOL];
        for (int q = 0; q < NCOL; q++) {
          int ox = c0 + q;
          col[q] = (ox >= 0 && ox < p.OW) ? load_dy(rowbase + ox, c4, j) : vec4(0);
        }
        for (int kx = 0; kx < KW; kx++) {
          vec4 wv = w[((ky * KW + kx) * p.IC4 + c4) * MULT + j];
          for (int t = 0; t < TP; t++) acc[t] += col[t + (KW - 1 - kx) * DW] * wv;
        }
      } else {
        for (int kx = 0; kx < KW; kx++) {
          int vx = px + p.pad_l - kx * DW;
          if (pmod(vx, SW) != 0) continue;  // uniform
          int ox0 = jx0 + vx / SW;
          vec4 wv = w[((ky * KW + kx) * p.IC4 + c4) * MULT + j];
          for (int t = 0; t < TP; t++) {
            int ox = ox0 + t;
            if (ox >= 0 && ox < p.OW) acc[t] += load_dy(rowbase + ox, c4, j) * wv;
          }
        }
      }
    }
  }
  int xbase = (n * p.IH + iy) * p.IW;
  for (int t = 0; t < TP; t++) {
    int ix = px + SW * (jx0 + t);
    if (ix >= p.IW) break;
    int i = (xbase + ix) * p.IC4 + c4;
    dx[i] += acc[t];
  }
}
