//! Pixels into input tensors (`tare_image_preprocess`, `tare_session_set_input_image`) and, with the `image`
//! feature, JPEG/PNG files decoded by libtare_image (`Image::load_file`).
use tare_sys as sys;

use crate::error::{check, Error, Result};
use crate::model::{DType, TensorInfo};
use crate::session::Session;
use crate::util::init_struct;

/// Layout of a pixel buffer (`tare_pixel_format`).  NV21/NV12: YCbCr 4:2:0, BT.601 full range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
  Rgba8,
  Bgra8,
  Rgb8,
  Bgr8,
  Gray8,
  /// Y plane, then interleaved V, U pairs (Android camera frames).
  Nv21,
  /// Y plane, then interleaved U, V pairs.
  Nv12,
}

impl PixelFormat {
  fn raw(self) -> sys::tare_pixel_format {
    match self {
      PixelFormat::Rgba8 => sys::TARE_PIXEL_RGBA8,
      PixelFormat::Bgra8 => sys::TARE_PIXEL_BGRA8,
      PixelFormat::Rgb8 => sys::TARE_PIXEL_RGB8,
      PixelFormat::Bgr8 => sys::TARE_PIXEL_BGR8,
      PixelFormat::Gray8 => sys::TARE_PIXEL_GRAY8,
      PixelFormat::Nv21 => sys::TARE_PIXEL_NV21,
      PixelFormat::Nv12 => sys::TARE_PIXEL_NV12,
    }
  }

  /// Bytes of one pixel in the first plane.
  pub fn bytes_per_pixel(self) -> usize {
    match self {
      PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
      PixelFormat::Rgb8 | PixelFormat::Bgr8 => 3,
      _ => 1,
    }
  }

  fn is_yuv(self) -> bool {
    matches!(self, PixelFormat::Nv21 | PixelFormat::Nv12)
  }
}

/// A borrowed pixel buffer (`tare_pixels`).  `stride` 0: packed rows.  NV12/NV21: `uv` is the chroma plane
/// ((height + 1) / 2 rows of (width + 1) / 2 pairs, `uv_stride` bytes apart, 0: the Y stride), or `None` when it
/// follows the Y plane in `data`.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
  pub format: PixelFormat,
  pub width: u32,
  pub height: u32,
  pub data: &'a [u8],
  pub stride: usize,
  pub uv: Option<&'a [u8]>,
  pub uv_stride: usize,
}

impl<'a> Pixels<'a> {
  /// Packed rows of `format` (NV12/NV21: the chroma plane right after the Y plane).
  pub fn packed(format: PixelFormat, width: u32, height: u32, data: &'a [u8]) -> Pixels<'a> {
    Pixels { format, width, height, data, stride: 0, uv: None, uv_stride: 0 }
  }

  /// The C struct, after checking that the slices hold every byte the library will read (the C API cannot).
  fn to_raw(&self) -> Result<sys::tare_pixels> {
    let too_small = |what: &str, need: usize, have: usize| {
      Error::invalid(format!("pixels: {what} holds {have} bytes, {need} needed"))
    };
    let (w, h) = (self.width as usize, self.height as usize);
    let row = w * self.format.bytes_per_pixel();
    let stride = if self.stride == 0 { row } else { self.stride };
    if w == 0 || h == 0 || stride < row {
      // The library names the problem.
      return Ok(self.raw(stride));
    }
    let y_need = stride
      .checked_mul(h - 1)
      .and_then(|v| v.checked_add(row))
      .ok_or_else(|| Error::invalid("pixels: stride x height overflows"))?;
    if self.data.len() < y_need {
      return Err(too_small("data", y_need, self.data.len()));
    }
    if self.format.is_yuv() {
      let (uv_row, uv_rows) = (2 * ((w + 1) / 2), (h + 1) / 2);
      let uv_stride = if self.uv_stride == 0 { stride } else { self.uv_stride };
      let uv_need = uv_stride.checked_mul(uv_rows - 1).and_then(|v| v.checked_add(uv_row));
      let uv_need = uv_need.ok_or_else(|| Error::invalid("pixels: uv_stride x rows overflows"))?;
      match self.uv {
        Some(uv) if uv.len() < uv_need => return Err(too_small("uv", uv_need, uv.len())),
        None if self.data.len() < stride * h + uv_need => {
          return Err(too_small("data (Y and chroma planes)", stride * h + uv_need, self.data.len()))
        }
        _ => {}
      }
    } else if self.uv.is_some() {
      return Err(Error::invalid("pixels: uv is only for NV12 and NV21"));
    }
    Ok(self.raw(stride))
  }

  fn raw(&self, stride: usize) -> sys::tare_pixels {
    let mut p: sys::tare_pixels = init_struct(sys::tare_pixels_init_sized);
    p.format = self.format.raw();
    p.width = self.width.min(i32::MAX as u32) as i32;
    p.height = self.height.min(i32::MAX as u32) as i32;
    p.data = self.data.as_ptr() as *const _;
    p.stride = stride;
    p.uv = self.uv.map_or(std::ptr::null(), |uv| uv.as_ptr() as *const _);
    p.uv_stride = self.uv_stride;
    p
  }
}

/// Clockwise turn of the image (`tare_rotation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rotation {
  R0,
  R90,
  R180,
  R270,
}

/// `tare_resize_filter`: Pillow's `Image.BILINEAR` or `Image.NEAREST`, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResizeFilter {
  Bilinear,
  Nearest,
}

/// The crop of the rotated image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crop {
  /// tf.image.central_crop's box of this fraction, in (0, 1]; 1: no crop.
  Central(f64),
  /// A box.
  Box { x: i32, y: i32, width: i32, height: i32 },
}

/// `tare_image_options`; `Default` is `tare_image_options_init`'s (the `tare` CLI's pipeline: central crop 0.875,
/// bilinear, RGB, mean = std = 127.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageOptions {
  pub rotation: Rotation,
  pub crop: Crop,
  pub resize: ResizeFilter,
  /// The tensor's channels in BGR order.
  pub bgr: bool,
  /// Per tensor channel: value = (pixel - mean) / std.
  pub mean: [f64; 3],
  pub std: [f64; 3],
}

impl Default for ImageOptions {
  fn default() -> Self {
    let r: sys::tare_image_options = init_struct(sys::tare_image_options_init_sized);
    ImageOptions {
      rotation: Rotation::R0,
      crop: Crop::Central(r.crop_fraction),
      resize: ResizeFilter::Bilinear,
      bgr: r.channels == sys::TARE_CHANNELS_BGR,
      mean: r.mean,
      std: r.std,
    }
  }
}

impl ImageOptions {
  fn to_raw(&self) -> sys::tare_image_options {
    let mut o: sys::tare_image_options = init_struct(sys::tare_image_options_init_sized);
    o.rotation = match self.rotation {
      Rotation::R0 => sys::TARE_ROTATE_0,
      Rotation::R90 => sys::TARE_ROTATE_90,
      Rotation::R180 => sys::TARE_ROTATE_180,
      Rotation::R270 => sys::TARE_ROTATE_270,
    };
    match self.crop {
      Crop::Central(f) => o.crop_fraction = f,
      Crop::Box { x, y, width, height } => {
        (o.crop_x, o.crop_y, o.crop_width, o.crop_height) = (x, y, width, height);
      }
    }
    o.resize = if self.resize == ResizeFilter::Nearest { sys::TARE_RESIZE_NEAREST } else { sys::TARE_RESIZE_BILINEAR };
    o.channels = if self.bgr { sys::TARE_CHANNELS_BGR } else { sys::TARE_CHANNELS_RGB };
    o.mean = self.mean;
    o.std = self.std;
    o
  }
}

/// Preprocesses `pixels` into `out` for a tensor like `tensor` ([1, H, W, 3] float32, int8 or uint8; a uint8
/// tensor that is not quantized receives the pixels): `out.len()` must be the tensor's byte size.
pub fn preprocess(pixels: &Pixels, options: &ImageOptions, tensor: &TensorInfo, out: &mut [u8]) -> Result<()> {
  let p = pixels.to_raw()?;
  let o = options.to_raw();
  let mut t: sys::tare_tensor_info = init_struct(sys::tare_tensor_info_init_sized);
  if tensor.shape.len() > sys::TARE_MAX_RANK {
    return Err(Error::invalid(format!("tensor rank {} is above {}", tensor.shape.len(), sys::TARE_MAX_RANK)));
  }
  t.dtype = tensor.dtype.to_raw();
  t.rank = tensor.shape.len() as i32;
  t.shape[..tensor.shape.len()].copy_from_slice(&tensor.shape);
  t.byte_size = tensor.byte_size;
  t.quantized = tensor.quantized as i32;
  t.scale = tensor.scale;
  t.zero_point = tensor.zero_point;
  check(unsafe { sys::tare_image_preprocess(&p, &o, &t, out.as_mut_ptr() as *mut _, out.len()) })
}

impl TensorInfo {
  /// An image tensor [1, height, width, 3] of `dtype`, not quantized: what [`preprocess`] writes into a buffer of
  /// one's own (a uint8 one receives the pixels themselves).
  pub fn image(width: i32, height: i32, dtype: DType) -> TensorInfo {
    let values = width.max(0) as usize * height.max(0) as usize * 3;
    TensorInfo {
      name: String::new(),
      dtype,
      shape: vec![1, height, width, 3],
      byte_size: values * dtype.size().unwrap_or(0),
      quantized: false,
      scale: 0.0,
      zero_point: 0,
      quantized_dimension: None,
      num_scales: 0,
    }
  }

  /// The same tensor quantized with `scale` and `zero_point` (int8 or uint8).
  pub fn with_quantization(mut self, scale: f32, zero_point: i64) -> TensorInfo {
    (self.quantized, self.scale, self.zero_point, self.num_scales) = (true, scale, zero_point, 1);
    self
  }
}

impl Session {
  /// Preprocesses `pixels` straight into input `index` (`tare_session_set_input_image`).
  pub fn set_input_image(&mut self, index: u32, pixels: &Pixels, options: &ImageOptions) -> Result<()> {
    let p = pixels.to_raw()?;
    let o = options.to_raw();
    check(unsafe { sys::tare_session_set_input_image(self.as_ptr(), index, &p, &o) })
  }
}

/// A decoded JPEG or PNG: 8-bit RGB, packed rows (libtare_image; Pillow's `convert('RGB')`, bit for bit).
#[cfg(feature = "image")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
  pub width: u32,
  pub height: u32,
  pub rgb: Vec<u8>,
}

#[cfg(feature = "image")]
impl Image {
  /// Decodes a JPEG or PNG file (`tare_image_load_file`).
  pub fn load_file(path: impl AsRef<std::path::Path>) -> Result<Image> {
    let c = crate::util::path_cstring(path.as_ref())?;
    Image::load(|p| unsafe { sys::tare_image::tare_image_load_file(c.as_ptr(), p) })
  }

  /// Decodes a JPEG or PNG in memory (`tare_image_load_memory`).
  pub fn load_memory(bytes: &[u8]) -> Result<Image> {
    Image::load(|p| unsafe { sys::tare_image::tare_image_load_memory(bytes.as_ptr() as *const _, bytes.len(), p) })
  }

  fn load(f: impl FnOnce(*mut sys::tare_pixels) -> sys::tare_status) -> Result<Image> {
    let mut p: sys::tare_pixels = init_struct(sys::tare_pixels_init_sized);
    let code = f(&mut p);
    if code != 0 {
      let msg = crate::util::string_from_ptr(unsafe { sys::tare_image::tare_image_last_error() });
      let status = crate::error::Status::from_code(code).unwrap_or(crate::error::Status::Internal);
      return Err(Error::new(status, msg));
    }
    let (width, height) = (p.width as u32, p.height as u32);
    let n = width as usize * height as usize * 3;
    let rgb = unsafe { std::slice::from_raw_parts(p.data as *const u8, n) }.to_vec();
    unsafe { sys::tare_image::tare_image_free(&mut p) };
    Ok(Image { width, height, rgb })
  }

  /// The pixels, for [`Session::set_input_image`] and [`preprocess`].
  pub fn pixels(&self) -> Pixels<'_> {
    Pixels::packed(PixelFormat::Rgb8, self.width, self.height, &self.rgb)
  }
}
