#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// QUANTIZE int8 / uint8 -> int8 / uint8 (TFLite's Requantize): zo + MultiplyByQuantizedMultiplier(q - zi, m, s),
// clamped to the output type.  PER words per invocation; padding lanes get the output zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int total, C, C4, zi, zo, m, s; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  bool masked = (p.C & 3) != 0;  // the channel group (a division) is needed for padding lanes only
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 v = clamp(mbqm4(word_unpack(src[idx]) - p.zi, ivec4(p.m), ivec4(p.s)) + p.zo, -128, 127);
    if (masked) v = q8_mask(v, idx % p.C4, p.C, p.zo);
    dst[idx] = word_pack(v);
  }
}
