#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit RESHAPE / SQUEEZE that change the channel count: repack through the dense flat index (the values are copied
// as they are, as TFLite does).  One output word per loop step, PER words per invocation; padding lanes get the
// device zero point.
#include "common.glsl"
#include "quant.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int total; int in_c, in_c4, out_c, out_c4, zo; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int row = idx / p.out_c4;
    int c = (idx - row * p.out_c4) * 4;
    int n = min(4, p.out_c - c);
    int e = row * p.out_c + c;
    int ir = e / p.in_c;
    int ic = e - ir * p.in_c;
    ivec4 v = ivec4(p.zo);
    for (int j = 0; j < 4; j++) {
      if (j < n) {
        v[j] = word_unpack(src[ir * p.in_c4 + (ic >> 2)])[ic & 3];
        ic++;
        if (ic == p.in_c) {
          ic = 0;
          ir++;
        }
      }
    }
    dst[idx] = word_pack(v);
  }
}
