#version 450
// Calibration, stage 2: folds the chunks' partial per-channel {min, max, sum, sum of squares} into a tensor's
// running statistics stats[group*4 + {0..3}] (kept across runs; the host initialises them to +inf, -inf, 0, 0).
// Sums are added chunk by chunk in a fixed order (deterministic).
layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;
layout(std430, binding = 0) readonly buffer Partial { vec4 partial[]; };
layout(std430, binding = 1) buffer Stats { vec4 stats[]; };
layout(push_constant) uniform P { int chunks, C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  if (g >= p.C4) return;
  vec4 lo = stats[g * 4], hi = stats[g * 4 + 1], sum = vec4(0), sq = vec4(0);
  for (int c = 0; c < p.chunks; c++) {
    int o = (c * p.C4 + g) * 4;
    lo = min(lo, partial[o]);
    hi = max(hi, partial[o + 1]);
    sum += partial[o + 2];
    sq += partial[o + 3];
  }
  stats[g * 4] = lo;
  stats[g * 4 + 1] = hi;
  stats[g * 4 + 2] += sum;
  stats[g * 4 + 3] += sq;
}
