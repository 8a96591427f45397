/*
 * A program built against an INSTALLED Tare (tests/install_test.sh): checks the versions the header declares
 * against the library it loaded, lists the Vulkan devices, and, given a model, runs it once.
 *
 * Usage: tare_consumer [MODEL.tflite [INPUT.bin [EXPECTED_TOP1]]]
 *   INPUT.bin: raw float32 input of the model's input size (zeros when omitted).
 * Exit status: 0 on success, 1 on any failure.
 */
#include <tare/tare.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char* what, tare_status s) {
  fprintf(stderr, "consumer: %s failed: %s: %s\n", what, tare_status_string(s), tare_last_error());
  return 1;
}

static int run_model(const char* path, const char* input_path, long expected_top1) {
  tare_context* ctx = NULL;
  tare_model* model = NULL;
  tare_session* session = NULL;
  tare_tensor_info in, out;
  float* input = NULL;
  float* output = NULL;
  int rc = 1;
  tare_status s;
  size_t i, n, best = 0;

  if ((s = tare_context_create(NULL, &ctx)) != TARE_OK) return failed("tare_context_create", s);
  if ((s = tare_model_load_file(ctx, path, &model)) != TARE_OK) {
    rc = failed("tare_model_load_file", s);
    goto done;
  }
  if ((s = tare_session_create(model, NULL, &session)) != TARE_OK) {
    rc = failed("tare_session_create", s);
    goto done;
  }
  tare_tensor_info_init(&in);
  tare_tensor_info_init(&out);
  if ((s = tare_session_input_info(session, 0, &in)) != TARE_OK ||
      (s = tare_session_output_info(session, 0, &out)) != TARE_OK) {
    rc = failed("tensor info", s);
    goto done;
  }
  if (in.dtype != TARE_DTYPE_FLOAT32 || out.dtype != TARE_DTYPE_FLOAT32) {
    fprintf(stderr, "consumer: the model's first input and output must be float32\n");
    goto done;
  }
  input = (float*)calloc(1, in.byte_size);
  output = (float*)malloc(out.byte_size);
  if (!input || !output) goto done;
  if (input_path) {
    FILE* f = fopen(input_path, "rb");
    size_t got = 0;
    if (f) {
      got = fread(input, 1, in.byte_size, f);
      fclose(f);
    }
    if (got != in.byte_size) {
      fprintf(stderr, "consumer: cannot read %lu bytes from '%s'\n", (unsigned long)in.byte_size, input_path);
      goto done;
    }
  }
  if ((s = tare_session_set_input(session, 0, input, in.byte_size)) != TARE_OK) {
    rc = failed("tare_session_set_input", s);
    goto done;
  }
  if ((s = tare_session_run(session)) != TARE_OK) {
    rc = failed("tare_session_run", s);
    goto done;
  }
  if ((s = tare_session_get_output(session, 0, output, out.byte_size)) != TARE_OK) {
    rc = failed("tare_session_get_output", s);
    goto done;
  }
  n = out.byte_size / sizeof(float);
  for (i = 1; i < n; i++)
    if (output[i] > output[best]) best = i;
  printf("model %s: %lu outputs, top-1 class %lu (%.4f)\n", path, (unsigned long)n, (unsigned long)best, output[best]);
  if (expected_top1 >= 0 && (long)best != expected_top1) {
    fprintf(stderr, "consumer: top-1 is %lu, expected %ld\n", (unsigned long)best, expected_top1);
    goto done;
  }
  rc = 0;
done:
  free(input);
  free(output);
  tare_session_destroy(session);
  tare_model_destroy(model);
  tare_context_destroy(ctx);
  return rc;
}

int main(int argc, char** argv) {
  char header_version[64];
  uint32_t count = 0, i;
  tare_status s;

  snprintf(header_version, sizeof header_version, "%d.%d.%d", TARE_VERSION_MAJOR, TARE_VERSION_MINOR,
           TARE_VERSION_PATCH);
  printf("tare %s (header %s), ABI %d (header %d)\n", tare_version(), header_version, tare_abi_version(),
         TARE_ABI_VERSION);
  if (strcmp(tare_version(), header_version) != 0 || tare_abi_version() != TARE_ABI_VERSION) {
    fprintf(stderr, "consumer: the installed header and library disagree on the version\n");
    return 1;
  }
  if ((s = tare_device_count(&count)) != TARE_OK) return failed("tare_device_count", s);
  for (i = 0; i < count; i++) {
    tare_device_info info;
    tare_device_info_init(&info);
    if ((s = tare_device_get_info(i, &info)) != TARE_OK) return failed("tare_device_get_info", s);
    printf("device %u: %s (type %d, subgroup %u)\n", i, info.name, (int)info.type, info.subgroup_size);
  }
  if (count == 0) {
    fprintf(stderr, "consumer: no Vulkan device\n");
    return 1;
  }
  if (argc > 1) return run_model(argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? strtol(argv[3], NULL, 10) : -1);
  return 0;
}
