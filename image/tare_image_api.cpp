// C ABI of libtare_image (include/tare/tare_image.h): image.h's decoder behind statuses and a thread-local message.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "image.h"
#include "tare/tare_image.h"

namespace {

thread_local std::string g_last_error;

tare_status failed(tare_status status, const std::string& message) {
  g_last_error = message;
  return status;
}

// Writes `value` into the caller's pixels, limited to its struct_size (as the core library's output structs).
void write_pixels(tare_pixels* out, tare_pixels value) {
  value.struct_size = out->struct_size;
  std::memcpy(static_cast<void*>(out), &value, out->struct_size < sizeof value ? out->struct_size : sizeof value);
}

bool pixels_ok(const tare_pixels* pixels) {
  // Every field up to `stride` must fit: those are the ones written.
  return pixels && pixels->struct_size >= offsetof(tare_pixels, stride) + sizeof(size_t);
}

template <typename Decode>
tare_status load(tare_pixels* pixels, Decode&& decode) {
  if (!pixels_ok(pixels))
    return failed(TARE_ERROR_INVALID_ARGUMENT, "pixels is NULL or its struct_size is not set (call tare_pixels_init)");
  tare_pixels empty;
  tare_pixels_init(&empty);
  write_pixels(pixels, empty);
  try {
    tare::image::Image image = decode();
    const size_t bytes = image.rgb.size();
    void* data = std::malloc(bytes ? bytes : 1);
    if (!data) return failed(TARE_ERROR_OUT_OF_MEMORY, "out of host memory");
    std::memcpy(data, image.rgb.data(), bytes);
    tare_pixels result = empty;
    result.format = TARE_PIXEL_RGB8;
    result.width = image.width;
    result.height = image.height;
    result.data = data;
    result.stride = size_t(image.width) * 3;
    write_pixels(pixels, result);
    return TARE_OK;
  } catch (const tare::image::FileError& e) {
    return failed(TARE_ERROR_IO, e.what());
  } catch (const tare::image::ImageError& e) {
    return failed(TARE_ERROR_INVALID_ARGUMENT, e.what());
  } catch (const std::bad_alloc&) {
    return failed(TARE_ERROR_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception& e) {
    return failed(TARE_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  }
}

}  // namespace

TARE_IMAGE_API tare_status tare_image_load_file(const char* path, tare_pixels* pixels) {
  if (!path) return failed(TARE_ERROR_INVALID_ARGUMENT, "path is NULL");
  return load(pixels, [&] { return tare::image::decode_file(path); });
}

TARE_IMAGE_API tare_status tare_image_load_memory(const void* data, size_t size, tare_pixels* pixels) {
  if (!data) return failed(TARE_ERROR_INVALID_ARGUMENT, "data is NULL");
  return load(pixels, [&] { return tare::image::decode_memory(data, size); });
}

TARE_IMAGE_API void tare_image_free(tare_pixels* pixels) {
  if (!pixels_ok(pixels)) return;
  std::free(const_cast<void*>(pixels->data));
  tare_pixels empty;
  tare_pixels_init(&empty);
  write_pixels(pixels, empty);
}

TARE_IMAGE_API const char* tare_image_last_error(void) { return g_last_error.c_str(); }
