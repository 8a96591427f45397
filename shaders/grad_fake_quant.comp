#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of FAKE_QUANT (training, float32): the straight-through estimator.  dx += dy where
// qmin <= round(x / scale) + zp <= qmax, with x / scale rounded as the forward rounds it; 0 outside the clamp range
// and for NaN.  That range is an interval of x: the host finds its ends as float order keys
// (src/ops/fake_quant_keys.h), so the test is two integer compares (NaNs' keys lie beyond +-inf's, outside it).
// Each invocation handles PER vec4 groups.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;
// A fused activation (fake_quant.comp): the range test applies to the clamped x, and x must also lie strictly inside
// (act_lo, act_hi), the activation's own rule; NaN never passes.
layout(constant_id = 1) const bool ACT = false;
// ACCUM: dx += the masked dy; false: dx = it (this kernel is dx's first writer, BuildContext::claim_grad_store).
layout(constant_id = 2) const bool ACCUM = true;

layout(std430, binding = 0) readonly buffer X { ivec4 x[]; };  // forward input, raw bits
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int total, key_lo, key_hi, act_lo, act_hi; } p;  // key_lo <= key < key_hi

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 bits = x[idx];
    ivec4 key = mix(bits, bits ^ 0x7fffffff, lessThan(bits, ivec4(0)));  // order keys (fake_quant_keys.h)
    ivec4 y = key;
    uvec4 inside = uvec4(1);
    if (ACT) {
      bvec4 nan = greaterThan(bits & 0x7fffffff, ivec4(0x7f800000));
      y = mix(clamp(key, p.act_lo, p.act_hi), key, nan);
      inside = uvec4(greaterThan(key, ivec4(p.act_lo))) & uvec4(lessThan(key, ivec4(p.act_hi))) & uvec4(not(nan));
    }
    bvec4 pass = bvec4(uvec4(greaterThanEqual(y, ivec4(p.key_lo))) & uvec4(lessThan(y, ivec4(p.key_hi))) & inside);
    vec4 g = mix(vec4(0), dy[idx], pass);
    dx[idx] = ACCUM ? dx[idx] + g : g;
  }
}
