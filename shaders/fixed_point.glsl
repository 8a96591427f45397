// gemmlowp / TFLite fixed-point helpers beyond quant.glsl's requantization (8-bit DIV's quotient), mirroring
// src/common/fixed_point.h.  Needs quant.glsl (srdhm, rdbpot).

const int INT_MIN = int(0x80000000);

int clz(int x) { return 31 - findMSB(uint(x)); }  // findMSB(0) = -1: 32

// rdbpot for any exponent >= 0 as TFLite's compiled kernels run it: from 32 on the mask is all ones and the shift
// takes the exponent mod 32 (quant::rounding_divide_by_pot_any).
int rdbpot_any(int x, int exponent) {
  if (exponent < 32) return rdbpot(x, exponent);
  int threshold = -1 + (x < 0 ? 1 : 0);
  return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

int count_leading_sign_bits(int x) {
  if (x >= 0) return clz(x) - 1;
  if (x == INT_MIN) return 0;
  return 31 - findMSB(2u * uint(-x) - 1u);
}

// 8-bit DIV's quotient (quant::div_quotient): a / b times the output multiplier, before the offset and clamp.  r is
// b's reciprocal from the host's table (quant::div_reciprocal: inv, shift, negate), so that the Newton-Raphson
// reciprocal runs once per divisor byte instead of once per element.
int div_quotient(int a, ivec3 r, int multiplier, int shift) {
  if (r.z != 0) a = -a;
  int headroom = count_leading_sign_bits(a);
  int unscaled = srdhm(a << headroom, r.x);
  int total_shift = shift - r.y - headroom;
  return rdbpot_any(srdhm(unscaled, multiplier), -total_shift);
}
