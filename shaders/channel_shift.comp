#version 450
#extension GL_GOOGLE_include_directive : require
// IBC (src/calib/layer_runner.cpp): adds a per-channel vector to an NHWC4 float32 tensor in place,
// t[r * C4 + g] += shift[g]: a layer's output moved by its bias correction without evaluating the layer again.
// Padding lanes stay 0 (their shift is 0).  Each invocation handles PER vec4 groups strided by the workgroup width
// (fewer invocations: llvmpipe pays per workgroup), its channel group stepped without a division per group; the grid
// is flattened over x and y.
#include "common.glsl"

layout(constant_id = 0) const uint PER = 4;  // vec4 groups per invocation
layout(std430, binding = 0) buffer T { vec4 t[]; };
layout(std430, binding = 1) readonly buffer Shift { vec4 shift[]; };
layout(push_constant) uniform P { int total, C4; } p;  // total: vec4 groups (rows * C4)

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  int width = int(gl_WorkGroupSize.x);
  int idx = int(wg * PER) * width + int(gl_LocalInvocationID.x);
  int g = idx % p.C4;
  int step = width % p.C4;
  for (uint i = 0; i < PER; i++, idx += width) {
    if (idx >= p.total) return;
    t[idx] += shift[g];
    g += step;
    if (g >= p.C4) g -= p.C4;
  }
}
