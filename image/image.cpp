// Image decoding and Pillow-exact preprocessing.  See image.h.
#include "image.h"

#include <jpeglib.h>
// jerror.h after jpeglib.h (it needs its types).
#include <jerror.h>
#include <png.h>

#include "files.h"
#include "tare/tare.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

namespace tare::image {

namespace {

// Largest image file read (bytes): the size is checked before reading, so a wrong file does not cost its size in
// memory.  A 64-megapixel image is well under it even stored as an uncompressed PNG.
constexpr uint64_t kMaxFileBytes = uint64_t(256) << 20;

std::vector<uint8_t> read_all(const std::string& path) {
  uint64_t size = 0;
  std::string error;
  if (!tare_samples::regular_file_size(path, &size, &error)) throw FileError("image file: " + error);
  if (size > kMaxFileBytes)
    throw ImageError("image file '" + path + "' has " + std::to_string(size) + " bytes, above the limit of " +
                     std::to_string(kMaxFileBytes));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError("cannot open image file '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw FileError("cannot read image file '" + path + "'");
  return bytes;
}

bool looks_like_jpeg(const uint8_t* p, size_t n) { return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF; }
bool looks_like_png(const uint8_t* p, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return n >= 8 && std::memcmp(p, sig, 8) == 0;
}

// Largest image accepted: 64 megapixels (8192 x 8192; 192 MiB as RGB), to fail cleanly on absurd headers instead of
// exhausting memory.
constexpr uint64_t kMaxPixels = uint64_t(1) << 26;

// ---- JPEG (libjpeg-turbo) ---------------------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int corrupt;  // libjpeg's warning code when the entropy-coded data ended early or broke off (it pads with gray and
                // goes on; Pillow refuses such files), else 0
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_emit_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (level < 0) {
    err->pub.num_warnings++;
    const int code = err->pub.msg_code;
    if (!err->corrupt && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_MUST_RESYNC)) {
      err->corrupt = code;
      (*cinfo->err->format_message)(cinfo, err->message);
    }
  }
}

// Decoder state that lives outside the setjmp scope so that longjmp skips no destructor.
struct JpegJob {
  const uint8_t* data = nullptr;
  size_t size = 0;
  int width = 0;
  int height = 0;
  int components = 0;
  std::vector<uint8_t> raw;  // width * height * components, as libjpeg delivered it
  std::vector<JSAMPROW> rows;
};

// Returns false with err.message set on failure.  No object with a destructor is created after setjmp in this
// function, so longjmp skips nothing.
bool run_jpeg(JpegJob& job, JpegErrorManager& err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpeg_error_exit;
  err.pub.emit_message = jpeg_emit_message;
  err.message[0] = 0;
  err.corrupt = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, job.data, static_cast<unsigned long>(job.size));
  jpeg_read_header(&cinfo, TRUE);
  // Before anything is allocated (a progressive decoder holds every coefficient): the header's size must be sane
  // and must fit the data.  Huffman coding spends at least one bit on each 8x8 block's DC coefficient, so the file
  // holds at least blocks/8 bytes (arithmetic coding has no such floor; the pixel limit still applies).
  {
    const uint64_t w = cinfo.image_width, h = cinfo.image_height, blocks = ((w + 7) / 8) * ((h + 7) / 8);
    const char* why = w == 0 || h == 0     ? "is empty"
                      : w * h > kMaxPixels ? "is above the 64-megapixel limit"
                      : !cinfo.arith_code && blocks > uint64_t(job.size) * 8
                          ? "needs more data than the file holds (truncated or corrupt)"
                          : nullptr;
    if (why) {
      std::snprintf(err.message, sizeof(err.message), "JPEG header claims %llux%llu pixels, which %s",
                    static_cast<unsigned long long>(w), static_cast<unsigned long long>(h), why);
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
  }
  // Pillow: 1 component -> "L", 3 -> "RGB", 4 -> "CMYK" (rawmode CMYK;I, Adobe's inverted convention).  libjpeg
  // picks the source color space (YCbCr, RGB, YCCK, ...) from the markers.  Defaults otherwise (ISLOW DCT, fancy
  // upsampling), as Pillow outside draft mode.
  switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
      std::snprintf(err.message, sizeof(err.message), "JPEG with %d components is not supported", cinfo.num_components);
      jpeg_destroy_decompress(&cinfo);
      return false;
  }
  jpeg_start_decompress(&cinfo);
  job.width = static_cast<int>(cinfo.output_width);
  job.height = static_cast<int>(cinfo.output_height);
  job.components = cinfo.output_components;
  if (cinfo.output_width == 0 || cinfo.output_height == 0 || cinfo.output_width > 1000000 ||
      cinfo.output_height > 1000000 || uint64_t(cinfo.output_width) * cinfo.output_height > kMaxPixels) {
    std::snprintf(err.message, sizeof(err.message), "JPEG image has unsupported dimensions %ux%u", cinfo.output_width,
                  cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  job.raw.resize(size_t(job.width) * job.height * job.components);
  job.rows.resize(job.height);
  for (int y = 0; y < job.height; y++) job.rows[y] = job.raw.data() + size_t(y) * job.width * job.components;
  while (cinfo.output_scanline < cinfo.output_height) {
    JDIMENSION n = jpeg_read_scanlines(&cinfo, job.rows.data() + cinfo.output_scanline,
                                       cinfo.output_height - cinfo.output_scanline);
    if (n == 0) {
      std::snprintf(err.message, sizeof(err.message), "JPEG data ends early");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
  }
  if (err.corrupt) {  // before jpeg_finish_decompress, which would read on through the damage
    std::string what = err.message;
    std::snprintf(err.message, sizeof(err.message), "JPEG data is truncated or corrupt (%s)", what.c_str());
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.corrupt) {
    std::string what = err.message;
    std::snprintf(err.message, sizeof(err.message), "JPEG data is truncated or corrupt (%s)", what.c_str());
    return false;
  }
  return true;
}

// Pillow's MULDIV255: a * b / 255 rounded, in integers.
inline int muldiv255(int a, int b) {
  int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

inline uint8_t clip_u8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

Image decode_jpeg(const uint8_t* data, size_t size) {
  JpegJob job;
  job.data = data;
  job.size = size;
  auto err = std::make_unique<JpegErrorManager>();
  if (!run_jpeg(job, *err)) throw ImageError(std::string("cannot decode JPEG: ") + err->message);
  Image img;
  img.width = job.width;
  img.height = job.height;
  size_t n = size_t(job.width) * job.height;
  img.rgb.resize(n * 3);
  const uint8_t* s = job.raw.data();
  uint8_t* d = img.rgb.data();
  if (job.components == 3) {
    std::memcpy(d, s, n * 3);
  } else if (job.components == 1) {
    for (size_t i = 0; i < n; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[i];
  } else if (job.components == 4) {
    // CMYK;I unpacking inverts each sample, then cmyk2rgb: R = 255 - k - c * (255 - k) / 255.
    for (size_t i = 0; i < n; i++) {
      const uint8_t* p = s + 4 * i;
      int nk = p[3];  // 255 - (255 - raw_k)
      for (int c = 0; c < 3; c++) d[3 * i + c] = clip_u8(nk - muldiv255(255 - p[c], nk));
    }
  } else {
    throw ImageError("cannot decode JPEG: unexpected output components " + std::to_string(job.components));
  }
  return img;
}

// ---- PNG (libpng) -----------------------------------------------------------------------------------------------

struct PngReader {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
};

struct PngJob {
  PngReader reader;
  char message[256] = {0};
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;   // after transformations
  int bit_depth = 0;  // after transformations: 8, or 16 for 16-bit gray only
  bool gray16 = false;
  std::vector<uint8_t> raw;
  std::vector<png_bytep> rows;
};

void png_read_callback(png_structp png, png_bytep out, png_size_t length) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (length > r->size - r->pos) png_error(png, "PNG data ends early");
  std::memcpy(out, r->data + r->pos, length);
  r->pos += length;
}

void png_error_callback(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void png_warning_callback(png_structp, png_const_charp) {}

bool run_png(PngJob& job) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_error_callback, png_warning_callback);
  if (!png) {
    std::snprintf(job.message, sizeof(job.message), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(job.message, sizeof(job.message), "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &job.reader, png_read_callback);
  png_read_info(png, info);
  job.width = png_get_image_width(png, info);
  job.height = png_get_image_height(png, info);
  // Before anything is allocated: a sane size, and one the data can hold.  Deflate expands at most 1032:1, and the
  // compressed image lies inside the file, so rows of (bytes + 1 filter byte) x height above 1032 x the file size
  // cannot all be there.
  {
    const uint64_t w = job.width, h = job.height, row = png_get_rowbytes(png, info) + 1;
    if (w == 0 || h == 0 || w * h > kMaxPixels) {
      std::snprintf(job.message, sizeof(job.message),
                    "PNG header claims %llux%llu pixels, above the 64-megapixel limit",
                    static_cast<unsigned long long>(w), static_cast<unsigned long long>(h));
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
    if (row * h > uint64_t(job.reader.size) * 1032) {
      std::snprintf(
          job.message, sizeof(job.message),
          "PNG header claims %llux%llu pixels, more than its %zu bytes of data can hold (truncated or corrupt)",
          static_cast<unsigned long long>(w), static_cast<unsigned long long>(h), job.reader.size);
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
  }
  int color_type = png_get_color_type(png, info);
  int bit_depth = png_get_bit_depth(png, info);
  job.gray16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);  // may add alpha from tRNS: dropped below
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16 && !job.gray16) png_set_strip_16(png);  // high byte, as Pillow's ;16B unpackers
  if (job.gray16) png_set_swap(png);                          // little-endian 16-bit samples in memory
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  job.channels = png_get_channels(png, info);
  job.bit_depth = png_get_bit_depth(png, info);
  size_t rowbytes = png_get_rowbytes(png, info);
  job.raw.resize(rowbytes * job.height);
  job.rows.resize(job.height);
  for (uint32_t y = 0; y < job.height; y++) job.rows[y] = job.raw.data() + rowbytes * y;
  png_read_image(png, job.rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Image decode_png(const uint8_t* data, size_t size) {
  auto job = std::make_unique<PngJob>();
  job->reader.data = data;
  job->reader.size = size;
  if (!run_png(*job)) throw ImageError(std::string("cannot decode PNG: ") + job->message);
  Image img;
  img.width = static_cast<int>(job->width);
  img.height = static_cast<int>(job->height);
  size_t n = size_t(job->width) * job->height;
  img.rgb.resize(n * 3);
  uint8_t* d = img.rgb.data();
  const uint8_t* s = job->raw.data();
  if (job->gray16) {
    if (job->channels != 1 || job->bit_depth != 16) throw ImageError("cannot decode PNG: unexpected 16-bit layout");
    // Pillow opens 16-bit gray as mode "I"; I -> RGB clips each value to 0..255.
    for (size_t i = 0; i < n; i++) {
      int v = s[2 * i] | (s[2 * i + 1] << 8);
      d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = static_cast<uint8_t>(std::min(v, 255));
    }
    return img;
  }
  if (job->bit_depth != 8) throw ImageError("cannot decode PNG: unexpected bit depth after expansion");
  switch (job->channels) {
    case 1:
      for (size_t i = 0; i < n; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[i];
      break;
    case 2:  // gray + alpha: alpha dropped
      for (size_t i = 0; i < n; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[2 * i];
      break;
    case 3: std::memcpy(d, s, n * 3); break;
    case 4:  // RGBA: alpha dropped
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) d[3 * i + c] = s[4 * i + c];
      break;
    default: throw ImageError("cannot decode PNG: unexpected channel count " + std::to_string(job->channels));
  }
  return img;
}

}  // namespace

Image decode_memory(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (!p || size == 0) throw ImageError("empty image data");
  if (looks_like_jpeg(p, size)) return decode_jpeg(p, size);
  if (looks_like_png(p, size)) return decode_png(p, size);
  throw ImageError("unknown image format (only JPEG and PNG are supported)");
}

Image decode_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_all(path);
  try {
    return decode_memory(bytes.data(), bytes.size());
  } catch (const ImageError& e) {
    throw ImageError(path + ": " + e.what());
  }
}

bool is_image_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  uint8_t head[8] = {0};
  f.read(reinterpret_cast<char*>(head), sizeof(head));
  size_t n = static_cast<size_t>(f.gcount());
  return looks_like_jpeg(head, n) || looks_like_png(head, n);
}

namespace {

// Runs the library's tare_image_preprocess over an RGB image into `out` (a [1, H, W, 3] tensor of `dtype`).
void preprocess(const Image& image, const tare_image_options& options, tare_dtype dtype, int width, int height,
                void* out, size_t out_size) {
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != size_t(image.width) * image.height * 3)
    throw ImageError("empty or inconsistent image");
  tare_pixels pixels;
  tare_pixels_init(&pixels);
  pixels.format = TARE_PIXEL_RGB8;
  pixels.width = image.width;
  pixels.height = image.height;
  pixels.data = image.rgb.data();
  tare_tensor_info tensor;
  tare_tensor_info_init(&tensor);
  tensor.dtype = dtype;
  tensor.rank = 4;
  const int32_t shape[4] = {1, height, width, 3};
  std::copy(shape, shape + 4, tensor.shape);
  if (tare_image_preprocess(&pixels, &options, &tensor, out, out_size) != TARE_OK) throw ImageError(tare_last_error());
}

tare_image_options library_options(double crop_fraction, const Normalization& norm) {
  tare_image_options o;
  tare_image_options_init(&o);
  o.crop_fraction = crop_fraction;
  for (int c = 0; c < 3; c++) {
    o.mean[c] = norm.mean[c];
    o.std[c] = norm.std[c];
  }
  return o;
}

}  // namespace

std::vector<float> to_float(const Image& image, const Normalization& norm) {
  std::vector<float> out(size_t(image.width) * image.height * 3);
  preprocess(image, library_options(1.0, norm), TARE_DTYPE_FLOAT32, image.width, image.height, out.data(),
             out.size() * sizeof(float));
  return out;
}

Image preprocess_rgb(const std::string& path, int width, int height, const PreprocessOptions& options) {
  return preprocess_rgb(decode_file(path), width, height, options);
}

Image preprocess_rgb(const Image& decoded, int width, int height, const PreprocessOptions& options) {
  if (width <= 0 || height <= 0)
    throw ImageError("invalid resize target " + std::to_string(width) + "x" + std::to_string(height));
  Image out;
  out.width = width;
  out.height = height;
  out.rgb.resize(size_t(width) * height * 3);
  preprocess(decoded, library_options(options.crop_fraction, options.norm), TARE_DTYPE_UINT8, width, height,
             out.rgb.data(), out.rgb.size());
  return out;
}

std::vector<float> load_input(const std::string& path, const int32_t* shape, int rank,
                              const PreprocessOptions& options) {
  if (!shape || (rank != 3 && rank != 4)) throw ImageError("an image input needs a shape [1, H, W, 3] or [H, W, 3]");
  const int32_t* hwc = rank == 4 ? shape + 1 : shape;
  if ((rank == 4 && shape[0] != 1) || hwc[2] != 3 || hwc[0] <= 0 || hwc[1] <= 0) {
    std::string s = "[";
    for (int i = 0; i < rank; i++) {
      if (i) s += ",";
      s += std::to_string(shape[i]);
    }
    throw ImageError("an image input needs a shape [1, H, W, 3]; the model's input is " + s + "]");
  }
  return to_float(preprocess_rgb(path, hwc[1], hwc[0], options), options.norm);
}

}  // namespace tare::image
