// C ABI of the pixel functions (tare_pixels, tare_image_*): argument checks here, the work in src/image.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "api/api_internal.h"
#include "image/pixels.h"

using namespace tare::api;
namespace px = tare::pixels;

namespace {

// Images and tensors up to 2^28 pixels (16384 x 16384), so that every byte count fits easily in 64 bits.
constexpr uint64_t kMaxPixels = uint64_t(1) << 28;

std::string size_text(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

px::Source read_source(const tare_pixels* in) {
  TARE_ARG(in, "pixels is NULL");
  TARE_ARG(in->struct_size >= sizeof(size_t), "pixels struct_size is not set (call tare_pixels_init)");
  tare_pixels defaults;
  tare_pixels_init(&defaults);
  const tare_pixels p = read_options(in, defaults);
  px::Source s;
  s.format = static_cast<px::Format>(checked_enum(p.format, 7, "pixels format"));
  s.width = p.width;
  s.height = p.height;
  TARE_ARG(p.width > 0 && p.height > 0 && uint64_t(p.width) * uint64_t(p.height) <= kMaxPixels,
           "pixels of " + size_text(p.width, p.height) + ": width and height must be positive, at most 2^28 pixels");
  TARE_ARG(p.data, "pixels data is NULL");
  s.data = static_cast<const uint8_t*>(p.data);
  const uint64_t row = uint64_t(p.width) * px::bytes_per_pixel(s.format);
  s.stride = p.stride ? p.stride : size_t(row);
  TARE_ARG(s.stride >= row,
           "pixels stride " + std::to_string(p.stride) + " is smaller than a row of " + std::to_string(row) + " bytes");
  TARE_ARG(s.stride <= std::numeric_limits<size_t>::max() / size_t(p.height),
           "pixels stride " + std::to_string(p.stride) + " times the height overflows");
  if (s.format == px::Format::NV12 || s.format == px::Format::NV21) {
    const uint64_t uv_row = 2 * ((uint64_t(p.width) + 1) / 2), uv_rows = (uint64_t(p.height) + 1) / 2;
    s.uv = p.uv ? static_cast<const uint8_t*>(p.uv) : s.data + s.stride * size_t(p.height);
    s.uv_stride = p.uv_stride ? p.uv_stride : s.stride;
    TARE_ARG(s.uv_stride >= uv_row, "pixels uv_stride " + std::to_string(s.uv_stride) +
                                        " is smaller than a chroma row of " + std::to_string(uv_row) +
                                        " bytes (2 x ceil(width / 2))");
    TARE_ARG(s.uv_stride <= std::numeric_limits<size_t>::max() / uv_rows,
             "pixels uv_stride " + std::to_string(s.uv_stride) + " times the chroma rows overflows");
  } else {
    TARE_ARG(!p.uv && !p.uv_stride, "pixels uv and uv_stride are only for NV12 and NV21");
  }
  return s;
}

struct Target {
  int width = 0;
  int height = 0;
  size_t bytes = 0;
  px::Output output;
};

// The tensor's H, W and how values are written; the options' normalization and channel order.
Target read_target(const tare_tensor_info* t, const tare_image_options& o) {
  TARE_ARG(t, "tensor is NULL");
  TARE_ARG(t->struct_size >= sizeof(size_t), "tensor struct_size is not set (call tare_tensor_info_init)");
  tare_tensor_info defaults;
  tare_tensor_info_init(&defaults);
  const tare_tensor_info info = read_options(t, defaults);
  const int32_t* hwc = info.rank == 4 ? info.shape + 1 : info.shape;
  std::string shape = "[";
  for (int i = 0; i < info.rank && i < TARE_MAX_RANK; i++) shape += (i ? "," : "") + std::to_string(info.shape[i]);
  shape += "]";
  TARE_ARG((info.rank == 4 && info.shape[0] == 1) || info.rank == 3,
           "an image goes into a tensor of shape [1, H, W, 3] or [H, W, 3], not " + shape);
  TARE_CHECK(hwc[2] == 3, TARE_ERROR_UNSUPPORTED, "an image goes into a tensor of 3 channels, not " + shape);
  TARE_ARG(hwc[0] > 0 && hwc[1] > 0 && uint64_t(hwc[0]) * uint64_t(hwc[1]) <= kMaxPixels,
           "tensor shape " + shape + " has an empty or too large image (at most 2^28 pixels)");
  Target r;
  r.height = hwc[0];
  r.width = hwc[1];
  const tare_dtype dtype = checked_enum(info.dtype, 8, "tensor dtype");
  const size_t values = size_t(r.width) * r.height * 3;
  px::Output& out = r.output;
  switch (dtype) {
    case TARE_DTYPE_FLOAT32:
      out.type = px::Output::Type::Float32;
      r.bytes = values * sizeof(float);
      break;
    case TARE_DTYPE_UINT8:
      out.type = info.quantized ? px::Output::Type::Uint8 : px::Output::Type::RawUint8;
      r.bytes = values;
      break;
    case TARE_DTYPE_INT8:
      TARE_ARG(info.quantized, "an int8 image tensor must be quantized (scale and zero point)");
      out.type = px::Output::Type::Int8;
      r.bytes = values;
      break;
    default: TARE_CHECK(false, TARE_ERROR_UNSUPPORTED, "an image goes into a float32, int8 or uint8 tensor");
  }
  if (out.type == px::Output::Type::Int8 || out.type == px::Output::Type::Uint8) {
    const int64_t lo = out.type == px::Output::Type::Int8 ? -128 : 0;
    TARE_ARG(std::isfinite(info.scale) && info.scale > 0,
             "tensor scale " + std::to_string(info.scale) + " is not positive and finite");
    TARE_ARG(info.zero_point >= lo && info.zero_point <= lo + 255,
             "tensor zero point " + std::to_string(info.zero_point) + " is outside the 8-bit range");
    out.scale = info.scale;
    out.zero_point = static_cast<int>(info.zero_point);
  }
  out.bgr = checked_enum(o.channels, 2, "options channels") == TARE_CHANNELS_BGR;
  for (int c = 0; c < 3; c++) {
    TARE_ARG(std::isfinite(o.mean[c]) && std::isfinite(o.std[c]) && o.std[c] != 0.0,
             "options mean[" + std::to_string(c) + "] and std[" + std::to_string(c) + "] must be finite, std non-zero");
    out.mean[c] = o.mean[c];
    out.std[c] = o.std[c];
  }
  return r;
}

// The crop box in the rotated image.
px::Box read_crop(const tare_image_options& o, int width, int height) {
  if (o.crop_width == 0 && o.crop_height == 0 && o.crop_x == 0 && o.crop_y == 0) {
    TARE_ARG(o.crop_fraction > 0.0 && o.crop_fraction <= 1.0,
             "options crop_fraction " + std::to_string(o.crop_fraction) + " is not in (0, 1]");
    return px::central_crop_box(width, height, o.crop_fraction);
  }
  TARE_ARG(o.crop_width > 0 && o.crop_height > 0 && o.crop_x >= 0 && o.crop_y >= 0 &&
               int64_t(o.crop_x) + o.crop_width <= width && int64_t(o.crop_y) + o.crop_height <= height,
           "crop box " + size_text(o.crop_width, o.crop_height) + " at (" + std::to_string(o.crop_x) + ", " +
               std::to_string(o.crop_y) + ") does not lie inside the (rotated) image of " + size_text(width, height));
  return px::Box{o.crop_x, o.crop_y, o.crop_width, o.crop_height};
}

}  // namespace

TARE_API void tare_pixels_init_sized(tare_pixels* pixels, size_t size) {
  init_sized(pixels, size, [](tare_pixels& d) { d.format = TARE_PIXEL_RGB8; });
}

TARE_API void tare_image_options_init_sized(tare_image_options* options, size_t size) {
  init_sized(options, size, [](tare_image_options& d) {
    d.rotation = TARE_ROTATE_0;
    d.crop_fraction = 0.875;
    d.resize = TARE_RESIZE_BILINEAR;
    d.channels = TARE_CHANNELS_RGB;
    for (int c = 0; c < 3; c++) d.mean[c] = d.std[c] = 127.5;
  });
}

TARE_API tare_status tare_image_preprocess(const tare_pixels* pixels, const tare_image_options* options,
                                           const tare_tensor_info* tensor, void* out, size_t out_size) {
  return guarded([&] {
    const px::Source source = read_source(pixels);
    tare_image_options defaults;
    tare_image_options_init(&defaults);
    const tare_image_options o = read_options(options, defaults);
    const int turns = static_cast<int>(checked_enum(o.rotation, 4, "options rotation"));
    const tare_resize_filter filter = checked_enum(o.resize, 2, "options resize");
    const Target target = read_target(tensor, o);
    TARE_ARG(out, "out is NULL");
    TARE_ARG(out_size == target.bytes,
             "the tensor takes " + std::to_string(target.bytes) + " bytes, out_size is " + std::to_string(out_size));
    const bool turned = turns % 2 == 1;
    const px::Box box = read_crop(o, turned ? source.height : source.width, turned ? source.width : source.height);
    const px::Rgb cropped = px::extract_rgb(source, turns, box);
    const px::Rgb resized = filter == TARE_RESIZE_NEAREST ? px::resize_nearest(cropped, target.width, target.height)
                                                          : px::resize_bilinear(cropped, target.width, target.height);
    px::write_tensor(resized, target.output, out);
  });
}

TARE_API tare_status tare_session_set_input_image(tare_session* session, uint32_t index, const tare_pixels* pixels,
                                                  const tare_image_options* options) {
  tare_tensor_info info;
  tare_tensor_info_init(&info);
  tare_status st = tare_session_input_info(session, index, &info);
  if (st != TARE_OK) return st;
  std::vector<uint8_t> buffer;
  st = guarded([&] { buffer.resize(info.byte_size); });
  if (st != TARE_OK) return st;
  st = tare_image_preprocess(pixels, options, &info, buffer.data(), buffer.size());
  if (st != TARE_OK) return st;
  return tare_session_set_input(session, index, buffer.data(), buffer.size());
}
