#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// CONV_2D with a 1x1 filter, stride 1, no padding: a GEMM over the flattened pixels.
// One invocation: TP pixels times TC groups of 4 output channels.  Weights as in conv2d.comp with KH = KW = 1:
// vec4 w[oc4*IC4*4 + ic4*4 + lane].
#include "common.glsl"

layout(constant_id = 0) const uint ACT = 0;
#define TP 4
#define TC 2

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P { int M, IC4, OC4; } p;

void main() {
  int m0 = (int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.z) * 65535 * int(gl_WorkGroupSize.x)) * TP;
  int oc0 = int(gl_GlobalInvocationID.y) * TC;
  if (m0 >= p.M || oc0 >= p.OC4) return;
  AVEC4 acc[TP][TC];
  for (int g = 0; g < TC; g++) {
    AVEC4 b = oc0 + g < p.OC4 ? AVEC4(bias[oc0 + g]) : AVEC4(0);
    for (int t = 0; t < TP; t++) acc[t][g] = b;
  }
  int ib[TP];
  for (int t = 0; t < TP; t++) ib[t] = min(m0 + t, p.M - 1) * p.IC4;
  int wb0 = oc0 * p.IC4 * 4;
  int wb1 = min(oc0 + 1, p.OC4 - 1) * p.IC4 * 4;
  for (int ic4 = 0; ic4 < p.IC4; ic4++) {
    AVEC4 v[TP];
    for (int t = 0; t < TP; t++) v[t] = AVEC4(inp[ib[t] + ic4]);
    int wi = wb0 + ic4 * 4;
    AVEC4 a0 = AVEC4(w[wi]), a1 = AVEC4(w[wi + 1]), a2 = AVEC4(w[wi + 2]), a3 = AVEC4(w[wi + 3]);
    wi = wb1 + ic4 * 4;
    AVEC4 b0 = AVEC4(w[wi]), b1 = AVEC4(w[wi + 1]), b2 = AVEC4(w[wi + 2]), b3 = AVEC4(w[wi + 3]);
    for (int t = 0; t < TP; t++) {
      acc[t][0] += v[t].x * a0 + v[t].y * a1 + v[t].z * a2 + v[t].w * a3;
      acc[t][1] += v[t].x * b0 + v[t].y * b1 + v[t].z * b2 + v[t].w * b3;
    }
  }
  for (int t = 0; t < TP; t++) {
    if (m0 + t >= p.M) break;
    outp[(m0 + t) * p.OC4 + oc0] = SVEC4(apply_act(acc[t][0], ACT));
    if (oc0 + 1 < p.OC4) outp[(m0 + t) * p.OC4 + oc0 + 1] = SVEC4(apply_act(acc[t][1], ACT));
  }
}
