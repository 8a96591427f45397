#version 450
// Quantization-error analysis, stage 2: adds the chunks' partial per-channel sums {e, e^2, x, x^2} to a layer's
// running sums sums[group*4 + {0..3}] (kept across runs; the host zeroes them).  Chunks are added in a fixed order
// (deterministic).  Without MOMENTS the chunks hold sum e alone (channel_diff.comp), added to sums[group*4].
layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;
layout(std430, binding = 0) readonly buffer Partial { vec4 partial[]; };
layout(std430, binding = 1) buffer Sums { vec4 sums[]; };
layout(constant_id = 0) const bool MOMENTS = true;
layout(push_constant) uniform P { int chunks, C4; } p;

void main() {
  int g = int(gl_GlobalInvocationID.x);
  if (g >= p.C4) return;
  vec4 a = vec4(0), b = vec4(0), c = vec4(0), d = vec4(0);
  for (int k = 0; k < p.chunks; k++) {
    if (!MOMENTS) {
      a += partial[k * p.C4 + g];
      continue;
    }
    int o = (k * p.C4 + g) * 4;
    a += partial[o];
    b += partial[o + 1];
    c += partial[o + 2];
    d += partial[o + 3];
  }
  sums[g * 4] += a;
  if (!MOMENTS) return;
  sums[g * 4 + 1] += b;
  sums[g * 4 + 2] += c;
  sums[g * 4 + 3] += d;
}
