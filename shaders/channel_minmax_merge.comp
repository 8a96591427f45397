#version 450
// Calibration, stage 2: folds the chunks' partial per-channel {min, max} into a tensor's running statistics
// stats[group*2 + {0,1}] (kept across runs; the host initialises them to +inf / -inf).
layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;
layout(std430, binding = 0) readonly buffer Partial { vec4 partial[]; };
layout(std430, binding = 1) buffer Stats { vec4 stats[]; };
layout(push_constant) uniform P { int chunks, C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  if (g >= p.C4) return;
  vec4 lo = stats[g * 2], hi = stats[g * 2 + 1];
  for (int c = 0; c < p.chunks; c++) {
    lo = min(lo, partial[(c * p.C4 + g) * 2]);
    hi = max(hi, partial[(c * p.C4 + g) * 2 + 1]);
  }
  stats[g * 2] = lo;
  stats[g * 2 + 1] = hi;
}
