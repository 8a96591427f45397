/* The C API exercised from plain C99 against the shared library. Exits non-zero on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tare/tare.h"

static int g_failed = 0, g_passed = 0;
#define EXPECT(cond) \
  do { \
    if (cond) { \
      g_passed++; \
    } else { \
      g_failed++; \
      fprintf(stderr, "%s:%d: FAILED: %s (last error: %s)\n", __FILE__, __LINE__, #cond, tare_last_error()); \
    } \
  } while (0)

#define CANARY 0xA5

/* 1 if bytes [from, to) of p all hold the canary. */
static int canary_intact(const void* p, size_t from, size_t to) {
  const unsigned char* b = (const unsigned char*)p;
  size_t i;
  for (i = from; i < to; i++)
    if (b[i] != CANARY) return 0;
  return 1;
}

/* For struct T in a canary-filled buffer with room to spare: the tare_X_init macro writes exactly sizeof(T) bytes
   with struct_size = sizeof(T); _sized with a larger size writes no more than the library's sizeof; _sized with
   half the struct writes only that half; NULL and a size below sizeof(size_t) write nothing. */
#define CHECK_INIT(T) \
  do { \
    union { \
      T s; \
      unsigned char b[sizeof(T) + 64]; \
    } u; \
    /* at least struct_size itself: on 32-bit targets some structs are 12 bytes */ \
    size_t half = (sizeof(T) / 2) & ~(sizeof(size_t) - 1) ? (sizeof(T) / 2) & ~(sizeof(size_t) - 1) : sizeof(size_t); \
    memset(&u, CANARY, sizeof(u)); \
    T##_init(&u.s); \
    EXPECT(u.s.struct_size == sizeof(T) && canary_intact(&u, sizeof(T), sizeof(u))); \
    memset(&u, CANARY, sizeof(u)); \
    T##_init_sized(&u.s, sizeof(u)); \
    EXPECT(u.s.struct_size == sizeof(T) && canary_intact(&u, sizeof(T), sizeof(u))); \
    memset(&u, CANARY, sizeof(u)); \
    T##_init_sized(&u.s, half); \
    EXPECT(u.s.struct_size == half && canary_intact(&u, half, sizeof(u))); \
    memset(&u, CANARY, sizeof(u)); \
    T##_init_sized(&u.s, sizeof(size_t) - 1); \
    EXPECT(canary_intact(&u, 0, sizeof(u))); \
    T##_init_sized(NULL, sizeof(T)); \
  } while (0)

static const char* data_dir(void) {
  const char* d = getenv("TARE_DATA");
  return d && *d ? d : TARE_DEFAULT_DATA;
}

static void* read_all(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  void* buf;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

/* tare_image_preprocess refuses every bad argument with TARE_ERROR_INVALID_ARGUMENT (or UNSUPPORTED) and a message
   naming it, and writes nothing. */
static int refused(tare_status expected, const tare_pixels* px, const tare_image_options* o, const tare_tensor_info* t,
                   void* out, size_t size, const char* words) {
  return tare_image_preprocess(px, o, t, out, size) == expected && strstr(tare_last_error(), words) != NULL;
}

static void test_image_refusals(void) {
  static uint8_t frame[64 * 48 * 3 / 2 + 64];
  float out[8 * 8 * 3];
  const size_t size = sizeof(out);
  tare_pixels px;
  tare_image_options o;
  tare_tensor_info t;
  CHECK_INIT(tare_pixels);
  CHECK_INIT(tare_image_options);
  tare_image_options_init(&o);
  EXPECT(o.crop_fraction == 0.875 && o.mean[0] == 127.5 && o.std[2] == 127.5 && o.resize == TARE_RESIZE_BILINEAR);
  tare_pixels_init(&px);
  px.format = TARE_PIXEL_RGB8;
  px.width = 37;
  px.height = 23;
  px.data = frame;
  tare_tensor_info_init(&t);
  t.dtype = TARE_DTYPE_FLOAT32;
  t.rank = 4;
  t.shape[0] = 1;
  t.shape[1] = 8;
  t.shape[2] = 8;
  t.shape[3] = 3;
  EXPECT(tare_image_preprocess(&px, NULL, &t, out, size) == TARE_OK);
  EXPECT(tare_image_preprocess(&px, &o, &t, out, size) == TARE_OK);
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, NULL, &o, &t, out, size, "pixels is NULL"));
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, NULL, out, size, "tensor is NULL"));
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, NULL, size, "out is NULL"));
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size - 4, "out_size"));
  px.data = NULL;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "data is NULL"));
  px.data = frame;
  px.stride = 37 * 3 - 1; /* shorter than a row */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "smaller than a row"));
  px.stride = (size_t)-1 / 8; /* stride x height overflows */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "overflows"));
  px.stride = 0;
  px.width = 0;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "must be positive"));
  px.width = 1 << 20;
  px.height = 1 << 20; /* 2^40 pixels */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "2^28"));
  px.width = 37;
  px.height = 23;
  px.format = (tare_pixel_format)7;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "pixels format = 7"));
  px.format = TARE_PIXEL_RGB8;
  px.uv = frame;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "only for NV12"));
  px.uv = NULL;
  /* NV21 of odd width: a chroma row holds 2 * ceil(37 / 2) = 38 bytes, more than the Y stride of 37. */
  px.format = TARE_PIXEL_NV21;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "chroma row of 38 bytes"));
  px.uv_stride = 38;
  EXPECT(tare_image_preprocess(&px, &o, &t, out, size) == TARE_OK);
  px.format = TARE_PIXEL_RGB8;
  px.uv_stride = 0;
  px.struct_size = 0;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "tare_pixels_init"));
  tare_pixels_init(&px);
  px.width = 37;
  px.height = 23;
  px.data = frame;
  /* options */
  o.rotation = (tare_rotation)4;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "rotation = 4"));
  o.rotation = TARE_ROTATE_90;
  o.resize = (tare_resize_filter)-1;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "resize = -1"));
  o.resize = TARE_RESIZE_NEAREST;
  o.crop_fraction = 0.0;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "crop_fraction"));
  o.crop_fraction = 1.5;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "crop_fraction"));
  o.crop_fraction = 1.0;
  /* a box inside the 37 x 23 image but not inside it turned by 90 degrees (23 x 37) */
  o.crop_x = 0;
  o.crop_y = 0;
  o.crop_width = 30;
  o.crop_height = 20;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "does not lie inside the (rotated) image"));
  o.crop_width = 20;
  o.crop_height = 30;
  EXPECT(tare_image_preprocess(&px, &o, &t, out, size) == TARE_OK);
  o.crop_x = 4; /* 4 + 20 > 23 */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "does not lie inside"));
  o.crop_x = -1;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "does not lie inside"));
  o.crop_x = 0x7fffffff; /* x + width overflows int32 */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "does not lie inside"));
  tare_image_options_init(&o);
  o.std[1] = 0.0;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "std non-zero"));
  tare_image_options_init(&o);
  o.channels = (tare_channel_order)2;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "channels = 2"));
  tare_image_options_init(&o);
  /* tensors */
  t.shape[3] = 1;
  EXPECT(refused(TARE_ERROR_UNSUPPORTED, &px, &o, &t, out, size, "3 channels"));
  t.shape[3] = 3;
  t.shape[0] = 2;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "[1, H, W, 3]"));
  t.shape[0] = 1;
  t.rank = 2;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, size, "[1, H, W, 3]"));
  t.rank = 4;
  t.dtype = TARE_DTYPE_INT32;
  EXPECT(refused(TARE_ERROR_UNSUPPORTED, &px, &o, &t, out, size, "float32, int8 or uint8"));
  t.dtype = TARE_DTYPE_INT8; /* int8 without quantization */
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, 8 * 8 * 3, "must be quantized"));
  t.quantized = 1;
  t.scale = 0.0f;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, 8 * 8 * 3, "scale"));
  t.scale = 0.5f;
  t.zero_point = 128;
  EXPECT(refused(TARE_ERROR_INVALID_ARGUMENT, &px, &o, &t, out, 8 * 8 * 3, "zero point"));
  t.zero_point = -1;
  EXPECT(tare_image_preprocess(&px, &o, &t, out, 8 * 8 * 3) == TARE_OK);
  EXPECT(tare_session_set_input_image(NULL, 0, &px, &o) == TARE_ERROR_INVALID_ARGUMENT);
}

int main(void) {
  tare_context* ctx = NULL;
  tare_model* model = NULL;
  tare_session* session = NULL;
  tare_context_options co;
  tare_device_info di;
  tare_tensor_info ti;
  uint32_t n = 0;
  char path[1024];
  size_t size = 0;
  unsigned char junk[256];
  int i;
  uint64_t messages = 0;
  const char* req = getenv("TARE_REQUIRE_DATA");

  EXPECT(strcmp(tare_version(), "0.1.0") == 0);
  EXPECT(tare_abi_version() == TARE_ABI_VERSION);
  EXPECT(strcmp(tare_status_string(TARE_ERROR_INVALID_MODEL), "TARE_ERROR_INVALID_MODEL") == 0);

  /* Init functions write only the caller's size (a caller compiled against an older, smaller struct is safe). */
  CHECK_INIT(tare_device_info);
  CHECK_INIT(tare_context_options);
  CHECK_INIT(tare_tensor_info);
  CHECK_INIT(tare_op_info);
  CHECK_INIT(tare_op_support_info);
  CHECK_INIT(tare_session_options);
  CHECK_INIT(tare_memory_report);
  CHECK_INIT(tare_run_timing);
  CHECK_INIT(tare_quantize_options);
  CHECK_INIT(tare_quantize_report);
  CHECK_INIT(tare_ibc_options);
  CHECK_INIT(tare_ibc_report);
  CHECK_INIT(tare_analyze_options);
  CHECK_INIT(tare_bft_options);
  CHECK_INIT(tare_bft_report);
  CHECK_INIT(tare_equalize_options);
  CHECK_INIT(tare_equalize_report);
  {
    /* Defaults of the fields that fit, in a struct cut before `rounding` (as an older caller would have it). */
    union {
      tare_quantize_options o;
      unsigned char b[sizeof(tare_quantize_options)];
    } u;
    const size_t cut = offsetof(tare_quantize_options, rounding);
    memset(&u, CANARY, sizeof(u));
    tare_quantize_options_init_sized(&u.o, cut);
    EXPECT(u.o.struct_size == cut && u.o.per_channel == 0 && u.o.bias_16bit == 0 && u.o.drop_dead_channels == 1);
    EXPECT(canary_intact(&u, cut, sizeof(u)));
    tare_quantize_options_init(&u.o);
    EXPECT(u.o.struct_size == sizeof(u.o) && u.o.drop_dead_channels == 1 && u.o.rounding == TARE_ROUND_NEAREST_AWAY &&
           u.o.input_type == TARE_DTYPE_FLOAT32 && u.o.calibration_batch == 8 && u.o.progress == NULL &&
           u.o.ranges == TARE_RANGES_MINMAX && u.o.percentile == 99.99);
  }

  /* The supported operators: no context needed; CONV_2D has every path, NEG no int8, FAKE_QUANT is internal,
     PADV2 is imported as PAD; bad arguments are refused. */
  {
    tare_op_support_info os;
    uint32_t ops = 0, k;
    int conv = 0, neg = 0, fake_quant = 0, pad = 0;
    EXPECT(tare_op_count(&ops) == TARE_OK && ops >= 40);
    for (k = 0; k < ops; k++) {
      tare_op_support_info_init(&os);
      EXPECT(tare_op_support(k, &os) == TARE_OK && os.struct_size == sizeof(os) && os.name[0] != 0);
      EXPECT(os.is_internal == (os.builtin_code < 0) && os.can_import == !os.is_internal);
      if (strcmp(os.name, "CONV_2D") == 0) {
        conv++;
        EXPECT(os.builtin_code == 3 && os.alt_builtin_code == -1 && os.alt_name[0] == 0);
        EXPECT(os.has_float && os.has_int8 && os.has_gradient && os.can_import && os.can_export && !os.is_internal);
      } else if (strcmp(os.name, "NEG") == 0) {
        neg++;
        EXPECT(os.has_float && !os.has_int8 && os.has_gradient && os.can_export);
      } else if (strcmp(os.name, "FAKE_QUANT") == 0) {
        fake_quant++;
        EXPECT(os.is_internal && os.builtin_code == -1 && !os.can_import && !os.can_export);
      } else if (strcmp(os.name, "PAD") == 0) {
        pad++;
        EXPECT(os.builtin_code == 34 && os.alt_builtin_code == 60 && strcmp(os.alt_name, "PADV2") == 0);
      }
    }
    EXPECT(conv == 1 && neg == 1 && fake_quant == 1 && pad == 1);
    EXPECT(tare_op_support(ops, &os) == TARE_ERROR_INVALID_ARGUMENT && strstr(tare_last_error(), "out of range"));
    EXPECT(tare_op_support(0, NULL) == TARE_ERROR_INVALID_ARGUMENT);
    EXPECT(tare_op_count(NULL) == TARE_ERROR_INVALID_ARGUMENT);
  }
  test_image_refusals();

  /* Listing devices while contexts live (the listing makes its own instance) and destroying the contexts after it:
     each context keeps what it needs (this crashed when a context's debug messenger used process-wide pointers). */
  {
    tare_context* a = NULL;
    tare_context* b = NULL;
    EXPECT(tare_context_create(NULL, &a) == TARE_OK);
    EXPECT(tare_device_count(&n) == TARE_OK && n >= 1);
    EXPECT(tare_context_create(NULL, &b) == TARE_OK);
    EXPECT(tare_device_count(&n) == TARE_OK && n >= 1);
    tare_context_destroy(a);
    EXPECT(tare_device_count(&n) == TARE_OK && n >= 1);
    tare_context_destroy(b);
  }

  /* NULL arguments are errors, not crashes. */
  EXPECT(tare_context_create(NULL, NULL) == TARE_ERROR_INVALID_ARGUMENT);
  EXPECT(strlen(tare_last_error()) > 0);
  EXPECT(tare_model_load_file(NULL, "x", &model) == TARE_ERROR_INVALID_ARGUMENT && model == NULL);
  tare_context_destroy(NULL);
  tare_model_destroy(NULL);
  tare_session_destroy(NULL);

  if (tare_device_count(&n) != TARE_OK || n == 0) {
    printf("no Vulkan device: %s\n", tare_last_error());
    return 1;
  }
  tare_device_info_init(&di);
  EXPECT(tare_device_get_info(0, &di) == TARE_OK && strlen(di.name) > 0);
  EXPECT(tare_device_get_info(n, &di) == TARE_ERROR_INVALID_ARGUMENT);

  tare_context_options_init(&co);
  co.device_index = 1000;
  EXPECT(tare_context_create(&co, &ctx) == TARE_ERROR_INVALID_ARGUMENT && ctx == NULL);
  tare_context_options_init(&co);
  EXPECT(tare_context_create(&co, &ctx) == TARE_OK && ctx != NULL);
  if (!ctx) return 1;
  tare_device_info_init(&di);
  EXPECT(tare_context_get_device_info(ctx, &di) == TARE_OK);
  printf("device: %s (subgroup %u, fp16 %d, int8 storage %d, dot %d)\n", di.name, di.subgroup_size, di.fp16_arithmetic,
         di.int8_storage, di.integer_dot_product);

  /* Bad models. */
  for (i = 0; i < (int)sizeof(junk); i++) junk[i] = (unsigned char)(i * 37 + 11);
  EXPECT(tare_model_load_memory(ctx, junk, sizeof(junk), &model) == TARE_ERROR_INVALID_MODEL && model == NULL);
  EXPECT(tare_model_load_memory(ctx, junk, 0, &model) == TARE_ERROR_INVALID_MODEL && model == NULL);
  EXPECT(tare_model_load_file(ctx, "/nonexistent/model.tflite", &model) == TARE_ERROR_IO && model == NULL);
  /* A directory, or a file that is not a model, is refused by its header before it is read whole. */
  EXPECT(tare_model_load_file(ctx, data_dir(), &model) == TARE_ERROR_IO && model == NULL &&
         strstr(tare_last_error(), "is not a regular file") != NULL);
  snprintf(path, sizeof(path), "%s/README.md", data_dir());
  if (tare_model_load_file(ctx, path, &model) != TARE_ERROR_IO) { /* IO: the data folder is missing */
    EXPECT(model == NULL && strstr(tare_last_error(), "README.md: not a TFLite model") != NULL);
  }

  /* Enum values a C caller can store but the header does not define are refused, naming the field. */
  EXPECT(strcmp(tare_status_string((tare_status)42), "TARE_ERROR_UNKNOWN") == 0);
  EXPECT(strcmp(tare_status_string((tare_status)-1), "TARE_ERROR_UNKNOWN") == 0);
  {
    tare_error_stats st;
    memset(&st, 0, sizeof(st));
    st.struct_size = sizeof(st);
    EXPECT(tare_diagnostics_summary(NULL, 0, (tare_error_point)7, TARE_STAGE_BEFORE, &st) ==
               TARE_ERROR_INVALID_ARGUMENT &&
           strstr(tare_last_error(), "point = 7 is not a valid value") != NULL);
    EXPECT(tare_diagnostics_channel(NULL, 0, 0, TARE_POINT_PRE_ACTIVATION, (tare_error_stage)-3, &st) ==
               TARE_ERROR_INVALID_ARGUMENT &&
           strstr(tare_last_error(), "stage = -3 is not a valid value") != NULL);
  }
  snprintf(path, sizeof(path), "%s/models/tflm/hello_world_float.tflite", data_dir());
  if (tare_model_load_file(ctx, path, &model) == TARE_OK) {
    const int bad[] = {2, 7, -1, 1000};
    const float x = 0.5f;
    tare_session_options so;
    tare_quantize_options qo;
    tare_model* qm = NULL;
    for (i = 0; i < 4; i++) {
      tare_session_options_init(&so);
      so.precision = (tare_precision)bad[i];
      EXPECT(tare_session_create(model, &so, &session) == TARE_ERROR_INVALID_ARGUMENT && session == NULL &&
             strstr(tare_last_error(), "precision = ") != NULL);
      tare_quantize_options_init(&qo);
      qo.rounding = (tare_weight_rounding)bad[i];
      EXPECT(tare_quantize_array(model, &x, 1, &qo, &qm, NULL) == TARE_ERROR_INVALID_ARGUMENT && qm == NULL &&
             strstr(tare_last_error(), "rounding = ") != NULL);
      if (bad[i] >= 0 && bad[i] <= TARE_DTYPE_BOOL) continue; /* a dtype, refused as not FLOAT32/INT8/UINT8 */
      tare_quantize_options_init(&qo);
      qo.input_type = (tare_dtype)bad[i];
      EXPECT(tare_quantize_array(model, &x, 1, &qo, &qm, NULL) == TARE_ERROR_INVALID_ARGUMENT && qm == NULL &&
             strstr(tare_last_error(), "input_type = ") != NULL);
      tare_quantize_options_init(&qo);
      qo.output_type = (tare_dtype)bad[i];
      EXPECT(tare_quantize_array(model, &x, 1, &qo, &qm, NULL) == TARE_ERROR_INVALID_ARGUMENT && qm == NULL &&
             strstr(tare_last_error(), "output_type = ") != NULL);
    }
    { /* Range methods: an unknown one and a percentile outside (50, 100] are refused. */
      const int bad_ranges[] = {3, -1};
      const double bad_percentiles[] = {50.0, 100.5, -1.0, NAN};
      for (i = 0; i < 2; i++) {
        tare_quantize_options_init(&qo);
        qo.ranges = (tare_range_method)bad_ranges[i];
        EXPECT(tare_quantize_array(model, &x, 1, &qo, &qm, NULL) == TARE_ERROR_INVALID_ARGUMENT && qm == NULL &&
               strstr(tare_last_error(), "ranges = ") != NULL);
      }
      for (i = 0; i < 4; i++) {
        tare_quantize_options_init(&qo);
        qo.ranges = TARE_RANGES_PERCENTILE;
        qo.percentile = bad_percentiles[i];
        EXPECT(tare_quantize_array(model, &x, 1, &qo, &qm, NULL) == TARE_ERROR_INVALID_ARGUMENT && qm == NULL &&
               strstr(tare_last_error(), "percentile must be in (50, 100]") != NULL);
      }
    }
    tare_model_destroy(model);
    model = NULL;
  } else if (req && strcmp(req, "1") == 0) {
    printf("missing %s\n", path);
    g_failed++;
  }

  snprintf(path, sizeof(path), "%s/models/mobilenet_v1_0.25_224.tflite", data_dir());
  {
    void* bytes = read_all(path, &size);
    if (!bytes) {
      printf("SKIPPED (no data): %s missing; set TARE_DATA\n", path);
      if (req && strcmp(req, "1") == 0) g_failed++;
    } else {
      float* input;
      float* output;
      float* expect;
      size_t in_size = 0, out_size = 0;
      char ref_in[1024], ref_out[1024];
      tare_memory_report mem;
      tare_run_timing timing;
      EXPECT(tare_model_load_memory(ctx, bytes, size, &model) == TARE_OK);
      free(bytes); /* the model copied it */
      EXPECT(tare_model_input_count(model, &n) == TARE_OK && n == 1);
      tare_tensor_info_init(&ti);
      EXPECT(tare_model_input_info(model, 0, &ti) == TARE_OK && ti.rank == 4 && ti.shape[1] == 224 &&
             ti.dtype == TARE_DTYPE_FLOAT32 && ti.byte_size == 224 * 224 * 3 * 4);
      EXPECT(tare_model_input_info(model, 5, &ti) == TARE_ERROR_INVALID_ARGUMENT);
      EXPECT(tare_session_create(model, NULL, &session) == TARE_OK && session != NULL);
      /* The session keeps the model alive. */
      tare_model_destroy(model);
      model = NULL;
      snprintf(ref_in, sizeof(ref_in), "%s/ref/mobilenet_v1_0.25_224/in_img0.bin", data_dir());
      snprintf(ref_out, sizeof(ref_out), "%s/ref/mobilenet_v1_0.25_224/out_img0.0.bin", data_dir());
      input = (float*)read_all(ref_in, &in_size);
      expect = (float*)read_all(ref_out, &out_size);
      EXPECT(input && expect && in_size == 224 * 224 * 3 * 4 && out_size == 1001 * 4);
      if (session && input && expect) {
        float maxref = 0, maxerr = 0;
        int best = 0;
        output = (float*)malloc(out_size);
        EXPECT(tare_session_set_input(session, 0, input, in_size - 4) == TARE_ERROR_INVALID_ARGUMENT);
        EXPECT(tare_session_set_input(session, 0, input, in_size) == TARE_OK);
        EXPECT(tare_session_run(session) == TARE_OK);
        EXPECT(tare_session_get_output(session, 0, output, out_size + 4) == TARE_ERROR_INVALID_ARGUMENT);
        EXPECT(tare_session_get_output(session, 0, output, out_size) == TARE_OK);
        for (i = 0; i < 1001; i++) {
          float e = fabsf(output[i] - expect[i]);
          if (e > maxerr) maxerr = e;
          if (fabsf(expect[i]) > maxref) maxref = fabsf(expect[i]);
          if (output[i] > output[best]) best = i;
        }
        printf("mobilenet_v1_0.25 via C API: top-1 %d (TFLite 473), max |err| %g (max |ref| %g)\n", best, maxerr,
               maxref);
        EXPECT(best == 473);
        EXPECT(maxerr <= 1e-4f * maxref);
        tare_memory_report_init(&mem);
        EXPECT(tare_session_memory(session, &mem) == TARE_OK && mem.activation_bytes > 0 &&
               mem.activation_bytes < mem.unplanned_bytes && mem.constant_bytes > 0);
        tare_run_timing_init(&timing);
        EXPECT(tare_session_run_timing(session, &timing) == TARE_OK && timing.fence_wait_ms > 0 &&
               timing.run_ms >= timing.submit_ms + timing.fence_wait_ms && timing.gpu_span_ms == 0);
        free(output);
      }
      if (input) { /* quantization and bias correction from C: one image, diagnostics read back */
        tare_model* fm = NULL;
        tare_model* qm = NULL;
        tare_model* cm = NULL;
        tare_diagnostics* diag = NULL;
        tare_ibc_report rep;
        tare_ibc_options opt;
        tare_layer_info li;
        tare_error_stats before, after;
        uint32_t layers = 0;
        snprintf(path, sizeof(path), "%s/models/mobilenet_v1_0.25_224.tflite", data_dir());
        EXPECT(tare_model_load_file(ctx, path, &fm) == TARE_OK);
        EXPECT(tare_quantize_array(fm, input, 1, NULL, &qm, NULL) == TARE_OK);
        { /* An older caller's smaller structs: options cut before `rounding`, whose missing fields hold canary
             bytes the library must not read (input_type 0xA5A5A5A5 is invalid, progress a wild pointer), and a
             report cut before `activations`, whose bytes after the cut the library must not write. */
          union {
            tare_quantize_options o;
            unsigned char b[sizeof(tare_quantize_options)];
          } uo;
          union {
            tare_quantize_report r;
            unsigned char b[sizeof(tare_quantize_report)];
          } ur;
          const size_t ocut = offsetof(tare_quantize_options, rounding);
          const size_t rcut = offsetof(tare_quantize_report, activations);
          tare_model* pm = NULL;
          uint32_t t, tensors = 0, per_channel_weights = 0;
          memset(&uo, CANARY, sizeof(uo));
          memset(&ur, CANARY, sizeof(ur));
          tare_quantize_options_init_sized(&uo.o, ocut);
          uo.o.per_channel = 1;
          tare_quantize_report_init_sized(&ur.r, rcut);
          EXPECT(tare_quantize_array(fm, input, 1, &uo.o, &pm, &ur.r) == TARE_OK && pm != NULL);
          EXPECT(canary_intact(&uo, ocut, sizeof(uo)));
          EXPECT(ur.r.struct_size == rcut && ur.r.quantized_weights == 28 && canary_intact(&ur, rcut, sizeof(ur)));
          /* The fields inside the cut were read: per_channel gives the weights one scale per output channel. */
          EXPECT(tare_model_tensor_count(pm, &tensors) == TARE_OK);
          for (t = 0; t < tensors; t++) {
            tare_tensor_info_init(&ti);
            if (tare_model_tensor_info(pm, t, &ti) == TARE_OK && ti.dtype == TARE_DTYPE_INT8 && ti.num_scales > 1)
              per_channel_weights++;
          }
          printf("quantize with smaller structs (cut at %u and %u bytes): %u per-channel weight tensors\n",
                 (unsigned)ocut, (unsigned)rcut, per_channel_weights);
          EXPECT(per_channel_weights == 28);
          tare_model_destroy(pm);
        }
        tare_ibc_report_init(&rep);
        tare_ibc_options_init(&opt);
        opt.pre_activation = 1;
        EXPECT(tare_correct_bias_array(fm, qm, input, 1, &opt, &cm, &rep, &diag) == TARE_OK && cm && diag);
        EXPECT(rep.layers == 28 && rep.images == 1 && rep.wall_ms > 0 && rep.kept == 0);
        EXPECT(opt.heads == TARE_IBC_HEADS_CORRECT);
        {
          tare_model* none = NULL; /* a failed call sets *out to NULL: not &cm, which holds the model above */
          tare_ibc_options bad = opt;
          EXPECT(tare_correct_bias_array(fm, NULL, input, 1, NULL, &none, &rep, NULL) == TARE_ERROR_INVALID_ARGUMENT &&
                 none == NULL);
          bad.heads = (tare_ibc_heads)2; /* not a tare_ibc_heads value: refused, with a message */
          EXPECT(tare_correct_bias_array(fm, qm, input, 1, &bad, &none, NULL, NULL) == TARE_ERROR_INVALID_ARGUMENT &&
                 none == NULL && strstr(tare_last_error(), "heads") != NULL);
        }
        EXPECT(tare_diagnostics_layer_count(diag, &layers) == TARE_OK && layers == 28);
        li.struct_size = sizeof(li);
        EXPECT(tare_diagnostics_layer(diag, 27, &li) == TARE_OK && strcmp(li.op, "CONV_2D") == 0 &&
               li.channels == 1001 && li.has_after == 1);
        before.struct_size = after.struct_size = sizeof(before);
        /* The pre-activation correction of the last hidden layer (no clamping in between: exact up to rounding) */
        EXPECT(tare_diagnostics_summary(diag, 26, TARE_POINT_PRE_ACTIVATION, TARE_STAGE_BEFORE, &before) == TARE_OK);
        EXPECT(tare_diagnostics_summary(diag, 26, TARE_POINT_PRE_ACTIVATION, TARE_STAGE_AFTER, &after) == TARE_OK);
        printf("IBC via C API: layer 26 pre-activation MAS rms %g -> %g\n", before.mas, after.mas);
        EXPECT(after.mas < 0.01 * before.mas);
        EXPECT(tare_diagnostics_channel(diag, 27, 1001, TARE_POINT_POST_ACTIVATION, TARE_STAGE_AFTER, &after) ==
               TARE_ERROR_INVALID_ARGUMENT);
        tare_diagnostics_destroy(diag);
        tare_model_destroy(cm);
        tare_model_destroy(qm);
        tare_model_destroy(fm);
      }
      free(input);
      free(expect);
      tare_session_destroy(session);
    }
  }
  /* The selfie-segmentation model's MediaPipe custom op (Convolution2DTransposeBias) is listed as a TRANSPOSE_CONV. */
  snprintf(path, sizeof(path), "%s/models/selfie_segmentation.tflite", data_dir());
  if (fopen(path, "rb")) {
    uint32_t n = 0, i, tconv = 0;
    EXPECT(tare_model_load_file(ctx, path, &model) == TARE_OK && model != NULL);
    EXPECT(tare_model_op_count(model, &n) == TARE_OK && n > 100);
    for (i = 0; i < n; i++) {
      tare_op_info op;
      tare_op_info_init(&op);
      EXPECT(tare_model_op_info(model, i, &op) == TARE_OK);
      if (strcmp(op.type, "TRANSPOSE_CONV") == 0) tconv++;
    }
    EXPECT(tconv == 1);
    tare_model_destroy(model);
  }
  /* Handle checks (docs/hardening.md, "Concurrency"): a destroyed handle is refused with a message and a double
     destroy is ignored and said, instead of a use after free. */
  snprintf(path, sizeof(path), "%s/models/tflm/hello_world_float.tflite", data_dir());
  {
    tare_model* gone = NULL;
    tare_session* dead = NULL;
    uint32_t n = 0;
    EXPECT(tare_model_load_file(ctx, path, &gone) == TARE_OK);
    EXPECT(tare_session_create(gone, NULL, &dead) == TARE_OK);
    tare_session_destroy(dead);
    EXPECT(tare_session_run(dead) == TARE_ERROR_INVALID_ARGUMENT &&
           strcmp(tare_last_error(), "session used after tare_session_destroy (or not a handle Tare returned)") == 0);
    tare_session_destroy(dead);
    EXPECT(strstr(tare_last_error(), "tare_session_destroy: session already destroyed") != NULL);
    tare_model_destroy(gone);
    EXPECT(tare_model_input_count(gone, &n) == TARE_ERROR_INVALID_ARGUMENT &&
           strstr(tare_last_error(), "model used after tare_model_destroy") != NULL);
    tare_model_destroy(gone);
    EXPECT(strstr(tare_last_error(), "tare_model_destroy: model already destroyed") != NULL);
  }
  EXPECT(tare_context_validation_messages(ctx, &messages) == TARE_OK && messages == 0);
  tare_context_destroy(ctx);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
