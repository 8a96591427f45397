#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of FAKE_QUANT (training, float32): the straight-through estimator (ste_mask.glsl), dx += dy where it
// passes.  Each invocation handles PER vec4 groups.
#include "common.glsl"
#include "ste_mask.glsl"

layout(constant_id = 0) const uint PER = 4;
layout(constant_id = 1) const bool ACT = false;  // a fused activation (ste_mask.glsl)
// ACCUM: dx += the masked dy; false: dx = it (dx's first writer, BuildContext::claim_grad_store).
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
    vec4 g = mix(vec4(0), dy[idx], ste_pass(x[idx], p.key_lo, p.key_hi, ACT, p.act_lo, p.act_hi));
    dx[idx] = ACCUM ? dx[idx] + g : g;
  }
}
