#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// RESIZE_BILINEAR as TFLite's reference kernel: src = dst * scale (or (dst + 0.5) * scale - 0.5 with half-pixel
// centers), low = max(floor(src), 0), high = min(ceil(src), in - 1), weight = src - low.  The interpolation runs in
// fp32.  One invocation writes one channel group (vec4) of TILE consecutive output pixels of a row.
#include "common.glsl"

layout(constant_id = 0) const int TILE = 4;
layout(constant_id = 1) const bool HALF_PIXEL = false;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int H, W, C, C4;       // input view
  int OH, OW, OWT;       // output size, tiles per output row
  int total;             // N * OH * OWT * C4 invocations
  float scale_h, scale_w;
} p;

void coord(int v, float scale, int size, out int lo, out int hi, out float frac) {
  precise float s = HALF_PIXEL ? (float(v) + 0.5) * scale - 0.5 : float(v) * scale;
  lo = max(int(floor(s)), 0);
  hi = min(int(ceil(s)), size - 1);
  frac = s - float(lo);
}

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int xt = t % p.OWT;
  t /= p.OWT;
  int oy = t % p.OH;
  int n = t / p.OH;
  int y0, y1;
  float dy;
  coord(oy, p.scale_h, p.H, y0, y1, dy);
  int r0 = (n * p.H + y0) * p.W, r1 = (n * p.H + y1) * p.W;
  int outrow = (n * p.OH + oy) * p.OW;
  for (int i = 0; i < TILE; i++) {
    int ox = xt * TILE + i;
    if (ox >= p.OW) break;
    int x0, x1;
    float dx;
    coord(ox, p.scale_w, p.W, x0, x1, dx);
    vec4 a = vec4(src[(r0 + x0) * p.C4 + g]), b = vec4(src[(r1 + x0) * p.C4 + g]);
    vec4 c = vec4(src[(r0 + x1) * p.C4 + g]), d = vec4(src[(r1 + x1) * p.C4 + g]);
    vec4 v = a * ((1.0 - dy) * (1.0 - dx)) + b * (dy * (1.0 - dx)) + c * ((1.0 - dy) * dx) + d * (dy * dx);
    dst[(outrow + ox) * p.C4 + g] = SVEC4(mask_pad(AVEC4(v), g, p.C));
  }
}
