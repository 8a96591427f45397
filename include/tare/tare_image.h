/*
 * tare_image: JPEG and PNG files decoded to 8-bit RGB pixels for tare_session_set_input_image / tare_image_preprocess.
 *
 * An optional library beside libtare (libtare_image.so, built when libjpeg and libpng are found; pkg-config
 * tare_image): the core library itself reads no image files and depends on neither.  Plain C99.
 *
 * Decoding matches Pillow's Image.open(f).convert('RGB') bit for bit: JPEG through libjpeg (ISLOW DCT, fancy
 * upsampling; grayscale replicated; CMYK/YCCK as Pillow's cmyk2rgb), PNG through libpng (alpha dropped, palettes
 * looked up, 16-bit samples reduced to their high byte, 16-bit gray clipped to 0..255); EXIF orientation and ICC
 * profiles are ignored, as Pillow's Image.open does.  Refused with a message: files above 256 MiB, headers above 64
 * megapixels or claiming more pixels than the file can hold, truncated or corrupt data.
 */
#ifndef TARE_TARE_IMAGE_H
#define TARE_TARE_IMAGE_H

#include <tare/tare.h>

#if defined(_WIN32)
#if defined(TARE_IMAGE_BUILDING_LIBRARY)
#define TARE_IMAGE_API __declspec(dllexport)
#else
#define TARE_IMAGE_API __declspec(dllimport)
#endif
#else
#define TARE_IMAGE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes the JPEG or PNG file at `path` (the format is read from its first bytes) into `pixels` (initialised with
   tare_pixels_init): format TARE_PIXEL_RGB8, width, height, packed rows (stride = 3 * width), `data` allocated by
   the library.  Release it with tare_image_free.  On failure `pixels` is left empty (data NULL) and
   tare_image_last_error() says why (TARE_ERROR_IO: the file cannot be read; TARE_ERROR_INVALID_ARGUMENT: not a
   JPEG/PNG, corrupt, truncated or too large). */
TARE_IMAGE_API tare_status tare_image_load_file(const char* path, tare_pixels* pixels);
/* The same from `size` bytes in memory (not kept). */
TARE_IMAGE_API tare_status tare_image_load_memory(const void* data, size_t size, tare_pixels* pixels);
/* Releases the pixels of tare_image_load_*, and empties `pixels`.  NULL, and empty pixels, are ignored. */
TARE_IMAGE_API void tare_image_free(tare_pixels* pixels);
/* The message of the last failing tare_image_load_* call on this thread ("" if none). */
TARE_IMAGE_API const char* tare_image_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* TARE_TARE_IMAGE_H */
