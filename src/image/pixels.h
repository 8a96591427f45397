// Pixel preprocessing behind tare_image_preprocess (include/tare/tare.h): a caller's pixel buffer (packed RGB/BGR,
// RGBA/BGRA, gray, or NV12/NV21 camera frames) -> rotation -> crop -> resize (Pillow-exact bilinear or nearest)
// -> 8-bit RGB.  The C API (src/api/image_api.cpp) validates every argument; these functions assume valid ones.
//
// Every step reproduces Pillow bit for bit (tests/test_image_api.cpp against tests/tools/pil_preprocess.py):
// resize_bilinear is Image.resize(size, Image.BILINEAR) (reducing_gap None), resize_nearest is
// Image.resize(size, Image.NEAREST), rotations are Image.transpose.  YUV is BT.601 full range (JFIF), in 16-bit
// fixed point (see yuv_to_rgb).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tare::pixels {

enum class Format { RGBA8, BGRA8, RGB8, BGR8, GRAY8, NV21, NV12 };

// A caller's buffer.  NV12/NV21: `data` is the Y plane, `uv` the interleaved chroma plane of ceil(height/2) rows
// of ceil(width/2) pairs (U first in NV12, V first in NV21), `uv_stride` bytes apart.
struct Source {
  Format format = Format::RGB8;
  int width = 0;
  int height = 0;
  const uint8_t* data = nullptr;
  size_t stride = 0;
  const uint8_t* uv = nullptr;
  size_t uv_stride = 0;
};

int bytes_per_pixel(Format format);  // of the first plane: 4, 3 or 1

// A rectangle of an image.
struct Box {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// tf.image.central_crop's box: offset = int((size - size * fraction) / 2) in double arithmetic, size - 2 * offset.
// fraction in (0, 1], width and height positive.
Box central_crop_box(int width, int height, double fraction);

// Interleaved 8-bit RGB, rows top to bottom, no padding.
struct Rgb {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> data;
};

// The `box` (in the coordinates of the image rotated clockwise by quarter_turns * 90 degrees) of `source`, rotated,
// as RGB.  Gray is replicated to the three channels, as Pillow's convert('RGB').
Rgb extract_rgb(const Source& source, int quarter_turns, const Box& box);

// BT.601 full-range YCbCr -> RGB (JFIF; what Android's camera NV21 frames hold): R = Y + 1.402 Cr', G = Y - 0.344136
// Cb' - 0.714136 Cr', B = Y + 1.772 Cb' with Cb' = Cb - 128, Cr' = Cr - 128, each product in 16-bit fixed point
// rounded half up, clamped to 0..255.
void yuv_to_rgb(int y, int cb, int cr, uint8_t* rgb);

// Pillow's Image.resize((width, height), Image.BILINEAR): separable triangle filter whose support grows with the
// downscale factor, 22-bit fixed-point coefficients, horizontal pass to uint8 first, then vertical.  A dimension
// that keeps its size is not resampled.
Rgb resize_bilinear(const Rgb& image, int width, int height);
// Pillow's Image.resize((width, height), Image.NEAREST): source index floor((i + 0.5) * in / out), accumulated in
// double as Pillow does.
Rgb resize_nearest(const Rgb& image, int width, int height);

// How 8-bit RGB becomes an input tensor's values.
struct Output {
  enum class Type { Float32, Int8, Uint8, RawUint8 } type = Type::Float32;
  bool bgr = false;  // channel order of the tensor
  double mean[3] = {127.5, 127.5, 127.5};
  double std[3] = {127.5, 127.5, 127.5};
  float scale = 1.0f;  // Int8 / Uint8: the tensor's quantization
  int zero_point = 0;
};

// value = float((pixel - mean[c]) / std[c]) (computed in double); quantized as TFLite's QUANTIZE does:
// round(double(value) / double(scale)) half away from zero, + zero_point, clamped.  RawUint8: the pixels as they are.
// `out` holds width * height * 3 values of the type.
void write_tensor(const Rgb& image, const Output& output, void* out);

}  // namespace tare::pixels
