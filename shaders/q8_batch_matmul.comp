#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit BATCH_MATMUL as TFLite's int8 kernel (reference_ops::BatchMatMul<int8_t, int32_t>): out = clamp(zo +
// MultiplyByQuantizedMultiplier(sum_k (x - zx) * (y - zy), m, s), -128, 127), int32 accumulation, rounded
// once as its default (optimized) kernel does through ruy.  Layout and
// tiling as batch_matmul.comp (4 rows x one word of 4 columns per invocation); rows past an operand's extent and
// padding lanes contribute 0 (after subtracting the zero point).  Padding lanes get the output zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const bool ADJ_X = false;
layout(constant_id = 1) const bool ADJ_Y = false;

layout(std430, binding = 0) readonly buffer X { uint xs[]; };
layout(std430, binding = 1) readonly buffer Y { uint ys[]; };
layout(std430, binding = 2) writeonly buffer R { uint rs[]; };
layout(push_constant) uniform P {
  int total;
  int M, N, K, M4, N4;
  int FN, FH;
  int x_c4, x_sn, x_sh;
  int y_c4, y_sn, y_sh;
  int zx, zy, zo;  // device zero points
  int mult, shift;
} p;

ivec4 x_row(int base, int row, int limit, int g) {
  return row < limit ? word_unpack(xs[(base + row) * p.x_c4 + g]) - p.zx : ivec4(0);
}
ivec4 y_row(int base, int row, int limit, int g) {
  return row < limit ? word_unpack(ys[(base + row) * p.y_c4 + g]) - p.zy : ivec4(0);
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int idx = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (idx >= p.total) return;
  int n4 = idx % p.N4;
  int t = idx / p.N4;
  int m4 = t % p.M4;
  int b = t / p.M4;
  int bh = b % p.FH, bn = b / p.FH;
  int i0 = m4 * 4, n0 = n4 * 4;
  int xo = bn * p.x_sn + bh * p.x_sh, yo = bn * p.y_sn + bh * p.y_sh;
  ivec4 acc[4] = ivec4[4](ivec4(0), ivec4(0), ivec4(0), ivec4(0));  // acc[r]: row i0 + r, columns n0..n0+3
  for (int k0 = 0; k0 < p.K; k0 += 4) {
    int k4 = k0 >> 2;
    ivec4 a[4], bm[4];  // a[r][j] = X[i0 + r][k0 + j], bm[j] = Y[k0 + j][n0..n0+3]
    for (int q = 0; q < 4; q++) {
      a[q] = ADJ_X ? x_row(xo, k0 + q, p.K, m4) : x_row(xo, i0 + q, p.M, k4);
      bm[q] = ADJ_Y ? y_row(yo, n0 + q, p.N, k4) : y_row(yo, k0 + q, p.K, n4);
    }
    if (ADJ_X) {  // loaded columns: a[j][r] = X[i0 + r][k0 + j]
      ivec4 c[4] = a;
      for (int r = 0; r < 4; r++) a[r] = ivec4(c[0][r], c[1][r], c[2][r], c[3][r]);
    }
    if (ADJ_Y) {  // loaded rows of Y^T: bm[c][j] = Y[k0 + j][n0 + c]
      ivec4 c[4] = bm;
      for (int j = 0; j < 4; j++) bm[j] = ivec4(c[0][j], c[1][j], c[2][j], c[3][j]);
    }
    for (int r = 0; r < 4; r++) acc[r] += bm[0] * a[r].x + bm[1] * a[r].y + bm[2] * a[r].z + bm[3] * a[r].w;
  }
  int ro = b * p.M;
  for (int r = 0; r < 4; r++) {
    if (i0 + r >= p.M) break;
    ivec4 v;
    for (int l = 0; l < 4; l++) v[l] = clamp(p.zo + mbqm_single(acc[r][l], p.mult, p.shift), -128, 127);
    rs[(ro + i0 + r) * p.N4 + n4] = word_pack(q8_mask(v, n4, p.N, p.zo));
  }
}
