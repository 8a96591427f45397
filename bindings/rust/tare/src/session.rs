use std::marker::PhantomData;
use std::ptr::NonNull;

use tare_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::model::{Model, TensorInfo};
use crate::util::{as_bytes, as_bytes_mut, init_struct, string_from_ptr, Element};

/// Arithmetic precision of a session (`tare_precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Precision {
  /// fp32 storage and arithmetic.
  Fp32,
  /// fp16 storage and arithmetic where the device has both; else an error.
  Fp16,
}

/// Options of [`Session::new`]; `Default` is `tare_session_options_init`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionOptions {
  pub precision: Precision,
  /// 0: the model's own batch; otherwise the batch the session runs.
  pub batch: u32,
  /// Record per-op GPU timestamps ([`Session::profile`]).
  pub profiling: bool,
}

impl Default for SessionOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_session_options_init_sized);
    SessionOptions {
      precision: if r.precision == sys::TARE_PRECISION_FP16 { Precision::Fp16 } else { Precision::Fp32 },
      batch: r.batch.max(0) as u32,
      profiling: r.profiling != 0,
    }
  }
}

/// Device memory of a session (`tare_memory_report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryReport {
  /// Weights and other constants on the device.
  pub constant_bytes: u64,
  /// The planned arena of intermediate tensors.
  pub activation_bytes: u64,
  /// Every intermediate tensor's size summed, as if none were shared.
  pub unplanned_bytes: u64,
  /// Host-visible input/output buffers.
  pub staging_bytes: u64,
}

/// Where the wall time of the last run went, in milliseconds (`tare_run_timing`); the GPU figures need profiling.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RunTiming {
  /// The whole run, from submission to results.
  pub run_ms: f64,
  /// Waiting for the context's queue while another thread submits.
  pub queue_wait_ms: f64,
  /// `vkQueueSubmit`.
  pub submit_ms: f64,
  /// Waiting for the GPU to finish.
  pub fence_wait_ms: f64,
  /// Reading the timestamps back (profiling).
  pub profile_read_ms: f64,
  /// The GPU's time from the command buffer's first timestamp to its last (profiling).
  pub gpu_span_ms: f64,
  /// Sum of the per-op GPU times (profiling).
  pub gpu_ops_ms: f64,
}

/// The compute pipelines of a session and what compiling them cost (`tare_pipeline_report`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PipelineReport {
  /// Distinct pipelines the session uses.
  pub pipelines: u32,
  /// Distinct shaders among them.
  pub shaders: u32,
  /// Pipelines the session's creation compiled (the others were in the context already).
  pub compiled: u32,
  /// Threads that compiled them (0 if none was compiled).
  pub threads: u32,
  /// Wall time of compiling them.
  pub compile_ms: f64,
  /// The compiled pipelines' own times, summed.
  pub compile_sum_ms: f64,
}

/// GPU time of one operator in the last run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileEntry {
  /// e.g. "CONV_2D#3".
  pub name: String,
  pub milliseconds: f64,
}

/// A model ready to run on the GPU (`tare_session`): memory planned, pipelines created, commands recorded.  It keeps
/// its model alive.
///
/// `Send` but not `Sync`: tare.h lets a session be used from any thread but not by two threads at once.  Methods that
/// change it take `&mut self`; distinct sessions (of one model, too) may run concurrently.
#[derive(Debug)]
pub struct Session {
  raw: NonNull<sys::tare_session>,
  inputs: u32,
  outputs: u32,
  _not_sync: PhantomData<std::cell::Cell<()>>,
}

unsafe impl Send for Session {}

impl Session {
  pub fn new(model: &Model, options: &SessionOptions) -> Result<Session> {
    let mut o = init_struct(sys::tare_session_options_init_sized);
    o.precision = match options.precision {
      Precision::Fp32 => sys::TARE_PRECISION_FP32,
      Precision::Fp16 => sys::TARE_PRECISION_FP16,
    };
    o.batch = i32::try_from(options.batch).map_err(|_| Error::invalid("batch out of range"))?;
    o.profiling = options.profiling as i32;
    let (inputs, outputs) = (model.input_count()?, model.output_count()?);
    let mut out = std::ptr::null_mut();
    check(unsafe { sys::tare_session_create(model.as_ptr(), &o, &mut out) })?;
    let raw = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "tare_session_create gave NULL"))?;
    Ok(Session { raw, inputs, outputs, _not_sync: PhantomData })
  }

  /// The C handle, still owned by `self`.
  pub fn as_ptr(&self) -> *mut sys::tare_session {
    self.raw.as_ptr()
  }

  pub fn input_count(&self) -> u32 {
    self.inputs
  }

  pub fn output_count(&self) -> u32 {
    self.outputs
  }

  /// Input `index` as this session runs it (its batch).
  pub fn input_info(&self, index: u32) -> Result<TensorInfo> {
    let mut info = init_struct(sys::tare_tensor_info_init_sized);
    check(unsafe { sys::tare_session_input_info(self.raw.as_ptr(), index, &mut info) })?;
    Ok(TensorInfo::from_raw(&info))
  }

  pub fn output_info(&self, index: u32) -> Result<TensorInfo> {
    let mut info = init_struct(sys::tare_tensor_info_init_sized);
    check(unsafe { sys::tare_session_output_info(self.raw.as_ptr(), index, &mut info) })?;
    Ok(TensorInfo::from_raw(&info))
  }

  /// Copies `data` into input `index`; its size in bytes must equal the input's `byte_size`.
  pub fn set_input<T: Element>(&mut self, index: u32, data: &[T]) -> Result<()> {
    self.set_input_bytes(index, as_bytes(data))
  }

  /// As [`Session::set_input`], from raw bytes.
  pub fn set_input_bytes(&mut self, index: u32, bytes: &[u8]) -> Result<()> {
    check(unsafe { sys::tare_session_set_input(self.raw.as_ptr(), index, bytes.as_ptr() as *const _, bytes.len()) })
  }

  /// Runs the graph on the GPU and waits for it.
  pub fn run(&mut self) -> Result<()> {
    check(unsafe { sys::tare_session_run(self.raw.as_ptr()) })
  }

  /// Copies output `index` into `data`; its size in bytes must equal the output's `byte_size`.
  pub fn get_output<T: Element>(&mut self, index: u32, data: &mut [T]) -> Result<()> {
    self.get_output_bytes(index, as_bytes_mut(data))
  }

  /// As [`Session::get_output`], into raw bytes.
  pub fn get_output_bytes(&mut self, index: u32, bytes: &mut [u8]) -> Result<()> {
    check(unsafe { sys::tare_session_get_output(self.raw.as_ptr(), index, bytes.as_mut_ptr() as *mut _, bytes.len()) })
  }

  /// Output `index` in a new Vec (its byte size must be a multiple of `T`'s size; use `f32` for float32 outputs,
  /// `u8`/`i8` for 8-bit ones).
  pub fn output<T: Element>(&mut self, index: u32) -> Result<Vec<T>> {
    let info = self.output_info(index)?;
    let size = std::mem::size_of::<T>();
    if info.byte_size % size != 0 {
      return Err(Error::invalid(format!(
        "output {index} has {} bytes, not a whole number of {}-byte elements",
        info.byte_size, size
      )));
    }
    let mut v = vec![T::default(); info.byte_size / size];
    self.get_output(index, &mut v)?;
    Ok(v)
  }

  /// Sets input 0, runs, and returns output 0: the whole cycle for a one-input, one-output model.
  pub fn run_single<I: Element, O: Element>(&mut self, input: &[I]) -> Result<Vec<O>> {
    self.set_input(0, input)?;
    self.run()?;
    self.output(0)
  }

  pub fn memory(&self) -> Result<MemoryReport> {
    let mut r = init_struct(sys::tare_memory_report_init_sized);
    check(unsafe { sys::tare_session_memory(self.raw.as_ptr(), &mut r) })?;
    Ok(MemoryReport {
      constant_bytes: r.constant_bytes,
      activation_bytes: r.activation_bytes,
      unplanned_bytes: r.unplanned_bytes,
      staging_bytes: r.staging_bytes,
    })
  }

  /// Where the wall time of the last run went (all 0 before the first run).
  pub fn run_timing(&self) -> Result<RunTiming> {
    let mut t = init_struct(sys::tare_run_timing_init_sized);
    check(unsafe { sys::tare_session_run_timing(self.raw.as_ptr(), &mut t) })?;
    Ok(RunTiming {
      run_ms: t.run_ms,
      queue_wait_ms: t.queue_wait_ms,
      submit_ms: t.submit_ms,
      fence_wait_ms: t.fence_wait_ms,
      profile_read_ms: t.profile_read_ms,
      gpu_span_ms: t.gpu_span_ms,
      gpu_ops_ms: t.gpu_ops_ms,
    })
  }

  /// The session's pipelines and their compile cost.
  pub fn pipelines(&self) -> Result<PipelineReport> {
    let mut r = init_struct(sys::tare_pipeline_report_init_sized);
    check(unsafe { sys::tare_session_pipelines(self.raw.as_ptr(), &mut r) })?;
    Ok(PipelineReport {
      pipelines: r.pipelines,
      shaders: r.shaders,
      compiled: r.compiled,
      threads: r.threads,
      compile_ms: r.compile_ms,
      compile_sum_ms: r.compile_sum_ms,
    })
  }

  /// Per-op GPU time of the last run (profiling must be on and the device must have timestamps).
  pub fn profile(&self) -> Result<Vec<ProfileEntry>> {
    let mut n = 0u32;
    check(unsafe { sys::tare_session_profile_count(self.raw.as_ptr(), &mut n) })?;
    (0..n)
      .map(|i| {
        let mut name = std::ptr::null();
        let mut ms = 0f64;
        check(unsafe { sys::tare_session_profile_entry(self.raw.as_ptr(), i, &mut name, &mut ms) })?;
        Ok(ProfileEntry { name: string_from_ptr(name), milliseconds: ms })
      })
      .collect()
  }
}

impl Drop for Session {
  fn drop(&mut self) {
    unsafe { sys::tare_session_destroy(self.raw.as_ptr()) }
  }
}
