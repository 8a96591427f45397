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

layout(std430, binding = 0) readonly buffer Src { Q8T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { Q8T dst[]; };
layout(push_constant) uniform P {
  int total, C, C4;
  int zi, zo;                 // device zero points
  int m_identity, s_identity;
  int m_alpha, s_alpha;
} p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 x = q8_unpack(src[idx]);
    ivec4 v;
    for (int l = 0; l < 4; l++) {
      int d = x[l] - p.zi;
      int r = d >= 0 ? mbqm(d, p.m_identity, p.s_identity) : mbqm(d, p.m_alpha, p.s_alpha);
      v[l] = clamp(p.zo + r, -128, 127);
    }
    dst[idx] = q8_pack(q8_mask(v, idx % p.C4, p.C, p.zo));
  }
}
