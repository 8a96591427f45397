#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit L2_NORMALIZATION as TFLite's reference_integer_ops::L2Normalization (int8, output scale 1/128, zero point
// 0): acc = sum (x - zi)^2 over the row, (m, s) = GetInvSqrtQuantizedMultiplierExp(acc), y = clamp(
// MultiplyByQuantizedMultiplier(x - zi, m, s + 7), -128, 127).  One invocation per NHWC4 row; padding lanes hold
// the input zero point (difference 0) and get the output's, 0.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int rows, c, c4, zi; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int row = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (row >= p.rows) return;
  int base = row * p.c4;
  int acc = 0;
  for (int g = 0; g < p.c4; g++) {
    ivec4 d = word_unpack(src[base + g]) - p.zi;
    acc += d.x * d.x + d.y * d.y + d.z * d.z + d.w * d.w;
  }
  int m, s;
  inv_sqrt_multiplier_exp(acc, m, s);
  for (int g = 0; g < p.c4; g++) {
    ivec4 d = word_unpack(src[base + g]) - p.zi;
    ivec4 v;
    for (int l = 0; l < 4; l++) v[l] = clamp(mbqm(d[l], m, s + 7), -128, 127);
    dst[base + g] = word_pack(q8_mask(v, g, p.c, 0));
  }
}
