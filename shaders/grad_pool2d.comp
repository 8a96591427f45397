#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of AVERAGE_POOL_2D / MAX_POOL_2D (training, float32), gather form: one invocation per vec4 group of the
// INPUT sums the output windows that contain its pixel (no atomics).  Conventions of the CPU reference
// (src/ref/backward.h): the window is clipped to the input as the forward clips it (padding never counts); AVERAGE
// gives each in-bounds element dy / count; MAX gives the whole dy to the FIRST maximum of the window (row by row,
// then column; a later element wins only when strictly greater), decided lane by lane from the forward input.
// Padding lanes stay 0 (dy's are 0).
#include "common.glsl"

layout(constant_id = 0) const int FH = 1;
layout(constant_id = 1) const int FW = 1;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const bool AVG = true;

layout(std430, binding = 0) readonly buffer X { vec4 x[]; };    // forward input (MAX only)
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };  // dL/d output
layout(std430, binding = 2) buffer DX { vec4 dx[]; };           // dL/d input (accumulated)
layout(push_constant) uniform P {
  int H, W, C4;        // input
  int OH, OW;          // output
  int pad_top, pad_left;
  int total;           // N * H * W * C4 invocations
} p;

// The output positions o whose window [o * S - pad, o * S - pad + F) contains input position i.
void window_range(int i, int pad, int F, int S, int O, out int lo, out int hi) {
  int v = i + pad - F + 1;
  lo = v <= 0 ? 0 : (v + S - 1) / S;
  hi = min(O - 1, (i + pad) / S);
}

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int ix = t % p.W;
  t /= p.W;
  int iy = t % p.H;
  int n = t / p.H;
  int oy0, oy1, ox0, ox1;
  window_range(iy, p.pad_top, FH, SH, p.OH, oy0, oy1);
  window_range(ix, p.pad_left, FW, SW, p.OW, ox0, ox1);
  vec4 acc = vec4(0);
  for (int oy = oy0; oy <= oy1; oy++) {
    int y0 = oy * SH - p.pad_top;
    int ky0 = max(0, -y0), ky1 = min(FH, p.H - y0);
    for (int ox = ox0; ox <= ox1; ox++) {
      int x0 = ox * SW - p.pad_left;
      int kx0 = max(0, -x0), kx1 = min(FW, p.W - x0);
      vec4 gv = dy[((n * p.OH + oy) * p.OW + ox) * p.C4 + g];
      if (AVG) {
        acc += gv / float((ky1 - ky0) * (kx1 - kx0));
      } else {
        // The first maximum of the window, lane by lane; `mine`: it sits at (iy, ix).
        vec4 best = vec4(0);
        bvec4 mine = bvec4(false);
        bool first = true;
        for (int ky = ky0; ky < ky1; ky++) {
          int base = ((n * p.H + y0 + ky) * p.W) * p.C4 + g;
          for (int kx = kx0; kx < kx1; kx++) {
            vec4 v = x[base + (x0 + kx) * p.C4];
            bool here = y0 + ky == iy && x0 + kx == ix;
            bvec4 take = first ? bvec4(true) : greaterThan(v, best);
            first = false;
            best = mix(best, v, take);
            mine = bvec4(mix(uvec4(mine), uvec4(here), take));
          }
        }
        acc += mix(vec4(0), gv, mine);
      }
    }
  }
  dx[idx] += acc;
}
