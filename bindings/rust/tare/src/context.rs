use std::ptr::NonNull;

use tare_sys as sys;

use crate::error::{check, Error, Result};
use crate::model::Model;
use crate::util::{cstring, init_struct, string_from_array};

/// Kind of a Vulkan physical device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceType {
  Other,
  IntegratedGpu,
  DiscreteGpu,
  VirtualGpu,
  Cpu,
}

impl DeviceType {
  fn from_raw(v: sys::tare_device_type) -> DeviceType {
    match v {
      sys::TARE_DEVICE_INTEGRATED_GPU => DeviceType::IntegratedGpu,
      sys::TARE_DEVICE_DISCRETE_GPU => DeviceType::DiscreteGpu,
      sys::TARE_DEVICE_VIRTUAL_GPU => DeviceType::VirtualGpu,
      sys::TARE_DEVICE_CPU => DeviceType::Cpu,
      _ => DeviceType::Other,
    }
  }
}

/// What Tare knows of a device (`tare_device_info`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceInfo {
  pub name: String,
  pub device_type: DeviceType,
  pub vendor_id: u32,
  pub device_id: u32,
  /// `VK_MAKE_API_VERSION` encoding; see [`DeviceInfo::api_version_string`].
  pub api_version: u32,
  pub fp16_arithmetic: bool,
  pub fp16_storage: bool,
  pub int8_storage: bool,
  pub int8_arithmetic: bool,
  pub integer_dot_product: bool,
  pub int64: bool,
  pub subgroup_size: u32,
  /// `VkSubgroupFeatureFlags`.
  pub subgroup_operations: u32,
  pub timestamps: bool,
  pub timestamp_period_ns: f32,
  pub max_workgroup_invocations: u32,
  pub max_shared_memory_bytes: u32,
  pub max_storage_buffer_range: u64,
  /// Size of the largest device-local heap.
  pub device_local_bytes: u64,
}

impl DeviceInfo {
  fn from_raw(r: &sys::tare_device_info) -> DeviceInfo {
    DeviceInfo {
      name: string_from_array(&r.name),
      device_type: DeviceType::from_raw(r.type_),
      vendor_id: r.vendor_id,
      device_id: r.device_id,
      api_version: r.api_version,
      fp16_arithmetic: r.fp16_arithmetic != 0,
      fp16_storage: r.fp16_storage != 0,
      int8_storage: r.int8_storage != 0,
      int8_arithmetic: r.int8_arithmetic != 0,
      integer_dot_product: r.integer_dot_product != 0,
      int64: r.int64 != 0,
      subgroup_size: r.subgroup_size,
      subgroup_operations: r.subgroup_operations,
      timestamps: r.timestamps != 0,
      timestamp_period_ns: r.timestamp_period_ns,
      max_workgroup_invocations: r.max_workgroup_invocations,
      max_shared_memory_bytes: r.max_shared_memory_bytes,
      max_storage_buffer_range: r.max_storage_buffer_range,
      device_local_bytes: r.device_local_bytes,
    }
  }

  /// "MAJOR.MINOR.PATCH" of the device's Vulkan version.
  pub fn api_version_string(&self) -> String {
    let v = self.api_version;
    format!("{}.{}.{}", (v >> 22) & 0x7f, (v >> 12) & 0x3ff, v & 0xfff)
  }
}

/// Number of Vulkan physical devices (`Err` with [`crate::Status::NoVulkan`] when Vulkan is missing).
pub fn device_count() -> Result<u32> {
  let mut n = 0u32;
  check(unsafe { sys::tare_device_count(&mut n) })?;
  Ok(n)
}

/// Device `index` in Vulkan's enumeration order.
pub fn device_info(index: u32) -> Result<DeviceInfo> {
  let mut info = init_struct(sys::tare_device_info_init_sized);
  check(unsafe { sys::tare_device_get_info(index, &mut info) })?;
  Ok(DeviceInfo::from_raw(&info))
}

/// Every Vulkan device, in enumeration order (the indices of [`ContextOptions::device_index`]).
pub fn devices() -> Result<Vec<DeviceInfo>> {
  (0..device_count()?).map(device_info).collect()
}

/// Options of [`Context::with_options`]; `Default` is `tare_context_options_init`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextOptions {
  /// `None`: automatic (discrete > integrated > virtual > CPU, overridable by the environment variable
  /// `TARE_DEVICE`); otherwise the index of [`devices`].
  pub device_index: Option<u32>,
  /// With `device_index == None`: the first device whose name contains this.
  pub device_name: Option<String>,
  /// Enable the Khronos validation layer (also enabled by `TARE_VALIDATION=1` in the environment).
  pub validation: bool,
  /// Bytes of [`Context::pipeline_cache`] from an earlier run (ignored if from another device or driver).
  pub pipeline_cache: Option<Vec<u8>>,
}

impl Default for ContextOptions {
  fn default() -> Self {
    let r = init_struct(sys::tare_context_options_init_sized);
    ContextOptions {
      device_index: u32::try_from(r.device_index).ok(),
      device_name: None,
      validation: r.validation != 0,
      pipeline_cache: None,
    }
  }
}

/// A Vulkan device opened by Tare (`tare_context`).  Models keep their context alive, so a `Context` may be dropped
/// before the models loaded into it.
///
/// `Send + Sync`: tare.h lets a context be used from any thread.
#[derive(Debug)]
pub struct Context {
  raw: NonNull<sys::tare_context>,
}

unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
  /// The automatic device with default options.
  pub fn new() -> Result<Context> {
    Context::with_options(&ContextOptions::default())
  }

  pub fn with_options(options: &ContextOptions) -> Result<Context> {
    let mut o = init_struct(sys::tare_context_options_init_sized);
    o.device_index = match options.device_index {
      None => -1,
      Some(i) => i32::try_from(i).map_err(|_| Error::invalid("device_index out of range"))?,
    };
    let name = options.device_name.as_deref().map(|n| cstring(n, "device_name")).transpose()?;
    o.device_name = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
    o.validation = options.validation as i32;
    if let Some(cache) = &options.pipeline_cache {
      o.pipeline_cache_data = cache.as_ptr() as *const _;
      o.pipeline_cache_size = cache.len();
    }
    let mut out = std::ptr::null_mut();
    check(unsafe { sys::tare_context_create(&o, &mut out) })?;
    let raw = NonNull::new(out).ok_or_else(|| Error::new(crate::Status::Internal, "tare_context_create gave NULL"))?;
    Ok(Context { raw })
  }

  /// The C handle, still owned by `self`.
  pub fn as_ptr(&self) -> *mut sys::tare_context {
    self.raw.as_ptr()
  }

  pub fn device_info(&self) -> Result<DeviceInfo> {
    let mut info = init_struct(sys::tare_device_info_init_sized);
    check(unsafe { sys::tare_context_get_device_info(self.raw.as_ptr(), &mut info) })?;
    Ok(DeviceInfo::from_raw(&info))
  }

  /// Every pipeline compiled so far, to pass back through [`ContextOptions::pipeline_cache`] next time.
  pub fn pipeline_cache(&self) -> Result<Vec<u8>> {
    let mut data = std::ptr::null_mut();
    let mut size = 0usize;
    check(unsafe { sys::tare_context_pipeline_cache(self.raw.as_ptr(), &mut data, &mut size) })?;
    Ok(unsafe { crate::model::take_tare_bytes(data, size) })
  }

  /// Messages the validation layer has reported on this context (warnings and errors).
  pub fn validation_messages(&self) -> Result<u64> {
    let mut n = 0u64;
    check(unsafe { sys::tare_context_validation_messages(self.raw.as_ptr(), &mut n) })?;
    Ok(n)
  }

  /// Loads and verifies a .tflite file (see [`Model::load_file`]).
  pub fn load_model(&self, path: impl AsRef<std::path::Path>) -> Result<Model> {
    Model::load_file(self, path)
  }

  /// Loads and verifies a .tflite model from memory (the bytes are copied).
  pub fn load_model_bytes(&self, bytes: &[u8]) -> Result<Model> {
    Model::load_bytes(self, bytes)
  }
}

impl Drop for Context {
  fn drop(&mut self) {
    unsafe { sys::tare_context_destroy(self.raw.as_ptr()) }
  }
}

/// An operator type Tare implements and its paths (`tare_op_support_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpSupport {
  /// TFLite builtin name, e.g. "CONV_2D" (an internal op: Tare's own name).
  pub name: String,
  /// `tflite::BuiltinOperator` code; `None` for an internal op.
  pub builtin_code: Option<i32>,
  /// A second code imported as this op and its TFLite name (PADV2 as PAD).
  pub alt_builtin: Option<(i32, String)>,
  /// Tare's own op, never read from or written to a .tflite file (e.g. FAKE_QUANT).
  pub internal: bool,
  /// Float inference: fp32 and fp16 GPU kernels.
  pub float: bool,
  /// 8-bit inference, TFLite-exact.
  pub int8: bool,
  /// A backward kernel: bias fine-tuning trains through the op.
  pub gradient: bool,
  /// Read from .tflite files.
  pub import: bool,
  /// Written to .tflite files.
  pub export: bool,
  /// A TFLite CUSTOM op code imported as this op (exported as the builtin), e.g. MediaPipe's
  /// "Convolution2DTransposeBias" for TRANSPOSE_CONV.
  pub custom_name: Option<String>,
}

/// Every operator type Tare implements (`tare_op_count`, `tare_op_support`), in the library's order.
pub fn supported_ops() -> Result<Vec<OpSupport>> {
  let mut n = 0u32;
  check(unsafe { sys::tare_op_count(&mut n) })?;
  (0..n)
    .map(|i| {
      let mut r = init_struct(sys::tare_op_support_info_init_sized);
      check(unsafe { sys::tare_op_support(i, &mut r) })?;
      Ok(OpSupport {
        name: string_from_array(&r.name),
        builtin_code: (r.builtin_code >= 0).then_some(r.builtin_code),
        alt_builtin: (r.alt_builtin_code >= 0).then(|| (r.alt_builtin_code, string_from_array(&r.alt_name))),
        internal: r.is_internal != 0,
        float: r.has_float != 0,
        int8: r.has_int8 != 0,
        gradient: r.has_gradient != 0,
        import: r.can_import != 0,
        export: r.can_export != 0,
        custom_name: Some(string_from_array(&r.custom_name)).filter(|s| !s.is_empty()),
      })
    })
    .collect()
}
