use std::ffi::CStr;
use std::fmt;

use tare_sys as sys;

/// A failure status of the C API (`tare_status` without `TARE_OK`).  The set is open: a newer library may return a
/// code this crate does not know, which arrives as [`Status::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
  /// A NULL pointer, a bad option, a wrong size or shape.
  InvalidArgument,
  /// The model file is corrupt or inconsistent.
  InvalidModel,
  /// A valid model uses something Tare does not implement.
  Unsupported,
  /// No Vulkan loader or no usable device.
  NoVulkan,
  /// A Vulkan call failed.
  Device,
  /// Host or device memory exhausted.
  OutOfMemory,
  /// A file could not be read or written.
  Io,
  /// A progress callback asked to stop (or a Rust callback panicked).
  Cancelled,
  /// A bug in Tare.
  Internal,
  /// The GPU did not finish within the context's fence timeout: the context is lost.
  Timeout,
  /// The device was lost (or timed out before): destroy the context.
  DeviceLost,
  /// A code this version of the crate does not know.
  Other(i32),
}

impl Status {
  /// The status of a C return code; `None` for `TARE_OK`.
  pub fn from_code(code: sys::tare_status) -> Option<Status> {
    Some(match code {
      sys::TARE_OK => return None,
      sys::TARE_ERROR_INVALID_ARGUMENT => Status::InvalidArgument,
      sys::TARE_ERROR_INVALID_MODEL => Status::InvalidModel,
      sys::TARE_ERROR_UNSUPPORTED => Status::Unsupported,
      sys::TARE_ERROR_NO_VULKAN => Status::NoVulkan,
      sys::TARE_ERROR_DEVICE => Status::Device,
      sys::TARE_ERROR_OUT_OF_MEMORY => Status::OutOfMemory,
      sys::TARE_ERROR_IO => Status::Io,
      sys::TARE_ERROR_CANCELLED => Status::Cancelled,
      sys::TARE_ERROR_INTERNAL => Status::Internal,
      sys::TARE_ERROR_TIMEOUT => Status::Timeout,
      sys::TARE_ERROR_DEVICE_LOST => Status::DeviceLost,
      other => Status::Other(other),
    })
  }

  /// The C `tare_status` value.
  pub fn code(self) -> sys::tare_status {
    match self {
      Status::InvalidArgument => sys::TARE_ERROR_INVALID_ARGUMENT,
      Status::InvalidModel => sys::TARE_ERROR_INVALID_MODEL,
      Status::Unsupported => sys::TARE_ERROR_UNSUPPORTED,
      Status::NoVulkan => sys::TARE_ERROR_NO_VULKAN,
      Status::Device => sys::TARE_ERROR_DEVICE,
      Status::OutOfMemory => sys::TARE_ERROR_OUT_OF_MEMORY,
      Status::Io => sys::TARE_ERROR_IO,
      Status::Cancelled => sys::TARE_ERROR_CANCELLED,
      Status::Internal => sys::TARE_ERROR_INTERNAL,
      Status::Timeout => sys::TARE_ERROR_TIMEOUT,
      Status::DeviceLost => sys::TARE_ERROR_DEVICE_LOST,
      Status::Other(c) => c,
    }
  }

  /// The library's fixed name, e.g. `"TARE_ERROR_INVALID_MODEL"` (`tare_status_string`).
  pub fn name(self) -> String {
    let p = unsafe { sys::tare_status_string(self.code()) };
    if p.is_null() {
      return format!("tare_status {}", self.code());
    }
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
  }
}

/// An error of the library: the status and the message of `tare_last_error` (or of the Rust side, for checks made
/// before calling into C and errors returned by the caller's own closures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
  status: Status,
  message: String,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
  /// An error made on the Rust side, e.g. by an input closure.
  pub fn new(status: Status, message: impl Into<String>) -> Error {
    Error { status, message: message.into() }
  }

  /// The error of the C call that just returned `code` on this thread (the message is `tare_last_error()`).
  pub(crate) fn last(code: sys::tare_status) -> Error {
    let p = unsafe { sys::tare_last_error() };
    let message = if p.is_null() { String::new() } else { unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned() };
    Error { status: Status::from_code(code).unwrap_or(Status::Internal), message }
  }

  pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArgument, message)
  }

  pub fn status(&self) -> Status {
    self.status
  }

  /// The C `tare_status` code.
  pub fn code(&self) -> i32 {
    self.status.code()
  }

  pub fn message(&self) -> &str {
    &self.message
  }
}

impl fmt::Display for Error {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}: {}", self.status.name(), self.message)
  }
}

impl std::error::Error for Error {}

/// `Ok(())` for `TARE_OK`, else the thread's last error.  Must be called right after the C call, on its thread.
pub(crate) fn check(code: sys::tare_status) -> Result<()> {
  if code == sys::TARE_OK {
    Ok(())
  } else {
    Err(Error::last(code))
  }
}
