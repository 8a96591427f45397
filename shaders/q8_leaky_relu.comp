#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit LEAKY_RELU as TFLite's QuantizeLeakyRelu: v = q - zi; zo + MultiplyByQuantizedMultiplier(v, identity) for
// v >= 0, zo + MultiplyByQuantizedMultiplier(v, alpha) below, clamped.  Device values (uint8 shifted to int8: the
// differences and the clamp range are the same).  Padding lanes get the output zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;
  int zi, zo;                 // device zero points
  int m_identity, s_identity;
  int m_alpha, s_alpha;
} p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  bool masked = (p.C & 3) != 0;  // the channel group (a division) is needed for padding lanes only
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 d = word_unpack(src[idx]) - p.zi;
    bvec4 pos = greaterThanEqual(d, ivec4(0));
    ivec4 r = mbqm4(d, mix(ivec4(p.m_alpha), ivec4(p.m_identity), pos), mix(ivec4(p.s_alpha), ivec4(p.s_identity), pos));
    ivec4 v = clamp(p.zo + r, -128, 127);
    if (masked) v = q8_mask(v, idx % p.C4, p.C, p.zo);
    dst[idx] = word_pack(v);
  }
}
