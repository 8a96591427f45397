#version 450
#extension GL_GOOGLE_include_directive : require
// Test kernel for the fixed-point helpers of quant.glsl (tests/test_quant_gpu.cpp): for each case ivec4(x, m,
// shift, exponent) writes ivec4(srdhm(x, m), rdbpot(x, exponent), mbqm(x, m, shift), mbqm_single(x, m, shift)) and
// the 4-lane forms on the same inputs: ivec4(srdhm4, rdbpot4 by one exponent, srdhm_shl20_4 of xs = x's low 11 bits
// (signed), div_trunc4 of xd = x's low 24 bits (signed) by d = (m & 0xffff) + 16), and the prepared forms
// ivec4(rq4_apply double rounding, rq4_apply single rounding (shift <= 30), rq4_apply double rounding's small-shift
// form (shift <= -1), 0), lane 0 of lanes with shifts (shift, -5, -5, -5) so that a slow lane among fast ones is
// covered.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(std430, binding = 0) readonly buffer In { ivec4 cases[]; };
layout(std430, binding = 1) writeonly buffer Out { ivec4 results[]; };
layout(push_constant) uniform P { int n; } p;

void main() {
  int i = int(gl_GlobalInvocationID.x);
  if (i >= p.n) return;
  ivec4 c = cases[i];
  int single = c.z <= 30 ? mbqm_single(c.x, c.y, c.z) : 0;
  results[3 * i] = ivec4(srdhm(c.x, c.y), rdbpot(c.x, c.w), mbqm(c.x, c.y, c.z), single);
  int xs = bitfieldExtract(c.x, 0, 11), xd = bitfieldExtract(c.x, 0, 24), d = (c.y & 0xffff) + 16;
  results[3 * i + 1] = ivec4(srdhm4(ivec4(c.x), ivec4(c.y)).x, rdbpot4(ivec4(c.x), c.w).x,
                             srdhm_shl20_4(ivec4(xs), c.y).x, div_trunc4(ivec4(xd), d).x);
  ivec4 shifts = ivec4(c.z, -5, -5, -5);
  int rq_single = c.z <= 30 ? rq4_apply(ivec4(c.x), rq4_prepare(ivec4(c.y), shifts, true), true).x : 0;
  int rq_double_small =
      c.z <= -1 ? rq4_apply(ivec4(c.x), rq4_prepare(ivec4(c.y), shifts, false, true), false, true).x : 0;
  results[3 * i + 2] =
      ivec4(rq4_apply(ivec4(c.x), rq4_prepare(ivec4(c.y), shifts, false), false).x, rq_single, rq_double_small, 0);
}
