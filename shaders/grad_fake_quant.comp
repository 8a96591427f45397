#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of FAKE_QUANT (training, float32): the straight-through estimator.  dx += dy where
// qmin <= round(x / scale) + zp <= qmax, with x / scale rounded exactly as the forward (shaders/fake_quant.comp)
// rounds it; 0 outside the clamp range and for NaN.  Each invocation handles PER vec4 groups.
#include "common.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;

layout(std430, binding = 0) readonly buffer X { uvec4 x[]; };   // forward input, raw bits
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int total; uint scale_bits; int zp, qmin, qmax; } p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    uvec4 bits = x[idx];
    vec4 g = dy[idx], d;
    for (int l = 0; l < 4; l++) {
      bool nan = ((bits[l] >> 23) & 0xffu) == 0xffu && (bits[l] & 0x7fffffu) != 0u;
      int q = round_div_exact(bits[l], p.scale_bits) + p.zp;
      d[l] = (!nan && q >= p.qmin && q <= p.qmax) ? g[l] : 0.0;
    }
    dx[idx] += d;
  }
}
