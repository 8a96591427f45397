#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of RESIZE_BILINEAR (training, float32): the transpose of the interpolation, in gather form.  The forward
// weights are separable (w(oy, ox -> iy, ix) = wy(oy -> iy) * wx(ox -> ix)), so the host lists, per input row iy
// (and per input column ix), the output rows (columns) that read it with their summed weights (CSR tables in one
// int buffer: offsets then (index, float bits) pairs).  One invocation per vec4 group of the INPUT:
//   dx(n, iy, ix) += sum_{(oy, wy) in rows(iy)} wy * sum_{(ox, wx) in cols(ix)} wx * dy(n, oy, ox).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(std430, binding = 2) readonly buffer T { int tab[]; };
layout(push_constant) uniform P {
  int H, W, C4;          // input view
  int OH, OW;            // output size
  int total;             // input vec4 groups
  int row_off, col_off;  // tab offsets of the CSR offsets (H + 1 and W + 1 entries)
  int row_ent, col_ent;  // tab offsets of the (index, weight) pairs
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int ix = t % p.W;
  t /= p.W;
  int iy = t % p.H;
  int n = t / p.H;
  int a0 = tab[p.row_off + iy], a1 = tab[p.row_off + iy + 1];
  int b0 = tab[p.col_off + ix], b1 = tab[p.col_off + ix + 1];
  vec4 acc = vec4(0);
  for (int a = a0; a < a1; a++) {
    int oy = tab[p.row_ent + 2 * a];
    float wy = intBitsToFloat(tab[p.row_ent + 2 * a + 1]);
    int base = (n * p.OH + oy) * p.OW;
    vec4 r = vec4(0);
    for (int b = b0; b < b1; b++) {
      int ox = tab[p.col_ent + 2 * b];
      float wx = intBitsToFloat(tab[p.col_ent + 2 * b + 1]);
      r += dy[(base + ox) * p.C4 + g] * wx;
    }
    acc += r * wy;
  }
  dx[idx] += acc;
}
