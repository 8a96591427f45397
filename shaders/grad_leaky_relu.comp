#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of LEAKY_RELU (training, float32): dx += dy where x > 0, alpha * dy elsewhere.  Padding lanes stay 0.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer X { vec4 x[]; };    // forward input
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };  // dL/dy
layout(std430, binding = 2) buffer DX { vec4 dx[]; };           // dL/dx (accumulated)
layout(push_constant) uniform P { int total; float alpha; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    vec4 g = dy[idx];
    dx[idx] += mix(g * p.alpha, g, greaterThan(x[idx], vec4(0)));
  }
}
