#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// FAKE_QUANT (Tare's internal fake-quantization op) over NHWC4 storage:
//   y = (clamp(round(x / scale) + zp, qmin, qmax) - zp) * scale
// with x / scale rounded half away from zero as QUANTIZE rounds it (TFLite divides in double: the exact quotient)
// and the product a float32 product, as the CPU reference computes it.  q never decreases as x grows, so the host
// tabulates, per level q of the range, the smallest float (as an order key, src/ops/fake_quant_keys.h) that
// reaches it: a float32 estimate of q is corrected to the exact level by integer compares with the table (usually
// none or one step).  Ranges too wide for a table (TABLE = 0) divide exactly by integer long division instead.
// The fp16 variant reads and writes float16 and computes in float32.  Each invocation handles PER vec4 groups,
// strided by the workgroup width; the grid is flattened over x and y.  Padding lanes are written as 0.
#include "common.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;  // vec4 groups per invocation
layout(constant_id = 1) const bool TABLE = true;

#if TARE_FP16
layout(std430, binding = 0) readonly buffer Src { f16vec4 src[]; };
#else
layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };  // raw bits: denormals must not be flushed
#endif
layout(std430, binding = 1) readonly buffer Keys { int first_key[]; };  // [q - qmin]: smallest key with level >= q
layout(std430, binding = 2) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;  // total: vec4 groups (rows * C4)
  uint scale_bits;   // the scale's float32 bits
  int zp, qmin, qmax;
} p;

// clamp(round(x / scale) + zp, qmin, qmax) of float32 bits.
int level(uint bits, float inv_scale) {
  if (!TABLE) return clamp(round_div_exact(bits, p.scale_bits) + p.zp, p.qmin, p.qmax);
  int b = int(bits);
  bool nan = (b & 0x7fffffff) > 0x7f800000;
  int key = nan ? int(0x80000000) : b < 0 ? b ^ 0x7fffffff : b;  // NaN below every key: qmin, as QUANTIZE
  float e = clamp(uintBitsToFloat(bits) * inv_scale + float(p.zp), float(p.qmin), float(p.qmax));
  int q = nan ? p.qmin : int(floor(e + 0.5));
  while (q > p.qmin && key < first_key[q - p.qmin]) q--;
  while (q < p.qmax && key >= first_key[q + 1 - p.qmin]) q++;
  return q;
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  float scale = uintBitsToFloat(p.scale_bits);
  float inv_scale = 1.0 / scale;
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
      precise float v = float(level(bits[l], inv_scale) - p.zp) * scale;
      y[l] = g * 4 + l < p.C ? v : 0.0;
    }
    dst[idx] = SVEC4(y);
  }
}
