/* A program that uses an INSTALLED libtare_image with libtare (tests/install_test.sh builds it through
   `pkg-config tare_image`): decodes a JPEG, preprocesses it with the defaults (the CLI's pipeline) into a float
   [1, 224, 224, 3] tensor, and compares it with a reference input made by Pillow (bit for bit).  No GPU needed.
     image_consumer                     checks refusals only
     image_consumer IMAGE.jpg REF.bin   also the comparison */
#include <tare/tare.h>
#include <tare/tare_image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  tare_pixels pixels;
  tare_tensor_info tensor;
  float* ours = NULL;
  float* ref = NULL;
  size_t n = 224 * 224 * 3, differ = 0, i;
  FILE* f;
  int rc = 1;
  tare_pixels_init(&pixels);
  if (tare_image_load_file("/nonexistent.jpg", &pixels) != TARE_ERROR_IO || pixels.data != NULL ||
      strstr(tare_image_last_error(), "nonexistent") == NULL) {
    fprintf(stderr, "image_consumer: a missing file was not refused with TARE_ERROR_IO\n");
    return 1;
  }
  if (tare_image_load_memory("hello", 5, &pixels) != TARE_ERROR_INVALID_ARGUMENT) {
    fprintf(stderr, "image_consumer: text was not refused\n");
    return 1;
  }
  if (argc < 3) return 0;
  if (tare_image_load_file(argv[1], &pixels) != TARE_OK) {
    fprintf(stderr, "image_consumer: %s\n", tare_image_last_error());
    return 1;
  }
  tare_tensor_info_init(&tensor);
  tensor.dtype = TARE_DTYPE_FLOAT32;
  tensor.rank = 4;
  tensor.shape[0] = 1;
  tensor.shape[1] = 224;
  tensor.shape[2] = 224;
  tensor.shape[3] = 3;
  ours = (float*)malloc(n * sizeof(float));
  ref = (float*)malloc(n * sizeof(float));
  f = fopen(argv[2], "rb");
  if (!ours || !ref || !f || fread(ref, sizeof(float), n, f) != n) {
    fprintf(stderr, "image_consumer: cannot read %s\n", argv[2]);
  } else if (tare_image_preprocess(&pixels, NULL, &tensor, ours, n * sizeof(float)) != TARE_OK) {
    fprintf(stderr, "image_consumer: %s\n", tare_last_error());
  } else {
    for (i = 0; i < n; i++) differ += memcmp(&ours[i], &ref[i], sizeof(float)) != 0;
    printf("image_consumer: %dx%d decoded, %lu of %lu input values differ from the reference\n", pixels.width,
           pixels.height, (unsigned long)differ, (unsigned long)n);
    rc = differ != 0;
  }
  if (f) fclose(f);
  tare_image_free(&pixels);
  free(ours);
  free(ref);
  return rc || pixels.data != NULL;
}
