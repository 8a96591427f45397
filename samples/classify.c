/*
 * classify: the smallest complete use of Tare's C API.  Loads a .tflite classifier, runs it once on a raw input
 * file and prints the five best classes.
 *
 *   classify MODEL.tflite INPUT [--labels labels.txt] [--top K]
 *
 * INPUT is a JPEG or PNG (when built with libtare_image, include <tare/tare_image.h>): decoded, then preprocessed by
 * tare_session_set_input_image with its defaults (central crop 87.5%, Pillow's bilinear resize to the input's size,
 * pixel / 127.5 - 1, or the 8-bit input's quantization), as the `tare` CLI does.  Any other file holds the model's
 * first input exactly as the model expects it, little-endian, no header: for a float MobileNet 224x224,
 * 1*224*224*3 float32 values (pixel / 127.5 - 1, NHWC), e.g. ../shared/data/ref/<model>/in_*.bin.
 * Float, int8 and uint8 outputs are understood (8-bit scores are dequantized).  labels.txt: one name per line, line
 * i naming class i.  Exit status: 0 on success, 1 on an error, 2 on a usage error.
 *
 * C99, public API only (include <tare/tare.h>, link libtare; and libtare_image for JPEG/PNG inputs).
 */
#include <tare/tare.h>
#if TARE_CLASSIFY_IMAGES
#include <tare/tare_image.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOP 100

/* Reads a whole file; *size receives its length.  NULL on failure. */
static void* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  void* data = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc(n > 0 ? (size_t)n : 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
    *size = (size_t)n;
  }
  fclose(f);
  return data;
}

/* Splits a labels file into lines (in place).  Returns the number of lines; *lines is malloc'd. */
static size_t split_lines(char* text, size_t size, char*** lines) {
  size_t count = 0, i, start = 0;
  char** out = (char**)malloc((size + 1) * sizeof(char*));
  if (!out) return 0;
  for (i = 0; i <= size; i++) {
    if (i == size || text[i] == '\n') {
      if (i == size && start == size) break; /* no empty last line after a final newline */
      if (i > start && text[i - 1] == '\r') text[i - 1] = '\0';
      if (i < size) text[i] = '\0';
      out[count++] = text + start;
      start = i + 1;
    }
  }
  *lines = out;
  return count;
}

static float score(const void* data, const tare_tensor_info* info, size_t i) {
  switch (info->dtype) {
    case TARE_DTYPE_FLOAT32: return ((const float*)data)[i];
    case TARE_DTYPE_UINT8: return info->scale * (float)((int64_t)((const uint8_t*)data)[i] - info->zero_point);
    case TARE_DTYPE_INT8: return info->scale * (float)((int64_t)((const int8_t*)data)[i] - info->zero_point);
    default: return 0.0f;
  }
}

static size_t dtype_size(tare_dtype t) {
  return t == TARE_DTYPE_FLOAT32 ? 4 : (t == TARE_DTYPE_UINT8 || t == TARE_DTYPE_INT8) ? 1 : 0;
}

#if TARE_CLASSIFY_IMAGES
/* A JPEG or PNG, by its first bytes. */
static int is_image(const void* data, size_t size) {
  const unsigned char* p = (const unsigned char*)data;
  return (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) ||
         (size >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0);
}
#endif

static int usage(void) {
  fprintf(stderr, "usage: classify MODEL.tflite INPUT.jpg|INPUT.png|INPUT.bin [--labels labels.txt] [--top K]\n");
  return 2;
}

int main(int argc, char** argv) {
  const char *model_path = NULL, *input_path = NULL, *labels_path = NULL;
  int top = 5, i, rc = 1;
  tare_context* ctx = NULL;
  tare_model* model = NULL;
  tare_session* session = NULL;
  tare_device_info device;
  tare_tensor_info in, out;
  void *input = NULL, *output = NULL;
  char* label_text = NULL;
  char** labels = NULL;
  size_t input_size = 0, label_count = 0, label_size = 0, n = 0, k, j;
  size_t best[MAX_TOP];
  tare_status s;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--labels") == 0 && i + 1 < argc) {
      labels_path = argv[++i];
    } else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
      top = atoi(argv[++i]);
      if (top < 1 || top > MAX_TOP) return usage();
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      return usage();
    } else if (!model_path) {
      model_path = argv[i];
    } else if (!input_path) {
      input_path = argv[i];
    } else {
      return usage();
    }
  }
  if (!model_path || !input_path) return usage();

  if (labels_path) {
    label_text = (char*)read_file(labels_path, &label_size);
    if (!label_text) {
      fprintf(stderr, "classify: cannot read '%s'\n", labels_path);
      return 1;
    }
    label_count = split_lines(label_text, label_size, &labels);
  }

  /* 1. A context on the default device (TARE_DEVICE=<index|name> picks another). */
  if ((s = tare_context_create(NULL, &ctx)) != TARE_OK) goto fail;
  tare_device_info_init(&device);
  if ((s = tare_context_get_device_info(ctx, &device)) != TARE_OK) goto fail;
  /* 2. The model (verified while loading) and a session over it (memory planned, commands recorded). */
  if ((s = tare_model_load_file(ctx, model_path, &model)) != TARE_OK) goto fail;
  if ((s = tare_session_create(model, NULL, &session)) != TARE_OK) goto fail;
  tare_tensor_info_init(&in);
  tare_tensor_info_init(&out);
  if ((s = tare_session_input_info(session, 0, &in)) != TARE_OK) goto fail;
  if ((s = tare_session_output_info(session, 0, &out)) != TARE_OK) goto fail;
  if (dtype_size(out.dtype) == 0) {
    fprintf(stderr, "classify: output '%s' is neither float32 nor 8-bit\n", out.name);
    goto done;
  }
  /* 3. The input: an image decoded and preprocessed into the input tensor, or raw bytes. */
  input = read_file(input_path, &input_size);
  if (!input) {
    fprintf(stderr, "classify: cannot read '%s'\n", input_path);
    goto done;
  }
#if TARE_CLASSIFY_IMAGES
  if (is_image(input, input_size)) {
    tare_pixels pixels;
    tare_pixels_init(&pixels);
    if ((s = tare_image_load_memory(input, input_size, &pixels)) != TARE_OK) {
      fprintf(stderr, "classify: %s: %s\n", input_path, tare_image_last_error());
      goto done;
    }
    s = tare_session_set_input_image(session, 0, &pixels, NULL);
    tare_image_free(&pixels);
    if (s != TARE_OK) goto fail;
  } else
#endif
  {
    if (input_size != in.byte_size) {
      fprintf(stderr, "classify: input '%s' needs %lu bytes; '%s' has %lu\n", in.name, (unsigned long)in.byte_size,
              input_path, (unsigned long)input_size);
      goto done;
    }
    if ((s = tare_session_set_input(session, 0, input, input_size)) != TARE_OK) goto fail;
  }
  /* 4. Run on the GPU and read the scores back. */
  if ((s = tare_session_run(session)) != TARE_OK) goto fail;
  output = malloc(out.byte_size);
  if (!output) goto done;
  if ((s = tare_session_get_output(session, 0, output, out.byte_size)) != TARE_OK) goto fail;

  /* 5. The top K (first batch element). */
  n = out.byte_size / dtype_size(out.dtype);
  if (out.rank >= 2 && out.shape[0] > 1) n /= (size_t)out.shape[0];
  if ((size_t)top > n) top = (int)n;
  for (k = 0; k < (size_t)top; k++) {
    size_t b = (size_t)-1;
    for (j = 0; j < n; j++) {
      size_t m;
      int taken = 0;
      for (m = 0; m < k; m++) taken |= best[m] == j;
      if (!taken && (b == (size_t)-1 || score(output, &out, j) > score(output, &out, b))) b = j;
    }
    best[k] = b;
  }
  printf("%s on %s (tare %s)\n", model_path, device.name, tare_version());
  printf("top %d of %lu classes:\n", top, (unsigned long)n);
  for (k = 0; k < (size_t)top; k++) {
    printf("  %5lu  %.5f  %s\n", (unsigned long)best[k], score(output, &out, best[k]),
           best[k] < label_count ? labels[best[k]] : "");
  }
  rc = 0;
  goto done;

fail:
  fprintf(stderr, "classify: %s: %s\n", tare_status_string(s), tare_last_error());
done:
  /* Handles may be destroyed in any order; NULL is ignored. */
  tare_session_destroy(session);
  tare_model_destroy(model);
  tare_context_destroy(ctx);
  free(input);
  free(output);
  free(labels);
  free(label_text);
  return rc;
}
