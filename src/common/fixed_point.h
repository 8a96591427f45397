// Integer requantization arithmetic of TensorFlow Lite's 8-bit scheme (Jacob et al. 2018, "Quantization and
// Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference"), written from its definition so that
// Tare's integer kernels are bit-exact with TFLite's.
//
// A real multiplier M > 0 is represented as M = m * 2^shift with m a Q31 fixed-point value in [0.5, 1) (an int32 in
// [2^30, 2^31)).  Applying it to an int32 accumulator x:
//     multiply_by_quantized_multiplier(x, m, shift)
//       = rounding_divide_by_pot(srdhm(x * 2^max(shift,0), m), max(-shift,0))
// where srdhm (SaturatingRoundingDoublingHighMul) is round(x*m / 2^31) with ties rounded upward and saturation of
// the single overflow case, and rounding_divide_by_pot is a right shift that rounds to nearest, ties away from zero.
// This double rounding is TFLite's default (TFLITE_SINGLE_ROUNDING off).  TFLite's int8 CONV_2D / FULLY_CONNECTED
// run their GEMM in ruy, which requantizes with one rounding instead:
// multiply_by_quantized_multiplier_single_rounding.
//
// Also here: gemmlowp's fixed-point exp / reciprocal (used by TFLite's reference softmax and fixed-point logistic),
// the int16 helpers of TFLite's HARD_SWISH, the float lookup tables that TFLite's builtin (optimized) kernels use
// for int8/uint8 LOGISTIC and SOFTMAX, and the clamp range of fused activations.
//
// Everything is header-only and constexpr-friendly where it can be: the GPU kernels' shader code mirrors it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace tare::quant {

// ---- multipliers -------------------------------------------------------------------------------------------------

struct QuantizedMultiplier {
  int32_t multiplier = 0;  // Q31, in [2^30, 2^31) (or 0 for a zero multiplier)
  int shift = 0;           // power of two: > 0 left shift, < 0 right shift
};

// TFLite's QuantizeMultiplier: frexp splits M into q in [0.5, 1) and an exponent; q is rounded to Q31 with ties away
// from zero.  Rounding can reach exactly 2^31 (q just below 1): the multiplier is then halved and the exponent
// incremented.  M == 0 gives {0, 0}; an exponent below -31 (the value would shift out entirely) gives {0, 0}.
// Negative or non-finite M are not valid multipliers (callers check; here they give {0, 0}).
inline QuantizedMultiplier quantize_multiplier(double m) {
  QuantizedMultiplier r;
  if (!(m > 0.0) || !std::isfinite(m)) return r;
  int exponent = 0;
  const double q = std::frexp(m, &exponent);
  int64_t q_fixed = (int64_t)std::round(q * (double)(1LL << 31));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) return r;
  r.multiplier = (int32_t)q_fixed;
  r.shift = exponent;
  return r;
}

// The three rescalings of TFLite's 8-bit ADD / SUB (left_shift 20) and SQUARED_DIFFERENCE (left_shift 7): each
// input to twice the larger input scale, then the result (for SQUARED_DIFFERENCE the squared difference, hence the
// squared scale over 2^14) to the output.  SUB negates the second input's multiplier: TFLite runs its ADD kernel.
// out.shift > 0 is a multiplier TFLite's QuantizeMultiplierSmallerThanOneExp refuses (callers check).
struct AddRescale {
  QuantizedMultiplier a, b, out;
  int left_shift;
};
inline AddRescale add_rescale(float as, float bs, float os, bool negate_b, bool squared) {
  AddRescale r;
  r.left_shift = squared ? 7 : 20;
  const double twice_max_input_scale = 2.0 * (double)std::max(as, bs);
  r.a = quantize_multiplier((double)as / twice_max_input_scale);
  r.b = quantize_multiplier((double)bs / twice_max_input_scale);
  if (negate_b) r.b.multiplier = -r.b.multiplier;
  const double num = squared ? twice_max_input_scale * twice_max_input_scale : twice_max_input_scale;
  r.out = quantize_multiplier(num / ((double)(1 << (squared ? 2 * r.left_shift : r.left_shift)) * (double)os));
  return r;
}

// ---- int32 fixed-point primitives (gemmlowp) ---------------------------------------------------------------------

// round(a*b / 2^31), ties rounded upward (2.5 -> 3, -2.5 -> -2); the one overflowing case (INT32_MIN * INT32_MIN)
// saturates to INT32_MAX.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1LL - (1LL << 30));
  return (int32_t)((ab + nudge) / (1LL << 31));  // C++ division truncates toward zero
}

// x / 2^exponent rounded to nearest, ties away from zero (exponent in [0, 31]).
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite's MultiplyByQuantizedMultiplier: x * m * 2^shift with the double rounding described at the top.  The left
// shift (shift > 0) wraps on overflow as TFLite's `x * (1 << left_shift)` does on every real target.
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = (int32_t)(uint32_t)((uint32_t)x << left);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right);
}
inline int32_t multiply_by_quantized_multiplier(int32_t x, const QuantizedMultiplier& q) {
  return multiply_by_quantized_multiplier(x, q.multiplier, q.shift);
}

// Single-rounding variant: round(x * m * 2^(shift - 31)) computed exactly in 64 bits, ties rounded upward (toward
// +infinity).  This is ruy's MultiplyByQuantizedMultiplier (and TFLite's with TFLITE_SINGLE_ROUNDING): TFLite's int8
// CONV_2D goes through ruy's GEMM with per-channel multipliers, so its outputs are requantized this way, while its
// depthwise, uint8 and elementwise kernels use the double-rounding version above.  Requires shift <= 30.
inline int32_t multiply_by_quantized_multiplier_single_rounding(int32_t x, int32_t multiplier, int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  const int64_t result = ((int64_t)x * (int64_t)multiplier + round) >> total_shift;  // arithmetic shift: floor
  return (int32_t)std::clamp<int64_t>(result, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
}
inline int32_t multiply_by_quantized_multiplier_single_rounding(int32_t x, const QuantizedMultiplier& q) {
  return multiply_by_quantized_multiplier_single_rounding(x, q.multiplier, q.shift);
}

// TFLite's "SmallerThanOneExp" variant (shift <= 0: SRDHM then rounding right shift) and "GreaterThanOne" variant
// (shift >= 0: left shift then SRDHM).  ADD uses the former for its three rescalings.
inline int32_t multiply_by_quantized_multiplier_smaller_than_one_exp(int32_t x, int32_t multiplier, int left_shift) {
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -left_shift);
}
inline int32_t multiply_by_quantized_multiplier_greater_than_one(int32_t x, int32_t multiplier, int left_shift) {
  return saturating_rounding_doubling_high_mul((int32_t)(uint32_t)((uint32_t)x << left_shift), multiplier);
}

// gemmlowp's SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating when exponent > 0, rounding (ties away
// from zero) when exponent < 0.
inline int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
  const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return (int32_t)(uint32_t)((uint32_t)x << exponent);
}

// gemmlowp's RoundingHalfSum: (a + b) / 2 rounded away from zero.
inline int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

// Fixed-point values are raw int32 with `integer_bits` integer bits (31 - integer_bits fractional bits), as
// gemmlowp's FixedPoint<int32_t, integer_bits>.  The product of raw a (Ia bits) and b (Ib bits) is
// srdhm(a, b) with Ia + Ib integer bits.

// Rescales raw x from `from_bits` integer bits to `to_bits` (gemmlowp's Rescale).
inline int32_t fixed_rescale(int32_t x, int from_bits, int to_bits) {
  return saturating_rounding_multiply_by_pot(x, from_bits - to_bits);
}

// exp(a) for a in [-1/4, 0), a and the result with 0 integer bits (gemmlowp's
// exp_on_interval_between_negative_one_quarter_and_0_excl): 4th-order Taylor expansion around -1/8.
inline int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;     // exp(-1/8) in Q0.31
  const int32_t constant_1_over_3 = 715827883;  // 1/3
  const int32_t x = a + (1 << 28);              // a + 1/8
  const int32_t x2 = saturating_rounding_doubling_high_mul(x, x);
  const int32_t x3 = saturating_rounding_doubling_high_mul(x2, x);
  const int32_t x4 = saturating_rounding_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
  const int32_t poly =
      rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + saturating_rounding_doubling_high_mul(constant_term, x + poly);
}

// exp(a) for a <= 0 with `integer_bits` integer bits; the result has 0 integer bits (gemmlowp's
// exp_on_negative_values): exp of the part of a in [-1/4, 0) times a product of exp(-2^k) for the bits of the rest.
inline int32_t exp_on_negative_values(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)(1LL << (fractional_bits - 2));
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      fixed_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  // exp(-2^k) in Q0.31 for k = -2 .. 4
  static constexpr int32_t kMultipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; k++) {
    if (integer_bits > k) {
      const int shift = fractional_bits + k;
      if (remainder & (int32_t)(1LL << shift))
        result = saturating_rounding_doubling_high_mul(result, kMultipliers[k + 2]);
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -(int32_t)(1LL << (36 - integer_bits));  // -32 in the input format
    if (a < clamp) result = 0;
  }
  if (a == 0) result = std::numeric_limits<int32_t>::max();  // 1.0 saturated
  return result;
}

// 1 / (1 + x) for x in [0, 1], input and result with 0 integer bits (gemmlowp's
// one_over_one_plus_x_for_x_in_0_1): three Newton-Raphson steps on the half denominator, in Q2.29.
inline int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = rounding_half_sum(a, std::numeric_limits<int32_t>::max());
  const int32_t constant_48_over_17 = 1515870810;  // Q2.29
  const int32_t constant_neg_32_over_17 = -1010580540;
  const int32_t one_q2 = 1 << 29;
  int32_t x = constant_48_over_17 + saturating_rounding_doubling_high_mul(half_denominator, constant_neg_32_over_17);
  for (int i = 0; i < 3; i++) {
    const int32_t half_denominator_times_x = saturating_rounding_doubling_high_mul(half_denominator, x);  // Q2
    const int32_t one_minus = one_q2 - half_denominator_times_x;                                          // Q2
    // gemmlowp adds the raw int32 values and wraps (a quotient far outside [0.5, 1] overflows Q2.29): the same
    // sum, without the undefined behaviour of a signed overflow.
    x = (int32_t)((uint32_t)x + (uint32_t)fixed_rescale(saturating_rounding_doubling_high_mul(x, one_minus), 4, 2));
  }
  // gemmlowp's ExactMulByPot<-1> halves the value by reinterpreting the raw as Q1.30; then Q1 -> Q0, saturating.
  return fixed_rescale(x, 1, 0);
}

// TFLite's GetInvSqrtQuantizedMultiplierExp (internal/common.h), as 8-bit RSQRT calls it: 1/sqrt(input) as a Q31
// multiplier and a shift (reverse_shift -1 turns TFLite's right shift into a left one).  Inputs 0 and 1 give
// {INT32_MAX, 0}.  Five Newton-Raphson steps in gemmlowp's Q3.28 (x <- 1.5 x - x^3 * input / 2), then times
// sqrt(2)/2.
inline void get_inv_sqrt_quantized_multiplier_exp(int32_t input, int reverse_shift, int32_t* output_inv_sqrt,
                                                  int* output_shift) {
  if (input <= 1) {
    *output_inv_sqrt = std::numeric_limits<int32_t>::max();
    *output_shift = 0;
    return;
  }
  *output_shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++*output_shift;
  }
  int clz = 0;
  for (uint32_t v = (uint32_t)input; !(v & 0x80000000u); v <<= 1) clz++;
  const unsigned max_left_shift_bit_pairs = (unsigned)(clz - 1) / 2;
  const unsigned left_shift_bit_pairs = max_left_shift_bit_pairs - 1;
  *output_shift -= (int)left_shift_bit_pairs;
  input <<= 2 * left_shift_bit_pairs;
  // Raw Q3.28 values; a product of two Q3 values is Q6 (srdhm), Rescale<3> from Q6 / Q9 saturates a left shift.
  const int32_t fixedpoint_input = input >> 1;
  const int32_t fixedpoint_half_input = rounding_divide_by_pot(fixedpoint_input, 1);
  const int32_t fixedpoint_half_three = (1 << 28) + (1 << 27);  // 1.5
  int32_t x = 1 << 28;                                          // 1.0
  for (int i = 0; i < 5; i++) {
    const int32_t x2 = saturating_rounding_doubling_high_mul(x, x);                                           // Q6
    const int32_t x3 = saturating_rounding_multiply_by_pot(saturating_rounding_doubling_high_mul(x2, x), 6);  // Q9->Q3
    const int32_t a = saturating_rounding_doubling_high_mul(fixedpoint_half_three, x);                        // Q6
    const int32_t b = saturating_rounding_doubling_high_mul(fixedpoint_half_input, x3);                       // Q6
    x = saturating_rounding_multiply_by_pot((int32_t)((uint32_t)a - (uint32_t)b), 3);                         // Q6->Q3
  }
  x = saturating_rounding_doubling_high_mul(x, 1518500250);  // sqrt(2)/2 in Q0.31
  *output_inv_sqrt = x;
  if (*output_shift < 0) {
    *output_inv_sqrt = (int32_t)((uint32_t)*output_inv_sqrt << -*output_shift);
    *output_shift = 0;
  }
  *output_shift *= reverse_shift;
}

// ---- DIV (TFLite's uint8 kernel, reference_ops::DivElementwise) ------------------------------------------------

inline int count_leading_zeros(uint32_t x) {
  int n = 0;
  for (uint32_t bit = 0x80000000u; bit && !(x & bit); bit >>= 1) n++;
  return n;
}

// gemmlowp's RoundingDivideByPOT as TFLite's compiled kernels execute it for any exponent >= 0: from 32 on the mask
// (1ll << e) - 1 truncated to int32 is all ones and the int32 shift takes e mod 32 (wasm, x86), which the 8-bit DIV
// reaches whenever a quotient is tiny (its exponent is not bounded by 31).
inline int32_t rounding_divide_by_pot_any(int32_t x, int exponent) {
  if (exponent < 32) return rounding_divide_by_pot(x, exponent);
  const int32_t threshold = -1 + (x < 0 ? 1 : 0);
  return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

// TFLite's CountLeadingSignBits (the clang build's formula): 31 for 0.
inline int count_leading_sign_bits(int32_t x) {
  if (x >= 0) return count_leading_zeros((uint32_t)x) - 1;
  if (x == std::numeric_limits<int32_t>::min()) return 0;
  return count_leading_zeros(2u * (uint32_t)(-(int64_t)x) - 1u);
}

// TFLite's GetReciprocal(x, 31, &shift) for x > 0: 1 / (x normalised to [1, 2)) in Q0.31, and the normalising shift.
// x = 0 (a divisor at its zero point, which TFLite only DCHECKs) runs the same code: the shift by 32 is one by 0.
inline int32_t get_reciprocal(int32_t x, int* num_bits_over_unit) {
  const int headroom_plus_one = count_leading_zeros((uint32_t)x);
  *num_bits_over_unit = 31 - headroom_plus_one;
  const int32_t shifted_minus_one = (int32_t)(((uint32_t)x << (headroom_plus_one & 31)) - (1u << 31));
  return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one);
}

// The largest output shift the quotient's rounding division handles (a numerator of at most 255 has 23 sign bits).
constexpr int kDivMaxShift = 23;

// The part of an 8-bit quotient that depends on the divisor b = qb - zb alone: the sign moves to the numerator so
// that the reciprocal is positive, then get_reciprocal(|b|).  The GPU kernel tabulates it per divisor byte.
struct DivReciprocal {
  int32_t inv = 0;     // Q0.31
  int32_t shift = 0;   // get_reciprocal's num_bits_over_unit
  int32_t negate = 0;  // 1: b < 0
};

inline DivReciprocal div_reciprocal(int32_t b) {
  DivReciprocal r;
  r.negate = b < 0 ? 1 : 0;
  int shift;
  r.inv = get_reciprocal(b < 0 ? -b : b, &shift);
  r.shift = shift;
  return r;
}

// One 8-bit quotient before the output offset and clamp: a = qa - za, b's reciprocal (above), the output multiplier
// quantize_multiplier(sa / (sb * so)).  a is normalised by its sign bits, multiplied by 1/b, and the shifts are undone
// in one rounding division.
inline int32_t div_quotient(int32_t a, const DivReciprocal& r, const QuantizedMultiplier& out) {
  if (r.negate) a = -a;
  const int headroom = count_leading_sign_bits(a);
  const int32_t unscaled = multiply_by_quantized_multiplier_greater_than_one(a, r.inv, headroom);
  const int total_shift = out.shift - r.shift - headroom;
  return rounding_divide_by_pot_any(saturating_rounding_doubling_high_mul(unscaled, out.multiplier), -total_shift);
}

inline int32_t div_quotient(int32_t a, int32_t b, const QuantizedMultiplier& out) {
  return div_quotient(a, div_reciprocal(b), out);
}

// ---- int16 helpers (TFLite's HARD_SWISH) -------------------------------------------------------------------------

inline int16_t saturating_rounding_doubling_high_mul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

// a*b / 2^15 truncated toward zero (no rounding), saturating the single overflow case.
inline int16_t saturating_doubling_high_mul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

inline int16_t rounding_divide_by_pot16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)((1 << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

inline int16_t saturating_left_shift16(int16_t x, int amount) {
  const int32_t v = (int32_t)x * (1 << amount);
  return (int16_t)std::clamp<int32_t>(v, std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max());
}

// TFLite's DownScaleInt32ToInt16Multiplier: rounds a Q31 multiplier to Q15 (saturating at INT16_MAX).
inline int16_t downscale_int32_to_int16_multiplier(int32_t m) {
  constexpr int32_t kRoundingOffset = 1 << 15;
  if (m >= std::numeric_limits<int32_t>::max() - kRoundingOffset) return std::numeric_limits<int16_t>::max();
  return (int16_t)((m + kRoundingOffset) >> 16);
}

// ---- HARD_SWISH (TFLite's int8/uint8 kernel) ---------------------------------------------------------------------

struct HardSwishParams {
  int32_t input_zero_point = 0, output_zero_point = 0;
  int16_t reluish_multiplier_fixedpoint_int16 = 0;
  int reluish_multiplier_exponent = 0;
  int16_t output_multiplier_fixedpoint_int16 = 0;
  int output_multiplier_exponent = 0;
};

// TFLite's HardSwishPrepare (float arithmetic as TFLite writes it).  Returns false when the output multiplier
// would need a left shift (TFLite rejects such a model).
inline bool hard_swish_params(float input_scale, int32_t input_zp, float output_scale, int32_t output_zp,
                              HardSwishParams* p) {
  p->input_zero_point = input_zp;
  p->output_zero_point = output_zp;
  const float hires_input_scale = (1.0f / 128.0f) * input_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float output_multiplier = hires_input_scale / output_scale;
  QuantizedMultiplier q = quantize_multiplier(output_multiplier);
  p->output_multiplier_exponent = q.shift;
  p->output_multiplier_fixedpoint_int16 = downscale_int32_to_int16_multiplier(q.multiplier);
  const float reluish_multiplier = hires_input_scale / reluish_scale;
  q = quantize_multiplier(reluish_multiplier);
  p->reluish_multiplier_exponent = q.shift;
  p->reluish_multiplier_fixedpoint_int16 = downscale_int32_to_int16_multiplier(q.multiplier);
  return p->output_multiplier_exponent <= 0;
}

// One element of TFLite's quantized HardSwish (reference_ops::HardSwish<T>); qmin/qmax: the output type's range.
inline int32_t hard_swish(int32_t q, const HardSwishParams& p, int32_t qmin, int32_t qmax) {
  const int16_t input_value = (int16_t)(q - p.input_zero_point);
  const int16_t input_value_on_hires_input_scale = (int16_t)(input_value * (1 << 7));
  const int16_t input_value_on_preshift_output_scale =
      saturating_rounding_doubling_high_mul16(input_value_on_hires_input_scale, p.output_multiplier_fixedpoint_int16);
  int16_t reluish_value = input_value_on_hires_input_scale;
  if (p.reluish_multiplier_exponent > 0)
    reluish_value = saturating_left_shift16(reluish_value, p.reluish_multiplier_exponent - 1);
  reluish_value = saturating_rounding_doubling_high_mul16(reluish_value, p.reluish_multiplier_fixedpoint_int16);
  if (p.reluish_multiplier_exponent > 0) reluish_value = saturating_left_shift16(reluish_value, 1);
  if (p.reluish_multiplier_exponent < 0)
    reluish_value = rounding_divide_by_pot16(reluish_value, -p.reluish_multiplier_exponent);
  reluish_value = (int16_t)((reluish_value + (1 << 15)) >> 1);
  const int16_t preshift_output_value = saturating_doubling_high_mul16(reluish_value,
                                                                       input_value_on_preshift_output_scale);
  int16_t output_value = rounding_divide_by_pot16(preshift_output_value, -p.output_multiplier_exponent);
  int32_t out = (int32_t)output_value + p.output_zero_point;
  // TFLite adds and clamps in int16; for 8-bit outputs the int16 sum never wraps.
  return std::clamp(out, qmin, qmax);
}

// ---- lookup tables of TFLite's builtin int8/uint8 kernels --------------------------------------------------------

// TFLite's LUTPopulate / PopulateLookupTable for 8-bit LOGISTIC (and other elementwise float functions): entry for
// quantized input value v (index (uint8)v) = clamp(round(f(in_scale * (v - in_zp)) / out_scale) + out_zp).
template <typename F>
inline void populate_lut(float input_scale, int32_t input_zp, float output_scale, int32_t output_zp, int32_t qmin,
                         int32_t qmax, F transform, int32_t table[256]) {
  const float inverse_scale = 1.0f / output_scale;
  for (int32_t v = qmin; v <= qmax; ++v) {
    const float dequantized = input_scale * (float)(v - input_zp);
    const float transformed = transform(dequantized);
    const float rescaled = std::round(transformed * inverse_scale);
    // Clamped in float first: an EXP entry may exceed int32, where the cast would be undefined.
    const float shifted = std::clamp(rescaled + (float)output_zp, (float)qmin, (float)qmax);
    table[(uint8_t)v] = (int32_t)shifted;
  }
}

inline float logistic_float(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// TFLite's PopulateSoftmaxLookupTable: table[255 - d] = exp(-input_scale * beta * d) for d = max - x in [0, 255].
inline void populate_softmax_table(float input_scale, float beta, float table[256]) {
  const float scale = -input_scale * beta;
  for (int32_t v = 0; v <= 255; ++v) table[255 - v] = std::exp(scale * (float)v);
}

// LOG_SOFTMAX's logarithm on devices without a correctly rounded log: 64 reduction points c_i (1 + (i + 1/2)/64 with
// its inverse rounded to 10 bits) and -log(inv_c_i) split into two floats, so that log(m) for m in [1, 2) is
// log1p(m * inv_c_i - 1) - log(inv_c_i) with |m * inv_c_i - 1| < 1/100, evaluated in float-float
// (shaders/q8_log_softmax.comp).
struct LogTable {
  float inv_c[64], log_c_hi[64], log_c_lo[64];
};
inline LogTable log_reduction_table() {
  LogTable t;
  for (int i = 0; i < 64; i++) {
    const double c = 1.0 + (i + 0.5) / 64.0;
    t.inv_c[i] = (float)(std::round(1024.0 / c) / 1024.0);
    const double log_c = -std::log((double)t.inv_c[i]);
    t.log_c_hi[i] = (float)log_c;
    t.log_c_lo[i] = (float)(log_c - (double)t.log_c_hi[i]);
  }
  return t;
}

// ---- fused activations --------------------------------------------------------------------------------------------

// TFLite's CalculateActivationRangeQuantized: the clamp bounds of a fused RELU / RELU_N1_TO_1 / RELU6 on the output
// scale (x quantized as zero_point + round(x / scale), float arithmetic), intersected with [qmin, qmax].
// activation: 0 none, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6 (TFLite's ActivationFunctionType numbering).
inline void activation_range(int activation, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                             int32_t* act_min, int32_t* act_max) {
  auto quantize = [&](float x) { return zero_point + (int32_t)std::round(x / scale); };
  *act_min = qmin;
  *act_max = qmax;
  if (activation == 1) {
    *act_min = std::max(qmin, quantize(0.0f));
  } else if (activation == 2) {
    *act_min = std::max(qmin, quantize(-1.0f));
    *act_max = std::min(qmax, quantize(1.0f));
  } else if (activation == 3) {
    *act_min = std::max(qmin, quantize(0.0f));
    *act_max = std::min(qmax, quantize(6.0f));
  }
}

}  // namespace tare::quant
