//! Quantization, bias correction (IBC), bias fine-tuning (BFT), cross-layer equalization and error analysis.
use std::any::Any;
use std::ffi::{c_char, c_int, c_void};
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::Path;
use std::ptr::NonNull;

use tare_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::model::{DType, Model};
use crate::util::{cstring, init_struct, path_cstring, sized_zeroed, string_from_ptr};

// ---- inputs ------------------------------------------------------------------------------------------------------

/// The images (float32, batch 1 each, the float model's input layout) that quantization, correction, fine-tuning
/// and analysis run over.
pub enum Inputs<'a> {
  /// `count` images back to back (`count * per-image floats` in all).
  Array(&'a [f32]),
  /// One slice per image.
  Images(&'a [&'a [f32]]),
  /// `count` images produced on demand: the closure fills image `index` into the slice (the per-image floats) and
  /// returns `Ok(())`, or an error to stop (the call then fails with that error).  It is called on the calling
  /// thread, during the call.
  Fn(u32, &'a mut dyn FnMut(u32, &mut [f32]) -> Result<()>),
}

impl<'a> Inputs<'a> {
  pub fn array(data: &'a [f32]) -> Inputs<'a> {
    Inputs::Array(data)
  }

  pub fn images(images: &'a [&'a [f32]]) -> Inputs<'a> {
    Inputs::Images(images)
  }

  pub fn from_fn(count: u32, f: &'a mut dyn FnMut(u32, &mut [f32]) -> Result<()>) -> Inputs<'a> {
    Inputs::Fn(count, f)
  }

  /// Number of images, after checking the sizes against the model's per-image floats.
  fn count(&self, per_image: usize) -> Result<u32> {
    let n = match self {
      Inputs::Array(a) => {
        if per_image == 0 || a.len() % per_image != 0 {
          return Err(Error::invalid(format!(
            "the input array has {} floats, not a multiple of the {per_image} floats of one image",
            a.len()
          )));
        }
        a.len() / per_image
      }
      Inputs::Images(v) => {
        if let Some((i, img)) = v.iter().enumerate().find(|(_, img)| img.len() != per_image) {
          return Err(Error::invalid(format!("image {i} has {} floats, the model takes {per_image}", img.len())));
        }
        v.len()
      }
      Inputs::Fn(n, _) => *n as usize,
    };
    u32::try_from(n).map_err(|_| Error::invalid("too many images"))
  }
}

/// What a trampoline caught: a panic (resumed after the C call returned) or the error of the caller's closure.
#[derive(Default)]
struct Caught {
  panic: Option<Box<dyn Any + Send>>,
  error: Option<Error>,
}

impl Caught {
  /// The result of a C call whose callbacks may have caught something: a panic is resumed here, on the Rust side of
  /// the boundary; a closure's own error replaces the library's report of it.
  fn finish(&mut self, code: sys::tare_status) -> Result<()> {
    let r = check(code);
    if let Some(p) = self.panic.take() {
      resume_unwind(p);
    }
    match (r, self.error.take()) {
      (Err(_), Some(e)) => Err(e),
      (r, _) => r,
    }
  }
}

struct InputState<'s, 'a> {
  inputs: &'s mut Inputs<'a>,
  per_image: usize,
  caught: Caught,
}

unsafe extern "C" fn input_trampoline(
  user: *mut c_void,
  index: u32,
  dst: *mut c_void,
  size: usize,
) -> sys::tare_status {
  let st = &mut *(user as *mut InputState);
  if st.caught.panic.is_some() {
    return sys::TARE_ERROR_CANCELLED;
  }
  let per_image = st.per_image;
  let inputs = &mut *st.inputs;
  let r = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
    if dst.is_null() || size != per_image * 4 {
      return Err(Error::invalid(format!("the library asked for {size} bytes per image, expected {}", per_image * 4)));
    }
    let mut fill = |out: &mut [f32]| -> Result<()> {
      match inputs {
        Inputs::Array(a) => {
          let s = index as usize * per_image;
          out.copy_from_slice(a.get(s..s + per_image).ok_or_else(|| Error::invalid("image index out of range"))?);
          Ok(())
        }
        Inputs::Images(v) => {
          out.copy_from_slice(v.get(index as usize).ok_or_else(|| Error::invalid("image index out of range"))?);
          Ok(())
        }
        Inputs::Fn(_, f) => f(index, out),
      }
    };
    if (dst as usize) % std::mem::align_of::<f32>() == 0 {
      fill(std::slice::from_raw_parts_mut(dst as *mut f32, per_image))
    } else {
      let mut tmp = vec![0f32; per_image];
      fill(&mut tmp)?;
      std::ptr::copy_nonoverlapping(tmp.as_ptr() as *const u8, dst as *mut u8, size);
      Ok(())
    }
  }));
  match r {
    Ok(Ok(())) => sys::TARE_OK,
    Ok(Err(e)) => {
      let code = e.code();
      st.caught.error = Some(e);
      if code == sys::TARE_OK {
        sys::TARE_ERROR_INTERNAL
      } else {
        code
      }
    }
    Err(p) => {
      st.caught.panic = Some(p);
      sys::TARE_ERROR_CANCELLED
    }
  }
}

// ---- progress and loss callbacks -----------------------------------------------------------------------------------

/// A progress closure: `(stage, done, total)`, returns `true` to go on, `false` to cancel (the call then fails with
/// [`Status::Cancelled`]).  Stages: "calibrate" (quantize), "ibc" (correct_bias), "analyze".
pub type ProgressFn<'a> = &'a mut dyn FnMut(&str, u32, u32) -> bool;

/// A loss closure of bias fine-tuning: `(mini_epoch, total, loss)`, returns `true` to go on, `false` to cancel.
pub type LossFn<'a> = &'a mut dyn FnMut(u32, u32, f64) -> bool;

struct CallbackState<'s, F: ?Sized> {
  f: &'s mut F,
  caught: &'s mut Caught,
}

unsafe extern "C" fn progress_trampoline(user: *mut c_void, stage: *const c_char, done: u32, total: u32) -> c_int {
  let st = &mut *(user as *mut CallbackState<dyn FnMut(&str, u32, u32) -> bool>);
  if st.caught.panic.is_some() {
    return 1;
  }
  let stage = string_from_ptr(stage);
  let f = &mut *st.f;
  match catch_unwind(AssertUnwindSafe(|| f(&stage, done, total))) {
    Ok(true) => 0,
    Ok(false) => 1,
    Err(p) => {
      st.caught.panic = Some(p);
      1
    }
  }
}

unsafe extern "C" fn loss_trampoline(user: *mut c_void, epoch: u32, total: u32, loss: f64) -> c_int {
  let st = &mut *(user as *mut CallbackState<dyn FnMut(u32, u32, f64) -> bool>);
  if st.caught.panic.is_some() {
    return 1;
  }
  let f = &mut *st.f;
  match catch_unwind(AssertUnwindSafe(|| f(epoch, total, loss))) {
    Ok(true) => 0,
    Ok(false) => 1,
    Err(p) => {
      st.caught.panic = Some(p);
      1
    }
  }
}

/// Runs `call` with the C progress function and user data of `progress` (NULL for `None`); a panic of the closure is
/// resumed once the C call has returned.
fn with_progress<R>(progress: Option<ProgressFn<'_>>, call: impl FnOnce(sys::tare_progress_fn, *mut c_void) -> R) -> R {
  let Some(f) = progress else {
    return call(None, std::ptr::null_mut());
  };
  let mut caught = Caught::default();
  let r = {
    let mut st = CallbackState { f, caught: &mut caught };
    call(Some(progress_trampoline), &mut st as *mut CallbackState<_> as *mut c_void)
  };
  if let Some(p) = caught.panic.take() {
    resume_unwind(p);
  }
  r
}

/// Runs `call` with the C input function and user data for `inputs` (checked against `model`'s input).
fn with_inputs<R>(
  model: &Model,
  inputs: &mut Inputs<'_>,
  call: impl FnOnce(u32, sys::tare_input_fn, *mut c_void) -> R,
) -> Result<(R, Caught)> {
  let per_image = model.per_image_floats()?;
  let count = inputs.count(per_image)?;
  let mut st = InputState { inputs, per_image, caught: Caught::default() };
  let r = call(count, Some(input_trampoline), &mut st as *mut InputState as *mut c_void);
  Ok((r, st.caught))
}

// ---- quantization -------------------------------------------------------------------------------------------------

/// Rounding of weights to their 8-bit grid (`tare_weight_rounding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WeightRounding {
  /// Ties away from zero (TFLite's converter).
  NearestAway,
  NearestEven,
}

/// How each activation's range is chosen from the calibration inputs (`tare_range_method`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RangeMethod {
  /// The observed minimum and maximum.
  MinMax,
  /// The given percentile of the values above 0 and 100 minus it below (in (50, 100], e.g. 99.99).
  Percentile(f64),
  /// The range whose int8 grid has the smallest squared error over the values' histogram.
  Mse,
}

/// Options of [`quantize`]; `Default` is `tare_quantize_options_init`'s.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QuantizeOptions {
  /// `false`: INT8 per-tensor weights (the paper's scheme); `true`: per channel.
  pub per_channel: bool,
  /// Clamp int32 biases to 16 bits, as the paper did.
  pub bias_16bit: bool,
  /// Constant channels get zero weights and their constant as bias.
  pub drop_dead_channels: bool,
  pub rounding: WeightRounding,
  /// Float32, Int8 or UInt8.
  pub input_type: DType,
  /// Float32, Int8 or UInt8.
  pub output_type: DType,
  /// Inputs per GPU run while calibrating.
  pub calibration_batch: u32,
  /// Activation ranges; methods other than min/max run the inputs twice.
  pub ranges: RangeMethod,
}

impl Default for QuantizeOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_quantize_options_init_sized);
    QuantizeOptions {
      per_channel: r.per_channel != 0,
      bias_16bit: r.bias_16bit != 0,
      drop_dead_channels: r.drop_dead_channels != 0,
      rounding: if r.rounding == sys::TARE_ROUND_NEAREST_EVEN {
        WeightRounding::NearestEven
      } else {
        WeightRounding::NearestAway
      },
      input_type: DType::from_raw(r.input_type),
      output_type: DType::from_raw(r.output_type),
      calibration_batch: r.calibration_batch,
      ranges: match r.ranges {
        sys::TARE_RANGES_PERCENTILE => RangeMethod::Percentile(r.percentile),
        sys::TARE_RANGES_MSE => RangeMethod::Mse,
        _ => RangeMethod::MinMax,
      },
    }
  }
}

/// What [`quantize`] did (`tare_quantize_report`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct QuantizeReport {
  /// Channels dropped as constant.
  pub dead_channels: u32,
  /// Weight tensors quantized.
  pub quantized_weights: u32,
  /// Activation tensors given a range.
  pub activations: u32,
  /// Wall time of the calibration runs.
  pub calibration_ms: f64,
}

/// Quantizes a float model on its context's GPU (`tare_quantize`): the float graph runs over the calibration inputs,
/// then weights, biases and activations get TFLite int8 parameters.  Returns a new model; `model` is unchanged.
pub fn quantize(model: &Model, inputs: Inputs<'_>, options: &QuantizeOptions) -> Result<(Model, QuantizeReport)> {
  quantize_impl(model, inputs, options, None)
}

/// [`quantize`] reporting progress (stage "calibrate", done/total = inputs) to a closure that may cancel.
pub fn quantize_with_progress(
  model: &Model,
  inputs: Inputs<'_>,
  options: &QuantizeOptions,
  mut progress: impl FnMut(&str, u32, u32) -> bool,
) -> Result<(Model, QuantizeReport)> {
  quantize_impl(model, inputs, options, Some(&mut progress))
}

fn quantize_impl(
  model: &Model,
  mut inputs: Inputs<'_>,
  options: &QuantizeOptions,
  progress: Option<ProgressFn<'_>>,
) -> Result<(Model, QuantizeReport)> {
  let mut o = init_struct(sys::tare_quantize_options_init_sized);
  o.per_channel = options.per_channel as c_int;
  o.bias_16bit = options.bias_16bit as c_int;
  o.drop_dead_channels = options.drop_dead_channels as c_int;
  o.rounding = match options.rounding {
    WeightRounding::NearestAway => sys::TARE_ROUND_NEAREST_AWAY,
    WeightRounding::NearestEven => sys::TARE_ROUND_NEAREST_EVEN,
  };
  o.input_type = options.input_type.to_raw();
  o.output_type = options.output_type.to_raw();
  o.calibration_batch = options.calibration_batch;
  match options.ranges {
    RangeMethod::MinMax => o.ranges = sys::TARE_RANGES_MINMAX,
    RangeMethod::Percentile(p) => {
      o.ranges = sys::TARE_RANGES_PERCENTILE;
      o.percentile = p;
    }
    RangeMethod::Mse => o.ranges = sys::TARE_RANGES_MSE,
  }
  let mut report = init_struct(sys::tare_quantize_report_init_sized);
  let mut out = std::ptr::null_mut();
  with_progress(progress, |pf, pu| {
    o.progress = pf;
    o.user_data = pu;
    if let Inputs::Array(a) = inputs {
      let count = inputs.count(model.per_image_floats()?)?;
      return check(unsafe { sys::tare_quantize_array(model.as_ptr(), a.as_ptr(), count, &o, &mut out, &mut report) });
    }
    let (code, mut c) = with_inputs(model, &mut inputs, |count, f, u| unsafe {
      sys::tare_quantize(model.as_ptr(), count, f, u, &o, &mut out, &mut report)
    })?;
    c.finish(code)
  })?;
  let m = Model::from_raw(out)?;
  Ok((
    m,
    QuantizeReport {
      dead_channels: report.dead_channels,
      quantized_weights: report.quantized_weights,
      activations: report.activations,
      calibration_ms: report.calibration_ms,
    },
  ))
}

// ---- diagnostics ----------------------------------------------------------------------------------------------------

/// Where a layer's error is measured (`tare_error_point`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorPoint {
  /// The layer's product plus bias, before its fused activation.
  PreActivation,
  /// Its output: after the activation and, quantized, the rounding to 8 bits.
  PostActivation,
}

/// The model an error was measured on (`tare_error_stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
  /// The quantized model as given.
  Before,
  /// After bias correction.
  After,
  /// After bias fine-tuning.
  Bft,
  /// The model before equalization, quantized, against its own float model.
  Unequalized,
}

/// A layer of [`Diagnostics`] (`tare_layer_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerInfo {
  /// Its output tensor.
  pub name: String,
  /// "CONV_2D", "DEPTHWISE_CONV_2D" or "FULLY_CONNECTED".
  pub op: String,
  /// Fused activation: "NONE", "RELU", "RELU6", "RELU_N1_TO_1".
  pub activation: String,
  /// Operator index in the quantized model.
  pub op_index: i32,
  pub channels: u32,
  /// Whether the "after" stage was measured.
  pub has_after: bool,
}

/// Statistics of the error e = x_quantized - x_float of one channel, or over the channels of a layer
/// (`tare_error_stats`).  NaN where a ratio is undefined.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ErrorStats {
  /// E(e), mean activation shift (summary: RMS over channels).
  pub mas: f64,
  /// E(e) / sqrt(E(x^2)).
  pub mssr: f64,
  /// sqrt(E(e^2) / E(x^2)).
  pub rqnsr: f64,
  /// E(e)^2 / E(e^2) (summary: mean over channels).
  pub mean_share: f64,
  /// Summary only: max over channels of |E(e)|.
  pub mas_abs_max: f64,
  /// Values per channel.
  pub count: f64,
}

/// Per-layer, per-channel error statistics of a quantized model against its float model (`tare_diagnostics`).
///
/// `Send` but not `Sync`: tare.h says nothing of diagnostics used from several threads at once.
#[derive(Debug)]
pub struct Diagnostics {
  raw: NonNull<sys::tare_diagnostics>,
  _not_sync: PhantomData<std::cell::Cell<()>>,
}

unsafe impl Send for Diagnostics {}

fn raw_point(p: ErrorPoint) -> sys::tare_error_point {
  match p {
    ErrorPoint::PreActivation => sys::TARE_POINT_PRE_ACTIVATION,
    ErrorPoint::PostActivation => sys::TARE_POINT_POST_ACTIVATION,
  }
}

fn raw_stage(s: Stage) -> sys::tare_error_stage {
  match s {
    Stage::Before => sys::TARE_STAGE_BEFORE,
    Stage::After => sys::TARE_STAGE_AFTER,
    Stage::Bft => sys::TARE_STAGE_BFT,
    Stage::Unequalized => sys::TARE_STAGE_UNEQUALIZED,
  }
}

impl Diagnostics {
  fn from_raw(p: *mut sys::tare_diagnostics) -> Result<Diagnostics> {
    NonNull::new(p)
      .map(|raw| Diagnostics { raw, _not_sync: PhantomData })
      .ok_or_else(|| Error::new(Status::Internal, "the C API returned no diagnostics"))
  }

  /// The C handle, still owned by `self`.
  pub fn as_ptr(&self) -> *mut sys::tare_diagnostics {
    self.raw.as_ptr()
  }

  pub fn layer_count(&self) -> Result<u32> {
    let mut n = 0u32;
    check(unsafe { sys::tare_diagnostics_layer_count(self.raw.as_ptr(), &mut n) })?;
    Ok(n)
  }

  pub fn layer(&self, layer: u32) -> Result<LayerInfo> {
    let mut r: sys::tare_layer_info = sized_zeroed();
    check(unsafe { sys::tare_diagnostics_layer(self.raw.as_ptr(), layer, &mut r) })?;
    Ok(LayerInfo {
      name: string_from_ptr(r.name),
      op: string_from_ptr(r.op),
      activation: string_from_ptr(r.activation),
      op_index: r.op_index,
      channels: r.channels,
      has_after: r.has_after != 0,
    })
  }

  pub fn layers(&self) -> Result<Vec<LayerInfo>> {
    (0..self.layer_count()?).map(|i| self.layer(i)).collect()
  }

  fn stats(r: &sys::tare_error_stats) -> ErrorStats {
    ErrorStats {
      mas: r.mas,
      mssr: r.mssr,
      rqnsr: r.rqnsr,
      mean_share: r.mean_share,
      mas_abs_max: r.mas_abs_max,
      count: r.count,
    }
  }

  /// Error statistics of one channel of one layer.
  pub fn channel(&self, layer: u32, channel: u32, point: ErrorPoint, stage: Stage) -> Result<ErrorStats> {
    let mut r: sys::tare_error_stats = sized_zeroed();
    check(unsafe {
      sys::tare_diagnostics_channel(self.raw.as_ptr(), layer, channel, raw_point(point), raw_stage(stage), &mut r)
    })?;
    Ok(Self::stats(&r))
  }

  /// Statistics over the channels of one layer (RMS of the MAS, ...).
  pub fn summary(&self, layer: u32, point: ErrorPoint, stage: Stage) -> Result<ErrorStats> {
    let mut r: sys::tare_error_stats = sized_zeroed();
    check(unsafe {
      sys::tare_diagnostics_summary(self.raw.as_ptr(), layer, raw_point(point), raw_stage(stage), &mut r)
    })?;
    Ok(Self::stats(&r))
  }

  /// Measures the errors of `model` against `float_model` on the images and keeps them as `stage`, e.g.
  /// [`Stage::Bft`] for a fine-tuned model (`tare_diagnostics_measure`); the layers must be these diagnostics'.
  pub fn measure(
    &mut self,
    stage: Stage,
    float_model: &Model,
    model: &Model,
    mut inputs: Inputs<'_>,
    options: &AnalyzeOptions,
  ) -> Result<()> {
    let mut o = init_struct(sys::tare_analyze_options_init_sized);
    o.batch = options.batch;
    let raw = self.raw.as_ptr();
    let (code, mut caught) = with_inputs(float_model, &mut inputs, |count, inf, u| unsafe {
      sys::tare_diagnostics_measure(raw, raw_stage(stage), float_model.as_ptr(), model.as_ptr(), count, inf, u, &o)
    })?;
    caught.finish(code)
  }

  /// Adds a line to report.html's table `section`, e.g. "settings" or "accuracy" (`tare_diagnostics_note`).
  pub fn note(&mut self, section: &str, key: &str, value: &str) -> Result<()> {
    let (s, k, v) = (cstring(section, "section")?, cstring(key, "key")?, cstring(value, "value")?);
    check(unsafe { sys::tare_diagnostics_note(self.raw.as_ptr(), s.as_ptr(), k.as_ptr(), v.as_ptr()) })
  }

  /// Writes errors.csv, summary.csv and report.html into `directory` (created if missing).
  pub fn write(&self, directory: impl AsRef<Path>) -> Result<()> {
    let d = path_cstring(directory.as_ref())?;
    check(unsafe { sys::tare_diagnostics_write(self.raw.as_ptr(), d.as_ptr()) })
  }
}

impl Drop for Diagnostics {
  fn drop(&mut self) {
    unsafe { sys::tare_diagnostics_destroy(self.raw.as_ptr()) }
  }
}

// ---- iterative bias correction --------------------------------------------------------------------------------------

/// Options of [`correct_bias`]; `Default` is `tare_ibc_options_init`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IbcOptions {
  /// `false`: means after the fused activation (the paper's default); `true`: before it.
  pub pre_activation: bool,
  /// Clamp corrected biases to the int16 range.
  pub bias_16bit: bool,
  /// Images per GPU run; 0: all at once, or as many as the device can bind (fewer: sums added up over batches, same
  /// biases up to float rounding).
  pub batch: u32,
  /// Which layers are corrected (default [`IbcHeads::Correct`]).
  pub heads: IbcHeads,
  /// The validation guard (default on): IBC's biases are kept only if they bring the outputs closer to the float
  /// model's on the last `guard_images` images (mean over outputs of the SQNR gain >= 0 dB), else the basic ones.
  pub guard: bool,
  /// The guard's held-out images, the last of the inputs: -1 (default): count / 8, at least 4, none below 8 images.
  pub guard_images: i32,
}

/// Which layers IBC corrects (`tare_ibc_heads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IbcHeads {
  /// Every layer (the paper).
  Correct,
  /// Not the raw output heads (layers read by a model output through layout ops only: a detector's score logits
  /// and box regressors).
  Keep,
}

impl Default for IbcOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_ibc_options_init_sized);
    let heads = if r.heads == sys::TARE_IBC_HEADS_KEEP { IbcHeads::Keep } else { IbcHeads::Correct };
    IbcOptions {
      pre_activation: r.pre_activation != 0,
      bias_16bit: r.bias_16bit != 0,
      batch: r.batch,
      heads,
      guard: r.guard != 0,
      guard_images: r.guard_images,
    }
  }
}

/// What [`correct_bias`] did (`tare_ibc_report`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct IbcReport {
  pub layers: u32,
  pub images: u32,
  /// Corrected bias values clamped to the bias type's range.
  pub clamped: u32,
  pub wall_ms: f64,
  /// Raw output heads left alone ([`IbcHeads::Keep`]).
  pub kept: u32,
  /// Validation images of the guard (0: it did not run); `images` excludes them.
  pub guard_images: u32,
  /// The guard rejected IBC: the model has the basic biases.
  pub kept_basic: bool,
  /// Mean over outputs of 10 log10(err_basic / err_ibc) on the validation images (NaN: not run).
  pub guard_gain_db: f64,
  pub guard_ms: f64,
}

/// The result of [`correct_bias`].
#[derive(Debug)]
#[non_exhaustive]
pub struct BiasCorrection {
  /// The corrected quantized model.
  pub model: Model,
  pub report: IbcReport,
  /// Each layer's errors on the images before and after its correction.
  pub diagnostics: Diagnostics,
}

/// Iterative Bias Correction on the GPU (`tare_correct_bias`): layer by layer, the per-channel mean error of
/// `quantized` against `float_model` over the images is subtracted through the layer's bias.  Returns a new model;
/// the same models, images and options give the same biases, bit for bit.
pub fn correct_bias(
  float_model: &Model,
  quantized: &Model,
  inputs: Inputs<'_>,
  options: &IbcOptions,
) -> Result<BiasCorrection> {
  correct_bias_impl(float_model, quantized, inputs, options, None)
}

/// [`correct_bias`] reporting progress (stage "ibc", done/total = layers) to a closure that may cancel.
pub fn correct_bias_with_progress(
  float_model: &Model,
  quantized: &Model,
  inputs: Inputs<'_>,
  options: &IbcOptions,
  mut progress: impl FnMut(&str, u32, u32) -> bool,
) -> Result<BiasCorrection> {
  correct_bias_impl(float_model, quantized, inputs, options, Some(&mut progress))
}

fn correct_bias_impl(
  float_model: &Model,
  quantized: &Model,
  mut inputs: Inputs<'_>,
  options: &IbcOptions,
  progress: Option<ProgressFn<'_>>,
) -> Result<BiasCorrection> {
  let mut o = init_struct(sys::tare_ibc_options_init_sized);
  o.pre_activation = options.pre_activation as c_int;
  o.bias_16bit = options.bias_16bit as c_int;
  o.batch = options.batch;
  o.heads = match options.heads {
    IbcHeads::Correct => sys::TARE_IBC_HEADS_CORRECT,
    IbcHeads::Keep => sys::TARE_IBC_HEADS_KEEP,
  };
  o.guard = options.guard as c_int;
  o.guard_images = options.guard_images;
  let mut report = init_struct(sys::tare_ibc_report_init_sized);
  let mut out = std::ptr::null_mut();
  let mut diag = std::ptr::null_mut();
  let (f, q) = (float_model.as_ptr(), quantized.as_ptr());
  with_progress(progress, |pf, pu| {
    o.progress = pf;
    o.user_data = pu;
    if let Inputs::Array(a) = inputs {
      let count = inputs.count(float_model.per_image_floats()?)?;
      return check(unsafe {
        sys::tare_correct_bias_array(f, q, a.as_ptr(), count, &o, &mut out, &mut report, &mut diag)
      });
    }
    let (code, mut c) = with_inputs(float_model, &mut inputs, |count, inf, u| unsafe {
      sys::tare_correct_bias(f, q, count, inf, u, &o, &mut out, &mut report, &mut diag)
    })?;
    c.finish(code)
  })?;
  // Own both handles before anything can fail, so neither leaks.
  let diagnostics = Diagnostics::from_raw(diag);
  let model = Model::from_raw(out)?;
  Ok(BiasCorrection {
    model,
    report: IbcReport {
      layers: report.layers,
      images: report.images,
      clamped: report.clamped,
      wall_ms: report.wall_ms,
      kept: report.kept,
      guard_images: report.guard_images,
      kept_basic: report.kept_basic != 0,
      guard_gain_db: report.guard_gain_db,
      guard_ms: report.guard_ms,
    },
    diagnostics: diagnostics?,
  })
}

// ---- analysis --------------------------------------------------------------------------------------------------------

/// Options of [`analyze`]; `Default` is `tare_analyze_options_init`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnalyzeOptions {
  /// Images per GPU run.
  pub batch: u32,
}

impl Default for AnalyzeOptions {
  fn default() -> Self {
    AnalyzeOptions { batch: init_struct(sys::tare_analyze_options_init_sized).batch }
  }
}

/// Measures the errors of `quantized` against `float_model` on the images ("before"), and those of `corrected` (if
/// given) on the same images ("after") (`tare_analyze`).
pub fn analyze(
  float_model: &Model,
  quantized: &Model,
  corrected: Option<&Model>,
  inputs: Inputs<'_>,
  options: &AnalyzeOptions,
) -> Result<Diagnostics> {
  analyze_impl(float_model, quantized, corrected, inputs, options, None)
}

/// [`analyze`] reporting progress (stage "analyze", done/total = images) to a closure that may cancel.
pub fn analyze_with_progress(
  float_model: &Model,
  quantized: &Model,
  corrected: Option<&Model>,
  inputs: Inputs<'_>,
  options: &AnalyzeOptions,
  mut progress: impl FnMut(&str, u32, u32) -> bool,
) -> Result<Diagnostics> {
  analyze_impl(float_model, quantized, corrected, inputs, options, Some(&mut progress))
}

fn analyze_impl(
  float_model: &Model,
  quantized: &Model,
  corrected: Option<&Model>,
  mut inputs: Inputs<'_>,
  options: &AnalyzeOptions,
  progress: Option<ProgressFn<'_>>,
) -> Result<Diagnostics> {
  let mut o = init_struct(sys::tare_analyze_options_init_sized);
  o.batch = options.batch;
  let mut out = std::ptr::null_mut();
  let c = corrected.map_or(std::ptr::null_mut(), |m| m.as_ptr());
  with_progress(progress, |pf, pu| {
    o.progress = pf;
    o.user_data = pu;
    let (code, mut caught) = with_inputs(float_model, &mut inputs, |count, inf, u| unsafe {
      sys::tare_analyze(float_model.as_ptr(), quantized.as_ptr(), c, count, inf, u, &o, &mut out)
    })?;
    caught.finish(code)
  })?;
  Diagnostics::from_raw(out)
}

// ---- bias fine-tuning ------------------------------------------------------------------------------------------------

/// Options of [`fine_tune_bias`]; `Default` is `tare_bft_options_init`'s.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BftOptions {
  /// Learning rates, one stage each (1 to 8 of them).
  pub rates: Vec<f32>,
  pub mini_epochs_per_rate: u32,
  /// 0: every image once per mini-epoch.
  pub images_per_mini_epoch: u32,
  /// Images per step, shrunk to fit `memory_budget`.
  pub batch: u32,
  /// Bytes for training; 0: half the device memory available.
  pub memory_budget: u64,
  /// Clamp the final biases to the int16 range.
  pub bias_16bit: bool,
  /// Image order.
  pub seed: u32,
  /// The last N images held out to keep the best biases; -1: count / 8, at least 4 (none below 8); 0: none.
  pub validation_images: i32,
}

impl Default for BftOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_bft_options_init_sized);
    BftOptions {
      rates: r.rates[..(r.rate_count as usize).min(r.rates.len())].to_vec(),
      mini_epochs_per_rate: r.mini_epochs_per_rate,
      images_per_mini_epoch: r.images_per_mini_epoch,
      batch: r.batch,
      memory_budget: r.memory_budget,
      bias_16bit: r.bias_16bit != 0,
      seed: r.seed,
      validation_images: r.validation_images,
    }
  }
}

/// What [`fine_tune_bias`] did (`tare_bft_report`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BftReport {
  /// Layers whose biases were trained.
  pub layers: u32,
  /// Batch used.
  pub batch: u32,
  pub mini_epochs: u32,
  /// Final bias values clamped.
  pub clamped: u32,
  /// Before the first update.
  pub initial_loss: f64,
  /// Mean over the last mini-epoch.
  pub final_loss: f64,
  /// Device memory of the training session.
  pub training_bytes: u64,
  pub wall_ms: f64,
  /// Images held out of training.
  pub validation_images: u32,
  /// Biases kept: after that mini-epoch (0: the starting ones; -1: no validation).
  pub best_mini_epoch: i32,
  /// Validation loss before the first update and of the biases kept (NaN: none held out).
  pub initial_validation_loss: f64,
  pub best_validation_loss: f64,
}

/// Bias Fine-Tuning on the GPU (`tare_fine_tune_bias`): only the biases of `quantized` are trained, by distillation
/// from `float_model` (its softmax for a classifier, every output by squared error otherwise).  Returns a new model.
pub fn fine_tune_bias(
  float_model: &Model,
  quantized: &Model,
  inputs: Inputs<'_>,
  options: &BftOptions,
) -> Result<(Model, BftReport)> {
  fine_tune_bias_impl(float_model, quantized, inputs, options, None)
}

/// [`fine_tune_bias`] handing each mini-epoch's loss to a closure `(mini_epoch, total, loss)` that may cancel.
pub fn fine_tune_bias_with_loss(
  float_model: &Model,
  quantized: &Model,
  inputs: Inputs<'_>,
  options: &BftOptions,
  mut on_loss: impl FnMut(u32, u32, f64) -> bool,
) -> Result<(Model, BftReport)> {
  fine_tune_bias_impl(float_model, quantized, inputs, options, Some(&mut on_loss))
}

fn fine_tune_bias_impl(
  float_model: &Model,
  quantized: &Model,
  mut inputs: Inputs<'_>,
  options: &BftOptions,
  on_loss: Option<LossFn<'_>>,
) -> Result<(Model, BftReport)> {
  let mut o = init_struct(sys::tare_bft_options_init_sized);
  if options.rates.is_empty() || options.rates.len() > o.rates.len() {
    return Err(Error::invalid(format!("rates must hold 1 to {} values, not {}", o.rates.len(), options.rates.len())));
  }
  o.rate_count = options.rates.len() as u32;
  o.rates = [0.0; 8];
  o.rates[..options.rates.len()].copy_from_slice(&options.rates);
  o.mini_epochs_per_rate = options.mini_epochs_per_rate;
  o.images_per_mini_epoch = options.images_per_mini_epoch;
  o.batch = options.batch;
  o.memory_budget = options.memory_budget;
  o.bias_16bit = options.bias_16bit as c_int;
  o.seed = options.seed;
  o.validation_images = options.validation_images;
  let mut report = init_struct(sys::tare_bft_report_init_sized);
  let mut out = std::ptr::null_mut();
  let mut loss_caught = Caught::default();
  let result = {
    let mut state;
    if let Some(f) = on_loss {
      state = CallbackState { f, caught: &mut loss_caught };
      o.on_loss = Some(loss_trampoline);
      o.user_data = &mut state as *mut CallbackState<_> as *mut c_void;
    }
    with_inputs(float_model, &mut inputs, |count, inf, u| unsafe {
      sys::tare_fine_tune_bias(float_model.as_ptr(), quantized.as_ptr(), count, inf, u, &o, &mut out, &mut report)
    })
  };
  if let Some(p) = loss_caught.panic.take() {
    resume_unwind(p);
  }
  let (code, mut caught) = result?;
  caught.finish(code)?;
  let m = Model::from_raw(out)?;
  Ok((
    m,
    BftReport {
      layers: report.layers,
      batch: report.batch,
      mini_epochs: report.mini_epochs,
      clamped: report.clamped,
      initial_loss: report.initial_loss,
      final_loss: report.final_loss,
      training_bytes: report.training_bytes,
      wall_ms: report.wall_ms,
      validation_images: report.validation_images,
      best_mini_epoch: report.best_mini_epoch,
      initial_validation_loss: report.initial_validation_loss,
      best_validation_loss: report.best_validation_loss,
    },
  ))
}

// ---- cross-layer equalization ------------------------------------------------------------------------------------------

/// Options of [`equalize`]; `Default` is `tare_equalize_options_init`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EqualizeOptions {
  /// A RELU6 between two layers becomes RELU (no added op, but the float model changes); by default it is kept
  /// exactly as RELU + MINIMUM with a per-channel constant.
  pub replace_relu6: bool,
  /// Sweeps over the network.
  pub max_iterations: u32,
}

impl Default for EqualizeOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_equalize_options_init_sized);
    EqualizeOptions { replace_relu6: r.replace_relu6 != 0, max_iterations: r.max_iterations }
  }
}

/// What [`equalize`] did (`tare_equalize_report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EqualizeReport {
  /// Layer pairs equalized.
  pub pairs: u32,
  /// Sweeps done.
  pub iterations: u32,
  pub relu6_replaced: u32,
  /// RELU6 kept as RELU + an added MINIMUM (the ops added).
  pub relu6_clipped: u32,
}

/// Cross-layer equalization of a float model before quantization (`tare_equalize`).  Returns a new model.
pub fn equalize(float_model: &Model, options: &EqualizeOptions) -> Result<(Model, EqualizeReport)> {
  let mut o = init_struct(sys::tare_equalize_options_init_sized);
  o.replace_relu6 = options.replace_relu6 as c_int;
  o.max_iterations = options.max_iterations;
  let mut report = init_struct(sys::tare_equalize_report_init_sized);
  let mut out = std::ptr::null_mut();
  check(unsafe { sys::tare_equalize(float_model.as_ptr(), &o, &mut out, &mut report) })?;
  let m = Model::from_raw(out)?;
  Ok((
    m,
    EqualizeReport {
      pairs: report.pairs,
      iterations: report.iterations,
      relu6_replaced: report.relu6_replaced,
      relu6_clipped: report.relu6_clipped,
    },
  ))
}
