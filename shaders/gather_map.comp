#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Layout ops by index map (src/ops/index_map.h): every output lane copies the input lane the map names; -1 marks
// a padding lane (0), -2 a lane another input writes (PACK: kept as it is).  One output vec4 group per invocation.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) buffer Dst { SVEC4 dst[]; };
layout(std430, binding = 2) readonly buffer Map { int map[]; };
layout(push_constant) uniform P {
  int total;  // output vec4 groups written, from group `first` on (the map starts there)
  int first;
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  const int o = idx + p.first;
  AVEC4 v = AVEC4(0);
  for (int l = 0; l < 4; l++) {
    int s = map[idx * 4 + l];
    if (s >= 0) v[l] = AFLOAT(src[s >> 2][s & 3]);
    else if (s == -2) v[l] = AFLOAT(dst[o][l]);
  }
  dst[o] = SVEC4(v);
}
