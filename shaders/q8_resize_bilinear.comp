#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit RESIZE_BILINEAR on the tensor's own values (uint8: device value + 128), one word per invocation.  Source
// positions per output row / column come from the host.
//  int8, TFLite's ResizeBilinearInteger: positions in 10-bit fixed point (y0, y1, dy), the four taps weighted in 20
//       bits and rounded half away from zero.
//  uint8 (uint8_float), TFLite's float kernel (ResizeBilinearGenericSmallChannel): rows (y0, y1, bits of dy and
//       1 - dy), columns likewise; weights (1-dy)(1-dx), (1-dy)dx, dy(1-dx), dy dx, the taps summed in that order,
//       + 0.5, truncated.  Every float op is `precise` (no fma contraction, no reassociation) so that each rounds
//       as TFLite's single-precision C++.
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
  int uint8_float;
} p;

ivec4 tflite_float(ivec4 py, ivec4 px, ivec4 v00, ivec4 v01, ivec4 v10, ivec4 v11) {
  float dy = intBitsToFloat(py.z), ry = intBitsToFloat(py.w);
  float dx = intBitsToFloat(px.z), rx = intBitsToFloat(px.w);
  precise float w00 = ry * rx;
  precise float w01 = ry * dx;
  precise float w10 = dy * rx;
  precise float w11 = dy * dx;
  ivec4 r;
  for (int l = 0; l < 4; l++) {
    precise float a = float(v00[l]) * w00;
    precise float b = a + float(v01[l]) * w01;
    precise float c = b + float(v10[l]) * w10;
    precise float d = c + float(v11[l]) * w11;
    precise float e = d + 0.5;
    r[l] = int(clamp(e, 0.0, 255.0));
  }
  return r;
}

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
  if (p.uint8_float != 0) {
    dst[idx] = q8_pack(q8_mask(tflite_float(py, px, v00, v01, v10, v11) - p.flip_out, g, p.C, p.zo));
    return;
  }
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
