#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit DEPTHWISE_CONV_2D on NHWC4 8-bit tensors: acc = bias + sum (x - x_zp) * (w - w_zp), requantized with
// TFLite's double-rounding MultiplyByQuantizedMultiplier (per channel, 4 lanes at once; RQ: RQ_DOUBLE or its
// small-shift form RQ_DOUBLE_SMALL_SHIFTS, see quant.glsl), clamped to the fused activation range.  One invocation:
// TP consecutive output x positions of one channel group (gl_WorkGroupID.y: uniform weight loads); each window
// row's NCOL input columns are loaded once and reused.
// Tensors are read and written as packed words on both storage paths (llvmpipe loads an i8vec4 lane by lane).
// The weights are floats converted on the host (q8_depthwise_conv2d.cpp): vec4 wf[(ky*KW + kx)*OC4 + oc4] = w - w_zp
// of output channels oc4*4..+3 (0 in padding lanes), so the loop is the fp32 kernel's but for the input bytes.
// The products are accumulated in float, exactly: |x - x_zp| <= 255 and |w - w_zp| <= 255, so each product is below
// 2^16 and up to 256 taps sum below 2^24; larger windows move the float sums to int32 after every window row
// (ROWFLUSH; the host requires KW <= 256).
// Table qp: per group, ivec4 bias, multiplier, shift, weight zero point (unused here).  Depth multiplier MULT:
// output channel oc reads input channel oc/MULT.
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int MULT = 1;
layout(constant_id = 7) const int TP = 4;
layout(constant_id = 8) const int RQ = 0;  // requantization mode: RQ_DOUBLE or RQ_DOUBLE_SMALL_SHIFTS
layout(constant_id = 9) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the table, qp[OC4 * 4 + oc4]
const bool SMALL_SHIFTS = RQ_IS_SMALL_SHIFTS(RQ);
const int NCOL = (TP - 1) * SW + (KW - 1) * DW + 1;
const bool ROWFLUSH = KH * KW > 256;

layout(std430, binding = 0) readonly buffer In { uint inp[]; };
layout(std430, binding = 1) readonly buffer W { vec4 wf[]; };
layout(std430, binding = 2) readonly buffer QP { ivec4 qp[]; };
layout(std430, binding = 3) writeonly buffer Out { uint outp[]; };
layout(push_constant) uniform P {
  int N, IH, IW, IC4, OH, OW, OC4, pad_t, pad_l, OC, XT, in_zp, out_zp, act_min, act_max;
} p;

vec4 load_in(int pix, int oc4) {
  if (MULT == 1) return vec4(word_unpack(inp[pix * p.IC4 + oc4]));
  vec4 r;
  for (int l = 0; l < 4; l++) {
    int ic = min(oc4 * 4 + l, p.OC - 1) / MULT;
    r[l] = float(word_lane(inp[pix * p.IC4 + (ic >> 2)], ic & 3));
  }
  return r;
}

void main() {
  int tile = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int oc4 = int(gl_WorkGroupID.y);
  if (tile >= p.N * p.OH * p.XT) return;
  int nz = tile / p.XT;
  int ox0 = (tile - nz * p.XT) * TP;
  int n = nz / p.OH;
  int oy = nz - n * p.OH;
  ivec4 acc[TP];
  vec4 facc[TP];
  ivec4 b = qp[oc4 * 4];
  for (int t = 0; t < TP; t++) {
    acc[t] = b;
    facc[t] = vec4(0);
  }
  float xzp = float(p.in_zp);
  int ix0 = ox0 * SW - p.pad_l;
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - p.pad_t + ky * DH;
    if (iy < 0 || iy >= p.IH) continue;
    int rowbase = (n * p.IH + iy) * p.IW;
    vec4 col[NCOL];
    for (int j = 0; j < NCOL; j++) {
      int ix = ix0 + j;
      col[j] = (ix >= 0 && ix < p.IW) ? load_in(rowbase + ix, oc4) - xzp : vec4(0);
    }
    for (int kx = 0; kx < KW; kx++) {
      vec4 wv = wf[(ky * KW + kx) * p.OC4 + oc4];
      for (int t = 0; t < TP; t++) facc[t] = fma(col[t * SW + kx * DW], wv, facc[t]);
    }
    if (ROWFLUSH)
      for (int t = 0; t < TP; t++) {
        acc[t] += ivec4(facc[t]);
        facc[t] = vec4(0);
      }
  }
  Rq4 q = rq4_prepare(qp[oc4 * 4 + 1], qp[oc4 * 4 + 2], false, SMALL_SHIFTS);
  ivec4 bound = CLIP ? qp[p.OC4 * 4 + oc4] : ivec4(0);
  bvec4 real_lane = lessThan(oc4 * 4 + ivec4(0, 1, 2, 3), ivec4(p.OC));
  int obase = ((n * p.OH + oy) * p.OW + ox0) * p.OC4 + oc4;
  [[unroll]] for (int t = 0; t < TP; t++) {
    if (ox0 + t >= p.OW) break;
    ivec4 r = clamp(rq4_apply(acc[t] + ivec4(facc[t]), q, false, SMALL_SHIFTS) + p.out_zp, p.act_min, p.act_max);
    if (CLIP) r = min(r, bound);
    outp[obase + t * p.OC4] = word_pack(mix(ivec4(p.out_zp), r, real_lane));
  }
}
