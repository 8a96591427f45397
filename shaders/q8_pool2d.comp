#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit AVERAGE_POOL_2D / MAX_POOL_2D on the raw quantized values (TFLite: input and output share their
// parameters).  One invocation computes one word (4 channels) of TILE consecutive output pixels of a row.  The
// average is taken on the tensor's own values (uint8: the device value + 128) over the in-image taps, rounded half
// away from zero; the fused activation is a clamp.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const int FH = 1;
layout(constant_id = 1) const int FW = 1;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const bool AVG = true;
layout(constant_id = 5) const int TILE = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int H, W, C, C4;
  int OH, OW, OWT;
  int pad_top, pad_left;
  int total;
  int flip_in, flip_out;  // 128 for uint8 tensors (device value = value - 128), else 0
  int lo, hi, zo;         // clamp range and zero point (device values of the output)
} p;

const int SPAN = (TILE - 1) * SW + FW;

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

  ivec4 acc[TILE];
  for (int i = 0; i < TILE; i++) acc[i] = ivec4(AVG ? 0 : -128);

  for (int ky = ky0; ky < ky1; ky++) {
    int rowbase = ((n * p.H + iy0 + ky) * p.W) * p.C4 + g;
    for (int s = 0; s < SPAN; s++) {
      int ix = ix0 + s;
      if (ix < 0 || ix >= p.W) continue;
      ivec4 v = word_unpack(src[rowbase + ix * p.C4]);
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
    ivec4 r = acc[i];
    if (AVG) {
      int x0 = ix0 + i * SW;
      int kx0 = max(0, -x0), kx1 = min(FW, p.W - x0);
      int count = max(1, max(0, ky1 - ky0) * max(0, kx1 - kx0));
      r += p.flip_in * count;  // the tensor's own values
      r += mix(ivec4(-(count / 2)), ivec4(count / 2), greaterThan(r, ivec4(0)));
      if (count < 1 << 15) {  // |r| <= 256 * count < 2^24
        r = div_trunc4(r, count);
      } else {
        for (int l = 0; l < 4; l++) r[l] = div_trunc(r[l], count);
      }
      r -= p.flip_out;
    } else {
      r += p.flip_in - p.flip_out;
    }
    r = clamp(r, ivec4(p.lo), ivec4(p.hi));
    dst[(outrow + ox) * p.C4 + g] = word_pack(q8_mask(r, g, p.C, p.zo));
  }
}
