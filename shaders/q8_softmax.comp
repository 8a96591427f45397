#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit SOFTMAX over the channel axis, as TFLite's builtin kernel (the integer reference's softmax): a float table
// T[255 - d] = exp(-in_scale * beta * d) (built on the host), per row sum = sum of T[255 + q - max] in channel
// order (float32), inv = 1 / (sum * out_scale), out = round(T[...] * inv) + zo (uint8 output: int(x + 0.5)),
// clamped.  Every float operation is exact IEEE float32 (the division emulated).  One invocation per row.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const bool U8_OUT = false;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Table { float table[]; };
layout(push_constant) uniform P {
  int rows, C, C4;
  float out_scale;
  int zo;  // device zero point of the output
} p;

void main() {
  int row = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (row >= p.rows) return;
  int base = row * p.C4;
  int mx = -128;
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    for (int l = 0; l < 4; l++)
      if (g * 4 + l < p.C) mx = max(mx, v[l]);
  }
  precise float sum = 0.0;
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    for (int l = 0; l < 4; l++)
      if (g * 4 + l < p.C) sum = sum + table[255 + v[l] - mx];
  }
  precise float denom = sum * p.out_scale;
  float inv = fdiv_exact(1.0, denom);
  for (int g = 0; g < p.C4; g++) {
    ivec4 v = word_unpack(src[base + g]);
    ivec4 r = ivec4(p.zo);
    for (int l = 0; l < 4; l++) {
      if (g * 4 + l >= p.C) continue;
      precise float prob = table[255 + v[l] - mx] * inv;
      int q;
      if (U8_OUT) {
        precise float h = prob + 0.5;
        q = clamp(int(h), 0, 255) - 128;
      } else {
        q = clamp(int(round_away(prob)) + p.zo, -128, 127);
      }
      r[l] = q;
    }
    dst[base + g] = word_pack(r);
  }
}
