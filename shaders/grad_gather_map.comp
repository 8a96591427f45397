#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of the layout ops by index map (training, float32): dx += the dy lanes that copied each input lane,
// listed per input lane (start[i]..start[i+1] in `list`; one at most but for GATHER).  One input vec4 group per
// invocation; padding lanes have no list and stay 0.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(std430, binding = 2) readonly buffer Start { int start[]; };
layout(std430, binding = 3) readonly buffer List { int list[]; };
layout(push_constant) uniform P {
  int total;  // input vec4 groups, from group `first` on
  int first;
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  const int o = idx + p.first;
  vec4 v = vec4(0);
  for (int l = 0; l < 4; l++) {
    int i = o * 4 + l;
    for (int k = start[i]; k < start[i + 1]; k++) {
      int y = list[k];
      v[l] += dy[y >> 2][y & 3];
    }
  }
  dx[o] += v;
}
