#version 450
#extension GL_GOOGLE_include_directive : require
// Dense 8-bit input bytes [rows][C] (uint8 or int8, read as packed words) -> NHWC4 int8 words.  uint8 values are
// shifted to int8 (flip = 1: q - 128); padding lanes get the device zero point.  One invocation per output word.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int rows, C, C4, words, flip, zero; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (w >= p.words) return;
  int row = w / p.C4;
  int g = w - row * p.C4;
  int i = row * p.C + g * 4;  // the word's first byte; the next word clamped to the last (its bytes then padding)
  int k = i >> 2, last = (p.rows * p.C - 1) >> 2;
  dst[w] = dense_word(src[k], src[min(k + 1, last)], i, clamp(p.C - g * 4, 0, 4), uint(p.flip) * 0x80808080u,
                      word_splat(p.zero));
}
