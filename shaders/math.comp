#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Element-wise math over NHWC4 storage (src/ops/op_math.cpp): ABS, NEG, SQUARE, SQRT, RSQRT, EXP, LOG, TANH, ELU,
// RELU_N1_TO_1, as TFLite's float kernels.  The transcendental ones run in fp32 (fp16 exp overflows past 11);
// padding lanes are masked to 0 (RSQRT, EXP, LOG are not 0 at 0).  PER vec4 groups per invocation.
#include "common.glsl"

layout(constant_id = 0) const uint FUNC = 0;  // MathFunc (op_math.cpp)
layout(constant_id = 1) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int total; int C; int C4; } p;  // total: vec4 groups

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    AVEC4 x = AVEC4(src[idx]);
    vec4 f = vec4(x);
    AVEC4 y;
    if (FUNC == 0u) {
      y = abs(x);
    } else if (FUNC == 1u) {
      y = -x;
    } else if (FUNC == 2u) {
      y = AVEC4(f * f);  // fp32 product: fp16 squares overflow past 256
    } else if (FUNC == 3u) {
      y = AVEC4(sqrt(f));
    } else if (FUNC == 4u) {
      y = AVEC4(vec4(1.0) / sqrt(f));
    } else if (FUNC == 5u) {
      y = AVEC4(exp(f));
    } else if (FUNC == 6u) {
      y = AVEC4(log(f));
    } else if (FUNC == 7u) {
      // tanh(x) = 1 - 2 / (exp(2x) + 1): exact at the ends, where GLSL's tanh may give NaN (inf / inf).
      y = AVEC4(vec4(1.0) - vec4(2.0) / (exp(2.0 * f) + vec4(1.0)));
    } else if (FUNC == 8u) {
      y = AVEC4(mix(f, exp(f) - vec4(1.0), lessThan(f, vec4(0))));
    } else {
      y = clamp(x, AVEC4(-1), AVEC4(1));
    }
    dst[idx] = SVEC4(mask_pad(y, idx % p.C4, p.C));
  }
}
