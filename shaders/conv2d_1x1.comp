#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// CONV_2D with a 1x1 filter, stride 1, no padding: a GEMM over the flattened pixels.
// One invocation: TP pixels (x: flattened pixel tiles) times TC groups of 4 output channels (gl_WorkGroupID.y, so
// weight addresses are uniform across the workgroup: on lavapipe uniform loads are single broadcasts while
// per-lane (divergent) loads are gathers, so each lane's input vec4 should feed as many FMAs as registers allow).
// Weights: vec4 w[oc4*IC4*4 + ic4*4 + lane] = output channels oc4*4..+3 of input channel ic4*4+lane.
#include "common.glsl"

layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const int TP = 2;
layout(constant_id = 2) const int TC = 4;
layout(constant_id = 3) const bool CLIP = false;  // a fused MINIMUM: its bounds follow the bias, bias[OC4 + oc4]

layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) readonly buffer W { SVEC4 w[]; };
layout(std430, binding = 2) readonly buffer B { SVEC4 bias[]; };
layout(std430, binding = 3) writeonly buffer Out { SVEC4 outp[]; };
layout(push_constant) uniform P { int M, IC4, OC4; } p;

void main() {
  int m0 = (int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x)) * TP;
  int oc0 = int(gl_WorkGroupID.y) * TC;
  if (m0 >= p.M) return;
  AVEC4 acc[TP * TC];
  int wb[TC];
  for (int g = 0; g < TC; g++) {
    int oc = min(oc0 + g, p.OC4 - 1);  // groups past the end compute a duplicate that is never stored
    wb[g] = oc * p.IC4 * 4;
    AVEC4 b = AVEC4(bias[oc]);
    for (int t = 0; t < TP; t++) acc[t * TC + g] = b;
  }
  int ib[TP];
  for (int t = 0; t < TP; t++) ib[t] = min(m0 + t, p.M - 1) * p.IC4;
  for (int ic4 = 0; ic4 < p.IC4; ic4++) {
    AVEC4 v[TP];
    for (int t = 0; t < TP; t++) v[t] = AVEC4(inp[ib[t] + ic4]);
    for (int g = 0; g < TC; g++) {
      int wi = wb[g] + ic4 * 4;
      AVEC4 w0 = AVEC4(w[wi]), w1 = AVEC4(w[wi + 1]), w2 = AVEC4(w[wi + 2]), w3 = AVEC4(w[wi + 3]);
      for (int t = 0; t < TP; t++) acc[t * TC + g] += v[t].x * w0 + v[t].y * w1 + v[t].z * w2 + v[t].w * w3;
    }
  }
  AVEC4 bound[TC];  // read once per group, after the loop (no registers held through it)
  for (int g = 0; g < TC; g++) bound[g] = CLIP ? AVEC4(bias[p.OC4 + min(oc0 + g, p.OC4 - 1)]) : AVEC4(0);
  for (int t = 0; t < TP; t++) {
    if (m0 + t >= p.M) break;
    for (int g = 0; g < TC; g++)
      if (oc0 + g < p.OC4) {
        AVEC4 v = apply_act(acc[t * TC + g], ACT);
        if (CLIP) v = clip_to(v, bound[g]);
        outp[(m0 + t) * p.OC4 + oc0 + g] = SVEC4(v);
      }
  }
}
