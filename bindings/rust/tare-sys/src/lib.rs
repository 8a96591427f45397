//! Raw declarations of Tare's C API, `include/tare/tare.h` (ABI version 1), written by hand (no bindgen).
//!
//! Everything here mirrors the header one to one: the same function names, parameter names and types, the same
//! structs (`#[repr(C)]`, same field order and types; a field named `type` in C is `type_` here), the same
//! constants.  C enums are plain `c_int` type aliases with one constant per enumerator, because the header says the
//! set of values is open (a library of a later minor version may return a value this crate does not know, which
//! would be undefined behaviour in a Rust `enum`).  Callback typedefs are `Option<unsafe extern "C" fn ...>` so that
//! NULL is `None`.
//!
//! tare.h's function-like macros `tare_X_init(p)`, which expand to `tare_X_init_sized((p), sizeof(*(p)))`, are
//! `unsafe fn tare_X_init(p)` here, passing `size_of` of the Rust struct.
//!
//! The test `tests/header_drift.rs` parses `tare.h` and fails when this file and the header disagree.
//!
//! Linking: the build script links `libtare` from the directory in the environment variable `TARE_LIB_DIR` (the
//! CMake build directory or an install's `lib/`), else from the linker's default paths.  Use the `tare` crate for a
//! safe API.
#![no_std]
#![allow(non_camel_case_types, non_upper_case_globals)]

pub use core::ffi::{c_char, c_int, c_void};

/// libtare_image (include/tare/tare_image.h), with the `image` feature.
#[cfg(feature = "image")]
pub mod tare_image;

pub const TARE_ABI_VERSION: c_int = 1;
pub const TARE_VERSION_MAJOR: c_int = 0;
pub const TARE_VERSION_MINOR: c_int = 1;
pub const TARE_VERSION_PATCH: c_int = 0;
pub const TARE_MAX_RANK: usize = 8;
pub const TARE_OP_MAX_INPUTS: usize = 8;
pub const TARE_OP_MAX_OUTPUTS: usize = 4;

// ---- enums ----------------------------------------------------------------------------------------------------

pub type tare_status = c_int;
pub const TARE_OK: tare_status = 0;
pub const TARE_ERROR_INVALID_ARGUMENT: tare_status = 1;
pub const TARE_ERROR_INVALID_MODEL: tare_status = 2;
pub const TARE_ERROR_UNSUPPORTED: tare_status = 3;
pub const TARE_ERROR_NO_VULKAN: tare_status = 4;
pub const TARE_ERROR_DEVICE: tare_status = 5;
pub const TARE_ERROR_OUT_OF_MEMORY: tare_status = 6;
pub const TARE_ERROR_IO: tare_status = 7;
pub const TARE_ERROR_CANCELLED: tare_status = 8;
pub const TARE_ERROR_INTERNAL: tare_status = 9;
pub const TARE_ERROR_TIMEOUT: tare_status = 10;
pub const TARE_ERROR_DEVICE_LOST: tare_status = 11;

pub type tare_dtype = c_int;
pub const TARE_DTYPE_FLOAT32: tare_dtype = 0;
pub const TARE_DTYPE_FLOAT16: tare_dtype = 1;
pub const TARE_DTYPE_INT32: tare_dtype = 2;
pub const TARE_DTYPE_UINT8: tare_dtype = 3;
pub const TARE_DTYPE_INT8: tare_dtype = 4;
pub const TARE_DTYPE_INT64: tare_dtype = 5;
pub const TARE_DTYPE_INT16: tare_dtype = 6;
pub const TARE_DTYPE_BOOL: tare_dtype = 7;

pub type tare_precision = c_int;
pub const TARE_PRECISION_FP32: tare_precision = 0;
pub const TARE_PRECISION_FP16: tare_precision = 1;

pub type tare_device_type = c_int;
pub const TARE_DEVICE_OTHER: tare_device_type = 0;
pub const TARE_DEVICE_INTEGRATED_GPU: tare_device_type = 1;
pub const TARE_DEVICE_DISCRETE_GPU: tare_device_type = 2;
pub const TARE_DEVICE_VIRTUAL_GPU: tare_device_type = 3;
pub const TARE_DEVICE_CPU: tare_device_type = 4;

pub type tare_weight_rounding = c_int;
pub const TARE_ROUND_NEAREST_AWAY: tare_weight_rounding = 0;
pub const TARE_ROUND_NEAREST_EVEN: tare_weight_rounding = 1;

pub type tare_range_method = c_int;
pub const TARE_RANGES_MINMAX: tare_range_method = 0;
pub const TARE_RANGES_PERCENTILE: tare_range_method = 1;
pub const TARE_RANGES_MSE: tare_range_method = 2;
pub type tare_ibc_heads = c_int;
pub const TARE_IBC_HEADS_CORRECT: tare_ibc_heads = 0;
pub const TARE_IBC_HEADS_KEEP: tare_ibc_heads = 1;

pub type tare_error_point = c_int;
pub const TARE_POINT_PRE_ACTIVATION: tare_error_point = 0;
pub const TARE_POINT_POST_ACTIVATION: tare_error_point = 1;

pub type tare_error_stage = c_int;
pub const TARE_STAGE_BEFORE: tare_error_stage = 0;
pub const TARE_STAGE_AFTER: tare_error_stage = 1;
pub const TARE_STAGE_BFT: tare_error_stage = 2;
pub const TARE_STAGE_UNEQUALIZED: tare_error_stage = 3;

// ---- opaque handles -------------------------------------------------------------------------------------------

/// Opaque; only ever behind a pointer.
#[repr(C)]
pub struct tare_context {
  _private: [u8; 0],
  _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}
/// Opaque; only ever behind a pointer.
#[repr(C)]
pub struct tare_model {
  _private: [u8; 0],
  _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}
/// Opaque; only ever behind a pointer.
#[repr(C)]
pub struct tare_session {
  _private: [u8; 0],
  _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}
/// Opaque; only ever behind a pointer.
#[repr(C)]
pub struct tare_diagnostics {
  _private: [u8; 0],
  _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

// ---- callbacks ------------------------------------------------------------------------------------------------

pub type tare_progress_fn =
  Option<unsafe extern "C" fn(user_data: *mut c_void, stage: *const c_char, done: u32, total: u32) -> c_int>;
pub type tare_input_fn =
  Option<unsafe extern "C" fn(user_data: *mut c_void, index: u32, dst: *mut c_void, size: usize) -> tare_status>;
pub type tare_loss_fn =
  Option<unsafe extern "C" fn(user_data: *mut c_void, mini_epoch: u32, total: u32, loss: f64) -> c_int>;

// ---- structs --------------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_device_info {
  pub struct_size: usize,
  pub name: [c_char; 256],
  pub type_: tare_device_type,
  pub vendor_id: u32,
  pub device_id: u32,
  pub api_version: u32,
  pub fp16_arithmetic: c_int,
  pub fp16_storage: c_int,
  pub int8_storage: c_int,
  pub int8_arithmetic: c_int,
  pub integer_dot_product: c_int,
  pub int64: c_int,
  pub subgroup_size: u32,
  pub subgroup_operations: u32,
  pub timestamps: c_int,
  pub timestamp_period_ns: f32,
  pub max_workgroup_invocations: u32,
  pub max_shared_memory_bytes: u32,
  pub max_storage_buffer_range: u64,
  pub device_local_bytes: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_context_options {
  pub struct_size: usize,
  pub device_index: c_int,
  pub device_name: *const c_char,
  pub validation: c_int,
  pub pipeline_cache_data: *const c_void,
  pub pipeline_cache_size: usize,
  pub fence_timeout_ms: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_tensor_info {
  pub struct_size: usize,
  pub name: [c_char; 256],
  pub dtype: tare_dtype,
  pub rank: i32,
  pub shape: [i32; TARE_MAX_RANK],
  pub byte_size: usize,
  pub quantized: c_int,
  pub scale: f32,
  pub zero_point: i64,
  pub quantized_dimension: i32,
  pub num_scales: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_op_info {
  pub struct_size: usize,
  pub type_: [c_char; 64],
  pub source_index: i32,
  pub num_inputs: u32,
  pub num_outputs: u32,
  pub inputs: [i32; TARE_OP_MAX_INPUTS],
  pub outputs: [i32; TARE_OP_MAX_OUTPUTS],
  pub macs: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_op_support_info {
  pub struct_size: usize,
  pub name: [c_char; 64],
  pub builtin_code: i32,
  pub alt_builtin_code: i32,
  pub alt_name: [c_char; 64],
  pub is_internal: c_int,
  pub has_float: c_int,
  pub has_int8: c_int,
  pub has_gradient: c_int,
  pub can_import: c_int,
  pub can_export: c_int,
  pub custom_name: [c_char; 64],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_session_options {
  pub struct_size: usize,
  pub precision: tare_precision,
  pub batch: c_int,
  pub profiling: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_memory_report {
  pub struct_size: usize,
  pub constant_bytes: u64,
  pub activation_bytes: u64,
  pub unplanned_bytes: u64,
  pub staging_bytes: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_run_timing {
  pub struct_size: usize,
  pub run_ms: f64,
  pub queue_wait_ms: f64,
  pub submit_ms: f64,
  pub fence_wait_ms: f64,
  pub profile_read_ms: f64,
  pub gpu_span_ms: f64,
  pub gpu_ops_ms: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_pipeline_report {
  pub struct_size: usize,
  pub pipelines: u32,
  pub shaders: u32,
  pub compiled: u32,
  pub threads: u32,
  pub compile_ms: f64,
  pub compile_sum_ms: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_quantize_options {
  pub struct_size: usize,
  pub per_channel: c_int,
  pub bias_16bit: c_int,
  pub drop_dead_channels: c_int,
  pub rounding: tare_weight_rounding,
  pub input_type: tare_dtype,
  pub output_type: tare_dtype,
  pub calibration_batch: u32,
  pub progress: tare_progress_fn,
  pub user_data: *mut c_void,
  pub ranges: tare_range_method,
  pub percentile: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_quantize_report {
  pub struct_size: usize,
  pub dead_channels: u32,
  pub quantized_weights: u32,
  pub activations: u32,
  pub calibration_ms: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_ibc_options {
  pub struct_size: usize,
  pub pre_activation: c_int,
  pub bias_16bit: c_int,
  pub progress: tare_progress_fn,
  pub user_data: *mut c_void,
  pub batch: u32,
  pub heads: tare_ibc_heads,
  pub guard: c_int,
  pub guard_images: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_ibc_report {
  pub struct_size: usize,
  pub layers: u32,
  pub images: u32,
  pub clamped: u32,
  pub wall_ms: f64,
  pub kept: u32,
  pub guard_images: u32,
  pub kept_basic: c_int,
  pub guard_gain_db: f64,
  pub guard_sqnr_basic_db: f64,
  pub guard_sqnr_ibc_db: f64,
  pub guard_ms: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_analyze_options {
  pub struct_size: usize,
  pub batch: u32,
  pub progress: tare_progress_fn,
  pub user_data: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_layer_info {
  pub struct_size: usize,
  pub name: *const c_char,
  pub op: *const c_char,
  pub activation: *const c_char,
  pub op_index: i32,
  pub channels: u32,
  pub has_after: c_int,
  pub stages: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_error_stats {
  pub struct_size: usize,
  pub mas: f64,
  pub mssr: f64,
  pub rqnsr: f64,
  pub mean_share: f64,
  pub mas_abs_max: f64,
  pub count: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_bft_options {
  pub struct_size: usize,
  pub rate_count: u32,
  pub rates: [f32; 8],
  pub mini_epochs_per_rate: u32,
  pub images_per_mini_epoch: u32,
  pub batch: u32,
  pub memory_budget: u64,
  pub bias_16bit: c_int,
  pub seed: u32,
  pub on_loss: tare_loss_fn,
  pub user_data: *mut c_void,
  pub validation_images: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_bft_report {
  pub struct_size: usize,
  pub layers: u32,
  pub batch: u32,
  pub mini_epochs: u32,
  pub clamped: u32,
  pub initial_loss: f64,
  pub final_loss: f64,
  pub training_bytes: u64,
  pub wall_ms: f64,
  pub validation_images: u32,
  pub best_mini_epoch: i32,
  pub initial_validation_loss: f64,
  pub best_validation_loss: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_equalize_options {
  pub struct_size: usize,
  pub replace_relu6: c_int,
  pub max_iterations: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_equalize_report {
  pub struct_size: usize,
  pub pairs: u32,
  pub iterations: u32,
  pub relu6_replaced: u32,
  pub relu6_clipped: u32,
}

// ---- functions ------------------------------------------------------------------------------------------------

extern "C" {
  // library
  pub fn tare_version() -> *const c_char;
  pub fn tare_abi_version() -> c_int;
  pub fn tare_last_error() -> *const c_char;
  pub fn tare_status_string(status: tare_status) -> *const c_char;

  // devices and context
  pub fn tare_device_info_init_sized(info: *mut tare_device_info, size: usize);
  pub fn tare_device_count(count: *mut u32) -> tare_status;
  pub fn tare_device_get_info(index: u32, info: *mut tare_device_info) -> tare_status;
  pub fn tare_context_options_init_sized(options: *mut tare_context_options, size: usize);
  pub fn tare_context_create(options: *const tare_context_options, out: *mut *mut tare_context) -> tare_status;
  pub fn tare_context_destroy(context: *mut tare_context);
  pub fn tare_context_get_device_info(context: *const tare_context, info: *mut tare_device_info) -> tare_status;
  pub fn tare_context_pipeline_cache(
    context: *const tare_context,
    data: *mut *mut c_void,
    size: *mut usize,
  ) -> tare_status;
  pub fn tare_context_validation_messages(context: *const tare_context, count: *mut u64) -> tare_status;

  // models
  pub fn tare_model_load_file(
    context: *mut tare_context,
    path: *const c_char,
    out: *mut *mut tare_model,
  ) -> tare_status;
  pub fn tare_model_load_memory(
    context: *mut tare_context,
    data: *const c_void,
    size: usize,
    out: *mut *mut tare_model,
  ) -> tare_status;
  pub fn tare_model_destroy(model: *mut tare_model);

  // tensors
  pub fn tare_tensor_info_init_sized(info: *mut tare_tensor_info, size: usize);
  pub fn tare_model_input_count(model: *const tare_model, count: *mut u32) -> tare_status;
  pub fn tare_model_output_count(model: *const tare_model, count: *mut u32) -> tare_status;
  pub fn tare_model_input_info(model: *const tare_model, index: u32, info: *mut tare_tensor_info) -> tare_status;
  pub fn tare_model_output_info(model: *const tare_model, index: u32, info: *mut tare_tensor_info) -> tare_status;
  pub fn tare_model_tensor_count(model: *const tare_model, count: *mut u32) -> tare_status;
  pub fn tare_model_tensor_info(model: *const tare_model, index: u32, info: *mut tare_tensor_info) -> tare_status;
  pub fn tare_op_info_init_sized(info: *mut tare_op_info, size: usize);
  pub fn tare_model_op_count(model: *const tare_model, count: *mut u32) -> tare_status;
  pub fn tare_model_op_info(model: *const tare_model, index: u32, info: *mut tare_op_info) -> tare_status;
  pub fn tare_op_support_info_init_sized(info: *mut tare_op_support_info, size: usize);
  pub fn tare_op_count(count: *mut u32) -> tare_status;
  pub fn tare_op_support(index: u32, info: *mut tare_op_support_info) -> tare_status;

  // sessions
  pub fn tare_session_options_init_sized(options: *mut tare_session_options, size: usize);
  pub fn tare_session_create(
    model: *mut tare_model,
    options: *const tare_session_options,
    out: *mut *mut tare_session,
  ) -> tare_status;
  pub fn tare_session_destroy(session: *mut tare_session);
  pub fn tare_session_input_info(session: *const tare_session, index: u32, info: *mut tare_tensor_info) -> tare_status;
  pub fn tare_session_output_info(session: *const tare_session, index: u32, info: *mut tare_tensor_info)
    -> tare_status;
  pub fn tare_session_set_input(
    session: *mut tare_session,
    index: u32,
    data: *const c_void,
    size: usize,
  ) -> tare_status;
  pub fn tare_session_run(session: *mut tare_session) -> tare_status;
  pub fn tare_session_get_output(session: *mut tare_session, index: u32, data: *mut c_void, size: usize)
    -> tare_status;
  pub fn tare_memory_report_init_sized(report: *mut tare_memory_report, size: usize);
  pub fn tare_session_memory(session: *const tare_session, report: *mut tare_memory_report) -> tare_status;
  pub fn tare_pipeline_report_init_sized(report: *mut tare_pipeline_report, size: usize);
  pub fn tare_session_pipelines(session: *const tare_session, report: *mut tare_pipeline_report) -> tare_status;
  pub fn tare_session_profile_count(session: *const tare_session, count: *mut u32) -> tare_status;
  pub fn tare_session_profile_entry(
    session: *const tare_session,
    index: u32,
    name: *mut *const c_char,
    milliseconds: *mut f64,
  ) -> tare_status;
  pub fn tare_run_timing_init_sized(timing: *mut tare_run_timing, size: usize);
  pub fn tare_session_run_timing(session: *const tare_session, timing: *mut tare_run_timing) -> tare_status;

  // quantization
  pub fn tare_quantize_options_init_sized(options: *mut tare_quantize_options, size: usize);
  pub fn tare_quantize_report_init_sized(report: *mut tare_quantize_report, size: usize);
  pub fn tare_quantize(
    model: *mut tare_model,
    count: u32,
    inputs: tare_input_fn,
    inputs_user_data: *mut c_void,
    options: *const tare_quantize_options,
    out: *mut *mut tare_model,
    report: *mut tare_quantize_report,
  ) -> tare_status;
  pub fn tare_quantize_array(
    model: *mut tare_model,
    inputs: *const f32,
    count: u32,
    options: *const tare_quantize_options,
    out: *mut *mut tare_model,
    report: *mut tare_quantize_report,
  ) -> tare_status;

  // bias correction and error analysis
  pub fn tare_ibc_options_init_sized(options: *mut tare_ibc_options, size: usize);
  pub fn tare_ibc_report_init_sized(report: *mut tare_ibc_report, size: usize);
  pub fn tare_correct_bias(
    float_model: *mut tare_model,
    quantized: *mut tare_model,
    count: u32,
    inputs: tare_input_fn,
    inputs_user_data: *mut c_void,
    options: *const tare_ibc_options,
    out: *mut *mut tare_model,
    report: *mut tare_ibc_report,
    diagnostics: *mut *mut tare_diagnostics,
  ) -> tare_status;
  pub fn tare_correct_bias_array(
    float_model: *mut tare_model,
    quantized: *mut tare_model,
    inputs: *const f32,
    count: u32,
    options: *const tare_ibc_options,
    out: *mut *mut tare_model,
    report: *mut tare_ibc_report,
    diagnostics: *mut *mut tare_diagnostics,
  ) -> tare_status;
  pub fn tare_analyze_options_init_sized(options: *mut tare_analyze_options, size: usize);
  pub fn tare_analyze(
    float_model: *mut tare_model,
    quantized: *mut tare_model,
    corrected: *mut tare_model,
    count: u32,
    inputs: tare_input_fn,
    inputs_user_data: *mut c_void,
    options: *const tare_analyze_options,
    out: *mut *mut tare_diagnostics,
  ) -> tare_status;
  pub fn tare_diagnostics_layer_count(d: *const tare_diagnostics, count: *mut u32) -> tare_status;
  pub fn tare_diagnostics_layer(d: *const tare_diagnostics, layer: u32, info: *mut tare_layer_info) -> tare_status;
  pub fn tare_diagnostics_channel(
    d: *const tare_diagnostics,
    layer: u32,
    channel: u32,
    point: tare_error_point,
    stage: tare_error_stage,
    stats: *mut tare_error_stats,
  ) -> tare_status;
  pub fn tare_diagnostics_summary(
    d: *const tare_diagnostics,
    layer: u32,
    point: tare_error_point,
    stage: tare_error_stage,
    stats: *mut tare_error_stats,
  ) -> tare_status;
  pub fn tare_diagnostics_measure(
    d: *mut tare_diagnostics,
    stage: tare_error_stage,
    float_model: *mut tare_model,
    model: *mut tare_model,
    count: u32,
    inputs: tare_input_fn,
    inputs_user_data: *mut c_void,
    options: *const tare_analyze_options,
  ) -> tare_status;
  pub fn tare_diagnostics_note(
    d: *mut tare_diagnostics,
    section: *const c_char,
    key: *const c_char,
    value: *const c_char,
  ) -> tare_status;
  pub fn tare_diagnostics_write(d: *const tare_diagnostics, directory: *const c_char) -> tare_status;
  pub fn tare_diagnostics_destroy(d: *mut tare_diagnostics);

  // bias fine-tuning and cross-layer equalization
  pub fn tare_bft_options_init_sized(options: *mut tare_bft_options, size: usize);
  pub fn tare_bft_report_init_sized(report: *mut tare_bft_report, size: usize);
  pub fn tare_fine_tune_bias(
    float_model: *mut tare_model,
    quantized: *mut tare_model,
    count: u32,
    inputs: tare_input_fn,
    inputs_user_data: *mut c_void,
    options: *const tare_bft_options,
    out: *mut *mut tare_model,
    report: *mut tare_bft_report,
  ) -> tare_status;
  pub fn tare_equalize_options_init_sized(options: *mut tare_equalize_options, size: usize);
  pub fn tare_equalize_report_init_sized(report: *mut tare_equalize_report, size: usize);
  pub fn tare_equalize(
    float_model: *mut tare_model,
    options: *const tare_equalize_options,
    out: *mut *mut tare_model,
    report: *mut tare_equalize_report,
  ) -> tare_status;

  // export
  pub fn tare_model_export_file(model: *const tare_model, path: *const c_char) -> tare_status;
  pub fn tare_model_export_memory(model: *const tare_model, data: *mut *mut c_void, size: *mut usize) -> tare_status;
  pub fn tare_free(data: *mut c_void);
}

// ---- the header's init macros ---------------------------------------------------------------------------------

// tare.h defines each `tare_X_init(p)` as the macro `tare_X_init_sized((p), sizeof(*(p)))`; these functions are the
// same with this crate's size of the struct (equal to C's: see tests/header_drift.rs).  The library writes no more
// than that size, so a library newer than this crate, with longer structs, cannot write past a Rust value.

/// The `tare_device_info_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `info` must be NULL or point to a writable `tare_device_info`.
#[inline]
pub unsafe fn tare_device_info_init(info: *mut tare_device_info) {
  tare_device_info_init_sized(info, core::mem::size_of::<tare_device_info>())
}

/// The `tare_context_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_context_options`.
#[inline]
pub unsafe fn tare_context_options_init(options: *mut tare_context_options) {
  tare_context_options_init_sized(options, core::mem::size_of::<tare_context_options>())
}

/// The `tare_tensor_info_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `info` must be NULL or point to a writable `tare_tensor_info`.
#[inline]
pub unsafe fn tare_tensor_info_init(info: *mut tare_tensor_info) {
  tare_tensor_info_init_sized(info, core::mem::size_of::<tare_tensor_info>())
}

/// The `tare_op_info_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `info` must be NULL or point to a writable `tare_op_info`.
#[inline]
pub unsafe fn tare_op_info_init(info: *mut tare_op_info) {
  tare_op_info_init_sized(info, core::mem::size_of::<tare_op_info>())
}

/// The `tare_op_support_info_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `info` must be NULL or point to a writable `tare_op_support_info`.
#[inline]
pub unsafe fn tare_op_support_info_init(info: *mut tare_op_support_info) {
  tare_op_support_info_init_sized(info, core::mem::size_of::<tare_op_support_info>())
}

/// The `tare_session_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_session_options`.
#[inline]
pub unsafe fn tare_session_options_init(options: *mut tare_session_options) {
  tare_session_options_init_sized(options, core::mem::size_of::<tare_session_options>())
}

/// The `tare_memory_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_memory_report`.
#[inline]
pub unsafe fn tare_memory_report_init(report: *mut tare_memory_report) {
  tare_memory_report_init_sized(report, core::mem::size_of::<tare_memory_report>())
}

/// The `tare_run_timing_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `timing` must be NULL or point to a writable `tare_run_timing`.
#[inline]
pub unsafe fn tare_run_timing_init(timing: *mut tare_run_timing) {
  tare_run_timing_init_sized(timing, core::mem::size_of::<tare_run_timing>())
}

/// The `tare_pipeline_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_pipeline_report`.
#[inline]
pub unsafe fn tare_pipeline_report_init(report: *mut tare_pipeline_report) {
  tare_pipeline_report_init_sized(report, core::mem::size_of::<tare_pipeline_report>())
}

/// The `tare_quantize_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_quantize_options`.
#[inline]
pub unsafe fn tare_quantize_options_init(options: *mut tare_quantize_options) {
  tare_quantize_options_init_sized(options, core::mem::size_of::<tare_quantize_options>())
}

/// The `tare_quantize_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_quantize_report`.
#[inline]
pub unsafe fn tare_quantize_report_init(report: *mut tare_quantize_report) {
  tare_quantize_report_init_sized(report, core::mem::size_of::<tare_quantize_report>())
}

/// The `tare_ibc_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_ibc_options`.
#[inline]
pub unsafe fn tare_ibc_options_init(options: *mut tare_ibc_options) {
  tare_ibc_options_init_sized(options, core::mem::size_of::<tare_ibc_options>())
}

/// The `tare_ibc_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_ibc_report`.
#[inline]
pub unsafe fn tare_ibc_report_init(report: *mut tare_ibc_report) {
  tare_ibc_report_init_sized(report, core::mem::size_of::<tare_ibc_report>())
}

/// The `tare_analyze_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_analyze_options`.
#[inline]
pub unsafe fn tare_analyze_options_init(options: *mut tare_analyze_options) {
  tare_analyze_options_init_sized(options, core::mem::size_of::<tare_analyze_options>())
}

/// The `tare_bft_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_bft_options`.
#[inline]
pub unsafe fn tare_bft_options_init(options: *mut tare_bft_options) {
  tare_bft_options_init_sized(options, core::mem::size_of::<tare_bft_options>())
}

/// The `tare_bft_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_bft_report`.
#[inline]
pub unsafe fn tare_bft_report_init(report: *mut tare_bft_report) {
  tare_bft_report_init_sized(report, core::mem::size_of::<tare_bft_report>())
}

/// The `tare_equalize_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_equalize_options`.
#[inline]
pub unsafe fn tare_equalize_options_init(options: *mut tare_equalize_options) {
  tare_equalize_options_init_sized(options, core::mem::size_of::<tare_equalize_options>())
}

/// The `tare_equalize_report_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `report` must be NULL or point to a writable `tare_equalize_report`.
#[inline]
pub unsafe fn tare_equalize_report_init(report: *mut tare_equalize_report) {
  tare_equalize_report_init_sized(report, core::mem::size_of::<tare_equalize_report>())
}

// ---- pixels: images and camera frames into an input tensor ------------------------------------------------------

pub type tare_pixel_format = c_int;
pub const TARE_PIXEL_RGBA8: tare_pixel_format = 0;
pub const TARE_PIXEL_BGRA8: tare_pixel_format = 1;
pub const TARE_PIXEL_RGB8: tare_pixel_format = 2;
pub const TARE_PIXEL_BGR8: tare_pixel_format = 3;
pub const TARE_PIXEL_GRAY8: tare_pixel_format = 4;
pub const TARE_PIXEL_NV21: tare_pixel_format = 5;
pub const TARE_PIXEL_NV12: tare_pixel_format = 6;

pub type tare_rotation = c_int;
pub const TARE_ROTATE_0: tare_rotation = 0;
pub const TARE_ROTATE_90: tare_rotation = 1;
pub const TARE_ROTATE_180: tare_rotation = 2;
pub const TARE_ROTATE_270: tare_rotation = 3;

pub type tare_resize_filter = c_int;
pub const TARE_RESIZE_BILINEAR: tare_resize_filter = 0;
pub const TARE_RESIZE_NEAREST: tare_resize_filter = 1;

pub type tare_channel_order = c_int;
pub const TARE_CHANNELS_RGB: tare_channel_order = 0;
pub const TARE_CHANNELS_BGR: tare_channel_order = 1;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_pixels {
  pub struct_size: usize,
  pub format: tare_pixel_format,
  pub width: i32,
  pub height: i32,
  pub data: *const c_void,
  pub stride: usize,
  pub uv: *const c_void,
  pub uv_stride: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct tare_image_options {
  pub struct_size: usize,
  pub rotation: tare_rotation,
  pub crop_fraction: f64,
  pub crop_x: i32,
  pub crop_y: i32,
  pub crop_width: i32,
  pub crop_height: i32,
  pub resize: tare_resize_filter,
  pub channels: tare_channel_order,
  pub mean: [f64; 3],
  pub std: [f64; 3],
}

extern "C" {
  pub fn tare_pixels_init_sized(pixels: *mut tare_pixels, size: usize);
  pub fn tare_image_options_init_sized(options: *mut tare_image_options, size: usize);
  pub fn tare_image_preprocess(
    pixels: *const tare_pixels,
    options: *const tare_image_options,
    tensor: *const tare_tensor_info,
    out: *mut c_void,
    out_size: usize,
  ) -> tare_status;
  pub fn tare_session_set_input_image(
    session: *mut tare_session,
    index: u32,
    pixels: *const tare_pixels,
    options: *const tare_image_options,
  ) -> tare_status;
}

/// The `tare_pixels_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `pixels` must be NULL or point to a writable `tare_pixels`.
#[inline]
pub unsafe fn tare_pixels_init(pixels: *mut tare_pixels) {
  tare_pixels_init_sized(pixels, core::mem::size_of::<tare_pixels>())
}

/// The `tare_image_options_init(p)` macro of tare.h, with this crate\'s size of the struct.
///
/// # Safety
/// `options` must be NULL or point to a writable `tare_image_options`.
#[inline]
pub unsafe fn tare_image_options_init(options: *mut tare_image_options) {
  tare_image_options_init_sized(options, core::mem::size_of::<tare_image_options>())
}
