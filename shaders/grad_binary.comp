#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of the binary family for one operand X (training, float32), with numpy broadcasting over the [N,H,W,C]
// view: dX += sum over the output positions X was broadcast to of dy * d(out)/dX, that is dy (ADD; SUB's first
// operand), -dy (SUB's second), dy * other (MUL), dy where X was picked (MAXIMUM / MINIMUM, ties to the first
// operand), 2 dy (X - other) (SQUARED_DIFFERENCE), dy / other (DIV's first), -dy * other / X^2 (DIV's second),
// dy or dy * alpha by the sign of x (PRELU's input; its alpha: dy * x where x < 0), dy * e * X^(e - 1) (POW's base;
// its exponent: dy * b^X * log b).
// No atomics: each item (a vec4 group of X, or a whole row of X when its single channel was broadcast over C, CB)
// is owned by one invocation (WG == 1) or by one workgroup of WG invocations that split its broadcast positions and
// combine their partial sums in shared memory (WG > 1, for large broadcast counts).  The other operand is read as
// shaders/binary.comp reads it (mode 0 same layout, 1 broadcast rows, 2 single channel).  dy's padding lanes are 0,
// so dX's stay 0.
#include "common.glsl"
#include "ste_mask.glsl"

layout(constant_id = 0) const uint OP = 0;  // BinaryOp (src/ops/op_common.h)
layout(constant_id = 1) const uint MODE_O = 0;  // the other operand's read mode
layout(constant_id = 2) const bool CB = false;  // X has one channel, broadcast over the output's C
layout(constant_id = 3) const uint WG = 1;
layout(constant_id = 4) const bool SECOND = false;  // X is the second operand
// ACCUM: dx += the gradient; false: dx = it (this kernel is dx's first writer, BuildContext::claim_grad_store).
layout(constant_id = 5) const bool ACCUM = true;
// MASK: FAKE_QUANT's backward folded in (src/ops/ste_fold.h): dx is the FAKE_QUANT's input's gradient, the sum
// masked by ste_pass at XM (that input's values); 2: with its fused activation.
layout(constant_id = 6) const uint MASK = 0;

layout(std430, binding = 0) readonly buffer O { vec4 other[]; };  // the other operand (not ADD / SUB)
layout(std430, binding = 1) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(std430, binding = 3) readonly buffer X { vec4 xval[]; };  // X's value (MAXIMUM ... DIV)
layout(push_constant) uniform P {
  int items;            // X vec4 groups (CB: X rows)
  int C4, W, H;         // output view: vec4 groups per row, width, height
  int xc4, xw, xh;      // X view: vec4 groups per row, width, height
  int bn, bh, bw;       // output extent along the dimensions X broadcasts over (1 elsewhere)
  int count;            // broadcast positions per item: bn * bh * bw (* C4 when CB)
  int on, oh, ow, oc4;  // the other operand's row strides per output n, h, w and its vec4 groups per row
  int key_lo, key_hi, act_lo, act_hi;  // MASK
} p;
layout(std430, binding = 4) readonly buffer XM { ivec4 xm[]; };  // MASK: raw bits

shared vec4 partial[WG];

vec4 load_other(int orow, int g, int n, int h, int w) {
  if (MODE_O == 0u) return other[orow * p.C4 + g];
  int r = n * p.on + h * p.oh + w * p.ow;
  if (MODE_O == 1u) return other[r * p.oc4 + g];
  return vec4(other[r * p.oc4].x);
}

// d(out)/dX * dy at one position: x is X's value, o the other operand's.
vec4 term(vec4 g, vec4 x, vec4 o) {
  if (OP == 0u) return g;
  if (OP == 1u) return g * o;
  if (OP == 2u) return SECOND ? -g : g;
  if (OP == 3u) return SECOND ? mix(vec4(0), g, greaterThan(x, o)) : mix(vec4(0), g, greaterThanEqual(x, o));
  if (OP == 4u) return SECOND ? mix(vec4(0), g, lessThan(x, o)) : mix(vec4(0), g, lessThanEqual(x, o));
  if (OP == 5u) return 2.0 * g * (x - o);
  if (OP == 7u) return SECOND ? mix(vec4(0), g * o, lessThan(o, vec4(0))) : mix(g * o, g, greaterThanEqual(x, vec4(0)));
  // POW: padding lanes (dy 0) may raise 0 to a negative power, so they contribute 0 explicitly.
  if (OP == 8u) {
    vec4 t = SECOND ? g * pow(o, x) * log(o) : g * o * pow(x, o - 1.0);
    return mix(t, vec4(0), equal(g, vec4(0)));
  }
  // DIV: padding lanes (dy 0) divide zeros, so they contribute 0 explicitly.
  vec4 t = SECOND ? -g * o / (x * x) : g / o;
  return mix(t, vec4(0), equal(g, vec4(0)));
}

void main() {
  int item, first, step;
  if (WG == 1u) {
    item = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    first = 0;
    step = 1;
  } else {
    item = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);
    first = int(gl_LocalInvocationID.x);
    step = int(WG);
  }
  if (item >= p.items) return;  // uniform per workgroup when WG > 1
  int xg = CB ? 0 : item % p.xc4;
  int xr = CB ? item : item / p.xc4;
  int xw = xr % p.xw;
  int t = xr / p.xw;
  int xh = t % p.xh;
  int xn = t / p.xh;
  vec4 own = OP > 2u ? (CB ? vec4(xval[item].x) : xval[item]) : vec4(0);
  vec4 acc = vec4(0);
  for (int k = first; k < p.count; k += step) {
    int q = k, g = xg;
    if (CB) {
      g = q % p.C4;
      q /= p.C4;
    }
    int w = xw + q % p.bw;
    q /= p.bw;
    int h = xh + q % p.bh;
    int n = xn + q / p.bh;
    int orow = (n * p.H + h) * p.W + w;
    vec4 v = dy[orow * p.C4 + g];
    vec4 o = OP != 0u && OP != 2u ? load_other(orow, g, n, h, w) : vec4(0);
    acc += term(v, own, o);
  }
  if (WG > 1u) {
    partial[first] = acc;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
      if (uint(first) < s) partial[first] += partial[first + int(s)];
      barrier();
    }
    if (first != 0) return;
    acc = partial[0];
  }
  if (CB) acc = vec4((acc.x + acc.y) + (acc.z + acc.w), 0, 0, 0);
  if (MASK != 0u) acc = mix(vec4(0), acc, ste_pass(xm[item], p.key_lo, p.key_hi, MASK == 2u, p.act_lo, p.act_hi));
  dx[item] = ACCUM ? dx[item] + acc : acc;
}
