// The fixed-point helpers of shaders/quant.glsl (srdhm, rdbpot, mbqm, mbqm_single: 32-bit only; their 4-lane forms
// and the prepared per-channel forms rq4_prepare / rq4_apply;
// q8_exact.glsl's div_trunc4; the inverse square root) on the GPU vs src/common/fixed_point.h on edge and random values (shaders/test_fixed_point.comp,
// test_inv_sqrt.comp).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "common/fixed_point.h"
#include "test_util.h"
#include "vk/buffer.h"
#include "vk/command.h"
#include "vk/context.h"

using namespace tare;

TEST_SUITE("quant") {
  TEST_CASE("quant.glsl fixed point on the GPU matches fixed_point.h") {
    auto ctx = test::gpu();
    if (!ctx) {
      MESSAGE("no GPU: skipped");
      return;
    }
    const int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
    // Cases: x, multiplier, shift (for mbqm), exponent (for rdbpot).
    std::vector<int32_t> xs = {
        0,         1,         -1,    2,      -2,      3,          -3,   127,  -128,     255,      -255,
        1000,      -1000,     65535, -65536, 1 << 30, -(1 << 30), kMax, kMin, kMax - 1, kMin + 1, 0x40000000 - 1,
        123456789, -987654321};
    std::vector<int32_t> ms = {0,          1,          -1,         1 << 30,     (1 << 30) + 1,
                               kMax,       kMin,       kMin + 1,   1610612736,  1717986918,
                               1288490189, 2147483000, 1073741823, -1073741824, 12345};
    std::vector<int32_t> cases;
    auto add = [&](int32_t x, int32_t m, int32_t shift, int32_t e) { cases.insert(cases.end(), {x, m, shift, e}); };
    for (int32_t x : xs)
      for (int32_t m : ms)
        for (int32_t s : {-31, -20, -8, -1, 0, 1, 3, 10, 30}) add(x, m, s, (int32_t)((uint32_t)(x ^ m ^ s) % 32u));
    for (int32_t x : xs)
      for (int e = 0; e <= 31; e++) add(x, 1 << 30, 0, e);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> any(kMin, kMax);
    std::uniform_int_distribution<int32_t> small(-3000000, 3000000);
    std::uniform_int_distribution<int32_t> qm(1 << 30, kMax);
    std::uniform_int_distribution<int32_t> sh(-31, 30);
    std::uniform_int_distribution<int32_t> ex(0, 31);
    for (int i = 0; i < 60000; i++) {
      // Realistic requantization inputs (accumulators, Q31 multipliers in [2^30, 2^31)) and arbitrary ones.
      if (i % 2) add(small(rng), qm(rng), sh(rng) / 3, ex(rng));
      else add(any(rng), any(rng), sh(rng), ex(rng));
    }
    // Ties: x * m exactly at a rounding boundary.
    for (int k = 1; k <= 30; k++)
      for (int32_t x : {1, -1, 3, -3, 5, -5}) add(x << (k > 20 ? 0 : 1), 1 << 30, -k + 1, k);
    // Double rounding's two ties: srdhm's (x * m an odd multiple of 2^30: m = 0.75 in Q31, x = 2 mod 4) under every
    // right shift, and rdbpot's (m = 0.5, x = 2r: srdhm gives r, an odd multiple of 2^(b-1)), both signs.
    for (int b = 1; b <= 31; b++)
      for (int32_t x : {2, -2, 6, -6, 1002, -1002}) add(x, 3 << 29, -b, 0);
    for (int b = 1; b <= 30; b++)
      for (int64_t k : {0, 1, -1, -2, 5, -6}) {
        const int64_t r = (2 * k + 1) << (b - 1);
        if (2 * r >= kMin && 2 * r <= kMax) add((int32_t)(2 * r), 1 << 30, -b, 0);
      }
    const int n = (int)cases.size() / 4;

    vk::Buffer in(ctx, cases.size() * 4, vk::MemoryKind::Upload);
    vk::Buffer out(ctx, cases.size() * 12, vk::MemoryKind::Readback);  // three ivec4 per case
    in.upload(cases.data(), cases.size() * 4);
    auto pipe = ctx->pipeline("test_fixed_point", {}, 4, 2, 64);
    vk::Recorder rec(ctx, 1, 0);
    rec.begin();
    rec.dispatch(*pipe, {{&in, 0, in.size()}, {&out, 0, out.size()}}, &n, 4, (uint32_t)((n + 63) / 64));
    rec.end();
    rec.submit();
    std::vector<int32_t> got(cases.size() * 3);
    out.download(got.data(), got.size() * 4);

    int bad[11] = {}, small_shift_cases = 0;
    for (int i = 0; i < n; i++) {
      const int32_t x = cases[4 * i], m = cases[4 * i + 1], s = cases[4 * i + 2], e = cases[4 * i + 3];
      // The 4-lane forms' inputs: x's low 11 and 24 bits as signed values, a divisor in [16, 65551].
      const int32_t x11 = (int32_t)((uint32_t)x << 21) >> 21, x24 = (int32_t)((uint32_t)x << 8) >> 8;
      const int32_t d = (m & 0xffff) + 16;
      const int32_t want[11] = {quant::saturating_rounding_doubling_high_mul(x, m),
                                quant::rounding_divide_by_pot(x, e),
                                quant::multiply_by_quantized_multiplier(x, m, s),
                                s <= 30 ? quant::multiply_by_quantized_multiplier_single_rounding(x, m, s) : 0,
                                quant::saturating_rounding_doubling_high_mul(x, m),
                                quant::rounding_divide_by_pot(x, e),
                                quant::saturating_rounding_doubling_high_mul((int32_t)((uint32_t)x11 << 20), m),
                                x24 / d,
                                quant::multiply_by_quantized_multiplier(x, m, s),
                                s <= 30 ? quant::multiply_by_quantized_multiplier_single_rounding(x, m, s) : 0,
                                s <= -1 ? quant::multiply_by_quantized_multiplier(x, m, s) : 0};
      // rq4_apply's double rounding assumes a multiplier other than INT_MIN, its small-shift form one >= 0
      // (quantize_multiplier gives neither).
      for (int k = 0; k < 11; k++) {
        if (k == 8 && m == kMin) continue;
        if (k == 10 && (m < 0 || s > -1)) continue;
        if (k == 10) small_shift_cases++;
        if (got[12 * (size_t)i + k] != want[k]) {
          if (bad[k] < 5)
            MESSAGE("fn " << k << " x=" << x << " m=" << m << " shift=" << s << " e=" << e << ": GPU "
                          << got[12 * (size_t)i + k] << " CPU " << want[k]);
          bad[k]++;
        }
      }
    }
    INFO(n << " cases");
    CHECK(bad[0] == 0);   // srdhm
    CHECK(bad[1] == 0);   // rdbpot
    CHECK(bad[2] == 0);   // mbqm
    CHECK(bad[3] == 0);   // mbqm_single
    CHECK(bad[4] == 0);   // srdhm4
    CHECK(bad[5] == 0);   // rdbpot4 by one exponent
    CHECK(bad[6] == 0);   // srdhm_shl20_4 (|x| <= 2^10)
    CHECK(bad[7] == 0);   // div_trunc4
    CHECK(bad[8] == 0);   // rq4_apply, double rounding
    CHECK(bad[9] == 0);   // rq4_apply, single rounding
    CHECK(bad[10] == 0);  // rq4_apply, double rounding's small-shift form
    CHECK(small_shift_cases > 10000);
    test::check_validation();
  }

  TEST_CASE("quant.glsl inverse square root (8-bit L2_NORMALIZATION) on the GPU matches fixed_point.h") {
    auto ctx = test::gpu();
    if (!ctx) {
      MESSAGE("no GPU: skipped");
      return;
    }
    // Every sum of squares up to 2^20 (rows of up to 16 channels at full range), the powers of two and their
    // neighbours, random ones up to INT32_MAX.
    std::vector<int32_t> v;
    for (int32_t x = -2; x <= (1 << 20); x++) v.push_back(x);
    for (int k = 20; k <= 30; k++)
      for (int32_t d : {-1, 0, 1}) v.push_back((int32_t)((1u << k) + (uint32_t)d));
    v.push_back(std::numeric_limits<int32_t>::max());
    std::mt19937 rng(5);
    std::uniform_int_distribution<int32_t> any(0, std::numeric_limits<int32_t>::max());
    for (int i = 0; i < 200000; i++) v.push_back(any(rng));
    const int n = (int)v.size();
    vk::Buffer in(ctx, v.size() * 4, vk::MemoryKind::Upload);
    vk::Buffer out(ctx, v.size() * 8, vk::MemoryKind::Readback);
    in.upload(v.data(), v.size() * 4);
    auto pipe = ctx->pipeline("test_inv_sqrt", {}, 4, 2, 64);
    vk::Recorder rec(ctx, 1, 0);
    rec.begin();
    const uint32_t groups = (uint32_t)((n + 63) / 64);
    rec.dispatch(*pipe, {{&in, 0, in.size()}, {&out, 0, out.size()}}, &n, 4, std::min(groups, 65535u),
                 (groups + 65534) / 65535);
    rec.end();
    rec.submit();
    std::vector<int32_t> got(v.size() * 2);
    out.download(got.data(), got.size() * 4);
    int bad = 0;
    for (int i = 0; i < n; i++) {
      int32_t m = 0;
      int s = 0;
      quant::get_inv_sqrt_quantized_multiplier_exp(v[(size_t)i], -1, &m, &s);
      if (got[2 * (size_t)i] != m || got[2 * (size_t)i + 1] != s) {
        if (bad < 5)
          MESSAGE("input " << v[(size_t)i] << ": GPU (" << got[2 * (size_t)i] << ", " << got[2 * (size_t)i + 1]
                           << ") CPU (" << m << ", " << s << ")");
        bad++;
      }
    }
    INFO(n << " inputs");
    CHECK(bad == 0);
    test::check_validation();
  }
}
