// TFLite's requantization arithmetic (src/common/fixed_point.h) on hand-computed values and edge cases.
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/fixed_point.h"
#include "test_util.h"

using namespace tare::quant;

namespace {
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("quantize_multiplier: Q31 significand and power-of-two shift") {
    QuantizedMultiplier q = quantize_multiplier(0.0);
    CHECK(q.multiplier == 0);
    CHECK(q.shift == 0);
    q = quantize_multiplier(0.5);  // 0.5 * 2^0
    CHECK(q.multiplier == (1 << 30));
    CHECK(q.shift == 0);
    q = quantize_multiplier(1.0);  // 0.5 * 2^1
    CHECK(q.multiplier == (1 << 30));
    CHECK(q.shift == 1);
    q = quantize_multiplier(0.75);
    CHECK(q.multiplier == 1610612736);  // 0.75 * 2^31
    CHECK(q.shift == 0);
    q = quantize_multiplier(3.0);  // 0.75 * 2^2
    CHECK(q.multiplier == 1610612736);
    CHECK(q.shift == 2);
    q = quantize_multiplier(0.1);  // 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4
    CHECK(q.multiplier == 1717986918);
    CHECK(q.shift == -3);
    // 0.6 * 2^31 = 1288490188.8 rounds up.
    q = quantize_multiplier(0.6);
    CHECK(q.multiplier == 1288490189);
    // Rounding reaches exactly 2^31: q = 1 - 2^-33 gives 2^31 - 0.25 -> 2^31, so the significand is halved and the
    // exponent incremented.
    q = quantize_multiplier(1.0 - std::ldexp(1.0, -33));
    CHECK(q.multiplier == (1 << 30));
    CHECK(q.shift == 1);
    q = quantize_multiplier(std::ldexp(1.0 - std::ldexp(1.0, -33), -10));
    CHECK(q.multiplier == (1 << 30));
    CHECK(q.shift == -9);
    // Below 2^-32 everything would shift out: TFLite gives 0.
    q = quantize_multiplier(std::ldexp(1.0, -40));
    CHECK(q.multiplier == 0);
    CHECK(q.shift == 0);
    q = quantize_multiplier(std::ldexp(0.75, -31));  // exponent -31: still representable
    CHECK(q.multiplier == 1610612736);
    CHECK(q.shift == -31);
    // Invalid multipliers.
    CHECK(quantize_multiplier(-0.5).multiplier == 0);
    CHECK(quantize_multiplier(std::nan("")).multiplier == 0);
  }

  TEST_CASE("saturating_rounding_doubling_high_mul") {
    CHECK(saturating_rounding_doubling_high_mul(kMin, kMin) == kMax);  // the one overflow
    CHECK(saturating_rounding_doubling_high_mul(kMin, kMax) == -kMax);
    CHECK(saturating_rounding_doubling_high_mul(kMax, kMax) == kMax - 1);
    CHECK(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == (1 << 29));  // 0.5 * 0.5
    CHECK(saturating_rounding_doubling_high_mul(0, 12345) == 0);
    CHECK(saturating_rounding_doubling_high_mul(100, 0) == 0);
    // x * 0.5 with x odd: ties are rounded upward (toward +infinity), for both signs.
    CHECK(saturating_rounding_doubling_high_mul(5, 1 << 30) == 3);     // 2.5 -> 3
    CHECK(saturating_rounding_doubling_high_mul(-5, 1 << 30) == -2);   // -2.5 -> -2
    CHECK(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);   // -1.5 -> -1
    CHECK(saturating_rounding_doubling_high_mul(7, 1610612736) == 5);  // 7 * 0.75 = 5.25
    CHECK(saturating_rounding_doubling_high_mul(-7, 1610612736) == -5);
    CHECK(saturating_rounding_doubling_high_mul(9, 1610612736) == 7);  // 6.75
    CHECK(saturating_rounding_doubling_high_mul(-9, 1610612736) == -7);
  }

  TEST_CASE("rounding_divide_by_pot: round to nearest, ties away from zero") {
    CHECK(rounding_divide_by_pot(5, 1) == 3);    // 2.5
    CHECK(rounding_divide_by_pot(-5, 1) == -3);  // -2.5
    CHECK(rounding_divide_by_pot(-6, 2) == -2);  // -1.5
    CHECK(rounding_divide_by_pot(-7, 2) == -2);  // -1.75
    CHECK(rounding_divide_by_pot(-5, 2) == -1);  // -1.25
    CHECK(rounding_divide_by_pot(6, 2) == 2);    // 1.5
    CHECK(rounding_divide_by_pot(5, 2) == 1);    // 1.25
    CHECK(rounding_divide_by_pot(12345, 0) == 12345);
    CHECK(rounding_divide_by_pot(kMax, 31) == 1);
    CHECK(rounding_divide_by_pot(kMin, 31) == -1);
    CHECK(rounding_divide_by_pot(kMin, 30) == -2);
    CHECK(rounding_divide_by_pot((1 << 30) - 1, 31) == 0);  // just under 0.5
    CHECK(rounding_divide_by_pot(1 << 30, 31) == 1);        // exactly 0.5
    CHECK(rounding_divide_by_pot(-(1 << 30), 31) == -1);    // exactly -0.5
  }

  TEST_CASE("multiply_by_quantized_multiplier: double rounding, and the single-rounding (ruy) variant") {
    CHECK(multiply_by_quantized_multiplier(100, 1 << 30, -1) == 25);  // 100 * 0.5 / 2
    CHECK(multiply_by_quantized_multiplier(3, 1 << 30, 2) == 6);      // 3 * 0.5 * 4
    CHECK(multiply_by_quantized_multiplier(-3, 1 << 30, 2) == -6);
    CHECK(multiply_by_quantized_multiplier(0, 1610612736, -20) == 0);
    CHECK(multiply_by_quantized_multiplier(12345, 0, 0) == 0);
    // 5 * 0.5 / 2 = 1.25: SRDHM rounds 2.5 to 3, then 3/2 = 1.5 rounds to 2 (double rounding); one rounding gives 1.
    CHECK(multiply_by_quantized_multiplier(5, 1 << 30, -1) == 2);
    CHECK(multiply_by_quantized_multiplier_single_rounding(5, 1 << 30, -1) == 1);
    // Ties: SRDHM(-10, 0.5) = -5 exactly, then -5 / 2 = -2.5 rounds away from zero to -3; single rounding rounds the
    // tie upward to -2.
    CHECK(multiply_by_quantized_multiplier(-10, 1 << 30, -1) == -3);
    CHECK(multiply_by_quantized_multiplier_single_rounding(-10, 1 << 30, -1) == -2);
    CHECK(multiply_by_quantized_multiplier_single_rounding(10, 1 << 30, -1) == 3);
    // A real requantization: acc 1000 * 0.00123 -> 1.23 -> 1.
    const QuantizedMultiplier q = quantize_multiplier(0.00123);
    CHECK(multiply_by_quantized_multiplier(1000, q) == 1);
    CHECK(multiply_by_quantized_multiplier(-1000, q) == -1);
    CHECK(multiply_by_quantized_multiplier(100000, q) == 123);
    CHECK(multiply_by_quantized_multiplier_single_rounding(100000, q) == 123);
    // Large right shift: everything below half vanishes.
    // SRDHM(INT32_MAX, 0.5) rounds 2^30 - 0.5 up to 2^30, then 2^30 / 2^31 = 0.5 rounds away from zero to 1.
    CHECK(multiply_by_quantized_multiplier(kMax, 1 << 30, -31) == 1);
    CHECK(multiply_by_quantized_multiplier(kMax - 2, 1 << 30, -31) == 0);
    CHECK(multiply_by_quantized_multiplier(kMin, 1 << 30, -30) == -1);
    // Left shift wraps as TFLite's does (no saturation before SRDHM).
    CHECK(multiply_by_quantized_multiplier(1 << 20, 1 << 30, 10) == (1 << 29));
    // The ADD-style variants agree with the general one in their domains.
    for (int32_t x : {-100000, -12345, -7, -1, 0, 1, 7, 12345, 100000}) {
      CHECK(multiply_by_quantized_multiplier_smaller_than_one_exp(x, 1717986918, -3) ==
            multiply_by_quantized_multiplier(x, 1717986918, -3));
      CHECK(multiply_by_quantized_multiplier_greater_than_one(x, 1717986918, 3) ==
            multiply_by_quantized_multiplier(x, 1717986918, 3));
    }
  }

  TEST_CASE("saturating_rounding_multiply_by_pot and rounding_half_sum") {
    CHECK(saturating_rounding_multiply_by_pot(1 << 29, 1) == (1 << 30));
    CHECK(saturating_rounding_multiply_by_pot(1 << 30, 1) == kMax);
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 30), 1) == kMin);
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 30) - 1, 1) == kMin);
    CHECK(saturating_rounding_multiply_by_pot(5, -1) == 3);
    CHECK(rounding_half_sum(3, 4) == 4);     // 3.5 -> 4
    CHECK(rounding_half_sum(-3, -4) == -4);  // -3.5 -> -4
    CHECK(rounding_half_sum(kMax, kMax) == kMax);
  }

  TEST_CASE("gemmlowp constants and exp_on_negative_values") {
    // The table of exp(-2^k) in Q0.31 and exp(-1/8).
    CHECK(std::fabs(std::exp(-0.125) * 2147483648.0 - 1895147668) <= 1.0);
    CHECK(std::fabs(2147483648.0 / 3.0 - 715827883) <= 1.0);
    CHECK(std::fabs(48.0 / 17.0 * (1 << 29) - 1515870810) <= 1.0);
    CHECK(std::fabs(-32.0 / 17.0 * (1 << 29) + 1010580540) <= 1.0);
    for (int k = -2; k <= 4; k++) {
      const double v = std::exp(-std::ldexp(1.0, k)) * 2147483648.0;
      const int32_t table[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
      CHECK(std::fabs(v - table[k + 2]) <= 1.0);
    }
    // exp on inputs with 5 integer bits (as TFLite's reference softmax uses): within 1e-6 of exp().
    double worst = 0;
    for (double a = -31.9; a <= 0.0; a += 0.0137) {
      const int32_t raw = (int32_t)std::lround(a * (double)(1 << 26));
      const double got = exp_on_negative_values(raw, 5) / 2147483648.0;
      worst = std::max(worst, std::fabs(got - std::exp(raw / (double)(1 << 26))));
    }
    MESSAGE("exp_on_negative_values max abs error " << worst);
    CHECK(worst < 2.5e-7);
    CHECK(exp_on_negative_values(0, 5) == kMax);
    // Below -32 the result is 0 (with 6 integer bits the clamp applies).
    CHECK(exp_on_negative_values(-(40 << 25), 6) == 0);
  }

  TEST_CASE("one_over_one_plus_x_for_x_in_0_1") {
    double worst = 0;
    for (double x = 0.0; x <= 1.0; x += 0.001) {
      const int32_t raw = x >= 1.0 ? kMax : (int32_t)std::lround(x * 2147483648.0);
      const double got = one_over_one_plus_x_for_x_in_0_1(raw) / 2147483648.0;
      worst = std::max(worst, std::fabs(got - 1.0 / (1.0 + raw / 2147483648.0)));
    }
    MESSAGE("one_over_one_plus_x max abs error " << worst);
    CHECK(worst < 1e-8);
    CHECK(one_over_one_plus_x_for_x_in_0_1(0) == kMax);  // 1.0 saturates
  }

  TEST_CASE("int16 helpers and HARD_SWISH") {
    CHECK(saturating_rounding_doubling_high_mul16(-32768, -32768) == 32767);
    CHECK(saturating_rounding_doubling_high_mul16(16384, 16384) == 8192);
    CHECK(saturating_doubling_high_mul16(-32768, -32768) == 32767);
    CHECK(saturating_doubling_high_mul16(3, 16384) == 1);    // 1.5 truncated
    CHECK(saturating_doubling_high_mul16(-3, 16384) == -1);  // -1.5 truncated toward zero
    CHECK(rounding_divide_by_pot16(-5, 1) == -3);
    CHECK(saturating_left_shift16(20000, 1) == 32767);
    CHECK(saturating_left_shift16(-20000, 1) == -32768);
    CHECK(downscale_int32_to_int16_multiplier(1 << 30) == (1 << 14));
    CHECK(downscale_int32_to_int16_multiplier(kMax) == 32767);
    CHECK(downscale_int32_to_int16_multiplier((1 << 30) + (1 << 15)) == (1 << 14) + 1);  // rounds half up
    // HARD_SWISH stays within one output step of the float function over the whole int8 range.
    const float in_scale = 0.05f, out_scale = 0.03f;
    const int32_t in_zp = -10, out_zp = -100;
    HardSwishParams p;
    REQUIRE(hard_swish_params(in_scale, in_zp, out_scale, out_zp, &p));
    int worst = 0;
    for (int q = -128; q <= 127; q++) {
      const float x = in_scale * (float)(q - in_zp);
      const float hs = x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
      const int expect = std::clamp((int)std::lround(hs / out_scale) + out_zp, -128, 127);
      worst = std::max(worst, std::abs(hard_swish(q, p, -128, 127) - expect));
    }
    CHECK(worst <= 1);
    CHECK(hard_swish(in_zp, p, -128, 127) == out_zp);  // hardswish(0) = 0
  }

  TEST_CASE("activation_range and lookup tables") {
    int32_t lo, hi;
    activation_range(3, 0.1f, -128, -128, 127, &lo, &hi);  // RELU6 on scale 0.1, zero point -128
    CHECK(lo == -128);
    CHECK(hi == -68);
    activation_range(1, 0.05f, 3, -128, 127, &lo, &hi);  // RELU
    CHECK(lo == 3);
    CHECK(hi == 127);
    activation_range(2, 0.01f, 0, 0, 255, &lo, &hi);  // RELU_N1_TO_1 on uint8 zero point 0
    CHECK(lo == 0);
    CHECK(hi == 100);
    activation_range(0, 0.01f, 0, -128, 127, &lo, &hi);
    CHECK(lo == -128);
    CHECK(hi == 127);
    int32_t table[256];
    populate_lut(0.1f, 0, 1.0f / 256.0f, -128, -128, 127, logistic_float, table);
    CHECK(table[0] == 0);                       // sigmoid(0) = 0.5 -> 128 - 128
    CHECK(table[(uint8_t)(int8_t)127] == 127);  // sigmoid(12.7) * 256 = 255.99 -> 256 - 128, clamped
    CHECK(table[(uint8_t)(int8_t)-128] == -128);
    CHECK(table[10] == 59);  // sigmoid(1.0) * 256 = 187.1 -> 187 - 128
    float st[256];
    populate_softmax_table(0.5f, 1.0f, st);
    CHECK(st[255] == 1.0f);
    CHECK(st[254] == std::exp(-0.5f));
    CHECK(st[0] == std::exp(-127.5f));
  }

  // The DIV port against real arithmetic (bit-exactness with TFLite is the conformance oracle's).
  // Where the final rounding division stays within 31 bits (quotients of at least about 1/2 step), the quotient is
  // a / b * multiplier to within one step; below that TFLite's masked shift takes over (rounding_divide_by_pot_any,
  // checked against TFLite by the conformance oracle).
  TEST_CASE("div_quotient: TFLite's 8-bit quotient within one step of a / b * multiplier") {
    for (double real : {300.0, 0.3}) {
      const QuantizedMultiplier m = quantize_multiplier(real);
      for (int a = -255; a <= 255; a += 7)
        for (int b : {-255, -17, -3, -1, 1, 2, 5, 100, 255}) {
          CAPTURE(a);
          CAPTURE(b);
          const double want = real * a / b;
          if (a == 0 || std::fabs(want) < 1.0) continue;
          CHECK(std::fabs(div_quotient(a, b, m) - want) <= 1.0);
        }
    }
    CHECK(rounding_divide_by_pot_any(1000, 3) == 125);
    CHECK(rounding_divide_by_pot_any(1 << 30, 33) == (1 << 29) + 1);  // mask all ones, shift by 33 mod 32
    CHECK(count_leading_sign_bits(0) == 31);
    CHECK(count_leading_sign_bits(-1) == 31);
    CHECK(count_leading_sign_bits(1) == 30);
    CHECK(count_leading_sign_bits(-256) == 23);
    int shift;
    CHECK(get_reciprocal(1, &shift) == kMax);  // 1 / 1.0 saturated
    CHECK(shift == 0);
    get_reciprocal(200, &shift);
    CHECK(shift == 7);
  }
}
