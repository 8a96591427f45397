#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// FULLY_CONNECTED: out[b][u] = act(bias[u] + sum_d in[b][d] * W[u][d]).  One invocation computes 4 units (one
// output vec4 group) for ROWS batch rows, reading the input as vec4 over 4 inputs.  Weights are packed as
// [IN4][OUT4][4] vec4s: vec4 j of (k, g) holds W[4g..4g+3][4k+j], so adjacent invocations read adjacent memory and
// the inner step is 4 vec4 FMAs per row.  Partial sums over KC input groups are kept in the arithmetic type and
// added into an fp32 accumulator (bounds the fp16 rounding growth).
// GATHER: the input's NHWC4 rows are not the [batch, depth] rows (its last dimension is not depth): each input
// element is fetched through its dense flat index.
#include "common.glsl"

layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint GATHER = 0;
layout(constant_id = 2) const int ROWS = 1;
layout(constant_id = 3) const int KC = 16;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) readonly buffer Wt { SVEC4 wt[]; };
layout(std430, binding = 2) readonly buffer Bias { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int batch, depth, in4, out_c, out4;
  int in_c, in_c4;  // the input tensor's own channel count (GATHER)
} p;

AVEC4 load_input(int b, int k) {
  if (GATHER == 0u) return AVEC4(src[b * p.in4 + k]);
  AVEC4 v = AVEC4(0);
  for (int j = 0; j < 4; j++) {
    int d = k * 4 + j;
    if (d < p.depth) {
      int e = b * p.depth + d;
      int r = e / p.in_c;
      int c = e - r * p.in_c;
      v[j] = AFLOAT(src[r * p.in_c4 + (c >> 2)][c & 3]);
    }
  }
  return v;
}

void main() {
  int g = int(gl_GlobalInvocationID.x);
  int b0 = (int(gl_GlobalInvocationID.y) + int(gl_GlobalInvocationID.z) * 65535) * ROWS;
  if (g >= p.out4 || b0 >= p.batch) return;
  int rows[ROWS];
  for (int r = 0; r < ROWS; r++) rows[r] = min(b0 + r, p.batch - 1);
  vec4 acc[ROWS];
  vec4 bv = vec4(bias[g]);
  for (int r = 0; r < ROWS; r++) acc[r] = bv;
  for (int k0 = 0; k0 < p.in4; k0 += KC) {
    int k1 = min(k0 + KC, p.in4);
    AVEC4 part[ROWS];
    for (int r = 0; r < ROWS; r++) part[r] = AVEC4(0);
    for (int k = k0; k < k1; k++) {
      int wi = (k * p.out4 + g) * 4;
      AVEC4 w0 = AVEC4(wt[wi]), w1 = AVEC4(wt[wi + 1]), w2 = AVEC4(wt[wi + 2]), w3 = AVEC4(wt[wi + 3]);
      for (int r = 0; r < ROWS; r++) {
        AVEC4 x = load_input(rows[r], k);
        part[r] = fma(w0, AVEC4(x.x), part[r]);
        part[r] = fma(w1, AVEC4(x.y), part[r]);
        part[r] = fma(w2, AVEC4(x.z), part[r]);
        part[r] = fma(w3, AVEC4(x.w), part[r]);
      }
    }
    for (int r = 0; r < ROWS; r++) acc[r] += vec4(part[r]);
  }
  for (int r = 0; r < ROWS; r++)
    if (b0 + r < p.batch) dst[(b0 + r) * p.out4 + g] = SVEC4(apply_act(AVEC4(acc[r]), ACT));
}
