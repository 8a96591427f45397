#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE TARE_VARIANT_DOT
// 8-bit FULLY_CONNECTED: out[b][u] = requant(bias'[u] + sum_d x[b][d] * W[u][d] - w_zp[u] * sum_d x[b][d]) with
// the input zero point folded into bias' on the host (see q8_conv2d.cpp).  One invocation: one group of 4 units
// (x) for ROWS batch rows (y, z: the input words are workgroup-uniform loads).  Weights: 4 words per (k, g) at
// (k*OUT4 + g)*4: TARE_DOT: word l = inputs 4k..4k+3 of unit 4g+l (sdot4); otherwise word j = units 4g..4g+3 of
// input 4k+j, accumulated exactly in float over chunks of at most 256 input groups (|products| <= 2^14).
// GATHER: the input's NHWC4 rows are not the [batch, depth] rows: each lane is fetched through its flat index.
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const int ROWS = 1;
layout(constant_id = 1) const bool GATHER = false;
layout(constant_id = 2) const bool WZP = false;
layout(constant_id = 3) const bool SINGLE = false;
const int KC = 256;

layout(std430, binding = 0) readonly buffer In { Q8T inp[]; };
layout(std430, binding = 1) readonly buffer W { uint w[]; };
layout(std430, binding = 2) readonly buffer QP { ivec4 qp[]; };
layout(std430, binding = 3) writeonly buffer Out { Q8T outp[]; };
layout(push_constant) uniform P {
  int batch, depth, in4, out_c, out4, in_c, in_c4, in_zp, out_zp, act_min, act_max;
} p;

ivec4 load_x(int b, int k) {
  if (!GATHER) return q8_unpack(inp[b * p.in4 + k]);
  ivec4 v = ivec4(p.in_zp);
  for (int j = 0; j < 4; j++) {
    int d = k * 4 + j;
    if (d < p.depth) {
      int e = b * p.depth + d;
      int r = e / p.in_c;
      int c = e - r * p.in_c;
      v[j] = q8_unpack(inp[r * p.in_c4 + (c >> 2)])[c & 3];
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
  ivec4 acc[ROWS];
  int sx[ROWS];
  ivec4 bv = qp[g * 4];
  for (int r = 0; r < ROWS; r++) {
    acc[r] = bv;
    sx[r] = 0;
  }
#if TARE_DOT
  for (int k = 0; k < p.in4; k++) {
    int wi = (k * p.out4 + g) * 4;
    uint w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
    for (int r = 0; r < ROWS; r++) {
      uint x = word_pack(load_x(rows[r], k));
      acc[r] += ivec4(sdot4(x, w0), sdot4(x, w1), sdot4(x, w2), sdot4(x, w3));
      if (WZP) sx[r] += sdot4(x, 0x01010101u);
    }
  }
#else
  for (int k0 = 0; k0 < p.in4; k0 += KC) {
    int k1 = min(k0 + KC, p.in4);
    vec4 part[ROWS];
    float fsx[ROWS];
    for (int r = 0; r < ROWS; r++) {
      part[r] = vec4(0);
      fsx[r] = 0.0;
    }
    for (int k = k0; k < k1; k++) {
      int wi = (k * p.out4 + g) * 4;
      vec4 w0 = vec4(word_unpack(w[wi])), w1 = vec4(word_unpack(w[wi + 1]));
      vec4 w2 = vec4(word_unpack(w[wi + 2])), w3 = vec4(word_unpack(w[wi + 3]));
      for (int r = 0; r < ROWS; r++) {
        vec4 x = vec4(load_x(rows[r], k));
        part[r] = fma(vec4(x.x), w0, part[r]);
        part[r] = fma(vec4(x.y), w1, part[r]);
        part[r] = fma(vec4(x.z), w2, part[r]);
        part[r] = fma(vec4(x.w), w3, part[r]);
        if (WZP) fsx[r] += (x.x + x.y) + (x.z + x.w);
      }
    }
    for (int r = 0; r < ROWS; r++) {
      acc[r] += ivec4(part[r]);
      sx[r] += int(fsx[r]);
    }
  }
#endif
  ivec4 m = qp[g * 4 + 1], s = qp[g * 4 + 2], wz = qp[g * 4 + 3];
  for (int r = 0; r < ROWS; r++) {
    if (b0 + r >= p.batch) break;
    ivec4 a = acc[r];
    if (WZP) a -= wz * sx[r];
    ivec4 o;
    for (int l = 0; l < 4; l++) {
      int v = SINGLE ? mbqm_single(a[l], m[l], s[l]) : mbqm(a[l], m[l], s[l]);
      o[l] = g * 4 + l < p.out_c ? clamp(v + p.out_zp, p.act_min, p.act_max) : p.out_zp;
    }
    outp[(b0 + r) * p.out4 + g] = q8_pack(o);
  }
}
