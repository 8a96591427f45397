#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit LOG_SOFTMAX over the channel axis, as TFLite's builtin kernel (optimized_ops::LogSoftmax, int8 and uint8):
// a float table T[255 - d] = expf(-in_scale * d) (built on the host), per row sum = sum of T[255 + q - max] in
// channel order (float32), L = log(sum); with u = q + 128 (the device's 8-bit values as uint8),
// out = rint(ratio * u - (in_scale * u_max + L) / out_scale) + 127 (the device zero point), clamped.  Every float
// operation is IEEE float32 as TFLite's; the logarithm, which GLSL does not round correctly, is evaluated in
// float-float and rounded once (log_exact).  One invocation per row.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
// [0, 256): the exp table; then quant::LogTable: inv_c[64], log_c_hi[64], log_c_lo[64].
layout(std430, binding = 2) readonly buffer Table { float table[]; };
layout(push_constant) uniform P {
  int rows, C, C4;
  float in_scale, out_scale, ratio;  // ratio = in_scale / out_scale (float, as TFLite)
} p;

// a + b = s + e exactly.
void two_sum(float a, float b, out float s, out float e) {
  precise float ss = a + b;
  precise float bb = ss - a;
  precise float ee = (a - (ss - bb)) + (b - bb);
  s = ss;
  e = ee;
}

// log(x) for a normal x >= 1, correctly rounded but for values within about 2^-40 of a rounding midpoint:
// x = m 2^k, m in [1, 2) reduced by the host's c_i (m * inv_c = 1 + t exactly as two floats), then
// k ln2 + log(c_i) + log1p(t) summed in float-float.
float log_exact(float x) {
  if (x == 1.0) return 0.0;
  uint bits = floatBitsToUint(x);
  int k = int(bits >> 23) - 127;
  int i = int((bits >> 17) & 63u);
  float m = uintBitsToFloat((bits & 0x7fffffu) | 0x3f800000u);
  float inv_c = table[256 + i];
  precise float p_hi = m * inv_c;
  precise float p_lo = fma(m, inv_c, -p_hi);  // exact product residual
  precise float t_hi = p_hi - 1.0;            // exact (Sterbenz)
  precise float t_lo = p_lo;
  precise float sq_hi = t_hi * t_hi;
  precise float sq_lo = fma(t_hi, t_hi, -sq_hi) + 2.0 * t_hi * t_lo;
  precise float poly3 = t_hi * sq_hi * (1.0 / 3.0 - t_hi * (0.25 - t_hi * 0.2));
  const float LN2_HI = 0.693145751953125;     // 0x3f317200: k * LN2_HI exact
  const float LN2_LO = 1.428606765330187e-06;
  precise float hi = float(k) * LN2_HI;
  precise float lo = float(k) * LN2_LO;
  float s;
  float e;
  two_sum(hi, table[320 + i], s, e);
  hi = s;
  lo = lo + e + table[384 + i];
  two_sum(hi, t_hi, s, e);
  hi = s;
  lo = lo + e + t_lo;
  two_sum(hi, -0.5 * sq_hi, s, e);
  hi = s;
  lo = lo + e - 0.5 * sq_lo + poly3;
  precise float r = hi + lo;
  return r;
}

void main() {
  int row = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (row >= p.rows) return;
  int base = row * p.C4;
  int mx = -128;
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    for (int l = 0; l < 4; l++)
      if (g * 4 + l < p.C) mx = max(mx, v[l]);
  }
  precise float sum = 0.0;
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    for (int l = 0; l < 4; l++)
      if (g * 4 + l < p.C) sum = sum + table[255 + v[l] - mx];
  }
  float log_sum = log_exact(sum);
  precise float precomputed = (p.in_scale * float(mx + 128) + log_sum) / p.out_scale;  // 1/16: exact
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    ivec4 r = ivec4(127);  // padding lanes: the zero point
    for (int l = 0; l < 4; l++) {
      if (g * 4 + l >= p.C) continue;
      precise float log_prob = p.ratio * float(v[l] + 128) - precomputed;
      r[l] = clamp(int(roundEven(log_prob)) + 127, -128, 127);
    }
    dst[base + g] = word_pack(r);
  }
}
