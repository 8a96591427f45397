// FAKE_QUANT's straight-through estimator (training, float32): the gradient passes at x where
// qmin <= round(x / scale) + zp <= qmax, with x / scale rounded as the forward rounds it; not outside the clamp range
// nor for NaN.  That range is an interval of x: the host finds its ends as float order keys
// (src/ops/fake_quant_keys.h), so the test is two integer compares (NaNs' keys lie beyond +-inf's, outside it).
// With a fused activation (fake_quant.comp) the range test applies to the clamped x, and x must also lie strictly
// inside (act_lo, act_hi), the activation's own rule; NaN never passes.  Used by grad_fake_quant.comp and by the
// backward kernels that fold a FAKE_QUANT's backward into their output (src/ops/ste_fold.h).

// `bits`: x's raw bits; key_lo <= key < key_hi passes.
bvec4 ste_pass(ivec4 bits, int key_lo, int key_hi, bool act, int act_lo, int act_hi) {
  ivec4 key = mix(bits, bits ^ 0x7fffffff, lessThan(bits, ivec4(0)));  // order keys (fake_quant_keys.h)
  ivec4 y = key;
  uvec4 inside = uvec4(1);
  if (act) {
    bvec4 nan = greaterThan(bits & 0x7fffffff, ivec4(0x7f800000));
    y = mix(clamp(key, act_lo, act_hi), key, nan);
    inside = uvec4(greaterThan(key, ivec4(act_lo))) & uvec4(lessThan(key, ivec4(act_hi))) & uvec4(not(nan));
  }
  return bvec4(uvec4(greaterThanEqual(y, ivec4(key_lo))) & uvec4(lessThan(y, ivec4(key_hi))) & inside);
}
