// 8-bit tensors and TFLite's integer requantization arithmetic.  Include after common.glsl.
//
// Device layout of 8-bit tensors: NHWC4 like float tensors, each group of 4 channels one 32-bit word of 4 int8
// lanes (uint8 tensors are stored as int8 = uint8 - 128 with their zero point shifted by -128, which leaves every
// (q - zero_point) unchanged).  Padding lanes hold the tensor's (device) zero point, i.e. the real value 0.
// Variants: TARE_INT8_STORAGE=1 declares the buffers as i8vec4 (8-bit storage), else as packed uint words (Q8T).
// The element-wise kernels read and write words (word_unpack / word_pack) on either path: the bytes are the same, and
// llvmpipe loads an i8vec4 lane by lane (four loads for one word; measured 0.47 vs 0.36 ms for a bare 8-bit ADD of
// [1,56,56,64]).
// TARE_DOT=1 provides sdot4() through OpSDot (VK_KHR_shader_integer_dot_product), else a portable emulation.

// Signed lanes of a packed word (lane 0 in the low byte).
ivec4 word_unpack(uint w) {
  int s = int(w);
  return ivec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8), bitfieldExtract(s, 24, 8));
}
int word_lane(uint w, int l) { return bitfieldExtract(int(w), 8 * l, 8); }  // lane l (0..3), signed
uint word_pack(ivec4 v) {
  uvec4 u = uvec4(v) & 0xffu;
  return u.x | (u.y << 8) | (u.z << 16) | (u.w << 24);
}

#if TARE_INT8_STORAGE
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#define Q8T i8vec4
ivec4 q8_unpack(i8vec4 v) { return ivec4(v); }
i8vec4 q8_pack(ivec4 v) { return i8vec4(v); }
uint q8_word(i8vec4 v) { return word_pack(ivec4(v)); }
#else
#define Q8T uint
ivec4 q8_unpack(uint w) { return word_unpack(w); }
uint q8_pack(ivec4 v) { return word_pack(v); }
uint q8_word(uint w) { return w; }
#endif

// The packed word of a value repeated in the 4 lanes.
uint word_splat(int v) { return word_pack(ivec4(v)); }

// The device word of 4 channels read from dense 8-bit bytes [pixels][C] (a graph input as the caller wrote it): the
// bytes from byte `byte` on, which lie in `lo` (the word holding that byte) and `hi` (the next one), XORed with
// `flip` (0x80808080 turns uint8 into int8), the lanes from `real` on (channels past C) taken from `zero`.
uint dense_word(uint lo, uint hi, int byte, int real, uint flip, uint zero) {
  int sh = 8 * (byte & 3);
  uint word = sh == 0 ? lo : (lo >> sh) | (hi << (32 - sh));
  uint mask = real >= 4 ? 0xffffffffu : (1u << (8 * real)) - 1u;
  return ((word ^ flip) & mask) | (zero & ~mask);
}

#if TARE_DOT
#extension GL_EXT_spirv_intrinsics : require
// OpSDot (4450) on two packed 4x8-bit signed vectors (PackedVectorFormat4x8Bit = 0); capabilities DotProduct
// (6019) and DotProductInput4x8BitPacked (6018).
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int spv_sdot_packed(uint a, uint b, spirv_literal int format);
int sdot4(uint a, uint b) { return spv_sdot_packed(a, b, 0); }
#else
int sdot4(uint a, uint b) {
  ivec4 x = word_unpack(a), y = word_unpack(b);
  return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}
#endif

// ---- TFLite fixed-point arithmetic (gemmlowp semantics), 32-bit only (no shaderInt64 needed) ----------------------

// SaturatingRoundingDoublingHighMul: round((a*b) / 2^31) with ties toward +infinity, saturating INT_MIN*INT_MIN.
// gemmlowp adds a nudge of 2^30 (a*b >= 0) or 1 - 2^30 (a*b < 0) and divides truncating toward zero; for either sign
// that is floor((a*b + 2^30) / 2^31), one 64-bit add and an arithmetic shift on the hi/lo pair.
int srdhm(int a, int b) {
  int hi;
  int lo;
  imulExtended(a, b, hi, lo);  // a*b = hi * 2^32 + uint(lo)
  uint carry;
  uint slo = uaddCarry(uint(lo), 1u << 30, carry);
  int r = int((uint(hi + int(carry)) << 1) | (slo >> 31));
  return a == b && a == int(0x80000000) ? 0x7fffffff : r;
}

// RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
int rdbpot(int x, int exponent) {
  if (exponent <= 0) return x;
  int mask = int((1u << uint(exponent)) - 1u);
  int remainder = x & mask;
  int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// MultiplyByQuantizedMultiplier (TFLite's default double-rounding form): shift > 0 is a left shift.
int mbqm(int x, int multiplier, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(x * (1 << left), multiplier), right);
}

// gemmlowp's SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating when exponent > 0, rounding (ties away
// from zero) when exponent < 0.
int srmbpot(int x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return rdbpot(x, -exponent);
  int threshold = int((1u << uint(31 - exponent)) - 1u);
  if (x > threshold) return 0x7fffffff;
  if (x < -threshold) return int(0x80000000);
  return int(uint(x) << uint(exponent));
}

// TFLite's GetInvSqrtQuantizedMultiplierExp with reverse_shift -1 (as src/common/fixed_point.h): 1/sqrt(input) as
// a Q31 multiplier and a left shift for mbqm; inputs 0 and 1 give (INT32_MAX, 0).  Newton-Raphson in Q3.28.
void inv_sqrt_multiplier_exp(int v, out int multiplier, out int shift) {
  if (v <= 1) {
    multiplier = 0x7fffffff;
    shift = 0;
    return;
  }
  int s = 11;
  while (v >= (1 << 29)) {
    v >>= 2;
    s++;
  }
  int pairs = (30 - findMSB(v)) / 2 - 1;  // (clz - 1) / 2 - 1
  s -= pairs;
  v <<= 2 * pairs;
  int half_input = rdbpot(v >> 1, 1);
  const int half_three = (1 << 28) + (1 << 27);
  int x = 1 << 28;
  for (int i = 0; i < 5; i++) {
    int x3 = srmbpot(srdhm(srdhm(x, x), x), 6);
    x = srmbpot(srdhm(half_three, x) - srdhm(half_input, x3), 3);
  }
  x = srdhm(x, 1518500250);  // sqrt(2)/2 in Q0.31
  if (s < 0) {
    x = int(uint(x) << uint(-s));
    s = 0;
  }
  multiplier = x;
  shift = -s;
}

// Single-rounding MultiplyByQuantizedMultiplier (ruy; TFLite's int8 CONV_2D / FULLY_CONNECTED): round(x * m *
// 2^(shift - 31)) with ties toward +infinity, computed exactly on the 64-bit product (as hi/lo int32 pairs), then
// saturated to int32.  Requires shift <= 30 (the host checks).
int mbqm_single(int x, int multiplier, int shift) {
  int total = 31 - shift;  // in [1, 62]
  int hi;
  int lo;
  imulExtended(x, multiplier, hi, lo);
  uint carry;
  uint ulo = uint(lo);
  if (total <= 32) {
    ulo = uaddCarry(ulo, 1u << uint(total - 1), carry);
    hi += int(carry);
  } else {
    hi += 1 << (total - 33);
  }
  if (total >= 32) return hi >> (total - 32);  // arithmetic shift: floor; always fits
  // 64-bit arithmetic right shift by total in [1, 31], then saturate to int32.
  uint rlo = (ulo >> uint(total)) | (uint(hi) << uint(32 - total));
  int rhi = hi >> total;
  if (rhi > 0 || (rhi == 0 && rlo >= 0x80000000u)) return 0x7fffffff;
  if (rhi < -1 || (rhi == -1 && rlo < 0x80000000u)) return int(0x80000000);
  return int(rlo);
}

// ---- The same arithmetic on 4 lanes at once, branch-free (selects instead of branches), bit-identical ----------

// srdhm on 4 lanes: floor((a*b + 2^30) / 2^31) as srdhm.
ivec4 srdhm4(ivec4 a, ivec4 b) {
  ivec4 hi;
  ivec4 lo;
  imulExtended(a, b, hi, lo);
  uvec4 carry;
  uvec4 slo = uaddCarry(uvec4(lo), uvec4(1u << 30), carry);
  ivec4 r = ivec4((uvec4(hi + ivec4(carry)) << 1) | (slo >> 31));
  bvec4 sat = equal((a ^ ivec4(0x80000000)) | (b ^ ivec4(0x80000000)), ivec4(0));
  return mix(r, ivec4(0x7fffffff), sat);
}

// srdhm(x << 20, m) on 4 lanes for |x| < 2^10 (TFLite's 8-bit ADD / SUB input rescale) without a 64-bit product:
// floor((x * m * 2^20 + 2^30) / 2^31) = floor((x * m + 2^10) / 2^11), and with m = mh * 2^11 + ml (0 <= ml < 2^11)
// that is x * mh + floor((x * ml + 2^10) / 2^11); |x * mh| < 2^30 and |x * ml| < 2^21.
ivec4 srdhm_shl20_4(ivec4 x, int m) {
  return x * (m >> 11) + ((x * (m & 0x7ff) + 0x400) >> 11);
}

// rdbpot on 4 lanes; exponent in [0, 31].
ivec4 rdbpot4(ivec4 x, ivec4 exponent) {
  ivec4 mask = ivec4((uvec4(1u) << uvec4(exponent)) - 1u);
  ivec4 threshold = (mask >> 1) + ivec4(lessThan(x, ivec4(0)));
  return (x >> exponent) + ivec4(greaterThan(x & mask, threshold));
}

// rdbpot on 4 lanes by one exponent in [0, 31].
ivec4 rdbpot4(ivec4 x, int exponent) {
  int mask = int((1u << uint(exponent)) - 1u);
  ivec4 threshold = (mask >> 1) - (x >> 31);
  return (x >> exponent) + ivec4(greaterThan(x & mask, threshold));
}

// mbqm on 4 lanes.
ivec4 mbqm4(ivec4 x, ivec4 multiplier, ivec4 shift) {
  return rdbpot4(srdhm4(x << max(shift, ivec4(0)), multiplier), max(-shift, ivec4(0)));
}

// mbqm_single on 4 lanes (shift <= 30).  With j = 30 - shift in [0, 61] and P = x * multiplier:
// floor((P + 2^j) / 2^(j+1)) = floor((floor(P / 2^j) + 1) / 2), where q = floor(P / 2^j) is an exact 64-bit shift.
ivec4 mbqm_single4(ivec4 x, ivec4 multiplier, ivec4 shift) {
  ivec4 hi;
  ivec4 lo;
  imulExtended(x, multiplier, hi, lo);
  ivec4 j = 30 - shift;
  // Usual case, j >= 32 in every lane (callers pass workgroup-uniform shifts, so this branch does not diverge): 2^j is
  // a multiple of 2^32, so the result is floor((hi + 2^(j-32)) / 2^(j-31)); |hi| <= 2^30, no overflow.
  if (all(greaterThanEqual(j, ivec4(32)))) return (hi + (ivec4(1) << (j - 32))) >> (j - 31);
  bvec4 big = greaterThanEqual(j, ivec4(32));
  ivec4 jb = min(j, ivec4(31));
  ivec4 qa = hi >> max(j - 32, ivec4(0));  // j >= 32: q fits in 32 bits
  uvec4 qlo = mix((uvec4(lo) >> uvec4(jb)) | ((uvec4(hi) << 1u) << uvec4(31 - jb)), uvec4(qa), big);
  ivec4 qhi = mix(hi >> jb, qa >> 31, big);
  uvec4 carry;
  qlo = uaddCarry(qlo, uvec4(1u), carry);
  qhi += ivec4(carry);
  uvec4 rlo = (qlo >> 1u) | (uvec4(qhi) << 31u);
  ivec4 rhi = qhi >> 1;
  ivec4 satv = ivec4(0x7fffffff) ^ (rhi >> 31);  // INT_MAX, or INT_MIN for a negative result
  return mix(satv, ivec4(rlo), equal(rhi, ivec4(rlo) >> 31));
}

// ---- Per-channel requantization with its constants prepared once (convolution epilogues) ------------------------
// The convolutions' requantization mode (a specialization constant, chosen by the host: q8conv::rq_mode): TFLite's
// double rounding (uint8; DEPTHWISE_CONV_2D and TRANSPOSE_CONV always), single rounding (int8 CONV_2D and
// FULLY_CONNECTED, ruy), and for each a small-shift form where the host has checked every channel's shift (double
// rounding: <= -1, a multiplier below 1/2; single rounding: <= -2, below 1/4; nearly every layer), which computes the
// result from the 64-bit product with one add and one shift and leaves the general arithmetic out of the shader: a
// tile's epilogue inlines rq4_apply once per value, and on llvmpipe the general forms, compiled TP * TC times, cost
// more JIT time at a session's first run than the rest of the kernel (MobileNet-v2).  For the same reason the kernels
// read the multipliers and shifts before their first divergent branch: read inside the epilogue's per-pixel branches
// they made the JIT of the 8x4-tile GEMM 2-3x as long (bench_internal_kernels --cold).  And the kernels' epilogue
// loops carry [[unroll]]: Mesa's NIR unrolls a loop only while its trip count times its body's size stays under a
// limit, double rounding's small-shift form (a few instructions per value more than single rounding's) passed it in
// the 16-pixel loop, and the rolled loop indexed the tile's accumulators dynamically: twice the JIT time of the
// unrolled one (uint8 1x1 GEMM 2.2 -> 1.2 s of CPU) and a slower kernel.
const int RQ_DOUBLE = 0, RQ_SINGLE = 1, RQ_SINGLE_SMALL_SHIFTS = 2, RQ_DOUBLE_SMALL_SHIFTS = 3;
// Macros, not functions: a kernel derives its compile-time flags from its RQ specialization constant with them.
#define RQ_IS_SINGLE(mode) ((mode) == RQ_SINGLE || (mode) == RQ_SINGLE_SMALL_SHIFTS)
#define RQ_IS_SMALL_SHIFTS(mode) ((mode) == RQ_SINGLE_SMALL_SHIFTS || (mode) == RQ_DOUBLE_SMALL_SHIFTS)
//
// A kernel that requantizes many values of the same 4 channels (a tile's pixels) prepares the multipliers' constants
// once per channel group (rq4_prepare) and pays only the multiply, adds and shifts per value (rq4_apply),
// bit-identical to mbqm4 / mbqm_single4.
// Double rounding: a = left shift, b = right shift, mask = 2^b - 1; the multiplier is never INT_MIN
// (quantize_multiplier gives [2^30, 2^31) or 0), so srdhm's saturation cannot occur.
// Double rounding, small shifts (b >= 1, a = 0), in one rounding of the product P = x * m: srdhm is
// r = floor((P + 2^30) / 2^31) (see srdhm) and rdbpot(r, b) = floor((r + 2^(b-1) - [r < 0]) / 2^b) (with
// r = q * 2^b + rem, the sum passes the next multiple of 2^b exactly when rem > 2^(b-1) - 1 + [r < 0], rdbpot's test).
// [r < 0] may be read as [x < 0]: with m >= 0 (quantize_multiplier's range) x >= 0 gives r >= 0, and x < 0 gives
// r <= 0, where r = 0 yields 0 with either addend (0 <= 2^(b-1) - 1 < 2^b).  Nested floors of integer divisions
// merge, so the result is floor((P + K) / 2^(31+b)) with K = 2^30 + 2^(30+b) - [x < 0] * 2^31: P + K fits in 64 bits
// and 31 + b >= 32, so with K = kh * 2^32 + kl it is (hi + kh + carry(lo + kl)) >> (b - 1), without overflow
// (|hi| <= 2^30, kh <= 2^29).  Ties at either rounding and the shift extremes: tests/test_quant_gpu.cpp.
// Single rounding: fast when j = 30 - shift >= 32 in every lane (multipliers below 1/4), then a = 2^(j-32),
// b = j - 31 as in mbqm_single4's first branch; otherwise rq4_apply falls back to mbqm_single4 (never, and not
// compiled, where the caller passes small_shifts, a compile-time constant).
struct Rq4 {
  ivec4 m, s, a, b, mask;
  uvec4 kl_pos, kl_neg;  // double rounding, small shifts: K's low word for x >= 0 and x < 0
  ivec4 kh_pos, kh_neg;  // and its high word
  bool fast;
};

Rq4 rq4_prepare(ivec4 multiplier, ivec4 shift, bool single, bool small_shifts) {
  Rq4 q;
  q.m = multiplier;
  q.s = shift;
  if (single) {
    ivec4 j = 30 - shift;
    q.fast = small_shifts || all(greaterThanEqual(j, ivec4(32)));
    q.a = ivec4(1) << clamp(j - 32, ivec4(0), ivec4(31));
    q.b = clamp(j - 31, ivec4(0), ivec4(31));
    q.mask = ivec4(0);
  } else if (small_shifts) {
    // K = 2^30 + 2^(30+b) (x >= 0), K - 2^31 (x < 0); b = 1: 0xC0000000 and 0x40000000 in the low word;
    // b >= 2: 2^(b-2) * 2^32 + 0x40000000, and one less in the high word with 0xC0000000 in the low one.
    q.fast = true;
    ivec4 b = clamp(-shift, ivec4(1), ivec4(31));
    bvec4 b1 = equal(b, ivec4(1));
    q.kl_pos = mix(uvec4(0x40000000u), uvec4(0xC0000000u), b1);
    q.kl_neg = q.kl_pos ^ 0x80000000u;
    q.kh_pos = mix(ivec4(1) << max(b - 2, ivec4(0)), ivec4(0), b1);
    q.kh_neg = q.kh_pos - ivec4(not(b1));
    q.b = b - 1;
  } else {
    q.fast = true;
    q.a = max(shift, ivec4(0));
    q.b = max(-shift, ivec4(0));
    q.mask = ivec4((uvec4(1u) << uvec4(q.b)) - 1u);
  }
  return q;
}
Rq4 rq4_prepare(ivec4 multiplier, ivec4 shift, bool single) { return rq4_prepare(multiplier, shift, single, false); }

// small_shifts: as passed to rq4_prepare (only double rounding reads it here).
ivec4 rq4_apply(ivec4 x, Rq4 q, bool single, bool small_shifts) {
  ivec4 hi;
  ivec4 lo;
  uvec4 carry;
  if (single) {
    if (!q.fast) return mbqm_single4(x, q.m, q.s);
    imulExtended(x, q.m, hi, lo);
    return (hi + q.a) >> q.b;
  }
  if (small_shifts) {
    imulExtended(x, q.m, hi, lo);
    bvec4 neg = lessThan(x, ivec4(0));
    uaddCarry(uvec4(lo), mix(q.kl_pos, q.kl_neg, neg), carry);
    return (hi + mix(q.kh_pos, q.kh_neg, neg) + ivec4(carry)) >> q.b;
  }
  imulExtended(x << q.a, q.m, hi, lo);  // srdhm: floor((x * m + 2^30) / 2^31)
  uvec4 slo = uaddCarry(uvec4(lo), uvec4(1u << 30), carry);
  ivec4 r = ivec4((uvec4(hi + ivec4(carry)) << 1) | (slo >> 31));
  ivec4 threshold = (q.mask >> 1) - (r >> 31);  // rdbpot: ties away from zero
  return (r >> q.b) + ivec4(greaterThan(r & q.mask, threshold));
}
ivec4 rq4_apply(ivec4 x, Rq4 q, bool single) { return rq4_apply(x, q, single, false); }
