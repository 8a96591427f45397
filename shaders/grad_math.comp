#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of the element-wise math ops (training, float32; src/ops/op_math.cpp states the conventions):
// dx += dy * f'(x), f' from x or the forward output y.  Padding lanes stay 0 (dy's are 0).
#include "common.glsl"

layout(constant_id = 0) const uint FUNC = 0;  // MathFunc (op_math.cpp)
layout(constant_id = 1) const uint PER = 4;

layout(std430, binding = 0) readonly buffer X { vec4 x[]; };    // forward input
layout(std430, binding = 1) readonly buffer Y { vec4 y[]; };    // forward output
layout(std430, binding = 2) readonly buffer DY { vec4 dy[]; };  // dL/dy
layout(std430, binding = 3) buffer DX { vec4 dx[]; };           // dL/dx (accumulated)
layout(push_constant) uniform P { int total; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    vec4 v = x[idx], o = y[idx], g = dy[idx], d;
    bvec4 pos = greaterThan(v, vec4(0));
    if (FUNC == 0u) {
      d = g * sign(v);  // 0 at 0
    } else if (FUNC == 1u) {
      d = -g;
    } else if (FUNC == 2u) {
      d = g * 2.0 * v;
    } else if (FUNC == 3u) {
      d = mix(vec4(0), g * 0.5 / o, pos);  // 0 outside the domain (x <= 0)
    } else if (FUNC == 4u) {
      d = mix(vec4(0), g * -0.5 * o * o * o, pos);
    } else if (FUNC == 5u) {
      d = g * o;
    } else if (FUNC == 6u) {
      d = mix(vec4(0), g / v, pos);
    } else if (FUNC == 7u) {
      d = g * (vec4(1.0) - o * o);
    } else if (FUNC == 8u) {
      d = mix(g * (o + vec4(1.0)), g, greaterThanEqual(v, vec4(0)));
    } else {
      d = mix(vec4(0), g, bvec4(uvec4(greaterThan(o, vec4(-1))) & uvec4(lessThan(o, vec4(1)))));
    }
    dx[idx] += d;
  }
}
