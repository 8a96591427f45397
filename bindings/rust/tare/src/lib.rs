//! Safe Rust API of Tare: TensorFlow Lite CNNs on Vulkan GPUs, quantized to 8 bits on the GPU, with their
//! quantization bias corrected (Iterative Bias Correction, Bias Fine-Tuning) — a thin layer over the C API
//! (`include/tare/tare.h`, raw declarations in the `tare-sys` crate).
//!
//! ```no_run
//! use tare::{Context, Model, SessionOptions};
//! # fn main() -> tare::Result<()> {
//! let ctx = Context::new()?;
//! let model = Model::load_file(&ctx, "mobilenet_v1_0.25_224.tflite")?;
//! let mut session = model.session(&SessionOptions::default())?;
//! let image = vec![0f32; 224 * 224 * 3];
//! let scores: Vec<f32> = session.run_single(&image)?;
//! # Ok(()) }
//! ```
//!
//! Quantization and bias correction:
//! ```no_run
//! # fn main() -> tare::Result<()> {
//! # let ctx = tare::Context::new()?;
//! # let float = ctx.load_model("m.tflite")?;
//! # let images: Vec<f32> = vec![];
//! use tare::{Inputs, QuantizeOptions, IbcOptions};
//! let (quantized, _) = tare::quantize(&float, Inputs::array(&images), &QuantizeOptions::default())?;
//! let ibc = tare::correct_bias(&float, &quantized, Inputs::array(&images), &IbcOptions::default())?;
//! ibc.model.export_file("corrected.tflite")?;
//! # Ok(()) }
//! ```
//!
//! # Handles
//! [`Context`], [`Model`], [`Session`] and [`Diagnostics`] own their C handle and release it on `Drop`.  A session
//! keeps its model alive and a model its context (inside the library), so they may be dropped in any order and
//! carry no lifetime parameters.
//!
//! # Errors
//! Every fallible call returns [`Result`]; an [`Error`] carries the [`Status`] (the C `tare_status`) and the message
//! of `tare_last_error()` read on the calling thread right after the failing call.  Checks made on the Rust side
//! (a path with a NUL byte, an input array of the wrong length) give [`Status::InvalidArgument`] with a message of
//! their own.
//!
//! # Threads
//! tare.h: "a context, model or session may be used from any thread, but one session must not be used by two
//! threads at once.  Distinct sessions may run concurrently."  Hence:
//! - [`Context`] and [`Model`]: `Send + Sync` (share them across threads, e.g. in an `Arc`);
//! - [`Session`]: `Send` but not `Sync` (move it to another thread, but never use it from two at once; the methods
//!   that change it take `&mut self`);
//! - [`Diagnostics`]: `Send` but not `Sync` (the header says nothing about it; the conservative choice).
//!
//! # Callbacks
//! Calibration inputs ([`Inputs::Fn`]), progress and loss callbacks are Rust closures, called on the calling thread
//! during the call, through `extern "C"` trampolines that receive the closure through the C `user_data` pointer.  A
//! closure that panics never unwinds into C: the panic is caught, the operation is cancelled (the library sees
//! `TARE_ERROR_CANCELLED` / a non-zero return), and the panic is resumed with `std::panic::resume_unwind` once the C
//! call has returned.  An input closure returning `Err(e)` stops the operation, which then returns that `e`.
//!
//! # Options structs
//! Options are plain Rust structs whose `Default` reads the C `*_init` function's values (so they cannot disagree);
//! they are `#[non_exhaustive]`: start from `Default::default()` and assign fields.
//!
//! # Linking
//! `tare-sys` links `libtare` from `TARE_LIB_DIR` (the CMake build directory or an install's `lib/`) and gives tests
//! and examples an rpath to it; see the bindings' README.

mod calib;
mod context;
mod error;
mod image;
mod model;
mod session;
mod util;

pub use calib::{
  analyze, analyze_with_progress, correct_bias, correct_bias_with_progress, equalize, fine_tune_bias,
  fine_tune_bias_with_loss, quantize, quantize_with_progress, AnalyzeOptions, BftOptions, BftReport, BiasCorrection,
  Diagnostics, EqualizeOptions, EqualizeReport, ErrorPoint, ErrorStats, IbcHeads, IbcOptions, IbcReport, Inputs, LayerInfo,
  LossFn, ProgressFn, QuantizeOptions, QuantizeReport, RangeMethod, Stage, WeightRounding,
};
pub use context::{
  device_count, device_info, devices, supported_ops, Context, ContextOptions, DeviceInfo, DeviceType, OpSupport,
};
pub use error::{Error, Result, Status};
#[cfg(feature = "image")]
pub use image::Image;
pub use image::{preprocess, Crop, ImageOptions, PixelFormat, Pixels, ResizeFilter, Rotation};
pub use model::{DType, Model, OpInfo, TensorInfo};
pub use session::{MemoryReport, PipelineReport, Precision, ProfileEntry, RunTiming, Session, SessionOptions};
pub use tare_sys as sys;
pub use util::Element;

/// The library's version, "MAJOR.MINOR.PATCH" (`tare_version`).
pub fn version() -> &'static str {
  static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
  VERSION.get_or_init(|| util::string_from_ptr(unsafe { sys::tare_version() }))
}

/// The ABI version of the library actually loaded (`tare_abi_version`); this crate was written for
/// [`sys::TARE_ABI_VERSION`].
pub fn abi_version() -> i32 {
  unsafe { sys::tare_abi_version() }
}
