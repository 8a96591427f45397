#version 450
#extension GL_GOOGLE_include_directive : require
// Bias gradients, stage 1: per-channel sums of an NHWC4 float32 tensor over chunks of CHUNK rows:
// partial[chunk * C4 + group] = sum of rows [chunk*CHUNK, ...) of group `group`.  Fixed order, no atomics.
#include "common.glsl"

layout(constant_id = 0) const int CHUNK = 64;
layout(std430, binding = 0) readonly buffer In { vec4 inp[]; };
layout(std430, binding = 1) writeonly buffer Partial { vec4 partial[]; };
layout(push_constant) uniform P { int rows, C4; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int chunk = w / p.C4;
  int g = w - chunk * p.C4;
  int r0 = chunk * CHUNK;
  if (r0 >= p.rows) return;
  int r1 = min(r0 + CHUNK, p.rows);
  vec4 sum = vec4(0);
  for (int r = r0; r < r1; r++) sum += inp[r * p.C4 + g];
  partial[chunk * p.C4 + g] = sum;
}
