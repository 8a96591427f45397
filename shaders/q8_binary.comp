#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit binary family (TFLite's integer kernels) with numpy broadcasting over the [N,H,W,C] view.  Operand read
// modes as binary.comp: 0 same layout as the output, 1 same channels with broadcast rows, 2 one channel broadcast
// over C.
//  ADD / SUB: each input (q - z) << 20 is rescaled to twice the larger input scale (SRDHM + rounding shift; SUB's
//       second multiplier is negative), the sum is rescaled to the output (same), + output zero point, clamped to
//       the fused activation's range.
//  MUL: (qa - za) * (qb - zb) * M (MultiplyByQuantizedMultiplier) + output zero point, clamped.
//  MAXIMUM / MINIMUM: the larger / smaller value (inputs and output share their quantization).
//  SQUARED_DIFFERENCE: as SUB with a left shift of 7, the difference squared, then rescaled to the output.
//  DIV: TFLite's uint8 fixed-point quotient (fixed_point.glsl div_quotient: sign to the numerator, the numerator
//       normalised by its sign bits times the divisor's reciprocal, one rounding division), + output zero point,
//       clamped to the fused activation's range; mo / so the multiplier sa / (sb * so).  The reciprocal of each of
//       the 256 divisor bytes comes from the host's table (binding 3; other ops bind b there, unread).
//  PRELU (b is alpha): (qa - za) * M1 where qa - za >= 0, else (qa - za) * (qb - zb) * M2 (MultiplyByQuantized-
//       Multiplier; M1 = ma/sa, M2 = mo/so), + output zero point, clamped to the type's range (prelu.h).
// Each invocation handles PER output words, strided by the workgroup width.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"
#include "fixed_point.glsl"

layout(constant_id = 0) const uint OP = 0;  // BinaryOp (src/ops/op_common.h)
layout(constant_id = 1) const uint MODE_A = 0;
layout(constant_id = 2) const uint MODE_B = 0;
layout(constant_id = 3) const uint PER = 4;

layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) writeonly buffer Dst { uint dst[]; };
layout(std430, binding = 3) readonly buffer Recip { ivec4 recip[]; };  // DIV: per device byte of b + 128
layout(push_constant) uniform P {
  int total;            // output words
  int C, C4, W, H;      // output
  int an, ah, aw, ac4;  // operand a: row strides per output n, h, w (0: broadcast); its words per row
  int bn, bh, bw, bc4;
  int za, zb, zo;       // device zero points
  int lo, hi;           // clamp range (device values)
  int ma, sa, mb, sb;   // ADD / SUB / SQUARED_DIFFERENCE: input multipliers and shifts
  int mo, so;           // output multiplier and shift (MUL: the multiplier)
} p;

ivec4 load(uint mode, int idx, int row, int g, int sn, int sh, int sw, int c4, bool is_a) {
  if (mode == 0u) return word_unpack(is_a ? a[idx] : b[idx]);
  int w = row % p.W;
  int t = row / p.W;
  int h = t % p.H;
  int n = t / p.H;
  int r = n * sn + h * sh + w * sw;
  if (mode == 1u) return word_unpack(is_a ? a[r * c4 + g] : b[r * c4 + g]);
  return ivec4(word_unpack(is_a ? a[r * c4] : b[r * c4]).x);
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  // The channel group is needed for broadcasting and for the padding lanes only (a division per word otherwise).
  bool masked = (p.C & 3) != 0;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int row = 0, g = 0;
    if (MODE_A != 0u || MODE_B != 0u || masked) {
      row = idx / p.C4;
      g = idx - row * p.C4;
    }
    ivec4 x = load(MODE_A, idx, row, g, p.an, p.ah, p.aw, p.ac4, true) - p.za;
    ivec4 y = load(MODE_B, idx, row, g, p.bn, p.bh, p.bw, p.bc4, false) - p.zb;
    ivec4 v;
    if (OP == 0u || OP == 2u) {
      // |x|, |y| <= 255: the inputs' rescale needs no 64-bit product; |ra + rb| < 2^29.
      ivec4 ra = rdbpot4(srdhm_shl20_4(x, p.ma), -p.sa);
      ivec4 rb = rdbpot4(srdhm_shl20_4(y, p.mb), -p.sb);
      v = rdbpot4(srdhm4(ra + rb, ivec4(p.mo)), -p.so);
    } else if (OP == 1u) {
      v = mbqm4(x * y, ivec4(p.mo), ivec4(p.so));
    } else if (OP == 3u) {
      v = max(x, y);
    } else if (OP == 4u) {
      v = min(x, y);
    } else if (OP == 5u) {
      ivec4 ra = rdbpot4(srdhm4(x << 7, ivec4(p.ma)), -p.sa);
      ivec4 rb = rdbpot4(srdhm4(y << 7, ivec4(p.mb)), -p.sb);
      v = rdbpot4(srdhm4((ra - rb) * (ra - rb), ivec4(p.mo)), -p.so);
    } else if (OP == 7u) {  // one requantization per lane, its operands picked by the sign
      bvec4 pos = greaterThanEqual(x, ivec4(0));
      v = mbqm4(mix(x * y, x, pos), mix(ivec4(p.mo), ivec4(p.ma), pos), mix(ivec4(p.so), ivec4(p.sa), pos));
    } else {
      for (int l = 0; l < 4; l++) v[l] = div_quotient(x[l], recip[y[l] + p.zb + 128].xyz, p.mo, p.so);
    }
    v = clamp(v + p.zo, ivec4(p.lo), ivec4(p.hi));
    if (masked) v = q8_mask(v, g, p.C, p.zo);
    dst[idx] = word_pack(v);
  }
}
