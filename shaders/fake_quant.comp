#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// FAKE_QUANT (Tare's internal fake-quantization op) over NHWC4 storage:
//   y = (clamp(round(x / scale) + zp, qmin, qmax) - zp) * scale
// with x / scale rounded half away from zero as QUANTIZE rounds it (TFLite divides in double: the exact quotient,
// computed here by integer long division) and the product a float32 product, as the CPU reference computes it.
// The fp16 variant reads and writes float16 and computes in float32.  Each invocation handles PER vec4 groups,
// strided by the workgroup width; the grid is flattened over x and y.  Padding lanes are written as 0.
#include "common.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;  // vec4 groups per invocation

#if TARE_FP16
layout(std430, binding = 0) readonly buffer Src { f16vec4 src[]; };
#else
layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };  // raw bits: denormals must not be flushed
#endif
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;  // total: vec4 groups (rows * C4)
  uint scale_bits;   // the scale's float32 bits
  int zp, qmin, qmax;
} p;

// round(x / scale) limited to [-2^24, 2^24] (wider values saturate in the clamp: |qmin|, |qmax| <= 2^24);
// NaN -> -2^24 (the reference sends NaN to qmin).  As QUANTIZE (shaders/quantize.comp): the EXACT quotient
// (q + f) * 2^(e - 24), 0 <= f < 1, rounded half away from zero: with t = 24 - e fraction bits,
// floor(|x / s| + 0.5) = (q + 2^(t-1)) >> t.
int round_div(uint xbits) {
  bool neg = (xbits & 0x80000000u) != 0u;
  uint ex = (xbits >> 23) & 0xffu;
  const int big = 1 << 24;
  if (ex == 0xffu) {
    if ((xbits & 0x7fffffu) != 0u) return -big;
    return neg ? -big : big;
  }
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
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  float scale = uintBitsToFloat(p.scale_bits);
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
#if TARE_FP16
    uvec4 bits = floatBitsToUint(vec4(src[idx]));
#else
    uvec4 bits = src[idx];
#endif
    int g = idx % p.C4;
    precise vec4 y;
    for (int l = 0; l < 4; l++) {
      int q = clamp(round_div(bits[l]) + p.zp, p.qmin, p.qmax);
      precise float v = float(q - p.zp) * scale;
      y[l] = g * 4 + l < p.C ? v : 0.0;
    }
    dst[idx] = SVEC4(y);
  }
}
