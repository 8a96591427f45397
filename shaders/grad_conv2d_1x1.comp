#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of a 1x1, stride-1, unpadded CONV_2D and of FULLY_CONNECTED (when the input's rows are the [batch, depth]
// rows) with respect to the input (training, float32): a GEMM over the flattened rows,
// dx[m][ic] += sum over oc of dy[m][oc] * W[oc][ic].
// One invocation: TP rows (x: flattened row tiles over x and z) times TC groups of 4 input channels
// (gl_WorkGroupID.y, so that weight addresses are uniform across the workgroup); sums in registers, one add per dx
// vec4.  Weights (transposed): vec4 w[(ic4*OC4 + oc4)*4 + lane] = W[oc4*4+lane][ic4*4 .. ic4*4+3] (zero padded).
#include "common.glsl"
#include "ste_mask.glsl"

layout(constant_id = 0) const int TP = 8;
layout(constant_id = 1) const int TC = 4;
// ACCUM: dx += the gradient; false: dx = it (this kernel is dx's first writer, BuildContext::claim_grad_store).
layout(constant_id = 2) const bool ACCUM = true;
// MASK: FAKE_QUANT's backward folded in (src/ops/ste_fold.h): dx is the FAKE_QUANT's input's gradient, the sum
// masked by ste_pass at XM (that input's values); 2: with its fused activation.
layout(constant_id = 3) const uint MASK = 0;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(std430, binding = 3) readonly buffer XM { ivec4 xm[]; };  // MASK: raw bits
layout(push_constant) uniform P {
  int M, IC4, OC4;                    // rows, dx groups per row, dy groups per row
  int key_lo, key_hi, act_lo, act_hi;  // MASK
} p;

void write_dx(int i, vec4 v) { dx[i] = ACCUM ? dx[i] + v : v; }
// MASK (which stores): masks what this invocation stored, in a second pass over it (cache-hot), so that the store
// loop stays small enough to unroll and keep the sums in registers.
void mask_dx(int i) {
  dx[i] = mix(vec4(0), dx[i], ste_pass(xm[i], p.key_lo, p.key_hi, MASK == 2u, p.act_lo, p.act_hi));
}

void main() {
  int m0 = (int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x)) * TP;
  int ic0 = int(gl_WorkGroupID.y) * TC;
  if (m0 >= p.M) return;
  vec4 acc[TP * TC];
  for (int i = 0; i < TP * TC; i++) acc[i] = vec4(0);
  int wb[TC];
  for (int g = 0; g < TC; g++) wb[g] = min(ic0 + g, p.IC4 - 1) * p.OC4 * 4;  // past the end: computed, not stored
  int rb[TP];
  for (int t = 0; t < TP; t++) rb[t] = min(m0 + t, p.M - 1) * p.OC4;
  for (int oc4 = 0; oc4 < p.OC4; oc4++) {
    vec4 v[TP];
    for (int t = 0; t < TP; t++) v[t] = dy[rb[t] + oc4];
    for (int g = 0; g < TC; g++) {
      int wi = wb[g] + oc4 * 4;
      vec4 w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
      for (int t = 0; t < TP; t++) acc[t * TC + g] += v[t].x * w0 + v[t].y * w1 + v[t].z * w2 + v[t].w * w3;
    }
  }
  for (int t = 0; t < TP; t++) {
    if (m0 + t >= p.M) break;
    for (int g = 0; g < TC; g++)
      if (ic0 + g < p.IC4) {
        int i = (m0 + t) * p.IC4 + ic0 + g;
        write_dx(i, acc[t * TC + g]);
      }
  }
  if (MASK != 0u)
    for (int t = 0; t < TP && m0 + t < p.M; t++)
      for (int g = 0; g < TC && ic0 + g < p.IC4; g++) mask_dx((m0 + t) * p.IC4 + ic0 + g);
}
