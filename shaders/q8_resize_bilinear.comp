#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit RESIZE_BILINEAR, TFLite's integer path (ResizeBilinearInteger): source positions in 10-bit fixed point
// (per output row / column, computed on the host: y0, y1, dy and x0, x1, dx), the four taps weighted in 20 bits and
// rounded half away from zero, on the tensor's own values (uint8: device value + 128).  One word per invocation.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(std430, binding = 0) readonly buffer Src { Q8T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { Q8T dst[]; };
layout(std430, binding = 2) readonly buffer Pos { ivec4 pos[]; };  // OH rows (y0, y1, dy, 0), then OW columns
layout(push_constant) uniform P {
  int H, W, C, C4;
  int OH, OW;
  int total;
  int flip_in, flip_out, zo;
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int ox = t % p.OW;
  t /= p.OW;
  int oy = t % p.OH;
  int n = t / p.OH;
  ivec4 py = pos[oy], px = pos[p.OH + ox];
  int dy = py.z, dx = px.z;
  int rb = n * p.H;
  ivec4 v00 = q8_unpack(src[((rb + py.x) * p.W + px.x) * p.C4 + g]) + p.flip_in;
  ivec4 v10 = q8_unpack(src[((rb + py.y) * p.W + px.x) * p.C4 + g]) + p.flip_in;
  ivec4 v01 = q8_unpack(src[((rb + py.x) * p.W + px.y) * p.C4 + g]) + p.flip_in;
  ivec4 v11 = q8_unpack(src[((rb + py.y) * p.W + px.y) * p.C4 + g]) + p.flip_in;
  // Exact in 32 bits: the weights add up to 2^20, so |result| <= 255 * 2^20 (partial sums wrap harmlessly).
  ivec4 acc = v00 * ((1024 - dy) * (1024 - dx)) + v10 * (dy * (1024 - dx)) + v01 * ((1024 - dy) * dx) +
              v11 * (dy * dx);
  ivec4 r;
  for (int l = 0; l < 4; l++) {
    int a = acc[l];
    r[l] = a > 0 ? (a + (1 << 19)) >> 20 : -((-a + (1 << 19)) >> 20);
  }
  r -= p.flip_out;
  dst[idx] = q8_pack(q8_mask(r, g, p.C, p.zo));
}
