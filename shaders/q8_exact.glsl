// Helpers of the 8-bit element-wise kernels (q8_*.comp, quantize*.comp): exact IEEE float32 arithmetic where
// TFLite's kernels compute in float (GPU division is not correctly rounded, GLSL's round() breaks ties either way),
// integer rounding divisions, and padding-lane masking.  Include after common.glsl and quant.glsl.

// Padding lanes (channel >= C) of channel group g set to the device zero point z.
ivec4 q8_mask(ivec4 v, int g, int C, int z) {
  int base = g * 4;
  if (base + 4 <= C) return v;
  return ivec4(base + 0 < C ? v.x : z, base + 1 < C ? v.y : z, base + 2 < C ? v.z : z, base + 3 < C ? v.w : z);
}

// C's integer division truncating toward zero, for b > 0 (GLSL leaves negative operands undefined).
int div_trunc(int a, int b) {
  int q = abs(a) / b;
  return a < 0 ? -q : q;
}

// div_trunc on 4 lanes by one divisor b > 0 for |a| < 2^24 and |a| / b < 2^20, without integer division (GPUs
// without a vector integer divider run it lane by lane): the float estimate of |a| / b is within 1 of the quotient,
// one correction step either way makes it exact.
ivec4 div_trunc4(ivec4 a, int b) {
  ivec4 m = abs(a);
  ivec4 q = ivec4(vec4(m) * (1.0 / float(b)));
  ivec4 rem = m - q * b;
  q += ivec4(greaterThanEqual(rem, ivec4(b))) - ivec4(lessThan(rem, ivec4(0)));
  return mix(q, -q, lessThan(a, ivec4(0)));
}

// std::round: to nearest, ties away from zero (exact: trunc and x - trunc(x) are exact in IEEE arithmetic).
float round_away(float x) {
  precise float t = trunc(x);
  precise float f = x - t;
  precise float r = abs(f) >= 0.5 ? t + sign(x) : t;
  return r;
}

// The exact |a / b| to 25 significant bits, truncated: |a / b| = (q + f) * 2^(e - 24) with q in [2^24, 2^25) and
// 0 <= f = rem / divisor < 1 (q = 0 when a == 0).  Same domain as fdiv_parts.
void fdiv_long(uint abits, uint bbits, out uint q, out uint rem, out uint divisor, out int e) {
  uint ma = abits & 0x7fffffu;
  int ea = int((abits >> 23) & 0xffu);
  if (ea == 0) {
    if (ma == 0u) {
      q = 0u;
      rem = 0u;
      divisor = 1u;
      e = 0;
      return;
    }
    int lz = 23 - findMSB(ma);
    ma <<= uint(lz);
    ea = 1 - lz;
  } else {
    ma |= 0x800000u;
  }
  uint mb = (bbits & 0x7fffffu) | 0x800000u;
  int eb = int((bbits >> 23) & 0xffu);
  int ex = ea - eb;
  if (ma < mb) {
    ma <<= 1;
    ex -= 1;
  }
  // q = floor(ma * 2^24 / mb) in [2^24, 2^25): a float estimate (a few units off at most, whatever the device's
  // division precision within Vulkan's bounds), then exact integer correction.  The remainder ma * 2^24 - q * mb is
  // small, so its low 32 bits (wrap-around arithmetic) are the whole of it.
  uint qq = uint(float(ma) / float(mb) * 16777216.0);
  int r = int((ma << 24) - qq * mb);
  while (r < 0) {
    r += int(mb);
    qq -= 1u;
  }
  while (r >= int(mb)) {
    r -= int(mb);
    qq += 1u;
  }
  q = qq;
  rem = uint(r);
  divisor = mb;
  e = ex;
}

void fdiv_truncated(uint abits, uint bbits, out uint q, out int e) {
  uint rem, divisor;
  fdiv_long(abits, bbits, q, rem, divisor, e);
}

// |a / b| correctly rounded to float32 (to nearest, ties to even), for finite a (any sign, denormals included) and
// b > 0 normal, as integer long division on the significands: |a / b| = mant * 2^(e - 23) with mant in
// [2^23, 2^24), or mant = 0 when a == 0.  Results below float32's normal range are not rounded to its denormal grid
// (callers never need them).
void fdiv_parts(uint abits, uint bbits, out uint mant, out int e) {
  uint q, r, mb;
  int ex;
  fdiv_long(abits, bbits, q, r, mb, ex);
  if (q == 0u) {
    mant = 0u;
    e = 0;
    return;
  }
  uint m = q >> 1;
  bool guard = (q & 1u) != 0u;
  if (guard && (r != 0u || (m & 1u) != 0u)) m += 1u;
  if (m == (1u << 24)) {
    m >>= 1;
    ex += 1;
  }
  mant = m;
  e = ex;
}

// a / b as IEEE float32 division (round to nearest even) for finite a and b > 0 normal, the result normal or zero.
float fdiv_exact(float a, float b) {
  uint abits = floatBitsToUint(a);
  uint mant;
  int e;
  fdiv_parts(abits, floatBitsToUint(b), mant, e);
  if (mant == 0u) return 0.0;
  uint bits = (abits & 0x80000000u) | (uint(e + 127) << 23) | (mant & 0x7fffffu);
  return uintBitsToFloat(bits);
}

// round_div_exact of a finite x.
int round_div_long(uint xbits, uint scale_bits) {
  const int big = 1 << 24;
  uint q;
  int e;
  fdiv_truncated(xbits, scale_bits, q, e);
  int t = 24 - e;
  int r;
  if (q == 0u || t > 25) {
    r = 0;  // |x / scale| < 0.5
  } else if (t <= 0) {
    r = big;
  } else {
    r = int((q + (1u << uint(t - 1))) >> uint(t));
  }
  return (xbits & 0x80000000u) != 0u ? -r : r;
}

// round(x / scale) of float32 bits, limited to [-2^24, 2^24] (wider values saturate in any 8-bit clamp);
// NaN -> -2^24.  As QUANTIZE (shaders/quantize.comp) and FAKE_QUANT round it: the EXACT quotient
// (q + f) * 2^(e - 24), 0 <= f < 1, rounded half away from zero: with t = 24 - e fraction bits,
// floor(|x / s| + 0.5) = (q + 2^(t-1)) >> t.  Integer long division: callers try round_div_estimate4 first.
int round_div_exact(uint xbits, uint scale_bits) {
  const int big = 1 << 24;
  if (((xbits >> 23) & 0xffu) == 0xffu) return (xbits & 0x7fffffu) != 0u || (xbits & 0x80000000u) != 0u ? -big : big;
  return round_div_long(xbits, scale_bits);
}

// round_div_exact's fast path on 4 lanes: the float estimate e = x * inv_scale rounded half away from zero in r, and
// the lanes where that is the exact result.  e lies within |e| * 2^-21 of the exact quotient (reciprocal 2.5 ulp,
// Vulkan's bound, product 0.5 ulp): where its fraction is farther than |e| * 2^-18 from .5, rounding e rounds the
// exact quotient the same way.  Zeros and normal floats only (a denormal may be flushed), and |e| < 2^17 (else the
// margin covers every fraction).  inv_scale = 1 / scale; usable = (scale < 1e30): 1 / scale normal.
bvec4 round_div_estimate4(uvec4 bits, float inv_scale, bool usable, out ivec4 r) {
  precise vec4 e = uintBitsToFloat(bits) * inv_scale;
  vec4 a = abs(e);
  vec4 f = fract(a);
  uvec4 exponent = (bits >> 23) & 0xffu;
  bvec4 finite_normal = bvec4(uvec4(notEqual(exponent, uvec4(0))) & uvec4(notEqual(exponent, uvec4(0xffu))));
  bvec4 zero = equal(bits & 0x7fffffffu, uvec4(0));
  ivec4 m = ivec4(floor(a)) + ivec4(greaterThan(f, vec4(0.5)));
  r = mix(m, -m, lessThan(e, vec4(0)));
  return bvec4(uvec4(greaterThan(abs(f - 0.5), a * (1.0 / 262144.0))) & (uvec4(finite_normal) | uvec4(zero)) &
               uvec4(usable));
}

// The lanes round_div_estimate4 left undecided, as a bit mask.  Their exact path runs in a loop over these lanes:
// llvmpipe runs a branch's body masked even when no lane takes it, but leaves a loop once every lane is done.
uint undecided_lanes(bvec4 sure) {
  return uint(!sure.x) | uint(!sure.y) << 1 | uint(!sure.z) << 2 | uint(!sure.w) << 3;
}

// QUANTIZE of 4 floats (their bits) to device values: clamp(round(x / scale) + zero point) into the output type's
// range, uint8 shifted to int8 (zo_raw: the output's own zero point plus flip; flip: 128 for uint8, else 0).
ivec4 quantize_values(uvec4 bits, uint scale_bits, int zo_raw, int flip) {
  float scale = uintBitsToFloat(scale_bits);
  ivec4 r;
  uint unsure = undecided_lanes(round_div_estimate4(bits, 1.0 / scale, scale < 1e30, r));
  while (unsure != 0u) {
    int l = findLSB(unsure);
    unsure &= unsure - 1u;
    r[l] = round_div_exact(bits[l], scale_bits);
  }
  return clamp(r + zo_raw, -128 + flip, 127 + flip) - flip;
}
