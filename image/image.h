// Image preprocessing for classification / detection models: decode JPEG or PNG to 8-bit RGB, then central crop,
// resize exactly like Pillow's Image.resize(..., Image.BILINEAR) and float conversion through the library's
// tare_image_preprocess (include/tare/tare.h), the one implementation of those steps.
//
// The reference pipeline (the one the data folder's reference figures use) is:
//   Image.open(f).convert('RGB') -> .crop(tf.image.central_crop box, 87.5%) -> .resize((W, H), BILINEAR)
//   -> float32((u8 - mean) / std) with mean = std = 127.5, i.e. u8 / 127.5 - 1.
// Every step here reproduces that pipeline bit for bit (see tests/test_image.cpp).
//
// Errors (unreadable file, unknown format, corrupt data, bad arguments) throw tare::image::ImageError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tare::image {

class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The file itself could not be read (missing, not a regular file, an I/O error).
class FileError : public ImageError {
 public:
  using ImageError::ImageError;
};

// Interleaved 8-bit RGB, rows top to bottom, no padding: rgb.size() == width * height * 3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
  uint8_t* pixel(int x, int y) { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
  const uint8_t* pixel(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
};

// Decodes a JPEG or PNG (detected from the first bytes, not the file name) to RGB, converting the way Pillow's
// Image.convert('RGB') does:
//  - JPEG: YCbCr/RGB as decoded by libjpeg (ISLOW DCT, fancy upsampling); grayscale replicated; CMYK/YCCK read with
//    Adobe's inverted convention and converted as R = 255 - k' - c*(255-k')/255 (Pillow's cmyk2rgb).
//  - PNG: alpha dropped (not composited), palette looked up, gray replicated, 1/2/4-bit gray scaled to 0..255,
//    16-bit RGB(A)/gray+alpha reduced to their high byte, 16-bit gray clipped to 0..255 (Pillow reads it as mode
//    "I" and I -> RGB clips), no gamma or ICC correction.
// EXIF orientation is ignored, as Pillow's Image.open does.
Image decode_file(const std::string& path);
Image decode_memory(const void* data, size_t size);

// Float conversion: value = (pixel - mean) / std, computed in double and rounded to float.  The default gives
// pixel / 127.5 - 1 (inputs in [-1, 1]).
struct Normalization {
  double mean[3] = {127.5, 127.5, 127.5};
  double std[3] = {127.5, 127.5, 127.5};
  static Normalization uniform(double mean, double std) {
    Normalization n;
    for (int c = 0; c < 3; c++) {
      n.mean[c] = mean;
      n.std[c] = std;
    }
    return n;
  }
};

// NHWC float, H = image.height, W = image.width, C = 3 (tare_image_preprocess without crop or resize).
std::vector<float> to_float(const Image& image, const Normalization& norm = {});

struct PreprocessOptions {
  double crop_fraction = 0.875;  // 1.0: no crop
  Normalization norm;
};

// decode -> central crop -> resize to width x height: the uint8 RGB image the model sees.
Image preprocess_rgb(const std::string& path, int width, int height, const PreprocessOptions& options = {});
// The same from a decoded image.
Image preprocess_rgb(const Image& decoded, int width, int height, const PreprocessOptions& options = {});

// The float input tensor for a model whose input shape is [1, H, W, 3] (or [H, W, 3]) from an image file, in one
// call.  Throws ImageError if the shape is not of that form.
std::vector<float> load_input(const std::string& path, const int32_t* shape, int rank,
                              const PreprocessOptions& options = {});

// True if the file starts like a JPEG or a PNG.
bool is_image_file(const std::string& path);

}  // namespace tare::image
