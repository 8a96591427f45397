// FAKE_QUANT's rounding as thresholds (fake_quant.cpp, grad_fake_quant.cpp): round(x / scale) + zero_point, rounded
// as the CPU reference rounds it (ref::detail::fake_quant_value: the double quotient, half away from zero), never
// decreases as x grows, so "q(x) >= k" is "x >= the smallest float with q >= k".  The shaders compare float bits as
// order keys (integers, no float compare: denormals are never flushed) against keys the host finds by bisection,
// instead of dividing exactly on the device.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "model/graph.h"

namespace tare::ops {

// Float bits as an int32 that orders like the values: negatives below positives, -0 just below +0, NaNs beyond
// +-inf (so no threshold between finite values admits them).  shaders/fake_quant.comp and grad_fake_quant.comp
// compute the same.
inline int32_t order_key(float x) {
  int32_t i;
  std::memcpy(&i, &x, 4);
  return i >= 0 ? i : i ^ 0x7fffffff;
}

inline float from_order_key(int32_t k) {
  const int32_t i = k >= 0 ? k : k ^ 0x7fffffff;
  float x;
  std::memcpy(&x, &i, 4);
  return x;
}

// The smallest order key (from -inf's up to +inf's) of a value x with round(x / scale) + zero_point >= q; +inf's key
// + 1 when none.  A bisection bracketed around the estimate (q - zero_point - 0.5) * scale: a few evaluations
// instead of 33 (a session of IBC or BFT tabulates 255 levels per FAKE_QUANT).
inline int32_t first_key_at_least(float scale, int32_t zero_point, int64_t q) {
  auto reaches = [&](int64_t k) {
    return std::round((double)from_order_key((int32_t)k) / (double)scale) + zero_point >= (double)q;
  };
  // Invariant: no key below lo reaches q; hi reaches it or is the end.
  int64_t lo = order_key(-INFINITY), hi = (int64_t)order_key(INFINITY) + 1;
  const int64_t guess = std::clamp<int64_t>(order_key((float)(((double)q - zero_point - 0.5) * (double)scale)), lo,
                                            hi - 1);
  if (reaches(guess)) {
    hi = guess;
    for (int64_t step = 1; hi - step >= lo; step *= 2) {
      if (!reaches(hi - step)) {
        lo = hi - step + 1;
        break;
      }
      hi -= step;
    }
  } else {
    lo = guess + 1;
    for (int64_t step = 1; lo - 1 + step < hi; step *= 2) {
      if (reaches(lo - 1 + step)) {
        hi = lo - 1 + step;
        break;
      }
      lo += step;
    }
  }
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (reaches(mid)) hi = mid;
    else lo = mid + 1;
  }
  return (int32_t)lo;
}

// A fused activation as a clamp of order keys: [lo, hi] (a RELU's hi is +inf's key).  false: none (Activation::None).
inline bool activation_keys(Activation a, int32_t& lo, int32_t& hi) {
  switch (a) {
    case Activation::Relu: lo = order_key(0.0f), hi = order_key(INFINITY); return true;
    case Activation::ReluN1To1: lo = order_key(-1.0f), hi = order_key(1.0f); return true;
    case Activation::Relu6: lo = order_key(0.0f), hi = order_key(6.0f); return true;
    default: lo = hi = 0; return false;
  }
}

}  // namespace tare::ops
