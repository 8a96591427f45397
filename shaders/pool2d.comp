#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// AVERAGE_POOL_2D / MAX_POOL_2D over NHWC4 tensors.  One invocation computes one channel group (vec4) of TILE
// consecutive output pixels of a row; every input column of the row span they cover is loaded once.  The average
// divides by the number of in-bounds window elements (padding never counts) and accumulates in fp32.
#include "common.glsl"

layout(constant_id = 0) const int FH = 1;   // filter height
layout(constant_id = 1) const int FW = 1;   // filter width
layout(constant_id = 2) const int SH = 1;   // stride y
layout(constant_id = 3) const int SW = 1;   // stride x
layout(constant_id = 4) const uint ACT = 0u;
layout(constant_id = 5) const bool AVG = true;
layout(constant_id = 6) const int TILE = 4;  // output pixels per invocation along x (1..4)

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int H, W, C, C4;      // input (C4: vec4 groups per row, same for the output)
  int OH, OW, OWT;      // output size, tiles per output row
  int pad_top, pad_left;
  int total;            // N * OH * OWT * C4 invocations
} p;

const int SPAN = (TILE - 1) * SW + FW;  // input columns covered by one tile

#if TARE_FP16
const float LOWEST = -65504.0;
#else
const float LOWEST = -3.402823466e38;
#endif

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int xt = t % p.OWT;
  t /= p.OWT;
  int oy = t % p.OH;
  int n = t / p.OH;
  int ox0 = xt * TILE;
  int iy0 = oy * SH - p.pad_top;
  int ix0 = ox0 * SW - p.pad_left;
  int ky0 = max(0, -iy0), ky1 = min(FH, p.H - iy0);

  vec4 acc[TILE];
  for (int i = 0; i < TILE; i++) acc[i] = vec4(AVG ? 0.0 : LOWEST);

  for (int ky = ky0; ky < ky1; ky++) {
    int rowbase = ((n * p.H + iy0 + ky) * p.W) * p.C4 + g;
    for (int s = 0; s < SPAN; s++) {
      int ix = ix0 + s;
      if (ix < 0 || ix >= p.W) continue;
      vec4 v = vec4(src[rowbase + ix * p.C4]);
      for (int i = 0; i < TILE; i++) {
        int kx = s - i * SW;
        if (kx >= 0 && kx < FW) acc[i] = AVG ? acc[i] + v : max(acc[i], v);
      }
    }
  }

  int outrow = (n * p.OH + oy) * p.OW;
  for (int i = 0; i < TILE; i++) {
    int ox = ox0 + i;
    if (ox >= p.OW) break;
    vec4 r = acc[i];
    if (AVG) {
      int x0 = ix0 + i * SW;
      int kx0 = max(0, -x0), kx1 = min(FW, p.W - x0);
      int count = max(0, ky1 - ky0) * max(0, kx1 - kx0);
      r = count > 0 ? r / float(count) : vec4(0);
    }
    dst[(outrow + ox) * p.C4 + g] = SVEC4(mask_pad(apply_act(AVEC4(r), ACT), g, p.C));
  }
}
