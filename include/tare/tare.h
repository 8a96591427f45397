/*
 * Tare: on-device 8-bit quantization and inference of neural networks through Vulkan compute.
 *
 * Public C API, version 1.  Plain C99; the only public header of the library.
 *
 * Conventions
 *  - Every function returns a tare_status (TARE_OK == 0) unless stated otherwise.  On failure a readable
 *    message is available from tare_last_error() on the calling thread until the next failing call on
 *    that thread.  No C++ exception ever crosses this boundary.
 *  - Handles are opaque.  tare_X_create* / tare_X_load* return a handle owned by the caller, released with
 *    tare_X_destroy (NULL is accepted and ignored).  A session keeps its model alive internally, and a model
 *    keeps its context alive, so handles may be destroyed in any order.
 *  - Options, report and info structs begin with `struct_size`; initialise them with the matching tare_X_init(&s)
 *    macro, which expands to tare_X_init_sized(&s, sizeof(s)): the library writes the defaults of the fields that
 *    fit in `size` bytes, never more than min(size, the library's sizeof), and sets struct_size to that number (a
 *    NULL pointer or a size below sizeof(size_t) is ignored).  So the library can grow a struct without breaking
 *    callers compiled against the older, smaller one: it reads and writes only the caller's struct_size bytes.
 *    Bindings in other languages call the *_sized functions with their own struct sizes.  Output structs without
 *    an init function (tare_layer_info, tare_error_stats): set struct_size = sizeof(struct) before the call.
 *  - Callers must not assume the tare_status enum is closed: new codes may be added in minor versions.
 *  - Threads: a context, model or session may be used from any thread, but one session must not be used by two
 *    threads at once.  Distinct sessions may run concurrently (their GPU submissions take turns on the device's
 *    queue), also while other threads load, quantize, correct or destroy models of the same context.
 *  - Handle checks: every call looks its handles up among the live ones first.  A destroyed handle (or a pointer
 *    Tare never returned) and a session already in use by another thread's call are refused with
 *    TARE_ERROR_INVALID_ARGUMENT and a message; destroying a handle twice is ignored (tare_last_error says so); a
 *    handle destroyed while another thread's call uses it is released when that call returns.  These checks guard
 *    mistakes, they are not a way to synchronize: a caller that races a destroy against a call may see either.
 *
 * Versions
 *  - TARE_VERSION_MAJOR/MINOR/PATCH: the semantic version of this header (the CMake project's version;
 *    tare_version() returns the library's as a string).  TARE_ABI_VERSION: the binary interface, also the number
 *    in the shared library's SONAME (libtare.so.1); tare_abi_version() returns the loaded library's.
 *
 * Stability promise.  It starts with the first release, 0.1.0 (no earlier version was released): from 0.1.0 on,
 * within one ABI version nothing that breaks a compiled caller may change.  Between minor versions (and patch
 * versions) only these changes are allowed:
 *  - new functions;
 *  - new fields at the END of a struct that begins with struct_size (the library reads and writes only the
 *    fields that fit in the caller's struct_size, and gives the new fields defaults that keep the old behaviour);
 *  - new values of an enum (tare_status, tare_dtype, ...), and new stage strings for progress callbacks;
 *  - new macros.
 * Never, within an ABI version: removing or renaming a function, changing a function's parameters, return type
 * or meaning, removing or reordering struct fields or changing their types or sizes (TARE_MAX_RANK and the other
 * array bounds included), or renumbering enum values.  Such a change raises TARE_ABI_VERSION (and the SONAME)
 * and starts a new major version.  A caller can check at run time that the library it loaded is one it was
 * compiled for: tare_abi_version() == TARE_ABI_VERSION.
 */
#ifndef TARE_TARE_H
#define TARE_TARE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(TARE_BUILDING_LIBRARY)
#define TARE_API __declspec(dllexport)
#elif defined(TARE_SHARED)
#define TARE_API __declspec(dllimport)
#else
#define TARE_API
#endif
#else
#define TARE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define TARE_ABI_VERSION 1
#define TARE_VERSION_MAJOR 0
#define TARE_VERSION_MINOR 1
#define TARE_VERSION_PATCH 0

typedef enum tare_status {
  TARE_OK = 0,
  TARE_ERROR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad option, a wrong size or shape */
  TARE_ERROR_INVALID_MODEL = 2,    /* the model file is corrupt or inconsistent */
  TARE_ERROR_UNSUPPORTED = 3,      /* a valid model uses something Tare does not implement */
  TARE_ERROR_NO_VULKAN = 4,        /* no Vulkan loader or no usable device */
  TARE_ERROR_DEVICE = 5,           /* a Vulkan call failed */
  TARE_ERROR_OUT_OF_MEMORY = 6,    /* host or device memory exhausted */
  TARE_ERROR_IO = 7,               /* a file could not be read or written */
  TARE_ERROR_CANCELLED = 8,        /* a progress callback asked to stop */
  TARE_ERROR_INTERNAL = 9,         /* a bug in Tare: please report it */
  TARE_ERROR_TIMEOUT = 10,         /* the GPU did not finish within fence_timeout_ms: the context is lost */
  TARE_ERROR_DEVICE_LOST = 11      /* the device was lost (or timed out before): destroy the context */
} tare_status;

typedef enum tare_dtype {
  TARE_DTYPE_FLOAT32 = 0,
  TARE_DTYPE_FLOAT16 = 1,
  TARE_DTYPE_INT32 = 2,
  TARE_DTYPE_UINT8 = 3,
  TARE_DTYPE_INT8 = 4,
  TARE_DTYPE_INT64 = 5,
  TARE_DTYPE_INT16 = 6,
  TARE_DTYPE_BOOL = 7
} tare_dtype;

typedef enum tare_precision {
  TARE_PRECISION_FP32 = 0, /* default: fp32 storage and arithmetic */
  TARE_PRECISION_FP16 = 1  /* fp16 storage and arithmetic where the device has both; else an error */
} tare_precision;

typedef struct tare_context_s tare_context;
typedef struct tare_model_s tare_model;
typedef struct tare_session_s tare_session;

/* ---- library ------------------------------------------------------------------------------------------------ */

/* "MAJOR.MINOR.PATCH"; static storage. */
TARE_API const char* tare_version(void);
/* TARE_ABI_VERSION of the library actually loaded. */
TARE_API int tare_abi_version(void);
/* The message of the last failing call on this thread ("" if none); valid until the next call on this thread. */
TARE_API const char* tare_last_error(void);
/* A fixed English name for a status, e.g. "TARE_ERROR_INVALID_MODEL". */
TARE_API const char* tare_status_string(tare_status status);

/* ---- devices and context ------------------------------------------------------------------------------------ */

typedef enum tare_device_type {
  TARE_DEVICE_OTHER = 0,
  TARE_DEVICE_INTEGRATED_GPU = 1,
  TARE_DEVICE_DISCRETE_GPU = 2,
  TARE_DEVICE_VIRTUAL_GPU = 3,
  TARE_DEVICE_CPU = 4
} tare_device_type;

typedef struct tare_device_info {
  size_t struct_size;
  char name[256];
  tare_device_type type;
  uint32_t vendor_id;
  uint32_t device_id;
  uint32_t api_version;    /* VK_MAKE_API_VERSION encoding */
  int fp16_arithmetic;     /* shaderFloat16 */
  int fp16_storage;        /* storageBuffer16BitAccess */
  int int8_storage;        /* storageBuffer8BitAccess */
  int int8_arithmetic;     /* shaderInt8 */
  int integer_dot_product; /* VK_KHR_shader_integer_dot_product */
  int int64;               /* shaderInt64 */
  uint32_t subgroup_size;
  uint32_t subgroup_operations; /* VkSubgroupFeatureFlags */
  int timestamps;               /* compute-queue timestamps usable */
  float timestamp_period_ns;
  uint32_t max_workgroup_invocations;
  uint32_t max_shared_memory_bytes;
  uint64_t max_storage_buffer_range;
  uint64_t device_local_bytes; /* size of the largest device-local heap */
} tare_device_info;

TARE_API void tare_device_info_init_sized(tare_device_info* info, size_t size);
#define tare_device_info_init(p) tare_device_info_init_sized((p), sizeof(*(p)))

/* Number of Vulkan physical devices (0 with TARE_ERROR_NO_VULKAN when Vulkan is missing). */
TARE_API tare_status tare_device_count(uint32_t* count);
/* Information on device `index` (0-based, in Vulkan's enumeration order). */
TARE_API tare_status tare_device_get_info(uint32_t index, tare_device_info* info);

typedef struct tare_context_options {
  size_t struct_size;
  /* Device: -1 = automatic (discrete > integrated > virtual > CPU, overridable by the environment variable
     TARE_DEVICE holding an index or a name substring); otherwise the index of tare_device_get_info. */
  int device_index;
  /* If not NULL and device_index is -1, pick the first device whose name contains this substring. */
  const char* device_name;
  /* 1: enable the Khronos validation layer (also enabled by TARE_VALIDATION=1 in the environment). */
  int validation;
  /* Optional: bytes from tare_context_pipeline_cache of an earlier run (copied), so that compiled pipelines are
     reused and sessions start faster.  Data from another device or driver is ignored. */
  const void* pipeline_cache_data;
  size_t pipeline_cache_size;
  /* Longest wait for one GPU submission, in ms; 0 (default): 60000, or 600000 on a CPU device (lavapipe: a loaded
     machine slows it without a hang).  Past it the call fails with TARE_ERROR_TIMEOUT and the context is lost:
     later calls fail with TARE_ERROR_DEVICE_LOST; its handles can still be destroyed (destroying waits at most
     once more this long for the hung work, then stops waiting). */
  uint32_t fence_timeout_ms;
} tare_context_options;

TARE_API void tare_context_options_init_sized(tare_context_options* options, size_t size);
#define tare_context_options_init(p) tare_context_options_init_sized((p), sizeof(*(p)))
/* options may be NULL for defaults.  *out is owned by the caller. */
TARE_API tare_status tare_context_create(const tare_context_options* options, tare_context** out);
TARE_API void tare_context_destroy(tare_context* context);
TARE_API tare_status tare_context_get_device_info(const tare_context* context, tare_device_info* info);
/* The context's pipeline cache (every pipeline compiled so far), to store and pass back through
   tare_context_options.pipeline_cache_data next time.  *data is allocated by Tare; release it with tare_free. */
TARE_API tare_status tare_context_pipeline_cache(const tare_context* context, void** data, size_t* size);
/* Number of messages the validation layer has reported on this context (warnings and errors). */
TARE_API tare_status tare_context_validation_messages(const tare_context* context, uint64_t* count);

/* ---- models ------------------------------------------------------------------------------------------------- */

/* Load and verify a .tflite model.  The file is read and copied; nothing is kept open.  *out is owned by the
   caller and keeps `context` alive. */
TARE_API tare_status tare_model_load_file(tare_context* context, const char* path, tare_model** out);
/* As above, from memory; the bytes are copied, the caller keeps ownership of `data`. */
TARE_API tare_status tare_model_load_memory(tare_context* context, const void* data, size_t size, tare_model** out);
TARE_API void tare_model_destroy(tare_model* model);

/* ---- tensors ------------------------------------------------------------------------------------------------ */

#define TARE_MAX_RANK 8

typedef struct tare_tensor_info {
  size_t struct_size;
  char name[256];
  tare_dtype dtype;
  int32_t rank;
  int32_t shape[TARE_MAX_RANK];
  size_t byte_size;            /* bytes of the dense tensor in `dtype` */
  int quantized;               /* 1 if scale/zero_point are meaningful */
  float scale;                 /* first (or only) scale */
  int64_t zero_point;          /* first (or only) zero point */
  int32_t quantized_dimension; /* axis of per-channel parameters, or -1 */
  int32_t num_scales;          /* 1 for per-tensor */
} tare_tensor_info;

TARE_API void tare_tensor_info_init_sized(tare_tensor_info* info, size_t size);
#define tare_tensor_info_init(p) tare_tensor_info_init_sized((p), sizeof(*(p)))

TARE_API tare_status tare_model_input_count(const tare_model* model, uint32_t* count);
TARE_API tare_status tare_model_output_count(const tare_model* model, uint32_t* count);
TARE_API tare_status tare_model_input_info(const tare_model* model, uint32_t index, tare_tensor_info* info);
TARE_API tare_status tare_model_output_info(const tare_model* model, uint32_t index, tare_tensor_info* info);

/* Every tensor of the model (constants included), by index; indices match tare_op_info's. */
TARE_API tare_status tare_model_tensor_count(const tare_model* model, uint32_t* count);
TARE_API tare_status tare_model_tensor_info(const tare_model* model, uint32_t index, tare_tensor_info* info);

#define TARE_OP_MAX_INPUTS 8
#define TARE_OP_MAX_OUTPUTS 4

typedef struct tare_op_info {
  size_t struct_size;
  char type[64];        /* TFLite builtin name, e.g. "CONV_2D" */
  int32_t source_index; /* the operator's index in the .tflite file */
  uint32_t num_inputs;  /* may exceed TARE_OP_MAX_INPUTS; only that many are listed */
  uint32_t num_outputs;
  int32_t inputs[TARE_OP_MAX_INPUTS]; /* tensor indices; -1 marks an omitted optional input */
  int32_t outputs[TARE_OP_MAX_OUTPUTS];
  uint64_t macs; /* multiply-accumulates (conv, depthwise, fully connected), at batch 1 */
} tare_op_info;

TARE_API void tare_op_info_init_sized(tare_op_info* info, size_t size);
#define tare_op_info_init(p) tare_op_info_init_sized((p), sizeof(*(p)))
/* Operators in execution (topological) order, after import-time folding. */
TARE_API tare_status tare_model_op_count(const tare_model* model, uint32_t* count);
TARE_API tare_status tare_model_op_info(const tare_model* model, uint32_t index, tare_op_info* info);

/* ---- supported operators ------------------------------------------------------------------------------------ */

/* One operator type Tare implements, and the paths it has, read from Tare's op table (`tare ops` prints them). */
typedef struct tare_op_support_info {
  size_t struct_size;
  char name[64];            /* TFLite builtin name, e.g. "CONV_2D" (an internal op: Tare's own name) */
  int32_t builtin_code;     /* tflite::BuiltinOperator code; -1 for an internal op */
  int32_t alt_builtin_code; /* a second code imported as this op (PADV2 as PAD), or -1 */
  char alt_name[64];        /* the TFLite name of alt_builtin_code, or "" */
  int is_internal;          /* 1: Tare's own op, never read from or written to a .tflite file (e.g. FAKE_QUANT) */
  int has_float;            /* float inference: fp32 and fp16 GPU kernels */
  int has_int8;             /* 8-bit inference, TFLite-exact: an 8-bit GPU kernel and TFLite's integer reference */
  int has_gradient;         /* a backward kernel: bias fine-tuning trains through the op */
  int can_import;           /* read from .tflite files */
  int can_export;           /* written to .tflite files */
  char custom_name[64];     /* a TFLite CUSTOM op code imported as this op (exported as the builtin), or "" */
} tare_op_support_info;

TARE_API void tare_op_support_info_init_sized(tare_op_support_info* info, size_t size);
#define tare_op_support_info_init(p) tare_op_support_info_init_sized((p), sizeof(*(p)))
/* Number of operator types Tare implements (the same in every context: no device needed). */
TARE_API tare_status tare_op_count(uint32_t* count);
/* Operator type `index` (0 <= index < tare_op_count); the order is Tare's own and may change between versions. */
TARE_API tare_status tare_op_support(uint32_t index, tare_op_support_info* info);

/* ---- sessions ----------------------------------------------------------------------------------------------- */

typedef struct tare_session_options {
  size_t struct_size;
  tare_precision precision; /* default TARE_PRECISION_FP32 */
  int batch;                /* 0 = the model's own batch; otherwise the batch the session runs */
  int profiling;            /* 1: record per-op GPU timestamps (tare_session_profile) */
} tare_session_options;

TARE_API void tare_session_options_init_sized(tare_session_options* options, size_t size);
#define tare_session_options_init(p) tare_session_options_init_sized((p), sizeof(*(p)))
/* Plans memory, creates pipelines and records the command buffer.  options may be NULL.  *out keeps the model
   alive. */
TARE_API tare_status tare_session_create(tare_model* model, const tare_session_options* options, tare_session** out);
TARE_API void tare_session_destroy(tare_session* session);

TARE_API tare_status tare_session_input_info(const tare_session* session, uint32_t index, tare_tensor_info* info);
TARE_API tare_status tare_session_output_info(const tare_session* session, uint32_t index, tare_tensor_info* info);
/* Copy `size` bytes (must equal the input's byte_size) into input `index`.  The data is copied. */
TARE_API tare_status tare_session_set_input(tare_session* session, uint32_t index, const void* data, size_t size);
/* Run the graph on the GPU and wait for it. */
TARE_API tare_status tare_session_run(tare_session* session);
/* Copy output `index` into `data` (size must equal the output's byte_size). */
TARE_API tare_status tare_session_get_output(tare_session* session, uint32_t index, void* data, size_t size);

typedef struct tare_memory_report {
  size_t struct_size;
  uint64_t constant_bytes;   /* weights and other constants on the device */
  uint64_t activation_bytes; /* the planned arena for intermediate tensors */
  uint64_t unplanned_bytes;  /* sum of every intermediate tensor's size, as if none were shared */
  uint64_t staging_bytes;    /* host-visible input/output buffers */
} tare_memory_report;

TARE_API void tare_memory_report_init_sized(tare_memory_report* report, size_t size);
#define tare_memory_report_init(p) tare_memory_report_init_sized((p), sizeof(*(p)))
TARE_API tare_status tare_session_memory(const tare_session* session, tare_memory_report* report);

/* The compute pipelines of a session (cold start).  Pipelines are kept by the context, one per distinct (shader,
   specialization constants) pair: a session compiles only those no earlier session of its context made, all
   together at creation, on up to hardware_concurrency threads.  Some drivers (lavapipe/llvmpipe) translate the
   shader to machine code only when it first runs, so there the first run carries most of the cost; the pipeline
   cache (tare_context_pipeline_cache) or the driver's own shader cache saves it at a later start. */
typedef struct tare_pipeline_report {
  size_t struct_size;
  uint32_t pipelines;    /* distinct pipelines the session uses */
  uint32_t shaders;      /* distinct shaders among them (one shader may be specialized several ways) */
  uint32_t compiled;     /* pipelines the session's creation compiled (the others were in the context already) */
  uint32_t threads;      /* threads that compiled them (0 if none was compiled) */
  double compile_ms;     /* wall time of compiling them */
  double compile_sum_ms; /* the compiled pipelines' own times, summed (compile_ms x threads at most) */
} tare_pipeline_report;

TARE_API void tare_pipeline_report_init_sized(tare_pipeline_report* report, size_t size);
#define tare_pipeline_report_init(p) tare_pipeline_report_init_sized((p), sizeof(*(p)))
TARE_API tare_status tare_session_pipelines(const tare_session* session, tare_pipeline_report* report);

/* Per-op GPU time of the last run (profiling must be on, and the device must have timestamps).
   Op `i` (0 <= i < count) is described by name (e.g. "CONV_2D#3") and its time in milliseconds.  An operator that
   runs no kernel of its own has no entry: a RESHAPE that keeps the layout, and a MINIMUM by a constant bound that
   the convolution before it applies (equalization's RELU6 clip).  The returned string pointer stays valid until
   the session is destroyed. */
TARE_API tare_status tare_session_profile_count(const tare_session* session, uint32_t* count);
TARE_API tare_status tare_session_profile_entry(const tare_session* session, uint32_t index, const char** name,
                                                double* milliseconds);

/* Where the wall time of the last tare_session_run went, in milliseconds (host steady clock), for benchmarks: a run
   is one submission of a command buffer recorded at session creation.  The host phases are always measured (a few
   clock reads); the GPU figures need profiling and device timestamps (else 0).  All 0 before the first run. */
typedef struct tare_run_timing {
  size_t struct_size;
  double run_ms;          /* the whole run, from submission to results (the phases below and a little more) */
  double queue_wait_ms;   /* waiting for the context's queue while another thread submits */
  double submit_ms;       /* vkQueueSubmit */
  double fence_wait_ms;   /* waiting for the GPU to finish */
  double profile_read_ms; /* reading the timestamps back (profiling) */
  double gpu_span_ms;     /* the GPU's time from the command buffer's first timestamp to its last (profiling) */
  double gpu_ops_ms;      /* sum of the per-op GPU times (tare_session_profile_entry; profiling) */
} tare_run_timing;

TARE_API void tare_run_timing_init_sized(tare_run_timing* timing, size_t size);
#define tare_run_timing_init(p) tare_run_timing_init_sized((p), sizeof(*(p)))
TARE_API tare_status tare_session_run_timing(const tare_session* session, tare_run_timing* timing);

/* ---- quantization (docs/quantization.md) --------------------------------------------------------------------- */

/* Progress: stage is a fixed string ("calibrate", ...); done/total counts inputs or steps.  Return 0 to go on,
   non-zero to cancel (the call then fails with TARE_ERROR_CANCELLED and changes nothing). */
typedef int (*tare_progress_fn)(void* user_data, const char* stage, uint32_t done, uint32_t total);

/* Calibration inputs supplied by the caller: write input number `index` (0 <= index < count) of the model's single
   input, for one image (batch 1), as `size` bytes of float32 into `dst`.  Return TARE_OK, or an error to stop. */
typedef tare_status (*tare_input_fn)(void* user_data, uint32_t index, void* dst, size_t size);

typedef enum tare_weight_rounding {
  TARE_ROUND_NEAREST_AWAY = 0, /* ties away from zero (TFLite's converter) */
  TARE_ROUND_NEAREST_EVEN = 1
} tare_weight_rounding;

/* How each activation tensor's range is chosen from the calibration images (docs/quantization.md, "Activation
   ranges").  Methods other than MINMAX run the images a second time, counting every tensor's values in a histogram
   on the GPU, and may clip the rare largest values for a finer int8 step on the rest. */
typedef enum tare_range_method {
  TARE_RANGES_MINMAX = 0,     /* the observed minimum and maximum (default) */
  TARE_RANGES_PERCENTILE = 1, /* the `percentile`-th percentile of the values above 0, the (100 - it)-th below */
  TARE_RANGES_MSE = 2         /* the range whose int8 grid has the smallest squared error over the histogram */
} tare_range_method;

typedef struct tare_quantize_options {
  size_t struct_size;
  int per_channel;        /* 0 (default): INT8 per-tensor weights, the paper's scheme; 1: per channel */
  int bias_16bit;         /* 1: clamp int32 biases to 16 bits, as the paper did */
  int drop_dead_channels; /* default 1: constant channels get zero weights and their constant as bias */
  tare_weight_rounding rounding;
  tare_dtype input_type;      /* TARE_DTYPE_FLOAT32 (default), INT8 or UINT8 */
  tare_dtype output_type;     /* TARE_DTYPE_FLOAT32 (default), INT8 or UINT8 */
  uint32_t calibration_batch; /* inputs per GPU run while calibrating (default 8) */
  tare_progress_fn progress;  /* may be NULL */
  void* user_data;            /* passed to progress */
  tare_range_method ranges;   /* activation ranges (default TARE_RANGES_MINMAX) */
  double percentile;          /* TARE_RANGES_PERCENTILE: in (50, 100] (default 99.99) */
} tare_quantize_options;

typedef struct tare_quantize_report {
  size_t struct_size;
  uint32_t dead_channels;     /* channels dropped as constant */
  uint32_t quantized_weights; /* weight tensors quantized */
  uint32_t activations;       /* activation tensors given a range */
  double calibration_ms;      /* wall time of the calibration runs */
} tare_quantize_report;

TARE_API void tare_quantize_options_init_sized(tare_quantize_options* options, size_t size);
#define tare_quantize_options_init(p) tare_quantize_options_init_sized((p), sizeof(*(p)))
TARE_API void tare_quantize_report_init_sized(tare_quantize_report* report, size_t size);
#define tare_quantize_report_init(p) tare_quantize_report_init_sized((p), sizeof(*(p)))

/* Quantizes a float model on its context's GPU: the float graph runs over `count` calibration inputs (min/max of
   every activation are folded on the device), then weights, biases and activations get TFLite int8 parameters.
   *out is a new model owned by the caller (run it with tare_session_create, save it with tare_model_export_*);
   `model` is unchanged.  report may be NULL. */
TARE_API tare_status tare_quantize(tare_model* model, uint32_t count, tare_input_fn inputs, void* inputs_user_data,
                                   const tare_quantize_options* options, tare_model** out,
                                   tare_quantize_report* report);
/* As above with the inputs in one array: `count` float32 inputs of the model's per-image input size, back to
   back (count * per-image bytes in all). */
TARE_API tare_status tare_quantize_array(tare_model* model, const float* inputs, uint32_t count,
                                         const tare_quantize_options* options, tare_model** out,
                                         tare_quantize_report* report);

/* ---- bias correction and quantization-error analysis (docs/quantization.md) ------------------------------------ */

/* Iterative Bias Correction (Finkelstein et al. 2019, Algorithm 1), on the GPU: layer by layer in topological order,
   the per-channel mean of (quantized - float) output over the images is subtracted through the layer's bias (a layer
   without a bias gets one), re-quantized to the bias grid; later layers see the corrected ones.  The quantized
   network is evaluated in fake-quant float form (weights and biases dequantized, every 8-bit activation rounded to
   its grid).  Cost: about one float and two quantized forward passes of the images (one GPU batch). */
/* Which layers IBC corrects (docs/accuracy.md, "Why IBC hurts these two models"). */
typedef enum tare_ibc_heads {
  TARE_IBC_HEADS_CORRECT = 0, /* every layer (the paper; default) */
  TARE_IBC_HEADS_KEEP = 1     /* not the raw output heads: layers whose output reaches a model output through layout
                                 ops only (RESHAPE, SQUEEZE, CONCATENATION, QUANTIZE, DEQUANTIZE), such as a
                                 detector's score logits and box regressors; a head read through SOFTMAX, LOGISTIC or
                                 another layer is corrected */
} tare_ibc_heads;

typedef struct tare_ibc_options {
  size_t struct_size;
  int pre_activation;        /* 0 (default): means after the fused activation (the paper's default); 1: before it */
  int bias_16bit;            /* 1: clamp corrected biases to the int16 range */
  tare_progress_fn progress; /* stage "ibc", done/total = layers; may be NULL */
  void* user_data;           /* passed to progress */
  uint32_t batch;            /* images per GPU run; 0 (default): all at once, or as many as the device's largest
                                binding (maxStorageBufferRange) holds of the largest activation.  Fewer than count:
                                each layer's sums are added up over the batches (the same biases up to float
                                rounding; about L/2 forward passes per batch for L layers instead of 3), so that
                                more images can be used than the device holds at once */
  tare_ibc_heads heads;      /* default TARE_IBC_HEADS_CORRECT; KEEP: BlazeFace's F1 0.056 -> 0.493, basic 0.559 */
  /* The validation guard (docs/accuracy.md, "IBC's validation guard"): the last guard_images of the `count` images
     are held out of IBC; IBC's biases are kept only if, on them, the mean over the model's outputs of
     10 log10(err_basic / err_ibc) is >= 0 (err: the squared error against the float model summed over every value
     of every image; a model ending in one SOFTMAX: over its probabilities), else the basic biases are returned
     unchanged.  Costs three forward passes of the held-out images. */
  int guard;            /* default 1 (on); 0: off, IBC uses all `count` images */
  int32_t guard_images; /* default -1: count / 8, at least 4, none (guard not run) below 8 images; 0: none; else
                           that many (fewer than count) */
} tare_ibc_options;

typedef struct tare_ibc_report {
  size_t struct_size;
  uint32_t layers;            /* layers corrected */
  uint32_t images;            /* images used */
  uint32_t clamped;           /* corrected bias values clamped to the bias type's range */
  double wall_ms;             /* wall time of the correction */
  uint32_t kept;              /* raw output heads left alone (TARE_IBC_HEADS_KEEP) */
  uint32_t guard_images;      /* validation images the guard ran on (0: it did not run); `images` excludes them */
  int kept_basic;             /* 1: the guard rejected IBC's biases and *out has the basic ones */
  double guard_gain_db;       /* mean over outputs of 10 log10(err_basic / err_ibc) on the validation images */
  double guard_sqnr_basic_db; /* mean over outputs of the SQNR (dB) with the basic biases, on those images */
  double guard_sqnr_ibc_db;   /* and with IBC's */
  double guard_ms;            /* wall time of the guard (included in wall_ms) */
} tare_ibc_report;

/* The per-layer, per-channel error statistics of a quantized model against its float model. */
typedef struct tare_diagnostics_s tare_diagnostics;

TARE_API void tare_ibc_options_init_sized(tare_ibc_options* options, size_t size);
#define tare_ibc_options_init(p) tare_ibc_options_init_sized((p), sizeof(*(p)))
TARE_API void tare_ibc_report_init_sized(tare_ibc_report* report, size_t size);
#define tare_ibc_report_init(p) tare_ibc_report_init_sized((p), sizeof(*(p)))

/* Corrects the biases of `quantized` (from tare_quantize, or a loaded int8/uint8 model of the same network) against
   `float_model` on `count` images supplied as for tare_quantize (float32 inputs of the float model, batch 1 each).
   *out is a new quantized model.  report and diagnostics may be NULL; *diagnostics (release with
   tare_diagnostics_destroy) holds each layer's errors on these images before ("before") and after ("after") its
   correction.  The same models, images and options give the same biases, bit for bit.  With the guard (on by
   default; tare_ibc_options.guard) the last guard_images of the `count` images are IBC's validation images, not
   its own; when the guard rejects IBC, *out has the basic biases (report->kept_basic) and the diagnostics still
   describe IBC's correction. */
TARE_API tare_status tare_correct_bias(tare_model* float_model, tare_model* quantized, uint32_t count,
                                       tare_input_fn inputs, void* inputs_user_data, const tare_ibc_options* options,
                                       tare_model** out, tare_ibc_report* report, tare_diagnostics** diagnostics);
/* As above with the inputs in one array (count * per-image floats). */
TARE_API tare_status tare_correct_bias_array(tare_model* float_model, tare_model* quantized, const float* inputs,
                                             uint32_t count, const tare_ibc_options* options, tare_model** out,
                                             tare_ibc_report* report, tare_diagnostics** diagnostics);

typedef struct tare_analyze_options {
  size_t struct_size;
  uint32_t batch;            /* images per GPU run (default 8) */
  tare_progress_fn progress; /* stage "analyze", done/total = images measured (2 x count with `corrected`) */
  void* user_data;
} tare_analyze_options;

TARE_API void tare_analyze_options_init_sized(tare_analyze_options* options, size_t size);
#define tare_analyze_options_init(p) tare_analyze_options_init_sized((p), sizeof(*(p)))

/* Measures the errors of `quantized` against `float_model` on `count` images ("before"), and those of `corrected`
   (may be NULL; e.g. the result of tare_correct_bias) on the same images ("after"). */
TARE_API tare_status tare_analyze(tare_model* float_model, tare_model* quantized, tare_model* corrected, uint32_t count,
                                  tare_input_fn inputs, void* inputs_user_data, const tare_analyze_options* options,
                                  tare_diagnostics** out);

typedef enum tare_error_point {
  TARE_POINT_PRE_ACTIVATION = 0, /* the layer's product plus bias, before its fused activation */
  TARE_POINT_POST_ACTIVATION = 1 /* its output: after the activation and, quantized, the rounding to 8 bits */
} tare_error_point;

typedef enum tare_error_stage {
  TARE_STAGE_BEFORE = 0,     /* the quantized model as given (basic quantization) */
  TARE_STAGE_AFTER = 1,      /* after bias correction */
  TARE_STAGE_BFT = 2,        /* after bias fine-tuning (tare_diagnostics_measure) */
  TARE_STAGE_UNEQUALIZED = 3 /* the model before equalization, quantized, against its own float model */
} tare_error_stage;

typedef struct tare_layer_info {
  size_t struct_size;
  const char* name;       /* output tensor (valid until the diagnostics are destroyed) */
  const char* op;         /* "CONV_2D", "DEPTHWISE_CONV_2D" or "FULLY_CONNECTED" */
  const char* activation; /* fused activation: "NONE", "RELU", "RELU6", "RELU_N1_TO_1" */
  int32_t op_index;       /* operator index in the quantized model */
  uint32_t channels;
  int has_after;   /* 1 if the "after" stage was measured */
  uint32_t stages; /* bit (1 << stage) set for each tare_error_stage measured */
} tare_layer_info;

/* Statistics of the error e = x_quantized - x_float of one channel (tare_diagnostics_channel), or RMS over the
   channels of one layer (tare_diagnostics_summary; mean_share is then the mean over channels).  NaN where a ratio
   is undefined (a channel that is zero in the float network). */
typedef struct tare_error_stats {
  size_t struct_size;
  double mas;         /* E(e): mean activation shift (summary: RMS over channels) */
  double mssr;        /* E(e) / sqrt(E(x^2)) */
  double rqnsr;       /* sqrt(E(e^2) / E(x^2)) */
  double mean_share;  /* E(e)^2 / E(e^2) */
  double mas_abs_max; /* summary only: max over channels of |E(e)| */
  double count;       /* values per channel */
} tare_error_stats;

TARE_API tare_status tare_diagnostics_layer_count(const tare_diagnostics* d, uint32_t* count);
TARE_API tare_status tare_diagnostics_layer(const tare_diagnostics* d, uint32_t layer, tare_layer_info* info);
TARE_API tare_status tare_diagnostics_channel(const tare_diagnostics* d, uint32_t layer, uint32_t channel,
                                              tare_error_point point, tare_error_stage stage, tare_error_stats* stats);
TARE_API tare_status tare_diagnostics_summary(const tare_diagnostics* d, uint32_t layer, tare_error_point point,
                                              tare_error_stage stage, tare_error_stats* stats);
/* Measures the errors of `model` against `float_model` on `count` images (as for tare_analyze) and keeps them as
   `stage` of d (replacing an earlier measurement of that stage); the layers must be d's (same count, op and
   channels).  E.g. TARE_STAGE_BFT for the result of tare_fine_tune_bias on the images of d. */
TARE_API tare_status tare_diagnostics_measure(tare_diagnostics* d, tare_error_stage stage, tare_model* float_model,
                                              tare_model* model, uint32_t count, tare_input_fn inputs,
                                              void* inputs_user_data, const tare_analyze_options* options);
/* Adds a line to report.html's table `section` (e.g. "settings" or "accuracy"; tables in order of first use). */
TARE_API tare_status tare_diagnostics_note(tare_diagnostics* d, const char* section, const char* key,
                                           const char* value);
/* Writes errors.csv (per channel), summary.csv (per layer) and report.html (self-contained: every measured stage
   side by side per layer like the paper's Fig. 3, a per-channel view of any layer like its Fig. 2, the notes) into
   `directory` (created if missing). */
TARE_API tare_status tare_diagnostics_write(const tare_diagnostics* d, const char* directory);
TARE_API void tare_diagnostics_destroy(tare_diagnostics* d);

/* ---- bias fine-tuning and cross-layer equalization ------------------------------------------------------------- */

/* Loss of each mini-epoch of bias fine-tuning; return non-zero to cancel. */
typedef int (*tare_loss_fn)(void* user_data, uint32_t mini_epoch, uint32_t total, double loss);

/* Bias Fine-Tuning (Finkelstein et al. 2019, section 4.2) on the GPU: only the biases of the quantized model are
   trained, by distillation from the float model (cross-entropy between the teacher's softmax and the student's
   log-softmax over the logits, i.e. before a final SOFTMAX), with a straight-through estimator through every
   fake-quantized activation, Adam (beta1 0.9, beta2 0.999, eps 1e-8) and the learning-rate schedule below.  The
   forward pass, the backward pass, the bias gradients and the update are shaders. */
typedef struct tare_bft_options {
  size_t struct_size;
  uint32_t rate_count;            /* rates used (default 4, at most 8) */
  float rates[8];                 /* default 1e-3, 1e-4, 1e-5, 1e-6 (the paper) */
  uint32_t mini_epochs_per_rate;  /* default 16 (the paper) */
  uint32_t images_per_mini_epoch; /* 0 (default): every image once per mini-epoch */
  uint32_t batch;                 /* images per step (default 16), shrunk to fit memory_budget */
  uint64_t memory_budget;         /* bytes for training; 0: half the device memory available */
  int bias_16bit;                 /* clamp the final biases to the int16 range */
  uint32_t seed;                  /* image order (default 1) */
  tare_loss_fn on_loss;           /* per mini-epoch; may be NULL */
  void* user_data;
  int32_t validation_images; /* the last N images are held out of training and the biases with the lowest loss on
                                them are kept (the starting ones included, so BFT never ends worse on them);
                                -1 (default): count / 8, at least 4, none below 8 images; 0: none */
} tare_bft_options;

typedef struct tare_bft_report {
  size_t struct_size;
  uint32_t layers; /* layers whose biases were trained */
  uint32_t batch;  /* batch used */
  uint32_t mini_epochs;
  uint32_t clamped;        /* final bias values clamped */
  double initial_loss;     /* before the first update */
  double final_loss;       /* mean over the last mini-epoch */
  uint64_t training_bytes; /* device memory of the training session */
  double wall_ms;
  uint32_t validation_images;     /* held out of training */
  int32_t best_mini_epoch;        /* biases kept: after that mini-epoch (0: the starting ones; -1: no validation) */
  double initial_validation_loss; /* on the held-out images, before the first update (NaN: none held out) */
  double best_validation_loss;    /* of the biases kept (NaN: none held out) */
} tare_bft_report;

TARE_API void tare_bft_options_init_sized(tare_bft_options* options, size_t size);
#define tare_bft_options_init(p) tare_bft_options_init_sized((p), sizeof(*(p)))
TARE_API void tare_bft_report_init_sized(tare_bft_report* report, size_t size);
#define tare_bft_report_init(p) tare_bft_report_init_sized((p), sizeof(*(p)))

/* Fine-tunes the biases of `quantized` (tare_quantize's result, possibly corrected by tare_correct_bias) against
   `float_model` on `count` unlabeled images (inputs as for tare_quantize; kept in host memory while training).
   *out is a new quantized model.  The loss distills the float model's softmax when the model ends in one
   (cross-entropy), else every output itself (squared error): classifiers, detectors, masks, landmarks. */
TARE_API tare_status tare_fine_tune_bias(tare_model* float_model, tare_model* quantized, uint32_t count,
                                         tare_input_fn inputs, void* inputs_user_data, const tare_bft_options* options,
                                         tare_model** out, tare_bft_report* report);

/* Cross-layer equalization (Meller et al. 2019) of a float model, before quantization: consecutive layers joined by
   an activation that commutes with positive scaling get per-channel scales that equalize their weight ranges.
   The measured best pipeline with per-tensor weights (docs/accuracy.md) equalizes first: tare_equalize, then
   tare_quantize, tare_correct_bias and tare_fine_tune_bias with the equalized model as their float model (it
   computes the same function, RELU6 kept); `tare calibrate` does so by default (--no-equalize: not).  With
   per-channel weights it was not better on every row (worse basic, less agreement with float), so not by default. */
typedef struct tare_equalize_options {
  size_t struct_size;
  int replace_relu6;       /* default 0: a RELU6 between two layers is kept exactly (RELU + MINIMUM with a per-channel
                        constant); 1: it becomes RELU (no added op, but the float model changes: less accurate) */
  uint32_t max_iterations; /* sweeps over the network (default 500) */
} tare_equalize_options;

typedef struct tare_equalize_report {
  size_t struct_size;
  uint32_t pairs;      /* layer pairs equalized */
  uint32_t iterations; /* sweeps done */
  uint32_t relu6_replaced;
  uint32_t relu6_clipped; /* RELU6 kept as RELU + an added MINIMUM (the ops added) */
} tare_equalize_report;

TARE_API void tare_equalize_options_init_sized(tare_equalize_options* options, size_t size);
#define tare_equalize_options_init(p) tare_equalize_options_init_sized((p), sizeof(*(p)))
TARE_API void tare_equalize_report_init_sized(tare_equalize_report* report, size_t size);
#define tare_equalize_report_init(p) tare_equalize_report_init_sized((p), sizeof(*(p)))
TARE_API tare_status tare_equalize(tare_model* float_model, const tare_equalize_options* options, tare_model** out,
                                   tare_equalize_report* report);

/* Writes the model as a standard .tflite file (an int8 model for a quantized one) that TensorFlow Lite runs. */
TARE_API tare_status tare_model_export_file(const tare_model* model, const char* path);
/* The same in memory: *data is allocated by Tare and released with tare_free. */
TARE_API tare_status tare_model_export_memory(const tare_model* model, void** data, size_t* size);
TARE_API void tare_free(void* data);

/* ---- pixels: images and camera frames into an input tensor ---------------------------------------------------- */

/* Preprocessing on the CPU, Pillow-exact: the caller's pixels are rotated, cropped, resized to the tensor's H x W,
   normalized and written in the tensor's dtype.  Steps, in order:
     1. rotation: the image turned clockwise by 0/90/180/270 degrees (e.g. a camera's sensor orientation);
     2. crop of the rotated image: the box crop_x/y/width/height if crop_width > 0, else tf.image.central_crop's box
        of crop_fraction (offset = int((size - size * fraction) / 2) in double, size - 2 * offset; 1: none);
     3. resize to the tensor's W x H: Pillow's Image.resize with Image.BILINEAR (reducing_gap None) or Image.NEAREST,
        bit for bit; a dimension that keeps its size is not resampled;
     4. tensor channel c (RGB, or BGR with TARE_CHANNELS_BGR) = float((pixel - mean[c]) / std[c]) computed in
        double; for an int8/uint8 quantized tensor then round(value / scale) (half away from zero, in double) +
        zero_point, clamped, as TFLite's QUANTIZE.  A uint8 tensor that is not quantized receives the pixels as
        they are (no normalization).
   The tensor must be NHWC with 3 channels: [1, H, W, 3] or [H, W, 3], dtype FLOAT32, INT8 (quantized) or UINT8.
   The defaults of tare_image_options_init are the `tare` CLI's pipeline: no rotation, central crop 0.875, bilinear,
   RGB, mean = std = 127.5 (values in [-1, 1]).
   NV12/NV21 are YCbCr 4:2:0, BT.601 full range (JFIF, as Android camera frames): R = Y + 1.402 (Cr - 128),
   G = Y - 0.344136 (Cb - 128) - 0.714136 (Cr - 128), B = Y + 1.772 (Cb - 128), in 16-bit fixed point; odd widths and
   heights are accepted, the last chroma row / column then covering one luma row / column. */
typedef enum tare_pixel_format {
  TARE_PIXEL_RGBA8 = 0, /* 4 bytes a pixel: R, G, B, A (alpha ignored) */
  TARE_PIXEL_BGRA8 = 1, /* B, G, R, A (Android's ARGB_8888 read as bytes is RGBA; Windows/iOS BGRA) */
  TARE_PIXEL_RGB8 = 2,
  TARE_PIXEL_BGR8 = 3,
  TARE_PIXEL_GRAY8 = 4, /* replicated to R = G = B */
  TARE_PIXEL_NV21 = 5,  /* Y plane, then a plane of interleaved V, U pairs (Android camera) */
  TARE_PIXEL_NV12 = 6   /* Y plane, then interleaved U, V pairs */
} tare_pixel_format;

/* A caller's pixel buffer (read only; not kept after the call). */
typedef struct tare_pixels {
  size_t struct_size;
  tare_pixel_format format;
  int32_t width;
  int32_t height;
  const void* data; /* the first row (NV12/NV21: of the Y plane) */
  size_t stride;    /* bytes from one row to the next, >= width * bytes per pixel; 0: exactly that */
  const void* uv;   /* NV12/NV21: the chroma plane, (height + 1) / 2 rows of (width + 1) / 2 pairs; NULL: it follows
                       the Y plane at data + stride * height */
  size_t uv_stride; /* bytes between chroma rows, >= 2 * ((width + 1) / 2); 0: the Y stride */
} tare_pixels;

typedef enum tare_rotation {
  TARE_ROTATE_0 = 0,
  TARE_ROTATE_90 = 1, /* clockwise */
  TARE_ROTATE_180 = 2,
  TARE_ROTATE_270 = 3
} tare_rotation;

typedef enum tare_resize_filter {
  TARE_RESIZE_BILINEAR = 0, /* Pillow's Image.BILINEAR (an antialiasing triangle filter when shrinking) */
  TARE_RESIZE_NEAREST = 1   /* Pillow's Image.NEAREST */
} tare_resize_filter;

typedef enum tare_channel_order { TARE_CHANNELS_RGB = 0, TARE_CHANNELS_BGR = 1 } tare_channel_order;

typedef struct tare_image_options {
  size_t struct_size;
  tare_rotation rotation;
  double crop_fraction; /* (0, 1], default 0.875; used when crop_width is 0 */
  int32_t crop_x;       /* a crop box in the rotated image (crop_width and crop_height > 0), or crop_width 0 */
  int32_t crop_y;
  int32_t crop_width;
  int32_t crop_height;
  tare_resize_filter resize;
  tare_channel_order channels;
  double mean[3]; /* per tensor channel; default 127.5 */
  double std[3];  /* per tensor channel, finite and non-zero; default 127.5 */
} tare_image_options;

TARE_API void tare_pixels_init_sized(tare_pixels* pixels, size_t size);
#define tare_pixels_init(p) tare_pixels_init_sized((p), sizeof(*(p)))
TARE_API void tare_image_options_init_sized(tare_image_options* options, size_t size);
#define tare_image_options_init(p) tare_image_options_init_sized((p), sizeof(*(p)))

/* Preprocesses `pixels` into `out` (`out_size` bytes, must equal tensor->byte_size) for a tensor described by
   `tensor` (from tare_session_input_info or tare_model_input_info; only dtype, rank, shape, quantized, scale and
   zero_point are read).  options may be NULL for the defaults. */
TARE_API tare_status tare_image_preprocess(const tare_pixels* pixels, const tare_image_options* options,
                                           const tare_tensor_info* tensor, void* out, size_t out_size);
/* The same into input `index` of a session (batch 1). */
TARE_API tare_status tare_session_set_input_image(tare_session* session, uint32_t index, const tare_pixels* pixels,
                                                  const tare_image_options* options);

#ifdef __cplusplus
}
#endif

#endif /* TARE_TARE_H */
