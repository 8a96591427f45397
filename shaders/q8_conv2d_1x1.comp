#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// TARE_VARIANT_INT8_STORAGE TARE_VARIANT_DOT
// 8-bit CONV_2D with a 1x1 filter, stride 1, no padding: a GEMM over the flattened pixels (see q8_conv2d.cpp for
// the folded zero-point arithmetic).  One invocation: TP pixels times TC groups of 4 output channels
// (gl_WorkGroupID.y: weight and table loads are workgroup-uniform).
// TARE_DOT: weight word w[(oc4*IC4 + ic4)*4 + l] = input lanes ic4*4..+3 of output channel oc4*4+l; products by sdot4.
// Otherwise the weights are floats, converted on the host (q8conv::float_weights): vec4 wf[(oc4*IC4 + ic4)*4 + j] =
// w - w_zp of output channels oc4*4..+3 for input lane j, so the weight zero point needs no term of its own and the
// loop is the fp32 kernel's (conv2d_1x1.comp) but for the input bytes.  The products are accumulated in float, which
// is exact while the sums stay within 2^24: the host bounds the products and passes the number of input groups KC a
// float accumulator takes exactly; CHUNKED (more groups than that) moves the float sums to int32 every KC groups.
// Without it no int32 accumulator is live in the loop (register pressure decides the speed on lavapipe).
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const int TP = 8;
layout(constant_id = 1) const int TC = 4;
layout(constant_id = 2) const bool WZP = false;      // TARE_DOT: weights have a zero point: subtract w_zp * sum(x)
layout(constant_id = 3) const int RQ = 0;            // requantization mode: RQ_* in quant.glsl
layout(constant_id = 4) const bool CHUNKED = false;  // float path: IC4 > KC
layout(constant_id = 5) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the table, qp[OC4 * 4 + oc4]

layout(std430, binding = 0) readonly buffer In { uint inp[]; };
#if TARE_DOT
layout(std430, binding = 1) readonly buffer W { uint w[]; };
#else
layout(std430, binding = 1) readonly buffer W { vec4 wf[]; };
#endif
layout(std430, binding = 2) readonly buffer QP { ivec4 qp[]; };
layout(std430, binding = 3) writeonly buffer Out { uint outp[]; };
layout(push_constant) uniform P { int M, IC4, OC4, OC, in_zp, out_zp, act_min, act_max, KC; } p;
const bool SINGLE = RQ_IS_SINGLE(RQ), SMALL_SHIFTS = RQ_IS_SMALL_SHIFTS(RQ);

// Bias of output channel group g of the tile (groups past the end compute a duplicate that is never stored).
ivec4 tile_bias(int oc0, int g) { return qp[min(oc0 + g, p.OC4 - 1) * 4]; }

void main() {
  int m0 = (int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x)) * TP;
  int oc0 = int(gl_WorkGroupID.y) * TC;
  // The tile's multipliers and shifts, read before any divergent branch (the cold-start JIT: see RQ_* in quant.glsl).
  ivec4 mult[TC], shift[TC];
  for (int g = 0; g < TC; g++) {
    int oc4 = min(oc0 + g, p.OC4 - 1);
    mult[g] = qp[oc4 * 4 + 1];
    shift[g] = qp[oc4 * 4 + 2];
  }
  if (m0 >= p.M) return;
  ivec4 acc[TP * TC];
  int wb[TC];
  for (int g = 0; g < TC; g++) wb[g] = min(oc0 + g, p.OC4 - 1) * p.IC4 * 4;
  int ib[TP];
  for (int t = 0; t < TP; t++) ib[t] = min(m0 + t, p.M - 1) * p.IC4;
  int sx[TP];
  for (int t = 0; t < TP; t++) sx[t] = 0;
#if TARE_DOT
  for (int g = 0; g < TC; g++)
    for (int t = 0; t < TP; t++) acc[t * TC + g] = tile_bias(oc0, g);
  for (int ic4 = 0; ic4 < p.IC4; ic4++) {
    uint xv[TP];
    for (int t = 0; t < TP; t++) xv[t] = inp[ib[t] + ic4];
    if (WZP)
      for (int t = 0; t < TP; t++) sx[t] += sdot4(xv[t], 0x01010101u);
    for (int g = 0; g < TC; g++) {
      int wi = wb[g] + ic4 * 4;
      uint w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
      for (int t = 0; t < TP; t++)
        acc[t * TC + g] += ivec4(sdot4(xv[t], w0), sdot4(xv[t], w1), sdot4(xv[t], w2), sdot4(xv[t], w3));
    }
  }
#else
  if (CHUNKED)
    for (int g = 0; g < TC; g++)
      for (int t = 0; t < TP; t++) acc[t * TC + g] = tile_bias(oc0, g);
  vec4 facc[TP * TC];
  for (int k0 = 0; k0 < p.IC4; k0 += p.KC) {
    int k1 = CHUNKED ? min(k0 + p.KC, p.IC4) : p.IC4;
    for (int i = 0; i < TP * TC; i++) facc[i] = vec4(0);
    for (int ic4 = k0; ic4 < k1; ic4++) {
      vec4 xv[TP];
      for (int t = 0; t < TP; t++) xv[t] = vec4(word_unpack(inp[ib[t] + ic4]));
      for (int g = 0; g < TC; g++) {
        int wi = wb[g] + ic4 * 4;
        vec4 w0 = wf[wi], w1 = wf[wi + 1], w2 = wf[wi + 2], w3 = wf[wi + 3];
        for (int t = 0; t < TP; t++) {
          vec4 a = facc[t * TC + g];
          a = fma(vec4(xv[t].x), w0, a);
          a = fma(vec4(xv[t].y), w1, a);
          a = fma(vec4(xv[t].z), w2, a);
          facc[t * TC + g] = fma(vec4(xv[t].w), w3, a);
        }
      }
    }
    if (!CHUNKED) break;
    for (int i = 0; i < TP * TC; i++) acc[i] += ivec4(facc[i]);
  }
  if (!CHUNKED)
    for (int g = 0; g < TC; g++)
      for (int t = 0; t < TP; t++) acc[t * TC + g] = tile_bias(oc0, g) + ivec4(facc[t * TC + g]);
#endif
  // Requantization: each group's constants once for the tile's TP pixels; loops unrolled at any size (quant.glsl).
  [[unroll]] for (int g = 0; g < TC; g++) {
    int oc4 = oc0 + g;
    if (oc4 >= p.OC4) break;
    Rq4 q = rq4_prepare(mult[g], shift[g], SINGLE, SMALL_SHIFTS);
    ivec4 bound = CLIP ? qp[p.OC4 * 4 + oc4] : ivec4(0);  // read here: no register held through the loop
    bvec4 real_lane = lessThan(oc4 * 4 + ivec4(0, 1, 2, 3), ivec4(p.OC));
    [[unroll]] for (int t = 0; t < TP; t++) {
      if (m0 + t >= p.M) break;
      ivec4 a = acc[t * TC + g];
      if (WZP) a -= qp[oc4 * 4 + 3] * sx[t];
      ivec4 r = clamp(rq4_apply(a, q, SINGLE, SMALL_SHIFTS) + p.out_zp, p.act_min, p.act_max);
      if (CLIP) r = min(r, bound);
      outp[(m0 + t) * p.OC4 + oc4] = word_pack(mix(ivec4(p.out_zp), r, real_lane));
    }
  }
}
