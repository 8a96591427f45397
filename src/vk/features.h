// Which optional device features the 8-bit kernels use, and the override that lets tests pick a path.
#pragma once

#include "vk/context.h"

namespace tare::vk {

// Tests only: runs the 8-bit kernels on a chosen path of the device, so that every path is checked on one device.
// Default: what the device does best.
struct FeatureOverride {
  enum class Dot {
    Auto,   // packed dot products where the device says they are accelerated
    Off,    // never
    Forced  // wherever the device has them at all (lavapipe emulates them: slower, but testable)
  };
  bool packed_int8 = false;  // packed uint32 words even where the device has 8-bit storage
  Dot dot = Dot::Auto;
};

// The 8-bit features a compiled graph uses on a device with `caps`.
struct Int8Features {
  bool int8_storage = false;  // 8-bit storage buffers and arithmetic (else packed uint32 words)
  bool integer_dot = false;   // packed 4x8-bit dot products
};

inline Int8Features int8_features(const DeviceCaps& caps, const FeatureOverride& o) {
  Int8Features f;
  f.int8_storage = caps.int8_storage && caps.int8_arithmetic && !o.packed_int8;
  f.integer_dot = caps.integer_dot_product && o.dot != FeatureOverride::Dot::Off &&
                  (caps.integer_dot_accelerated || o.dot == FeatureOverride::Dot::Forced);
  return f;
}

}  // namespace tare::vk
