#version 450
#extension GL_GOOGLE_include_directive : require
// IBC (src/calib/layer_runner.cpp): adds a per-channel vector to an NHWC4 float32 tensor in place,
// t[r * C4 + g] += shift[g]: a layer's output moved by its bias correction without evaluating the layer again.
// Padding lanes stay 0 (their shift is 0).
#include "common.glsl"

layout(std430, binding = 0) buffer T { vec4 t[]; };
layout(std430, binding = 1) readonly buffer Shift { vec4 shift[]; };
layout(push_constant) uniform P { int total, C4; } p;  // total: vec4 groups (rows * C4)

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int idx = int(wg * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  if (idx >= p.total) return;
  t[idx] += shift[idx % p.C4];
}
