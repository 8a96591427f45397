#version 450
#extension GL_GOOGLE_include_directive : require
// Quantization-error analysis, stage 1 (src/calib): per-channel sums of e = q - x, e^2, x and x^2 of two float32
// NHWC4 tensors of the same shape (q: the quantized network's activation, x: the float network's) over a chunk of
// rows.  Invocation chunk * C4 + group (grid_channel_chunks) reduces rows [chunk*CHUNK, ...) of channel group
// `group` and writes partial[(chunk*C4 + group)*4 + {0,1,2,3}] = {sum e, sum e^2, sum x, sum x^2}.  Fixed order, no
// atomics: the same inputs give the same bits.
// Without MOMENTS only sum e, at partial[chunk*C4 + group]: what IBC's correction reads, the same bits.  Under
// llvmpipe the four vec4 accumulators alone fill an AVX2 CPU's 16 vector registers (one per component); one leaves
// the loop room (IBC's reductions 10-25% less GPU time, bench/README.md).
// QUANT: q is a layer's output before its FAKE_QUANT, quantized here as fake_quant.comp would write it (the same
// bits; padding lanes 0), so that IBC measures a layer's error without writing its quantized output, which the
// rerun with the corrected bias writes (src/calib/layer_runner.cpp).
#include "common.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const int CHUNK = 64;
layout(constant_id = 1) const bool QUANT = false;
layout(constant_id = 2) const bool TABLE = true;  // QUANT: as fake_quant.comp's
layout(constant_id = 3) const bool ACT = false;
layout(constant_id = 4) const bool MOMENTS = true;  // e^2, x and x^2 summed too
layout(std430, binding = 0) readonly buffer Q { uvec4 q[]; };  // raw bits: denormals must not be flushed
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) writeonly buffer Partial { vec4 partial[]; };
layout(std430, binding = 3) readonly buffer Keys { int first_key[]; };  // QUANT (unread otherwise)
layout(push_constant) uniform P {
  int rows, C4;
  int C;  // QUANT: FAKE_QUANT's parameters (fake_quant.comp)
  uint scale_bits;
  int zp, qmin, qmax;
  int act_lo, act_hi;
} p;

#include "fake_quant.glsl"

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int chunk = w / p.C4;
  int g = w - chunk * p.C4;
  int r0 = chunk * CHUNK;
  if (r0 >= p.rows) return;
  int r1 = min(r0 + CHUNK, p.rows);
  float scale = uintBitsToFloat(p.scale_bits);
  float inv_scale = 1.0 / scale;
  bool estimate = scale < 1e30;
  bvec4 lane = lessThan(ivec4(g * 4) + ivec4(0, 1, 2, 3), ivec4(p.C));
  vec4 se = vec4(0), se2 = vec4(0), sx = vec4(0), sx2 = vec4(0);
  for (int r = r0; r < r1; r++) {
    vec4 xv = x[r * p.C4 + g];
    uvec4 bits = q[r * p.C4 + g];
    vec4 qv;
    if (QUANT) {
      if (ACT) bits = fq_activate(bits);
      precise vec4 y = vec4(fq_levels(bits, inv_scale, estimate) - p.zp) * scale;
      qv = mix(vec4(0), y, lane);
    } else {
      qv = uintBitsToFloat(bits);
    }
    vec4 e = qv - xv;
    se += e;
    if (MOMENTS) {
      se2 += e * e;
      sx += xv;
      sx2 += xv * xv;
    }
  }
  if (!MOMENTS) {
    partial[chunk * p.C4 + g] = se;
    return;
  }
  int o = (chunk * p.C4 + g) * 4;
  partial[o] = se;
  partial[o + 1] = se2;
  partial[o + 2] = sx;
  partial[o + 3] = sx2;
}
