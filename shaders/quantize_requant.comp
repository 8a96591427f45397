#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// QUANTIZE int8 / uint8 -> int8 / uint8 (TFLite's Requantize): zo + MultiplyByQuantizedMultiplier(q - zi, m, s),
// clamped to the output type.  PER words per invocation; padding lanes get the output zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { Q8T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { Q8T dst[]; };
layout(push_constant) uniform P { int total, C, C4, zi, zo, m, s; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int g = idx % p.C4;
    ivec4 x = q8_unpack(src[idx]) - p.zi;
    ivec4 v;
    for (int l = 0; l < 4; l++) v[l] = clamp(mbqm(x[l], p.m, p.s) + p.zo, -128, 127);
    dst[idx] = q8_pack(q8_mask(v, g, p.C, p.zo));
  }
}
