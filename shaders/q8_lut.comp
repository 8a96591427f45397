#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit element-wise op as a 256-entry table indexed by the device value (src/ops/op_math.cpp builds it on the
// host from the integer reference, i.e. TFLite's own table or per-value arithmetic).  Padding lanes get the output
// zero point.  PER words per invocation.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Table { uint table[]; };  // 256 int8 entries, 4 per word
layout(push_constant) uniform P { int total, C, C4, zo; } p;        // zo: device output zero point

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  bool masked = (p.C & 3) != 0;  // the channel group (a division) is needed for padding lanes only
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 x = word_unpack(src[idx]);
    ivec4 v;
    for (int l = 0; l < 4; l++) {
      uint k = uint(x[l]) & 0xffu;
      v[l] = bitfieldExtract(int(table[k >> 2]), int(8u * (k & 3u)), 8);
    }
    if (masked) v = q8_mask(v, idx % p.C4, p.C, p.zo);
    dst[idx] = word_pack(v);
  }
}
