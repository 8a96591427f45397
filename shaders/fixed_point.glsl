// gemmlowp / TFLite fixed-point helpers beyond quant.glsl's requantization (8-bit DIV's reciprocal), mirroring
// src/common/fixed_point.h.  Needs quant.glsl (srdhm, rdbpot).

const int INT_MIN = int(0x80000000);
const int INT_MAX = 0x7fffffff;

// x * 2^exponent, saturating (exponent > 0) or rounding (exponent < 0).
int sat_pot(int x, int exponent) {
  if (exponent <= 0) return rdbpot(x, -exponent);
  int threshold = int((1u << uint(31 - exponent)) - 1u);
  if (x > threshold) return INT_MAX;
  if (x < -threshold) return INT_MIN;
  return x << exponent;
}
int clz(int x) { return 31 - findMSB(uint(x)); }  // findMSB(0) = -1: 32

// (a + b) / 2 rounded away from zero, on the exact 33-bit sum.
int rounding_half_sum(int a, int b) {
  uint carry;
  uint lo = uaddCarry(uint(a), uint(b), carry);
  int hi = (a < 0 ? -1 : 0) + (b < 0 ? -1 : 0) + int(carry);
  if (hi < 0) {  // sum - 1, then truncation toward zero: + 1 before the arithmetic shift
    return int((lo >> 1) | (uint(hi) << 31));
  }
  lo = uaddCarry(lo, 1u, carry);
  hi += int(carry);
  return int((lo >> 1) | (uint(hi) << 31));
}

// 1 / (1 + x) for x in [0, 1], Q0.31 in and out: three Newton-Raphson steps in Q2.29.
int one_over_one_plus_x(int a) {
  int half_denominator = rounding_half_sum(a, INT_MAX);
  int x = 1515870810 + srdhm(half_denominator, -1010580540);
  for (int i = 0; i < 3; i++) {
    int one_minus = (1 << 29) - srdhm(half_denominator, x);
    x = x + sat_pot(srdhm(x, one_minus), 2);
  }
  return sat_pot(x, 1);
}

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

// 8-bit DIV's quotient (quant::div_quotient): a / b times the output multiplier, before the offset and clamp.
int div_quotient(int a, int b, int multiplier, int shift) {
  if (b < 0) {
    a = -a;
    b = -b;
  }
  int headroom_plus_one = clz(b);
  int recip_shift = 31 - headroom_plus_one;
  int inv = one_over_one_plus_x(int((uint(b) << uint(headroom_plus_one & 31)) - 0x80000000u));
  int headroom = count_leading_sign_bits(a);
  int unscaled = srdhm(a << headroom, inv);
  int total_shift = shift - recip_shift - headroom;
  return rdbpot_any(srdhm(unscaled, multiplier), -total_shift);
}
