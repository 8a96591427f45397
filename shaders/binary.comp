#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// ADD / MUL / SUB / MAXIMUM / MINIMUM / SQUARED_DIFFERENCE / DIV / PRELU / POW with numpy broadcasting over the [N,H,W,C] view, fused activation.  Each operand is read in one of
// three modes: 0 same layout as the output (direct index), 1 same channel count with broadcast rows (row strides,
// 0 where a dimension broadcasts), 2 a single channel broadcast over C (row strides, scalar load).  Each
// invocation handles PER vec4 groups of the output, strided by the workgroup width.
#include "common.glsl"

layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint OP = 0;  // BinaryOp (src/ops/op_common.h)
layout(constant_id = 2) const uint MODE_A = 0;
layout(constant_id = 3) const uint MODE_B = 0;
layout(constant_id = 4) const uint MASK = 0;  // 1: zero the padding lanes (a mode-2 operand fills them)
layout(constant_id = 5) const uint PER = 4;

layout(std430, binding = 0) readonly buffer A { SVEC4 a[]; };
layout(std430, binding = 1) readonly buffer B { SVEC4 b[]; };
layout(std430, binding = 2) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int total;  // output vec4 groups
  int C, C4, W, H;  // output
  int an, ah, aw, ac4;  // operand a: row strides per output n, h, w (0: broadcast); its vec4 groups per row
  int bn, bh, bw, bc4;
} p;

AVEC4 load(uint mode, int idx, int row, int g, int sn, int sh, int sw, int c4, bool is_a) {
  if (mode == 0u) return AVEC4(is_a ? a[idx] : b[idx]);
  int w = row % p.W;
  int t = row / p.W;
  int h = t % p.H;
  int n = t / p.H;
  int r = n * sn + h * sh + w * sw;
  if (mode == 1u) return AVEC4(is_a ? a[r * c4 + g] : b[r * c4 + g]);
  return AVEC4(is_a ? a[r * c4].x : b[r * c4].x);
}

// TFLite's element functions; MAXIMUM / MINIMUM pick as `a > b ? a : b` / `a < b ? a : b`.
AVEC4 apply_op(AVEC4 x, AVEC4 y) {
  if (OP == 0u) return x + y;
  if (OP == 1u) return x * y;
  if (OP == 2u) return x - y;
  if (OP == 3u) return mix(y, x, greaterThan(x, y));
  if (OP == 4u) return mix(y, x, lessThan(x, y));
  if (OP == 5u) return (x - y) * (x - y);
  if (OP == 7u) return mix(x * y, x, greaterThanEqual(x, AVEC4(0)));  // PRELU: y is alpha
  if (OP == 8u) return pow(x, y);
  return x / y;
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int row = 0, g = 0;
    if (MODE_A != 0u || MODE_B != 0u || MASK != 0u) {
      row = idx / p.C4;
      g = idx - row * p.C4;
    }
    AVEC4 x = load(MODE_A, idx, row, g, p.an, p.ah, p.aw, p.ac4, true);
    AVEC4 y = load(MODE_B, idx, row, g, p.bn, p.bh, p.bw, p.bc4, false);
    AVEC4 v = apply_act(apply_op(x, y), ACT);
    if (MASK != 0u) v = mask_pad(v, g, p.C);
    dst[idx] = SVEC4(v);
  }
}
