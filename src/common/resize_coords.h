// TFLite's float source coordinates for RESIZE_BILINEAR (reference_ops::ComputeInterpolationValues), shared by the
// float reference, the uint8 integer reference and the uint8 GPU kernel's table: TFLite's uint8 kernel interpolates
// in float, so every step must round as its single-precision C++ does.
#pragma once

#include <algorithm>
#include <cmath>

namespace tare::resize {

// Input pixels per output pixel along one axis.
inline float scale(int in_size, int out_size, bool align_corners) {
  if (align_corners && out_size > 1) return (float)(in_size - 1) / (float)(out_size - 1);
  return (float)in_size / (float)out_size;
}

// Source coordinate of output coordinate v and its two neighbouring source indices (clamped to the input).
struct Source {
  float coord;
  int lo, hi;
  float frac() const { return coord - (float)lo; }  // not clamped: TFLite weights the border with it as is
};

inline Source source(int v, float scale, bool half_pixel_centers, int in_size) {
  Source s;
  s.coord = half_pixel_centers ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
  s.lo = std::max((int)std::floor(s.coord), 0);
  s.hi = std::min((int)std::ceil(s.coord), in_size - 1);
  return s;
}

}  // namespace tare::resize
