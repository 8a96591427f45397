use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::path::Path;

use crate::error::{Error, Result};

/// A C options/info struct initialised by its `tare_*_init_sized` function, given this crate's size of the struct
/// (what tare.h's `tare_*_init(p)` macros do with C's `sizeof`).  The library writes the defaults of the fields that
/// fit and never more than that size, so a library newer than this crate, whose structs may have grown at their end
/// (the ABI promise), cannot write past the Rust value; `struct_size` is set to the size written.
pub(crate) fn init_struct<T: Copy>(init: unsafe extern "C" fn(*mut T, usize)) -> T {
  unsafe {
    let mut v: T = std::mem::zeroed();
    init(&mut v, std::mem::size_of::<T>());
    v
  }
}

/// A zeroed C struct with only `struct_size` set (for outputs that have no init function).
pub(crate) fn sized_zeroed<T: Copy>() -> T {
  unsafe {
    let mut v: T = std::mem::zeroed();
    *(&mut v as *mut T as *mut usize) = std::mem::size_of::<T>();
    v
  }
}

pub(crate) fn string_from_ptr(p: *const c_char) -> String {
  if p.is_null() {
    String::new()
  } else {
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
  }
}

/// A fixed-size C char array (NUL-terminated within its length, or filling it).
pub(crate) fn string_from_array(a: &[c_char]) -> String {
  let bytes: Vec<u8> = a.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
  String::from_utf8_lossy(&bytes).into_owned()
}

pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
  CString::new(s).map_err(|_| Error::invalid(format!("{what} contains a NUL byte")))
}

pub(crate) fn path_cstring(p: &Path) -> Result<CString> {
  #[cfg(unix)]
  {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::invalid("the path contains a NUL byte"))
  }
  #[cfg(not(unix))]
  {
    let s = p.to_str().ok_or_else(|| Error::invalid("the path is not valid Unicode"))?;
    cstring(s, "the path")
  }
}

mod sealed {
  pub trait Sealed {}
}

/// Plain element types that tensors can be read and written as: any bit pattern is a valid value, no padding.
/// `u16` holds float16 bits.
pub trait Element: sealed::Sealed + Copy + Default + 'static {}

macro_rules! elements {
  ($($t:ty),*) => { $(impl sealed::Sealed for $t {} impl Element for $t {})* };
}
elements!(f32, f64, u8, i8, u16, i16, u32, i32, u64, i64);

pub(crate) fn as_bytes<T: Element>(s: &[T]) -> &[u8] {
  unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, std::mem::size_of_val(s)) }
}

pub(crate) fn as_bytes_mut<T: Element>(s: &mut [T]) -> &mut [u8] {
  unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut u8, std::mem::size_of_val(s)) }
}
