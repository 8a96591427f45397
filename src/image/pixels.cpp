// Pixel preprocessing.  See pixels.h.
#include "image/pixels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tare::pixels {

namespace {

inline uint8_t clamp_u8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

// Where pixel (x, y) of the image rotated clockwise by quarter_turns lies in the source.
struct Rotation {
  int quarter_turns;
  int width;  // of the source
  int height;
  void source_of(int x, int y, int* sx, int* sy) const {
    switch (quarter_turns) {
      case 1: *sx = y, *sy = height - 1 - x; break;
      case 2: *sx = width - 1 - x, *sy = height - 1 - y; break;
      case 3: *sx = width - 1 - y, *sy = x; break;
      default: *sx = x, *sy = y; break;
    }
  }
};

void source_rgb(const Source& s, int x, int y, uint8_t* rgb) {
  const uint8_t* row = s.data + size_t(y) * s.stride;
  switch (s.format) {
    case Format::RGBA8:
    case Format::RGB8: {
      const uint8_t* p = row + size_t(x) * bytes_per_pixel(s.format);
      rgb[0] = p[0], rgb[1] = p[1], rgb[2] = p[2];
      return;
    }
    case Format::BGRA8:
    case Format::BGR8: {
      const uint8_t* p = row + size_t(x) * bytes_per_pixel(s.format);
      rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0];
      return;
    }
    case Format::GRAY8: rgb[0] = rgb[1] = rgb[2] = row[x]; return;
    case Format::NV12:
    case Format::NV21: {
      const uint8_t* uv = s.uv + size_t(y / 2) * s.uv_stride + size_t(x / 2) * 2;
      const bool u_first = s.format == Format::NV12;
      yuv_to_rgb(row[x], u_first ? uv[0] : uv[1], u_first ? uv[1] : uv[0], rgb);
      return;
    }
  }
}

// ---- Pillow's bilinear resampling --------------------------------------------------------------------------------

constexpr int kPrecisionBits = 32 - 8 - 2;

double triangle(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Coefficients of one axis: for output index i, taps k[i * ksize + j] apply to input first[i] + j, j < count[i].
// Same arithmetic as Pillow's precompute_coeffs + normalize_coeffs_8bpc.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> k;
};

Coefficients precompute(int in_size, float in0, float in1, int out_size) {
  const double support_base = 1.0;  // the triangle (bilinear) filter
  double scale = static_cast<double>(in1 - in0) / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = support_base * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.k.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; xx++) {
    double center = in0 + (xx + 0.5) * scale;
    double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; x++) {
      w[x] = triangle((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (int x = 0; x < xmax; x++) {
      double v = ww != 0.0 ? w[x] / ww : w[x];
      c.k[size_t(xx) * c.ksize + x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                                            : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t ss) { return clamp_u8(ss >> kPrecisionBits); }

// Pillow's nearest-neighbour source indices: the position accumulates in double from scale / 2.
std::vector<int> nearest_indices(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  std::vector<int> index(out_size);
  double position = scale * 0.5;
  for (int i = 0; i < out_size; i++) {
    index[i] = std::min(static_cast<int>(position), in_size - 1);
    position += scale;
  }
  return index;
}

}  // namespace

int bytes_per_pixel(Format format) {
  switch (format) {
    case Format::RGBA8:
    case Format::BGRA8: return 4;
    case Format::RGB8:
    case Format::BGR8: return 3;
    default: return 1;
  }
}

void yuv_to_rgb(int y, int cb, int cr, uint8_t* rgb) {
  // 1.402, 0.344136, 0.714136 and 1.772 times 2^16, rounded.
  constexpr int kRCr = 91881, kGCb = 22554, kGCr = 46802, kBCb = 116130, kHalf = 1 << 15;
  cb -= 128;
  cr -= 128;
  rgb[0] = clamp_u8(y + ((kRCr * cr + kHalf) >> 16));
  rgb[1] = clamp_u8(y + ((-kGCb * cb - kGCr * cr + kHalf) >> 16));
  rgb[2] = clamp_u8(y + ((kBCb * cb + kHalf) >> 16));
}

Box central_crop_box(int width, int height, double fraction) {
  const double wd = width, hd = height;
  Box b;
  b.x = static_cast<int>((wd - wd * fraction) / 2);
  b.y = static_cast<int>((hd - hd * fraction) / 2);
  b.width = width - 2 * b.x;
  b.height = height - 2 * b.y;
  return b;
}

Rgb extract_rgb(const Source& source, int quarter_turns, const Box& box) {
  const Rotation rotation{quarter_turns, source.width, source.height};
  Rgb out;
  out.width = box.width;
  out.height = box.height;
  out.data.resize(size_t(box.width) * box.height * 3);
  uint8_t* d = out.data.data();
  for (int y = 0; y < box.height; y++)
    for (int x = 0; x < box.width; x++, d += 3) {
      int sx, sy;
      rotation.source_of(box.x + x, box.y + y, &sx, &sy);
      source_rgb(source, sx, sy, d);
    }
  return out;
}

Rgb resize_bilinear(const Rgb& image, int out_width, int out_height) {
  const bool need_h = out_width != image.width;
  const bool need_v = out_height != image.height;
  if (!need_h && !need_v) return image;

  const Coefficients vert = precompute(image.height, 0.0f, static_cast<float>(image.height), out_height);
  const int row_first = vert.first[0];
  const int row_last = vert.first[out_height - 1] + vert.count[out_height - 1];

  // Horizontal pass over the rows the vertical pass needs.
  Rgb tmp;
  const Rgb* src = &image;
  int row_offset = 0;  // row of `src` that vertical bound 0 refers to
  if (need_h) {
    const Coefficients hor = precompute(image.width, 0.0f, static_cast<float>(image.width), out_width);
    tmp.width = out_width;
    tmp.height = need_v ? row_last - row_first : image.height;
    const int first = need_v ? row_first : 0;
    tmp.data.resize(size_t(tmp.width) * tmp.height * 3);
    for (int yy = 0; yy < tmp.height; yy++) {
      const uint8_t* in_row = image.data.data() + size_t(yy + first) * image.width * 3;
      uint8_t* out_row = tmp.data.data() + size_t(yy) * tmp.width * 3;
      for (int xx = 0; xx < out_width; xx++) {
        const int32_t* k = &hor.k[size_t(xx) * hor.ksize];
        const uint8_t* p = in_row + size_t(hor.first[xx]) * 3;
        int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
        for (int x = 0; x < hor.count[xx]; x++) {
          s0 += p[3 * x + 0] * k[x];
          s1 += p[3 * x + 1] * k[x];
          s2 += p[3 * x + 2] * k[x];
        }
        out_row[3 * xx + 0] = clip8(s0);
        out_row[3 * xx + 1] = clip8(s1);
        out_row[3 * xx + 2] = clip8(s2);
      }
    }
    src = &tmp;
    row_offset = first;
  }
  if (!need_v) return tmp;

  Rgb out;
  out.width = src->width;
  out.height = out_height;
  out.data.resize(size_t(out.width) * out.height * 3);
  const size_t stride = size_t(src->width) * 3;
  for (int yy = 0; yy < out_height; yy++) {
    const int32_t* k = &vert.k[size_t(yy) * vert.ksize];
    const uint8_t* base = src->data.data() + size_t(vert.first[yy] - row_offset) * stride;
    uint8_t* out_row = out.data.data() + size_t(yy) * stride;
    for (size_t i = 0; i < stride; i++) {
      int32_t s = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < vert.count[yy]; y++) s += base[size_t(y) * stride + i] * k[y];
      out_row[i] = clip8(s);
    }
  }
  return out;
}

Rgb resize_nearest(const Rgb& image, int out_width, int out_height) {
  if (out_width == image.width && out_height == image.height) return image;
  const std::vector<int> xs = nearest_indices(image.width, out_width);
  const std::vector<int> ys = nearest_indices(image.height, out_height);
  Rgb out;
  out.width = out_width;
  out.height = out_height;
  out.data.resize(size_t(out_width) * out_height * 3);
  uint8_t* d = out.data.data();
  for (int y = 0; y < out_height; y++) {
    const uint8_t* row = image.data.data() + size_t(ys[y]) * image.width * 3;
    for (int x = 0; x < out_width; x++, d += 3) std::memcpy(d, row + size_t(xs[x]) * 3, 3);
  }
  return out;
}

void write_tensor(const Rgb& image, const Output& o, void* out) {
  const size_t n = size_t(image.width) * image.height;
  const int order[3] = {o.bgr ? 2 : 0, 1, o.bgr ? 0 : 2};  // tensor channel c reads RGB channel order[c]
  const int qmin = o.type == Output::Type::Int8 ? -128 : 0, qmax = o.type == Output::Type::Int8 ? 127 : 255;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++) {
      const uint8_t pixel = image.data[3 * i + order[c]];
      const size_t at = 3 * i + c;
      if (o.type == Output::Type::RawUint8) {
        static_cast<uint8_t*>(out)[at] = pixel;
        continue;
      }
      const float value = static_cast<float>((pixel - o.mean[c]) / o.std[c]);
      if (o.type == Output::Type::Float32) {
        std::memcpy(static_cast<float*>(out) + at, &value, sizeof value);
        continue;
      }
      // TFLite's QUANTIZE (as src/ref/int_reference.cpp's quantize_op): the quotient in double, half away from 0.
      const double r = std::round(static_cast<double>(value) / static_cast<double>(o.scale));
      const double q = std::clamp(r + o.zero_point, double(qmin), double(qmax));
      if (o.type == Output::Type::Int8) static_cast<int8_t*>(out)[at] = static_cast<int8_t>(q);
      else static_cast<uint8_t*>(out)[at] = static_cast<uint8_t>(q);
    }
}

}  // namespace tare::pixels
