//! Raw declarations of libtare_image (include/tare/tare_image.h): JPEG/PNG decoding into `tare_pixels`.  Only with
//! the `image` feature (the default), which links libtare_image beside libtare.
use crate::{c_char, c_void, tare_pixels, tare_status};

#[link(name = "tare_image")]
extern "C" {
  pub fn tare_image_load_file(path: *const c_char, pixels: *mut tare_pixels) -> tare_status;
  pub fn tare_image_load_memory(data: *const c_void, size: usize, pixels: *mut tare_pixels) -> tare_status;
  pub fn tare_image_free(pixels: *mut tare_pixels);
  pub fn tare_image_last_error() -> *const c_char;
}
