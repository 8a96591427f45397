// FAKE_QUANT's levels of 4 float32 lanes given as raw bits (denormals never flushed), bit-exact with the CPU
// reference: shaders/fake_quant.comp writes (q - zp) * scale; channel_diff.comp's QUANT measures IBC's error on a
// layer's quantized output without writing it.  The includer declares the push block `p` (scale_bits, zp, qmin,
// qmax, act_lo, act_hi), the level table `first_key[]` and the specialization constants TABLE and ACT (see
// fake_quant.comp), and includes q8_exact.glsl first.

// clamp(round(x / scale) + zp, qmin, qmax) of float32 bits.
int fq_level(uint bits, float inv_scale) {
  if (!TABLE) return clamp(round_div_exact(bits, p.scale_bits) + p.zp, p.qmin, p.qmax);
  int b = int(bits);
  bool nan = (b & 0x7fffffff) > 0x7f800000;
  int key = nan ? int(0x80000000) : b < 0 ? b ^ 0x7fffffff : b;  // NaN below every key: qmin, as QUANTIZE
  float e = clamp(uintBitsToFloat(bits) * inv_scale + float(p.zp), float(p.qmin), float(p.qmax));
  int q = nan ? p.qmin : int(floor(e + 0.5));
  while (q > p.qmin && key < first_key[q - p.qmin]) q--;
  while (q < p.qmax && key >= first_key[q + 1 - p.qmin]) q++;
  return q;
}

// The fused activation (ACT) as a clamp of order keys, as the reference's activation: NaN stays NaN; integer
// compares flush no denormal.
uvec4 fq_activate(uvec4 bits) {
  ivec4 b = ivec4(bits);
  ivec4 key = clamp(mix(b, b ^ 0x7fffffff, lessThan(b, ivec4(0))), p.act_lo, p.act_hi);
  ivec4 clamped = mix(key, key ^ 0x7fffffff, lessThan(key, ivec4(0)));
  bits = uvec4(mix(clamped, b, greaterThan(b & 0x7fffffff, ivec4(0x7f800000))));
  return bits;
}

// clamp(round(x / scale) + zp, qmin, qmax) of 4 lanes; inv_scale = 1 / scale, estimate = (scale < 1e30).
ivec4 fq_levels(uvec4 bits, float inv_scale, bool estimate) {
  ivec4 r;
  uint unsure = undecided_lanes(round_div_estimate4(bits, inv_scale, estimate, r));
  ivec4 q = clamp(r + p.zp, p.qmin, p.qmax);
  while (unsure != 0u) {
    int l = findLSB(unsure);
    unsure &= unsure - 1u;
    q[l] = fq_level(bits[l], inv_scale);
  }
  return q;
}
