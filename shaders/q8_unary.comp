#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit LOGISTIC / RELU / RELU6 / HARD_SWISH as TFLite's integer kernels (the integer reference's):
//  OP 0 (LOGISTIC): a 256-entry table indexed by the device value (built on the host from the reference's table);
//  OP 1 (RELU, RELU6): zo + MultiplyByQuantizedMultiplier(q - zi, m, s), clamped to [lo, hi];
//  OP 2 (HARD_SWISH): TFLite's int16 fixed-point path, emulated in 32-bit integers.
// PER words per invocation; padding lanes get the output zero point.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const int OP = 0;
layout(constant_id = 1) const uint PER = 4;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Table { uint table[]; };  // OP 0: 256 int8 entries, 4 per word
layout(push_constant) uniform P {
  int total, C, C4;
  int zi, zo;            // device zero points
  int m, s, lo, hi;      // OP 1
  int out_mult, out_exp, relu_mult, relu_exp;  // OP 2 (int16 multipliers)
} p;

// ---- int16 arithmetic of TFLite's HardSwish, on int values in int16 range ----
int srdhm16(int a, int b) {
  if (a == b && a == -32768) return 32767;
  int ab = a * b;
  int nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return div_trunc(ab + nudge, 1 << 15);
}
int sdhm16(int a, int b) {  // truncating
  if (a == b && a == -32768) return 32767;
  return div_trunc(a * b, 1 << 15);
}
int sat_lshift16(int x, int amount) { return clamp(x * (1 << amount), -32768, 32767); }

int hard_swish(int d) {
  int input_value = d - p.zi;
  int hires = input_value * 128;
  int preshift = srdhm16(hires, p.out_mult);
  int reluish = hires;
  if (p.relu_exp > 0) reluish = sat_lshift16(reluish, p.relu_exp - 1);
  reluish = srdhm16(reluish, p.relu_mult);
  if (p.relu_exp > 0) reluish = sat_lshift16(reluish, 1);
  if (p.relu_exp < 0) reluish = rdbpot(reluish, -p.relu_exp);
  reluish = (reluish + 32768) >> 1;
  int pre_out = sdhm16(reluish, preshift);
  int out_value = rdbpot(pre_out, -p.out_exp);
  return clamp(out_value + p.zo, -128, 127);
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  bool masked = (p.C & 3) != 0;  // the channel group (a division) is needed for padding lanes only
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    ivec4 x = word_unpack(src[idx]);
    ivec4 v;
    if (OP == 1) v = clamp(p.zo + mbqm4(x - p.zi, ivec4(p.m), ivec4(p.s)), p.lo, p.hi);
    for (int l = 0; l < 4; l++) {
      if (OP == 0) {
        uint k = uint(x[l]) & 0xffu;
        v[l] = bitfieldExtract(int(table[k >> 2]), int(8u * (k & 3u)), 8);
      } else if (OP != 1) {
        v[l] = hard_swish(x[l]);
      }
    }
    if (masked) v = q8_mask(v, idx % p.C4, p.C, p.zo);
    dst[idx] = word_pack(v);
  }
}
