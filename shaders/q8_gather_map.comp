#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit layout ops by index map: the stored values are copied as TFLite copies them (input and output share their
// quantization); padding lanes (-1 in the map) get the zero point, lanes another input writes (-2, PACK) keep
// their value.  One output word per invocation.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Map { int map[]; };
layout(push_constant) uniform P {
  int total;  // output words written, from word `first` on (the map starts there)
  int zo;     // device zero point
  int first;
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  const int o = idx + p.first;
  ivec4 s = ivec4(map[idx * 4], map[idx * 4 + 1], map[idx * 4 + 2], map[idx * 4 + 3]);
  ivec4 v = ivec4(p.zo);
  if (any(equal(s, ivec4(-2)))) v = mix(v, word_unpack(dst[o]), equal(s, ivec4(-2)));
  for (int l = 0; l < 4; l++)
    if (s[l] >= 0) v[l] = word_lane(src[s[l] >> 2], s[l] & 3);
  dst[o] = word_pack(v);
}
