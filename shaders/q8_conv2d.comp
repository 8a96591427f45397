#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// TARE_VARIANT_INT8_STORAGE TARE_VARIANT_DOT
// 8-bit CONV_2D, general window (any filter, stride, dilation, padding) on NHWC4 8-bit tensors; see q8_conv2d.cpp
// for the folded zero-point arithmetic (out-of-image inputs read as the input zero point).
// One invocation: TP consecutive output x positions of one output row times TC groups of 4 output channels
// (gl_WorkGroupID.y: uniform weight loads).  For each window row and input channel group the NCOL input columns
// the tile needs are loaded once and reused.
// Weights: block of 4 per (oc4, ky, kx, ic4) at ((oc4*KH + ky)*KW + kx)*IC4 + ic4; TARE_DOT: 4 words, word l = input
// lanes of output channel l (sdot4); otherwise 4 vec4 converted on the host (q8conv::float_weights), vec4 j = w - w_zp
// of the output channels for input lane j, accumulated exactly in float in chunks of at most KC (kx, input group)
// steps (the host bounds the products so that the sums stay within 2^24; CHUNKED: the window has more steps than
// that, the float sums move to int32 between chunks; without it no int32 accumulator is live in the loop).
// The 8-bit tensors are read and written as packed words in every variant (the _s8 ones included: same memory
// layout): on lavapipe one 32-bit load per lane plus bitfieldExtract is cheaper than an i8vec4 load.
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int TP = 4;
layout(constant_id = 7) const int TC = 2;
layout(constant_id = 8) const bool WZP = false;  // TARE_DOT: weights have a zero point: subtract w_zp * sum(x)
layout(constant_id = 9) const int RQ = 0;  // requantization mode: RQ_* in quant.glsl
layout(constant_id = 10) const bool CHUNKED = false;
layout(constant_id = 11) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the table, qp[OC4 * 4 + oc4]
// The input is an 8-bit graph input read from its staging as the caller wrote it: dense bytes [pixels][C] (uint8
// flipped to int8 on the way in: FLIP 128), not NHWC4 words (ops::BuildContext::claim_input_staging).
layout(constant_id = 12) const bool DENSE = false;
const int NCOL = (TP - 1) * SW + (KW - 1) * DW + 1;

layout(std430, binding = 0) readonly buffer In { uint inp[]; };
#if TARE_DOT
layout(std430, binding = 1) readonly buffer W { uint w[]; };
#else
layout(std430, binding = 1) readonly buffer W { vec4 wf[]; };
#endif
layout(std430, binding = 2) readonly buffer QP { ivec4 qp[]; };
layout(std430, binding = 3) writeonly buffer Out { uint outp[]; };
layout(push_constant) uniform P {
  int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, XT, OC, in_zp, out_zp, act_min, act_max, KC, C, FLIP;
} p;
const bool SINGLE = RQ_IS_SINGLE(RQ), SMALL_SHIFTS = RQ_IS_SMALL_SHIFTS(RQ);

// Input word (4 lanes of channel group ic4) of input pixel `pixel` (n, y, x flattened); DENSE: assembled from the
// dense bytes, the lanes past C holding the zero point as in NHWC4 storage.
uint in_word(int pixel, int ic4) {
  if (!DENSE) return inp[pixel * p.IC4 + ic4];
  // The second word's index clamped to the last: its bytes are then all past the end, padding lanes replaced.
  int i = pixel * p.C + ic4 * 4;
  int k = i >> 2, last = (p.N * p.IH * p.IW * p.C - 1) >> 2;
  return dense_word(inp[k], inp[min(k + 1, last)], i, clamp(p.C - ic4 * 4, 0, 4), uint(p.FLIP) * 0x01010101u,
                    word_splat(p.in_zp));
}

// Bias of output channel group g of the tile (groups past the end compute a duplicate that is never stored).
ivec4 tile_bias(int oc0, int g) { return qp[min(oc0 + g, p.OC4 - 1) * 4]; }

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int oc0 = int(gl_WorkGroupID.y) * TC;
  // The tile's multipliers and shifts, read before any divergent branch (the cold-start JIT: see RQ_* in quant.glsl).
  ivec4 mult[TC], shift[TC];
  for (int g = 0; g < TC; g++) {
    int oc4 = min(oc0 + g, p.OC4 - 1);
    mult[g] = qp[oc4 * 4 + 1];
    shift[g] = qp[oc4 * 4 + 2];
  }
  if (tile >= p.N * p.OH * p.XT) return;
  int nz = tile / p.XT;
  int ox0 = (tile - nz * p.XT) * TP;
  int n = nz / p.OH;
  int oy = nz - n * p.OH;

  ivec4 acc[TP * TC];
  int wb[TC];
  int wstride = KH * KW * p.IC4 * 4;  // blocks of 4 per oc4 group
  for (int g = 0; g < TC; g++) wb[g] = min(oc0 + g, p.OC4 - 1) * wstride;
  int ix0 = ox0 * SW - p.pad_l;
#if TARE_DOT
  for (int g = 0; g < TC; g++)
    for (int t = 0; t < TP; t++) acc[t * TC + g] = tile_bias(oc0, g);
  int sx[TP];
  for (int t = 0; t < TP; t++) sx[t] = 0;
  uint zpw = word_splat(p.in_zp);
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    bool row_in = iy >= 0 && iy < p.IH;
    int rowbase = (n * p.IH + iy) * p.IW;
    for (int ic4 = 0; ic4 < p.IC4; ic4++) {
      uint col[NCOL];
      for (int j = 0; j < NCOL; j++) {
        int ix = ix0 + j;
        col[j] = (row_in && ix >= 0 && ix < p.IW) ? in_word(rowbase + ix, ic4) : zpw;
      }
      if (WZP)
        for (int t = 0; t < TP; t++)
          for (int kx = 0; kx < KW; kx++) sx[t] += sdot4(col[t * SW + kx * DW], 0x01010101u);
      for (int kx = 0; kx < KW; kx++) {
        for (int g = 0; g < TC; g++) {
          int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
          uint w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
          for (int t = 0; t < TP; t++) {
            uint v = col[t * SW + kx * DW];
            acc[t * TC + g] += ivec4(sdot4(v, w0), sdot4(v, w1), sdot4(v, w2), sdot4(v, w3));
          }
        }
      }
    }
  }
  if (WZP)
    for (int t = 0; t < TP; t++)
      for (int g = 0; g < TC; g++) acc[t * TC + g] -= qp[min(oc0 + g, p.OC4 - 1) * 4 + 3] * sx[t];
#else
  if (CHUNKED)
    for (int g = 0; g < TC; g++)
      for (int t = 0; t < TP; t++) acc[t * TC + g] = tile_bias(oc0, g);
  vec4 zpv = vec4(p.in_zp);
  vec4 facc[TP * TC];
  for (int i = 0; i < TP * TC; i++) facc[i] = vec4(0);
  int steps = 0;
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    bool row_in = iy >= 0 && iy < p.IH;
    int rowbase = (n * p.IH + iy) * p.IW;
    for (int ic4 = 0; ic4 < p.IC4; ic4++) {
      if (CHUNKED && steps + KW > p.KC) {  // move the float partial sums to the int32 accumulators
        for (int i = 0; i < TP * TC; i++) {
          acc[i] += ivec4(facc[i]);
          facc[i] = vec4(0);
        }
        steps = 0;
      }
      steps += KW;
      vec4 col[NCOL];
      for (int j = 0; j < NCOL; j++) {
        int ix = ix0 + j;
        col[j] = (row_in && ix >= 0 && ix < p.IW) ? vec4(word_unpack(in_word(rowbase + ix, ic4))) : zpv;
      }
      for (int kx = 0; kx < KW; kx++) {
        for (int g = 0; g < TC; g++) {
          int wi = wb[g] + ((ky * KW + kx) * p.IC4 + ic4) * 4;
          vec4 w0 = wf[wi], w1 = wf[wi + 1], w2 = wf[wi + 2], w3 = wf[wi + 3];
          for (int t = 0; t < TP; t++) {
            vec4 v = col[t * SW + kx * DW];
            vec4 a = facc[t * TC + g];
            a = fma(vec4(v.x), w0, a);
            a = fma(vec4(v.y), w1, a);
            a = fma(vec4(v.z), w2, a);
            facc[t * TC + g] = fma(vec4(v.w), w3, a);
          }
        }
      }
    }
  }
  for (int g = 0; g < TC; g++)
    for (int t = 0; t < TP; t++)
      acc[t * TC + g] = (CHUNKED ? acc[t * TC + g] : tile_bias(oc0, g)) + ivec4(facc[t * TC + g]);
#endif
  int obase = ((n * p.OH + oy) * p.OW + ox0) * p.OC4;
  // Requantization: each group's constants once for the tile's TP pixels; loops unrolled at any size (quant.glsl).
  [[unroll]] for (int g = 0; g < TC; g++) {
    int oc4 = oc0 + g;
    if (oc4 >= p.OC4) break;
    Rq4 q = rq4_prepare(mult[g], shift[g], SINGLE, SMALL_SHIFTS);
    ivec4 bound = CLIP ? qp[p.OC4 * 4 + oc4] : ivec4(0);  // read here: no register held through the loop
    bvec4 real_lane = lessThan(oc4 * 4 + ivec4(0, 1, 2, 3), ivec4(p.OC));
    [[unroll]] for (int t = 0; t < TP; t++) {
      if (ox0 + t >= p.OW) break;
      ivec4 r = clamp(rq4_apply(acc[t * TC + g], q, SINGLE, SMALL_SHIFTS) + p.out_zp, p.act_min, p.act_max);
      if (CLIP) r = min(r, bound);
      outp[obase + t * p.OC4 + oc4] = word_pack(mix(ivec4(p.out_zp), r, real_lane));
    }
  }
}
