#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Element-wise activations over NHWC4 storage: LOGISTIC, RELU, RELU6, HARD_SWISH.  Each invocation handles PER
// vec4 groups, strided by the workgroup width (coalesced); the grid is flattened over x and y.
#include "common.glsl"

layout(constant_id = 0) const uint FUNC = 0;  // 0 logistic, 1 relu, 2 relu6, 3 hard_swish
layout(constant_id = 1) const uint PER = 4;   // vec4 groups per invocation

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int total; int C; int C4; } p;  // total: vec4 groups (rows * C4)

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    AVEC4 x = AVEC4(src[idx]);
    AVEC4 y;
    if (FUNC == 0u) {
      // Computed in fp32 (exp overflows fp16 early); padding lanes would become 0.5: masked.
      vec4 e = vec4(1.0) / (vec4(1.0) + exp(-vec4(x)));
      y = mask_pad(AVEC4(e), idx % p.C4, p.C);
    } else if (FUNC == 1u) {
      y = max(x, AVEC4(0));
    } else if (FUNC == 2u) {
      y = clamp(x, AVEC4(0), AVEC4(6));
    } else {
      y = x * clamp(x + AVEC4(3), AVEC4(0), AVEC4(6)) * AFLOAT(1.0 / 6.0);
    }
    dst[idx] = SVEC4(y);
  }
}
