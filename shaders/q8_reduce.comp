#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit MEAN, SUM, REDUCE_MAX, REDUCE_MIN (OP) over any set of the [N,H,W,C] view's axes, as TFLite's builtin
// kernels (see src/ref/int_kernels.cpp, src/ops/op_reduce.cpp).  MAX / MIN copy the extreme device value (equal
// input / output parameters; the uint8 flip keeps the order).  MEAN and SUM take the sum of the tensor's own values
// (uint8: device value + 128) over the reduced elements, then
//  MODE 0 (MEAN, 4-D, keep_dims, axes {1,2}): MultiplyByQuantizedMultiplier(sum, m, s) + bias, clamped;
//  MODE 1 (MEAN, equal input / output parameters): sum / count truncated toward zero;
//  MODE 2 (MEAN): float: round(fdiv(float(sum), float(count)) * scale + bias) + zo, clamped (exact IEEE float32);
//  MODE 3 (SUM, equal parameters): the sum wrapped to the 8-bit type (TFLite adds in the tensor's own type);
//  MODE 4 (SUM): int(round(float(sum) * scale + fbias)) + zo wrapped to the 8-bit type (TFLite does not clamp).
// One invocation writes one word of one output row; RC (channel axis reduced): each lane is one output element.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const bool RN = false;
layout(constant_id = 1) const bool RH = true;
layout(constant_id = 2) const bool RW = true;
layout(constant_id = 3) const bool RC = false;
layout(constant_id = 4) const int MODE = 0;
layout(constant_id = 5) const int OP = 0;  // 0 MEAN, 1 SUM, 2 MAX, 3 MIN

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int N, H, W, C, C4;  // input view
  int OC, OC4;         // output channels, words per output row
  int total;           // output rows * OC4
  int count;           // reduced elements per output
  int flip_in, flip_out;
  int m, s;            // MODE 0 multiplier
  int ibias;           // MODE 0 bias (raw output value)
  float fcount, fscale, fbias;  // MODE 2
  int zo_raw, qmin, qmax;       // raw output zero point and range
  int zo;                       // device zero point of the output (padding lanes)
} p;

int init_value() { return OP == 2 ? -1024 : OP == 3 ? 1024 : 0; }

ivec4 combine(ivec4 a, ivec4 b) { return OP == 2 ? max(a, b) : OP == 3 ? min(a, b) : a + b; }

ivec4 reduce_nhw(int n, int h, int w, int g) {
  int n0 = RN ? 0 : n, n1 = RN ? p.N : n + 1;
  int h0 = RH ? 0 : h, h1 = RH ? p.H : h + 1;
  int w0 = RW ? 0 : w, w1 = RW ? p.W : w + 1;
  ivec4 s = ivec4(init_value());
  for (int a = n0; a < n1; a++)
    for (int b = h0; b < h1; b++) {
      int base = ((a * p.H + b) * p.W) * p.C4 + g;
      for (int c = w0; c < w1; c++) s = combine(s, word_unpack(src[base + c * p.C4]));
    }
  return s;
}

// v modulo 256 into the tensor's own range [qmin, qmin + 255].
int wrap8(int v) { return ((v - p.qmin) & 255) + p.qmin; }

int finish(int sum) {
  if (OP >= 2) return sum;  // a device value
  sum += p.flip_in * p.count;  // the tensor's own values
  int v;
  if (MODE == 3) {
    v = wrap8(sum);
  } else if (MODE == 4) {
    precise float t = float(sum) * p.fscale;
    precise float u = t + p.fbias;
    v = wrap8(int(round_away(u)) + p.zo_raw);
  } else if (MODE == 0) {
    v = clamp(mbqm(sum, p.m, p.s) + p.ibias, p.qmin, p.qmax);
  } else if (MODE == 1) {
    v = div_trunc(sum, p.count);
  } else {
    precise float mean = fdiv_exact(float(sum), p.fcount);
    precise float t = mean * p.fscale;
    precise float u = t + p.fbias;
    precise float r = round_away(u) + float(p.zo_raw);
    r = max(min(r, float(p.qmax)), float(p.qmin));
    v = int(r);
  }
  return v - p.flip_out;
}

void main() {
  int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.OC4;
  int row = idx / p.OC4;
  int KH = RH ? 1 : p.H, KW = RW ? 1 : p.W;
  ivec4 r = ivec4(p.zo);
  if (!RC) {
    int w = row % KW;
    int t = row / KW;
    ivec4 s = reduce_nhw(t / KH, t % KH, w, g);
    for (int l = 0; l < 4; l++) r[l] = finish(s[l]);
  } else {
    for (int i = 0; i < 4; i++) {
      int c = g * 4 + i;
      if (c >= p.OC) break;
      int j = row * p.OC + c;  // dense index over the kept N,H,W positions
      int w = j % KW;
      int t = j / KW;
      int n = t / KH, h = t % KH;
      int s = init_value();
      for (int q = 0; q < p.C4; q++) {
        ivec4 v = reduce_nhw(n, h, w, q);
        for (int l = 0; l < 4; l++)
          if (q * 4 + l < p.C) s = combine(ivec4(s), ivec4(v[l])).x;
      }
      r[i] = finish(s);
    }
  }
  dst[idx] = word_pack(q8_mask(r, g, p.OC, p.zo));
}
