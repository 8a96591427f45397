#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// RESHAPE / SQUEEZE that change the channel count: repack.  Each output element (row, c) has the dense flat index
// row * out_c + c; it reads the input element with the same flat index from the input's NHWC4 layout.  One vec4
// group of the output per loop step, PER groups per invocation; padding lanes written as 0.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int total; int in_c, in_c4, out_c, out_c4; } p;

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
    SVEC4 v = SVEC4(0);
    for (int j = 0; j < 4; j++) {
      if (j < n) {
        v[j] = src[ir * p.in_c4 + (ic >> 2)][ic & 3];
        ic++;
        if (ic == p.in_c) {
          ic = 0;
          ir++;
        }
      }
    }
    dst[idx] = v;
  }
}
