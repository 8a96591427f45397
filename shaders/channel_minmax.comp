#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// Calibration, stage 1: per-channel min, max, sum and sum of squares of a float NHWC4 tensor over a chunk of
// rows.  Invocation chunk * C4 + group (grid_channel_chunks) reduces rows [chunk*CHUNK, ...) of channel group `group`
// and writes partial[(chunk*C4 + group)*4 + {0,1,2,3}] = {min, max, sum, sum of squares}.  Fixed order, no atomics:
// the same inputs give the same bits.
#include "common.glsl"

layout(constant_id = 0) const int CHUNK = 64;
layout(std430, binding = 0) readonly buffer In { SVEC4 inp[]; };
layout(std430, binding = 1) writeonly buffer Partial { vec4 partial[]; };
layout(push_constant) uniform P { int rows, C4; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int chunk = w / p.C4;
  int g = w - chunk * p.C4;
  int r0 = chunk * CHUNK;
  if (r0 >= p.rows) return;
  int r1 = min(r0 + CHUNK, p.rows);
  vec4 lo = vec4(inp[r0 * p.C4 + g]), hi = lo, sum = lo, sq = lo * lo;
  for (int r = r0 + 1; r < r1; r++) {
    vec4 v = vec4(inp[r * p.C4 + g]);
    lo = min(lo, v);
    hi = max(hi, v);
    sum += v;
    sq += v * v;
  }
  int o = (chunk * p.C4 + g) * 4;
  partial[o] = lo;
  partial[o + 1] = hi;
  partial[o + 2] = sum;
  partial[o + 3] = sq;
}
