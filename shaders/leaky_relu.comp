#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// LEAKY_RELU over NHWC4 storage: y = x > 0 ? x : alpha * x (TFLite's reference; alpha may be > 1 or < 0).
// Padding lanes stay 0.  Each invocation handles PER vec4 groups; the grid is flattened over x and y.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int total; float alpha; } p;  // total: vec4 groups

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    AVEC4 x = AVEC4(src[idx]);
    dst[idx] = SVEC4(mix(x * AFLOAT(p.alpha), x, greaterThan(x, AVEC4(0))));
  }
}
