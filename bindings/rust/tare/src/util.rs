use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::path::Path;

use crate::error::{Error, Result};

/// A C options/info struct initialised by its `tare_*_init` function.
///
/// The init functions set the fields of the struct as the *library* sees it, so a library newer than this crate
/// (allowed by the ABI promise: structs may grow at their end) would write past a Rust value of the older size.
/// The function therefore writes into a zeroed buffer with room to spare, and the prefix this crate knows is copied
/// out, with `struct_size` set to this crate's size (every such struct begins with `size_t struct_size`).
pub(crate) fn init_struct<T: Copy>(init: unsafe extern "C" fn(*mut T)) -> T {
  const SPARE: usize = 4096;
  assert!(std::mem::align_of::<T>() <= std::mem::align_of::<u64>());
  let words = (std::mem::size_of::<T>() + SPARE).div_ceil(8);
  let mut buf = vec![0u64; words];
  unsafe {
    init(buf.as_mut_ptr() as *mut T);
    let mut v: T = std::ptr::read(buf.as_ptr() as *const T);
    *(&mut v as *mut T as *mut usize) = std::mem::size_of::<T>();
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
