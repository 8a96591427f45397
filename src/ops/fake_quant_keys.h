// FAKE_QUANT's rounding as thresholds (fake_quant.cpp, grad_fake_quant.cpp): round(x / scale) + zero_point, rounded
// as the CPU reference rounds it (ref::detail::fake_quant_value: the double quotient, half away from zero), never
// decreases as x grows, so "q(x) >= k" is "x >= the smallest float with q >= k".  The shaders compare float bits as
// order keys (integers, no float compare: denormals are never flushed) against keys the host finds by bisection,
// instead of dividing exactly on the device.
#pragma once

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
// + 1 when none.
inline int32_t first_key_at_least(float scale, int32_t zero_point, int64_t q) {
  auto reaches = [&](int64_t k) {
    return std::round((double)from_order_key((int32_t)k) / (double)scale) + zero_point >= (double)q;
  };
  int64_t lo = order_key(-INFINITY), hi = (int64_t)order_key(INFINITY) + 1;  // answer in [lo, hi]
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
