#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// BATCH_MATMUL and its gradients: R[b][i][n] (+)= sum_k X[b][i][k] * Y[b][k][n] over NHWC4 storage, batches in the
// [N,H] dimensions of the view.  ADJ_X: X is stored [K, M] (else [M, K]); ADJ_Y: Y is stored [N, K] (else [K, N]).
// The product runs over the full batch (FN, FH); an operand broadcast along a batch dimension has row offset 0 there,
// and R, when it is smaller (a broadcast operand's gradient), sums the full batches that map to it.  Each invocation
// computes a register tile of RB x 4 rows and one vec4 of columns, reading 4 vec4s of Y and 4 RB of X per 4 steps of
// K, accumulated in float32 (also in fp16 sessions).  Rows past an operand's extent read as 0; padding lanes are 0,
// so R's padding lanes stay 0.
#include "common.glsl"

layout(constant_id = 0) const bool ADJ_X = false;
layout(constant_id = 1) const bool ADJ_Y = false;
layout(constant_id = 2) const bool ACCUMULATE = false;  // R += product (backward: gradients add up)
layout(constant_id = 3) const int RB = 1;                // groups of 4 rows per invocation

layout(std430, binding = 0) readonly buffer X { SVEC4 xs[]; };
layout(std430, binding = 1) readonly buffer Y { SVEC4 ys[]; };
layout(std430, binding = 2) buffer R { SVEC4 rs[]; };
layout(push_constant) uniform P {
  int total;            // invocations: R's batches * MT * N4
  int M, N, K, MT, N4;  // MT: tiles of 4 RB rows
  int FN, FH;           // the product's batch
  int rn, rh;           // R's batch (FN / FH, or 1: summed over)
  int x_c4, x_sn, x_sh; // vec4 groups per stored row, row offset per full-batch step (0: broadcast)
  int y_c4, y_sn, y_sh;
} p;

vec4 x_row(int base, int row, int limit, int g) { return row < limit ? vec4(xs[(base + row) * p.x_c4 + g]) : vec4(0); }
vec4 y_row(int base, int row, int limit, int g) { return row < limit ? vec4(ys[(base + row) * p.y_c4 + g]) : vec4(0); }

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int idx = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (idx >= p.total) return;
  int n4 = idx % p.N4;
  int t = idx / p.N4;
  int mt = t % p.MT;
  int rb = t / p.MT;
  int rbh = rb % p.rh, rbn = rb / p.rh;
  int i0 = mt * 4 * RB, n0 = n4 * 4;
  int bn0 = p.rn == p.FN ? rbn : 0, bn1 = p.rn == p.FN ? rbn + 1 : p.FN;
  int bh0 = p.rh == p.FH ? rbh : 0, bh1 = p.rh == p.FH ? rbh + 1 : p.FH;
  mat4 acc[RB];  // acc[q][r]: row i0 + 4 q + r, columns n0..n0+3
  for (int q = 0; q < RB; q++) acc[q] = mat4(0);
  for (int bn = bn0; bn < bn1; bn++) {
    for (int bh = bh0; bh < bh1; bh++) {
      int xo = bn * p.x_sn + bh * p.x_sh, yo = bn * p.y_sn + bh * p.y_sh;
      for (int k0 = 0; k0 < p.K; k0 += 4) {
        int k4 = k0 >> 2;
        mat4 b;  // b[j] = Y[k0 + j][n0..n0+3]
        if (ADJ_Y)
          b = transpose(mat4(y_row(yo, n0, p.N, k4), y_row(yo, n0 + 1, p.N, k4), y_row(yo, n0 + 2, p.N, k4),
                             y_row(yo, n0 + 3, p.N, k4)));
        else
          b = mat4(y_row(yo, k0, p.K, n4), y_row(yo, k0 + 1, p.K, n4), y_row(yo, k0 + 2, p.K, n4),
                   y_row(yo, k0 + 3, p.K, n4));
        for (int q = 0; q < RB; q++) {
          int iq = i0 + 4 * q;
          if (iq >= p.M) break;
          mat4 a;  // a[r][j] = X[iq + r][k0 + j]
          if (ADJ_X)
            a = transpose(mat4(x_row(xo, k0, p.K, iq >> 2), x_row(xo, k0 + 1, p.K, iq >> 2),
                               x_row(xo, k0 + 2, p.K, iq >> 2), x_row(xo, k0 + 3, p.K, iq >> 2)));
          else
            a = mat4(x_row(xo, iq, p.M, k4), x_row(xo, iq + 1, p.M, k4), x_row(xo, iq + 2, p.M, k4),
                     x_row(xo, iq + 3, p.M, k4));
          acc[q] += b * a;
        }
      }
    }
  }
  int ro = (rbn * p.rh + rbh) * p.M;
  for (int q = 0; q < RB; q++) {
    for (int r = 0; r < 4; r++) {
      int i = i0 + 4 * q + r;
      if (i >= p.M) return;
      int o = (ro + i) * p.N4 + n4;
      vec4 v = acc[q][r];
      if (ACCUMULATE) v += vec4(rs[o]);
      rs[o] = SVEC4(v);
    }
  }
}
