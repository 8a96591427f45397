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
      int q = clamp(round_div_exact(bits[l], p.scale_bits) + p.zp, p.qmin, p.qmax);
      precise float v = float(q - p.zp) * scale;
      y[l] = g * 4 + l < p.C ? v : 0.0;
    }
    dst[idx] = SVEC4(y);
  }
}
