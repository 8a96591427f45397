#version 450
#extension GL_GOOGLE_include_directive : require
// Test kernel for the fixed-point helpers of quant.glsl (tests/test_quant_gpu.cpp): for each case ivec4(x, m,
// shift, exponent) writes ivec4(srdhm(x, m), rdbpot(x, exponent), mbqm(x, m, shift), mbqm_single(x, m, shift)).
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer In { ivec4 cases[]; };
layout(std430, binding = 1) writeonly buffer Out { ivec4 results[]; };
layout(push_constant) uniform P { int n; } p;

void main() {
  int i = int(gl_GlobalInvocationID.x);
  if (i >= p.n) return;
  ivec4 c = cases[i];
  int single = c.z <= 30 ? mbqm_single(c.x, c.y, c.z) : 0;
  results[i] = ivec4(srdhm(c.x, c.y), rdbpot(c.x, c.w), mbqm(c.x, c.y, c.z), single);
}
