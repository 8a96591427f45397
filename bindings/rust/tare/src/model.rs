use std::path::Path;
use std::ptr::NonNull;

use tare_sys as sys;

use crate::context::Context;
use crate::error::{check, Error, Result, Status};
use crate::session::{Session, SessionOptions};
use crate::util::{init_struct, path_cstring, string_from_array};

/// Element type of a tensor (`tare_dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
  Float32,
  Float16,
  Int32,
  UInt8,
  Int8,
  Int64,
  Int16,
  Bool,
  /// A code this version of the crate does not know.
  Other(i32),
}

impl DType {
  pub(crate) fn from_raw(v: sys::tare_dtype) -> DType {
    match v {
      sys::TARE_DTYPE_FLOAT32 => DType::Float32,
      sys::TARE_DTYPE_FLOAT16 => DType::Float16,
      sys::TARE_DTYPE_INT32 => DType::Int32,
      sys::TARE_DTYPE_UINT8 => DType::UInt8,
      sys::TARE_DTYPE_INT8 => DType::Int8,
      sys::TARE_DTYPE_INT64 => DType::Int64,
      sys::TARE_DTYPE_INT16 => DType::Int16,
      sys::TARE_DTYPE_BOOL => DType::Bool,
      other => DType::Other(other),
    }
  }

  pub(crate) fn to_raw(self) -> sys::tare_dtype {
    match self {
      DType::Float32 => sys::TARE_DTYPE_FLOAT32,
      DType::Float16 => sys::TARE_DTYPE_FLOAT16,
      DType::Int32 => sys::TARE_DTYPE_INT32,
      DType::UInt8 => sys::TARE_DTYPE_UINT8,
      DType::Int8 => sys::TARE_DTYPE_INT8,
      DType::Int64 => sys::TARE_DTYPE_INT64,
      DType::Int16 => sys::TARE_DTYPE_INT16,
      DType::Bool => sys::TARE_DTYPE_BOOL,
      DType::Other(c) => c,
    }
  }

  /// Bytes per element (`None` for an unknown type).
  pub fn size(self) -> Option<usize> {
    match self {
      DType::Float32 | DType::Int32 => Some(4),
      DType::Float16 | DType::Int16 => Some(2),
      DType::UInt8 | DType::Int8 | DType::Bool => Some(1),
      DType::Int64 => Some(8),
      DType::Other(_) => None,
    }
  }
}

/// A tensor's description (`tare_tensor_info`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TensorInfo {
  pub name: String,
  pub dtype: DType,
  pub shape: Vec<i32>,
  /// Bytes of the dense tensor in `dtype`.
  pub byte_size: usize,
  /// Whether `scale`/`zero_point` are meaningful.
  pub quantized: bool,
  /// First (or only) scale.
  pub scale: f32,
  /// First (or only) zero point.
  pub zero_point: i64,
  /// Axis of per-channel parameters.
  pub quantized_dimension: Option<i32>,
  /// 1 for per-tensor quantization.
  pub num_scales: i32,
}

impl TensorInfo {
  pub(crate) fn from_raw(r: &sys::tare_tensor_info) -> TensorInfo {
    let rank = (r.rank.max(0) as usize).min(sys::TARE_MAX_RANK);
    TensorInfo {
      name: string_from_array(&r.name),
      dtype: DType::from_raw(r.dtype),
      shape: r.shape[..rank].to_vec(),
      byte_size: r.byte_size,
      quantized: r.quantized != 0,
      scale: r.scale,
      zero_point: r.zero_point,
      quantized_dimension: if r.quantized_dimension >= 0 { Some(r.quantized_dimension) } else { None },
      num_scales: r.num_scales,
    }
  }

  /// Number of elements (product of the shape).
  pub fn elements(&self) -> usize {
    self.shape.iter().map(|&d| d.max(0) as usize).product()
  }
}

/// An operator of the model (`tare_op_info`), after import-time folding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpInfo {
  /// TFLite builtin name, e.g. "CONV_2D".
  pub op_type: String,
  /// The operator's index in the .tflite file.
  pub source_index: i32,
  /// Inputs in all (`inputs` lists at most `TARE_OP_MAX_INPUTS`).
  pub num_inputs: u32,
  pub num_outputs: u32,
  /// Tensor indices ([`Model::tensor_info`]); -1 marks an omitted optional input.
  pub inputs: Vec<i32>,
  pub outputs: Vec<i32>,
  /// Multiply-accumulates at batch 1 (conv, depthwise, fully connected).
  pub macs: u64,
}

/// A loaded (or quantized, corrected, equalized) model (`tare_model`).  A model keeps its context alive and is kept
/// alive by its sessions, so handles may be dropped in any order.
///
/// `Send + Sync`: tare.h lets a model be used from any thread (a model is never changed after it is made; every
/// transformation returns a new one).
#[derive(Debug)]
pub struct Model {
  raw: NonNull<sys::tare_model>,
}

unsafe impl Send for Model {}
unsafe impl Sync for Model {}

type CountFn = unsafe extern "C" fn(*const sys::tare_model, *mut u32) -> sys::tare_status;
type InfoFn = unsafe extern "C" fn(*const sys::tare_model, u32, *mut sys::tare_tensor_info) -> sys::tare_status;

impl Model {
  /// Takes ownership of a handle returned by the C API (NULL is an internal error).
  pub(crate) fn from_raw(p: *mut sys::tare_model) -> Result<Model> {
    NonNull::new(p).map(|raw| Model { raw }).ok_or_else(|| Error::new(Status::Internal, "the C API returned NULL"))
  }

  /// Loads and verifies a .tflite file; nothing is kept open.
  pub fn load_file(context: &Context, path: impl AsRef<Path>) -> Result<Model> {
    let p = path_cstring(path.as_ref())?;
    let mut out = std::ptr::null_mut();
    check(unsafe { sys::tare_model_load_file(context.as_ptr(), p.as_ptr(), &mut out) })?;
    Model::from_raw(out)
  }

  /// Loads and verifies a .tflite model from memory; the bytes are copied.
  pub fn load_bytes(context: &Context, bytes: &[u8]) -> Result<Model> {
    let mut out = std::ptr::null_mut();
    check(unsafe { sys::tare_model_load_memory(context.as_ptr(), bytes.as_ptr() as *const _, bytes.len(), &mut out) })?;
    Model::from_raw(out)
  }

  /// The C handle, still owned by `self`.  (The C API takes `tare_model*` in places where it only reads the model.)
  pub fn as_ptr(&self) -> *mut sys::tare_model {
    self.raw.as_ptr()
  }

  fn count(&self, f: CountFn) -> Result<u32> {
    let mut n = 0u32;
    check(unsafe { f(self.raw.as_ptr(), &mut n) })?;
    Ok(n)
  }

  fn info(&self, f: InfoFn, index: u32) -> Result<TensorInfo> {
    let mut info = init_struct(sys::tare_tensor_info_init_sized);
    check(unsafe { f(self.raw.as_ptr(), index, &mut info) })?;
    Ok(TensorInfo::from_raw(&info))
  }

  pub fn input_count(&self) -> Result<u32> {
    self.count(sys::tare_model_input_count)
  }

  pub fn output_count(&self) -> Result<u32> {
    self.count(sys::tare_model_output_count)
  }

  pub fn input_info(&self, index: u32) -> Result<TensorInfo> {
    self.info(sys::tare_model_input_info, index)
  }

  pub fn output_info(&self, index: u32) -> Result<TensorInfo> {
    self.info(sys::tare_model_output_info, index)
  }

  /// Every input's description.
  pub fn inputs(&self) -> Result<Vec<TensorInfo>> {
    (0..self.input_count()?).map(|i| self.input_info(i)).collect()
  }

  /// Every output's description.
  pub fn outputs(&self) -> Result<Vec<TensorInfo>> {
    (0..self.output_count()?).map(|i| self.output_info(i)).collect()
  }

  /// Number of tensors, constants included.
  pub fn tensor_count(&self) -> Result<u32> {
    self.count(sys::tare_model_tensor_count)
  }

  /// Tensor `index` (the indices of [`OpInfo::inputs`]).
  pub fn tensor_info(&self, index: u32) -> Result<TensorInfo> {
    self.info(sys::tare_model_tensor_info, index)
  }

  pub fn op_count(&self) -> Result<u32> {
    self.count(sys::tare_model_op_count)
  }

  /// Operator `index` in execution order.
  pub fn op_info(&self, index: u32) -> Result<OpInfo> {
    let mut r = init_struct(sys::tare_op_info_init_sized);
    check(unsafe { sys::tare_model_op_info(self.raw.as_ptr(), index, &mut r) })?;
    let ni = (r.num_inputs as usize).min(sys::TARE_OP_MAX_INPUTS);
    let no = (r.num_outputs as usize).min(sys::TARE_OP_MAX_OUTPUTS);
    Ok(OpInfo {
      op_type: string_from_array(&r.type_),
      source_index: r.source_index,
      num_inputs: r.num_inputs,
      num_outputs: r.num_outputs,
      inputs: r.inputs[..ni].to_vec(),
      outputs: r.outputs[..no].to_vec(),
      macs: r.macs,
    })
  }

  /// Every operator, in execution order.
  pub fn ops(&self) -> Result<Vec<OpInfo>> {
    (0..self.op_count()?).map(|i| self.op_info(i)).collect()
  }

  /// A session that runs this model ([`Session::new`]).
  pub fn session(&self, options: &SessionOptions) -> Result<Session> {
    Session::new(self, options)
  }

  /// Writes the model as a standard .tflite file (int8 for a quantized model).
  pub fn export_file(&self, path: impl AsRef<Path>) -> Result<()> {
    let p = path_cstring(path.as_ref())?;
    check(unsafe { sys::tare_model_export_file(self.raw.as_ptr(), p.as_ptr()) })
  }

  /// The .tflite bytes of [`Model::export_file`].
  pub fn export_to_vec(&self) -> Result<Vec<u8>> {
    let mut data = std::ptr::null_mut();
    let mut size = 0usize;
    check(unsafe { sys::tare_model_export_memory(self.raw.as_ptr(), &mut data, &mut size) })?;
    Ok(unsafe { take_tare_bytes(data, size) })
  }

  /// Floats of one image of the single float32 input (the input's elements over its batch).
  pub(crate) fn per_image_floats(&self) -> Result<usize> {
    if self.input_count()? != 1 {
      return Err(Error::invalid("the model must have exactly one input"));
    }
    let info = self.input_info(0)?;
    if info.dtype != DType::Float32 || info.shape.is_empty() || info.shape[0] <= 0 {
      return Err(Error::invalid("the model's input is not float32"));
    }
    Ok(info.elements() / info.shape[0] as usize)
  }
}

impl Drop for Model {
  fn drop(&mut self) {
    unsafe { sys::tare_model_destroy(self.raw.as_ptr()) }
  }
}

/// Copies bytes allocated by Tare into a Vec and releases them with `tare_free`.
pub(crate) unsafe fn take_tare_bytes(data: *mut std::ffi::c_void, size: usize) -> Vec<u8> {
  if data.is_null() {
    return Vec::new();
  }
  let v = std::slice::from_raw_parts(data as *const u8, size).to_vec();
  sys::tare_free(data);
  v
}
