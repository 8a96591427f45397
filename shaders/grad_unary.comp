#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of the element-wise activations (training, float32): dx += dy * f'(x) over NHWC4 storage, with the CPU
// reference's conventions (src/ref/backward.h): RELU passes where x > 0, RELU6 where 0 < x < 6; HARD_SWISH
// 0 (x < -3), x/3 + 1/2 (-3 <= x <= 3), 1 (x > 3); LOGISTIC y (1 - y) with y the forward output.  Padding lanes
// stay 0 (dy's are 0).  Each invocation handles PER vec4 groups; the grid is flattened over x and y.
#include "common.glsl"

layout(constant_id = 0) const uint FUNC = 0;  // 0 logistic, 1 relu, 2 relu6, 3 hard_swish
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
    vec4 v = x[idx], g = dy[idx], d;
    if (FUNC == 0u) {
      vec4 s = y[idx];
      d = g * s * (vec4(1.0) - s);
    } else if (FUNC == 1u) {
      d = mix(vec4(0), g, greaterThan(v, vec4(0)));
    } else if (FUNC == 2u) {
      d = mix(vec4(0), g, bvec4(uvec4(greaterThan(v, vec4(0))) & uvec4(lessThan(v, vec4(6)))));
    } else {
      vec4 slope = mix(v / 3.0 + 0.5, vec4(0), lessThan(v, vec4(-3)));
      slope = mix(slope, vec4(1), greaterThan(v, vec4(3)));
      d = g * slope;
    }
    dx[idx] += d;
  }
}
