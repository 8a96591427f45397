#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// QUANTIZE float -> int8 / uint8, TFLite's AffineQuantize as the integer reference computes it:
// clamp(round(x / scale) + zero_point) with round() half away from zero of the exact quotient (TFLite divides in
// double; the GPU needs no fp64: an integer long division gives enough bits).  The output is written as packed words (the same bytes as
// the 8-bit storage layout).  One output word per invocation; padding lanes get the output's zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

#if TARE_FP16
layout(std430, binding = 0) readonly buffer Src { f16vec4 src[]; };
#else
layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };
#endif
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;
  uint scale_bits;      // the output scale's float32 bits
  int zo_raw, flip;     // the output's own zero point; 128 for uint8 (device value = value - 128)
} p;

// round(x / scale) limited to [-2^24, 2^24] (wider values saturate after the clamp anyway); NaN -> -2^24.
int quantize_value(uint xbits) {
  bool neg = (xbits & 0x80000000u) != 0u;
  uint ex = (xbits >> 23) & 0xffu;
  const int big = 1 << 24;
  if (ex == 0xffu) {
    if ((xbits & 0x7fffffu) != 0u) return -big;  // NaN: INT_MIN in the reference
    return neg ? -big : big;
  }
  // TFLite divides in double and rounds half away from zero: round the EXACT quotient.  With the exact quotient
  // (q + f) * 2^(e - 24), 0 <= f < 1, and t = 24 - e fraction bits, floor(|x/s| + 0.5) = (q + 2^(t-1)) >> t
  // (adding f < 1 to the integer numerator cannot reach the next multiple of 2^t).
  uint q;
  int e;
  fdiv_truncated(xbits, p.scale_bits, q, e);
  int t = 24 - e;
  int r;
  if (q == 0u || t > 25) {
    r = 0;  // |x / scale| < 0.5
  } else if (t <= 0) {
    r = big;
  } else {
    r = int((q + (1u << uint(t - 1))) >> uint(t));
  }
  return neg ? -r : r;
}

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
#if TARE_FP16
  uvec4 bits = floatBitsToUint(vec4(src[idx]));
#else
  uvec4 bits = src[idx];
#endif
  ivec4 v;
  for (int l = 0; l < 4; l++) v[l] = clamp(quantize_value(bits[l]) + p.zo_raw, -128 + p.flip, 127 + p.flip) - p.flip;
  dst[idx] = word_pack(q8_mask(v, g, p.C, p.zo_raw - p.flip));
}
