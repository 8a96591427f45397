// Raw P/Invoke declarations of include/tare/tare.h, one for one: the same function names, the same struct names and
// field names in the same order.  tests/HeaderCheck.cs parses tare.h and fails when this file drifts from it.
//
// Conventions of this file (and the C -> C# type mapping the check enforces):
//   size_t -> UIntPtr; int/int32_t -> int; uint32_t -> uint; int64_t -> long; uint64_t -> ulong; C enums -> the
//   int-backed enums of Enums.cs; char name[N] -> fixed byte[N]; const char* in structs and return values -> IntPtr
//   (UTF-8, decoded by Utf8.Decode); const char* parameters -> NUL-terminated UTF-8 byte[] (Utf8.Encode);
//   pointers to structs and options that may be NULL -> T*; out handles -> out XxxHandle (a SafeHandle);
//   callback typedefs -> the Cdecl delegates below; callback fields of options structs -> IntPtr.
//   The init macros `#define tare_X_init(p) tare_X_init_sized((p), sizeof(*(p)))` -> static methods tare_X_init(T* p)
//   (not P/Invoke: the library exports no function of that name) calling tare_X_init_sized(p, (UIntPtr)sizeof(T)).
using System;
using System.Runtime.InteropServices;

namespace Tare
{
  internal static unsafe class Native
  {
    internal const string Lib = "tare";
    /// <summary>TARE_ABI_VERSION of the header these declarations follow.</summary>
    internal const int AbiVersion = 1;

    // ---- callbacks --------------------------------------------------------------------------------------------
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int tare_progress_fn(IntPtr user_data, IntPtr stage, uint done, uint total);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate Status tare_input_fn(IntPtr user_data, uint index, IntPtr dst, UIntPtr size);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int tare_loss_fn(IntPtr user_data, uint mini_epoch, uint total, double loss);

    // ---- structs ----------------------------------------------------------------------------------------------
    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_device_info
    {
      public UIntPtr struct_size;
      public fixed byte name[256];
      public DeviceType type;
      public uint vendor_id;
      public uint device_id;
      public uint api_version;
      public int fp16_arithmetic;
      public int fp16_storage;
      public int int8_storage;
      public int int8_arithmetic;
      public int integer_dot_product;
      public int int64;
      public uint subgroup_size;
      public uint subgroup_operations;
      public int timestamps;
      public float timestamp_period_ns;
      public uint max_workgroup_invocations;
      public uint max_shared_memory_bytes;
      public ulong max_storage_buffer_range;
      public ulong device_local_bytes;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_context_options
    {
      public UIntPtr struct_size;
      public int device_index;
      public IntPtr device_name;
      public int validation;
      public IntPtr pipeline_cache_data;
      public UIntPtr pipeline_cache_size;
      public uint fence_timeout_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_tensor_info
    {
      public UIntPtr struct_size;
      public fixed byte name[256];
      public DType dtype;
      public int rank;
      public fixed int shape[8];
      public UIntPtr byte_size;
      public int quantized;
      public float scale;
      public long zero_point;
      public int quantized_dimension;
      public int num_scales;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_op_info
    {
      public UIntPtr struct_size;
      public fixed byte type[64];
      public int source_index;
      public uint num_inputs;
      public uint num_outputs;
      public fixed int inputs[8];
      public fixed int outputs[4];
      public ulong macs;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_op_support_info
    {
      public UIntPtr struct_size;
      public fixed byte name[64];
      public int builtin_code;
      public int alt_builtin_code;
      public fixed byte alt_name[64];
      public int is_internal;
      public int has_float;
      public int has_int8;
      public int has_gradient;
      public int can_import;
      public int can_export;
      public fixed byte custom_name[64];
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_session_options
    {
      public UIntPtr struct_size;
      public Precision precision;
      public int batch;
      public int profiling;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_memory_report
    {
      public UIntPtr struct_size;
      public ulong constant_bytes;
      public ulong activation_bytes;
      public ulong unplanned_bytes;
      public ulong staging_bytes;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_run_timing
    {
      public UIntPtr struct_size;
      public double run_ms;
      public double queue_wait_ms;
      public double submit_ms;
      public double fence_wait_ms;
      public double profile_read_ms;
      public double gpu_span_ms;
      public double gpu_ops_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_pipeline_report
    {
      public UIntPtr struct_size;
      public uint pipelines;
      public uint shaders;
      public uint compiled;
      public uint threads;
      public double compile_ms;
      public double compile_sum_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_quantize_options
    {
      public UIntPtr struct_size;
      public int per_channel;
      public int bias_16bit;
      public int drop_dead_channels;
      public WeightRounding rounding;
      public DType input_type;
      public DType output_type;
      public uint calibration_batch;
      public IntPtr progress;
      public IntPtr user_data;
      public RangeMethod ranges;
      public double percentile;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_quantize_report
    {
      public UIntPtr struct_size;
      public uint dead_channels;
      public uint quantized_weights;
      public uint activations;
      public double calibration_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_ibc_options
    {
      public UIntPtr struct_size;
      public int pre_activation;
      public int bias_16bit;
      public IntPtr progress;
      public IntPtr user_data;
      public uint batch;
      public IbcHeads heads;
      public int guard;
      public int guard_images;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_ibc_report
    {
      public UIntPtr struct_size;
      public uint layers;
      public uint images;
      public uint clamped;
      public double wall_ms;
      public uint kept;
      public uint guard_images;
      public int kept_basic;
      public double guard_gain_db;
      public double guard_sqnr_basic_db;
      public double guard_sqnr_ibc_db;
      public double guard_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_analyze_options
    {
      public UIntPtr struct_size;
      public uint batch;
      public IntPtr progress;
      public IntPtr user_data;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_layer_info
    {
      public UIntPtr struct_size;
      public IntPtr name;
      public IntPtr op;
      public IntPtr activation;
      public int op_index;
      public uint channels;
      public int has_after;
      public uint stages;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_error_stats
    {
      public UIntPtr struct_size;
      public double mas;
      public double mssr;
      public double rqnsr;
      public double mean_share;
      public double mas_abs_max;
      public double count;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_bft_options
    {
      public UIntPtr struct_size;
      public uint rate_count;
      public fixed float rates[8];
      public uint mini_epochs_per_rate;
      public uint images_per_mini_epoch;
      public uint batch;
      public ulong memory_budget;
      public int bias_16bit;
      public uint seed;
      public IntPtr on_loss;
      public IntPtr user_data;
      public int validation_images;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_bft_report
    {
      public UIntPtr struct_size;
      public uint layers;
      public uint batch;
      public uint mini_epochs;
      public uint clamped;
      public double initial_loss;
      public double final_loss;
      public ulong training_bytes;
      public double wall_ms;
      public uint validation_images;
      public int best_mini_epoch;
      public double initial_validation_loss;
      public double best_validation_loss;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_equalize_options
    {
      public UIntPtr struct_size;
      public int replace_relu6;
      public uint max_iterations;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_equalize_report
    {
      public UIntPtr struct_size;
      public uint pairs;
      public uint iterations;
      public uint relu6_replaced;
      public uint relu6_clipped;
    }

    // ---- library ----------------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern IntPtr tare_version();
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern int tare_abi_version();
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern IntPtr tare_last_error();
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern IntPtr tare_status_string(Status status);

    // ---- devices and context ----------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_device_info_init_sized(tare_device_info* info, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_device_count(out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_device_get_info(uint index, tare_device_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_context_options_init_sized(tare_context_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_context_create(tare_context_options* options, out ContextHandle @out);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_context_destroy(IntPtr context);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_context_get_device_info(ContextHandle context, tare_device_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_context_pipeline_cache(ContextHandle context, out IntPtr data, out UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_context_validation_messages(ContextHandle context, out ulong count);

    // ---- models -----------------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_load_file(ContextHandle context, byte[] path, out ModelHandle @out);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_load_memory(ContextHandle context, void* data, UIntPtr size,
                                                         out ModelHandle @out);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_model_destroy(IntPtr model);

    // ---- tensors ----------------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_tensor_info_init_sized(tare_tensor_info* info, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_input_count(ModelHandle model, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_output_count(ModelHandle model, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_input_info(ModelHandle model, uint index, tare_tensor_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_output_info(ModelHandle model, uint index, tare_tensor_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_tensor_count(ModelHandle model, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_tensor_info(ModelHandle model, uint index, tare_tensor_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_op_info_init_sized(tare_op_info* info, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_op_count(ModelHandle model, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_op_info(ModelHandle model, uint index, tare_op_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_op_support_info_init_sized(tare_op_support_info* info, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_op_count(out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_op_support(uint index, tare_op_support_info* info);

    // ---- sessions ---------------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_session_options_init_sized(tare_session_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_create(ModelHandle model, tare_session_options* options,
                                                      out SessionHandle @out);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_session_destroy(IntPtr session);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_input_info(SessionHandle session, uint index, tare_tensor_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_output_info(SessionHandle session, uint index, tare_tensor_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_set_input(SessionHandle session, uint index, void* data, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_run(SessionHandle session);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_get_output(SessionHandle session, uint index, void* data, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_memory_report_init_sized(tare_memory_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_memory(SessionHandle session, tare_memory_report* report);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_pipeline_report_init_sized(tare_pipeline_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_pipelines(SessionHandle session, tare_pipeline_report* report);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_profile_count(SessionHandle session, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_profile_entry(SessionHandle session, uint index, out IntPtr name,
                                                             out double milliseconds);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_run_timing_init_sized(tare_run_timing* timing, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_run_timing(SessionHandle session, tare_run_timing* timing);

    // ---- quantization -----------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_quantize_options_init_sized(tare_quantize_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_quantize_report_init_sized(tare_quantize_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_quantize(ModelHandle model, uint count, tare_input_fn inputs,
                                                IntPtr inputs_user_data, tare_quantize_options* options,
                                                out ModelHandle @out, tare_quantize_report* report);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_quantize_array(ModelHandle model, float* inputs, uint count,
                                                      tare_quantize_options* options, out ModelHandle @out,
                                                      tare_quantize_report* report);

    // ---- bias correction and analysis -------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_ibc_options_init_sized(tare_ibc_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_ibc_report_init_sized(tare_ibc_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_correct_bias(ModelHandle float_model, ModelHandle quantized, uint count,
                                                    tare_input_fn inputs, IntPtr inputs_user_data,
                                                    tare_ibc_options* options, out ModelHandle @out,
                                                    tare_ibc_report* report, IntPtr* diagnostics);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_correct_bias_array(ModelHandle float_model, ModelHandle quantized,
                                                          float* inputs, uint count, tare_ibc_options* options,
                                                          out ModelHandle @out, tare_ibc_report* report,
                                                          IntPtr* diagnostics);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_analyze_options_init_sized(tare_analyze_options* options, UIntPtr size);
    // `corrected` may be NULL, hence IntPtr (the caller keeps the handle alive with DangerousAddRef).
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_analyze(ModelHandle float_model, ModelHandle quantized, IntPtr corrected,
                                               uint count, tare_input_fn inputs, IntPtr inputs_user_data,
                                               tare_analyze_options* options, out DiagnosticsHandle @out);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_layer_count(DiagnosticsHandle d, out uint count);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_layer(DiagnosticsHandle d, uint layer, tare_layer_info* info);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_channel(DiagnosticsHandle d, uint layer, uint channel,
                                                           ErrorPoint point, ErrorStage stage,
                                                           tare_error_stats* stats);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_summary(DiagnosticsHandle d, uint layer, ErrorPoint point,
                                                           ErrorStage stage, tare_error_stats* stats);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_measure(DiagnosticsHandle d, ErrorStage stage, ModelHandle float_model,
                                                           ModelHandle model, uint count, tare_input_fn inputs,
                                                           IntPtr inputs_user_data, tare_analyze_options* options);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_note(DiagnosticsHandle d, byte[] section, byte[] key, byte[] value);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_diagnostics_write(DiagnosticsHandle d, byte[] directory);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_diagnostics_destroy(IntPtr d);

    // ---- bias fine-tuning and equalization --------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_bft_options_init_sized(tare_bft_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_bft_report_init_sized(tare_bft_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_fine_tune_bias(ModelHandle float_model, ModelHandle quantized, uint count,
                                                      tare_input_fn inputs, IntPtr inputs_user_data,
                                                      tare_bft_options* options, out ModelHandle @out,
                                                      tare_bft_report* report);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_equalize_options_init_sized(tare_equalize_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_equalize_report_init_sized(tare_equalize_report* report, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_equalize(ModelHandle float_model, tare_equalize_options* options,
                                                out ModelHandle @out, tare_equalize_report* report);

    // ---- export -----------------------------------------------------------------------------------------------
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_export_file(ModelHandle model, byte[] path);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_model_export_memory(ModelHandle model, out IntPtr data, out UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_free(IntPtr data);

    // ---- pixels (tare_pixels, tare_image_options and their functions) --------------------------------------
    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_pixels
    {
      public UIntPtr struct_size;
      public PixelFormat format;
      public int width;
      public int height;
      public void* data;
      public UIntPtr stride;
      public void* uv;
      public UIntPtr uv_stride;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct tare_image_options
    {
      public UIntPtr struct_size;
      public Rotation rotation;
      public double crop_fraction;
      public int crop_x;
      public int crop_y;
      public int crop_width;
      public int crop_height;
      public ResizeFilter resize;
      public ChannelOrder channels;
      public fixed double mean[3];
      public fixed double std[3];
    }

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_pixels_init_sized(tare_pixels* pixels, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_image_options_init_sized(tare_image_options* options, UIntPtr size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_image_preprocess(tare_pixels* pixels, tare_image_options* options,
                                                        tare_tensor_info* tensor, void* @out, UIntPtr out_size);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_session_set_input_image(SessionHandle session, uint index, tare_pixels* pixels,
                                                               tare_image_options* options);

    // ---- tare.h's init macros: `#define tare_X_init(p) tare_X_init_sized((p), sizeof(*(p)))` ----------------------
    // The same with the C# struct's size (equal to C's: see tests/HeaderCheck.cs).  The library writes no more than
    // that, so a newer library with longer structs cannot write past these.
    internal static void tare_device_info_init(tare_device_info* info) =>
      tare_device_info_init_sized(info, (UIntPtr)sizeof(tare_device_info));
    internal static void tare_context_options_init(tare_context_options* options) =>
      tare_context_options_init_sized(options, (UIntPtr)sizeof(tare_context_options));
    internal static void tare_tensor_info_init(tare_tensor_info* info) =>
      tare_tensor_info_init_sized(info, (UIntPtr)sizeof(tare_tensor_info));
    internal static void tare_op_info_init(tare_op_info* info) =>
      tare_op_info_init_sized(info, (UIntPtr)sizeof(tare_op_info));
    internal static void tare_op_support_info_init(tare_op_support_info* info) =>
      tare_op_support_info_init_sized(info, (UIntPtr)sizeof(tare_op_support_info));
    internal static void tare_session_options_init(tare_session_options* options) =>
      tare_session_options_init_sized(options, (UIntPtr)sizeof(tare_session_options));
    internal static void tare_memory_report_init(tare_memory_report* report) =>
      tare_memory_report_init_sized(report, (UIntPtr)sizeof(tare_memory_report));
    internal static void tare_run_timing_init(tare_run_timing* timing) =>
      tare_run_timing_init_sized(timing, (UIntPtr)sizeof(tare_run_timing));
    internal static void tare_pipeline_report_init(tare_pipeline_report* report) =>
      tare_pipeline_report_init_sized(report, (UIntPtr)sizeof(tare_pipeline_report));
    internal static void tare_quantize_options_init(tare_quantize_options* options) =>
      tare_quantize_options_init_sized(options, (UIntPtr)sizeof(tare_quantize_options));
    internal static void tare_quantize_report_init(tare_quantize_report* report) =>
      tare_quantize_report_init_sized(report, (UIntPtr)sizeof(tare_quantize_report));
    internal static void tare_ibc_options_init(tare_ibc_options* options) =>
      tare_ibc_options_init_sized(options, (UIntPtr)sizeof(tare_ibc_options));
    internal static void tare_ibc_report_init(tare_ibc_report* report) =>
      tare_ibc_report_init_sized(report, (UIntPtr)sizeof(tare_ibc_report));
    internal static void tare_analyze_options_init(tare_analyze_options* options) =>
      tare_analyze_options_init_sized(options, (UIntPtr)sizeof(tare_analyze_options));
    internal static void tare_bft_options_init(tare_bft_options* options) =>
      tare_bft_options_init_sized(options, (UIntPtr)sizeof(tare_bft_options));
    internal static void tare_bft_report_init(tare_bft_report* report) =>
      tare_bft_report_init_sized(report, (UIntPtr)sizeof(tare_bft_report));
    internal static void tare_equalize_options_init(tare_equalize_options* options) =>
      tare_equalize_options_init_sized(options, (UIntPtr)sizeof(tare_equalize_options));
    internal static void tare_equalize_report_init(tare_equalize_report* report) =>
      tare_equalize_report_init_sized(report, (UIntPtr)sizeof(tare_equalize_report));
    internal static void tare_pixels_init(tare_pixels* pixels) =>
      tare_pixels_init_sized(pixels, (UIntPtr)sizeof(tare_pixels));
    internal static void tare_image_options_init(tare_image_options* options) =>
      tare_image_options_init_sized(options, (UIntPtr)sizeof(tare_image_options));
  }
}
