#version 450
#extension GL_GOOGLE_include_directive : require
// Quantization-error analysis, stage 1 (src/calib): per-channel sums of e = q - x, e^2, x and x^2 of two float32
// NHWC4 tensors of the same shape (q: the quantized network's activation, x: the float network's) over a chunk of
// rows.  Invocation (chunk = workgroup y (+ z * y groups), group = x) reduces rows [chunk*CHUNK, ...) of channel
// group `group` and writes partial[(chunk*C4 + group)*4 + {0,1,2,3}] = {sum e, sum e^2, sum x, sum x^2}.  Fixed
// order, no atomics: the same inputs give the same bits.
#include "common.glsl"

layout(constant_id = 0) const int CHUNK = 64;
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) writeonly buffer Partial { vec4 partial[]; };
layout(push_constant) uniform P { int rows, C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  int chunk = int(gl_WorkGroupID.y) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.y);
  if (g >= p.C4) return;
  int r0 = chunk * CHUNK;
  if (r0 >= p.rows) return;
  int r1 = min(r0 + CHUNK, p.rows);
  vec4 se = vec4(0), se2 = vec4(0), sx = vec4(0), sx2 = vec4(0);
  for (int r = r0; r < r1; r++) {
    vec4 xv = x[r * p.C4 + g];
    vec4 e = q[r * p.C4 + g] - xv;
    se += e;
    se2 += e * e;
    sx += xv;
    sx2 += xv * xv;
  }
  int o = (chunk * p.C4 + g) * 4;
  partial[o] = se;
  partial[o + 1] = se2;
  partial[o + 2] = sx;
  partial[o + 3] = sx2;
}
