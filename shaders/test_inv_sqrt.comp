#version 450
#extension GL_GOOGLE_include_directive : require
// Test kernel for inv_sqrt_multiplier_exp of quant.glsl (tests/test_quant_gpu.cpp): for each input v writes
// ivec2(multiplier, shift).
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer In { int inputs[]; };
layout(std430, binding = 1) writeonly buffer Out { ivec2 results[]; };
layout(push_constant) uniform P { int n; } p;

void main() {
  int i = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (i >= p.n) return;
  int m, s;
  inv_sqrt_multiplier_exp(inputs[i], m, s);
  results[i] = ivec2(m, s);
}
