#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE TARE_VARIANT_DOT
// 8-bit TRANSPOSE_CONV (TFLite's int8 kernel, bit-exact with its integer reference): the gather of
// transpose_conv.comp (phases, TP output positions x TC output channel groups per invocation) on NHWC4 8-bit words.
// TFLite sums (x - x_zp) * w over the input taps that land on an output; here acc = bias + sum x*w over those taps
// (out-of-image inputs contribute nothing) plus, for each tap that lands, corr[oc4, ky, kx] = -x_zp * (sum of the
// tap's weights over the input channels), folded on the host (int32 wrap-around, as the accumulator itself).
// Weights: q8conv::pack_weights (block of 4 words per (oc4, ky, kx, ic4)); TARE_DOT: word l = input lanes of output
// channel l (sdot4), otherwise the same blocks as float vec4s (vec4 j = output channels of input lane j, converted on
// the host: no unpacking in the inner loop), accumulated exactly in float over at most 256 input groups of one tap
// (1024 products of magnitude <= 2^14 per lane: sums stay <= 2^24).
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int TP = 4;
layout(constant_id = 5) const int TC = 2;
const int CHUNK = 256;

layout(std430, binding = 0) readonly buffer In { uint inp[]; };
#if TARE_DOT
layout(std430, binding = 1) readonly buffer W { uint w[]; };
#else
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
#endif
layout(std430, binding = 2) readonly buffer QP { ivec4 qp[]; };  // per oc4: bias, multiplier, shift, (unused)
layout(std430, binding = 3) readonly buffer Corr { ivec4 corr[]; };  // per (oc4, ky, kx)
layout(std430, binding = 4) writeonly buffer Out { uint outp[]; };
layout(push_constant) uniform P {
  int N, OH, OW, OC4, IH, IW, IC4, pad_t, pad_l;
  int RY, XT, CT;  // rows per y phase (ceil(OH/SH)), x tiles per phase row, channel tiles
  int OC, out_zp, act_min, act_max;
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

  ivec4 acc[TP * TC];
  int wb[TC];
  int wstride = KH * KW * p.IC4 * 4;  // words per oc4 group
  for (int g = 0; g < TC; g++) {
    int oc = min(oc0 + g, p.OC4 - 1);  // groups past the end compute a duplicate that is never stored
    wb[g] = oc * wstride;
    ivec4 b = qp[oc * 4];
    for (int t = 0; t < TP; t++) acc[t * TC + g] = b;
  }
#if !TARE_DOT
  vec4 facc[TP * TC];
  for (int i = 0; i < TP * TC; i++) facc[i] = vec4(0);
#endif

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
      bool valid[TP];
      for (int t = 0; t < TP; t++) valid[t] = ix0 + t >= 0 && ix0 + t < p.IW;
      for (int g = 0; g < TC; g++) {
        ivec4 c = corr[(min(oc0 + g, p.OC4 - 1) * KH + ky) * KW + kx];
        for (int t = 0; t < TP; t++)
          if (valid[t]) acc[t * TC + g] += c;
      }
      // Chunks of the input groups; the float sums move to the int32 accumulators after each, outside the inner
      // loop (a flush test inside it made the whole kernel 3-5x slower on llvmpipe).
      for (int c0 = 0; c0 < p.IC4; c0 += CHUNK) {
        int c1 = min(c0 + CHUNK, p.IC4);
        for (int ic4 = c0; ic4 < c1; ic4++) {
#if TARE_DOT
          uint v[TP];
          for (int t = 0; t < TP; t++) v[t] = valid[t] ? inp[(rowbase + ix0 + t) * p.IC4 + ic4] : 0u;
          for (int g = 0; g < TC; g++) {
            int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
            uint w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
            for (int t = 0; t < TP; t++)
              acc[t * TC + g] += ivec4(sdot4(v[t], w0), sdot4(v[t], w1), sdot4(v[t], w2), sdot4(v[t], w3));
          }
#else
          vec4 v[TP];
          for (int t = 0; t < TP; t++)
            v[t] = valid[t] ? vec4(word_unpack(inp[(rowbase + ix0 + t) * p.IC4 + ic4])) : vec4(0);
          for (int g = 0; g < TC; g++) {
            int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
            vec4 w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
            for (int t = 0; t < TP; t++) {
              vec4 a = facc[t * TC + g];
              a = fma(vec4(v[t].x), w0, a);
              a = fma(vec4(v[t].y), w1, a);
              a = fma(vec4(v[t].z), w2, a);
              facc[t * TC + g] = fma(vec4(v[t].w), w3, a);
            }
          }
#endif
        }
#if !TARE_DOT
        for (int i = 0; i < TP * TC; i++) {
          acc[i] += ivec4(facc[i]);
          facc[i] = vec4(0);
        }
#endif
      }
    }
  }

  int obase = (n * p.OH + oy) * p.OW;
  // Requantization: each group's constants once for the tile's TP pixels.
  for (int g = 0; g < TC; g++) {
    int oc4 = oc0 + g;
    if (oc4 >= p.OC4) break;
    Rq4 q = rq4_prepare(qp[oc4 * 4 + 1], qp[oc4 * 4 + 2], false);
    bvec4 real_lane = lessThan(oc4 * 4 + ivec4(0, 1, 2, 3), ivec4(p.OC));
    for (int t = 0; t < TP; t++) {
      int ox = px + SW * (jx0 + t);
      if (ox >= p.OW) break;
      ivec4 r = clamp(rq4_apply(acc[t * TC + g], q, false) + p.out_zp, p.act_min, p.act_max);
      outp[(obase + ox) * p.OC4 + oc4] = word_pack(mix(ivec4(p.out_zp), r, real_lane));
    }
  }
}
