//! The pixel functions through the safe API: hand-computed values, the Rust-side buffer checks, and (with data)
//! a JPEG decoded by libtare_image and preprocessed with the defaults, equal bit for bit to the data set's reference
//! input made by Pillow.
mod common;

use tare::{preprocess, Crop, DType, Image, ImageOptions, PixelFormat, Pixels, ResizeFilter, Rotation, Status};

fn tensor(width: i32, height: i32, dtype: DType) -> tare::TensorInfo {
  tare::TensorInfo::image(width, height, dtype)
}

#[test]
fn hand_computed_resizes_rotations_and_normalization() {
  // A 2 x 1 ramp: bilinear 2 -> 4 gives 0, 64, 191, 255 (Pillow's triangle filter); nearest 0, 0, 255, 255.
  let ramp = [0u8, 0, 0, 255, 255, 255];
  let px = Pixels::packed(PixelFormat::Rgb8, 2, 1, &ramp);
  let mut o = ImageOptions { crop: Crop::Central(1.0), ..ImageOptions::default() };
  let mut out = vec![0u8; 12];
  preprocess(&px, &o, &tensor(4, 1, DType::UInt8), &mut out).unwrap();
  assert_eq!(out, [0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255]);
  o.resize = ResizeFilter::Nearest;
  preprocess(&px, &o, &tensor(4, 1, DType::UInt8), &mut out).unwrap();
  assert_eq!(out, [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
  // Turned by 90 degrees clockwise the 2 x 1 image is 1 x 2, its left pixel on top.
  o.rotation = Rotation::R90;
  let mut turned = vec![0u8; 6];
  preprocess(&px, &o, &tensor(1, 2, DType::UInt8), &mut turned).unwrap();
  assert_eq!(turned, [0, 0, 0, 255, 255, 255]);
  // Defaults: (pixel - 127.5) / 127.5.
  let mut f = vec![0u8; 24];
  let d = ImageOptions { crop: Crop::Central(1.0), ..ImageOptions::default() };
  preprocess(&px, &d, &tensor(2, 1, DType::Float32), &mut f).unwrap();
  let v: Vec<f32> = f.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
  assert_eq!(v, [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]);
  // int8 with scale 1/128, zero point -1: round(-1 * 128) - 1 = -129 -> -128; round(1 * 128) - 1 = 127.
  let mut q = vec![0u8; 6];
  preprocess(&px, &d, &tensor(2, 1, DType::Int8).with_quantization(1.0 / 128.0, -1), &mut q).unwrap();
  assert_eq!(q, [128, 128, 128, 127, 127, 127]);
  // NV12 2 x 1: Y 100, U 255, V 128 -> R 100, G 56, B 255 (BT.601 full range, clamped).
  let nv12 = [100u8, 100, 255, 128];
  let mut rgb = vec![0u8; 6];
  preprocess(&Pixels::packed(PixelFormat::Nv12, 2, 1, &nv12), &d, &tensor(2, 1, DType::UInt8), &mut rgb).unwrap();
  assert_eq!(rgb, [100, 56, 255, 100, 56, 255]);
}

#[test]
fn short_buffers_and_bad_options_are_refused() {
  let small = [0u8; 10];
  let mut out = vec![0u8; 12];
  let o = ImageOptions::default();
  let e = preprocess(&Pixels::packed(PixelFormat::Rgb8, 2, 2, &small), &o, &tensor(2, 2, DType::UInt8), &mut out);
  assert_eq!(e.unwrap_err().status(), Status::InvalidArgument);
  let nv = [0u8; 4]; // a 2 x 2 NV21 frame needs 4 + 2 bytes
  let e = preprocess(&Pixels::packed(PixelFormat::Nv21, 2, 2, &nv), &o, &tensor(2, 2, DType::UInt8), &mut out);
  assert!(e.unwrap_err().message().contains("chroma"));
  let px = [0u8; 12];
  let bad = ImageOptions { crop: Crop::Box { x: 1, y: 0, width: 2, height: 2 }, ..o };
  let e = preprocess(&Pixels::packed(PixelFormat::Rgb8, 2, 2, &px), &bad, &tensor(2, 2, DType::UInt8), &mut out);
  let e = e.unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert!(e.message().contains("crop box"), "{}", e.message());
  let e = preprocess(&Pixels::packed(PixelFormat::Rgb8, 2, 2, &px), &o, &tensor(2, 2, DType::UInt8), &mut out[..5]);
  assert!(e.unwrap_err().message().contains("out_size"));
}

#[test]
fn jpeg_decoded_and_preprocessed_equals_pillows_reference() {
  let rel = "images/imagenet_sample_1000/n01440764_tench.JPEG";
  let Some(data) = common::data("jpeg_decoded_and_preprocessed_equals_pillows_reference", rel) else { return };
  let reference = data.join("ref/mobilenet_v2_1.0_224_float/in_img1.bin"); // Pillow's preprocessing of the tench
  let image = Image::load_file(data.join(rel)).unwrap();
  assert_eq!((image.width, image.height, image.rgb.len()), (500, 375, 500 * 375 * 3));
  let mut out = vec![0u8; 224 * 224 * 3 * 4];
  preprocess(&image.pixels(), &ImageOptions::default(), &tensor(224, 224, DType::Float32), &mut out).unwrap();
  let want = std::fs::read(reference).unwrap();
  assert!(out == want, "the preprocessed tench differs from ref/mobilenet_v2_1.0_224_float/in_img1.bin");
  let bytes = std::fs::read(data.join(rel)).unwrap();
  assert_eq!(Image::load_memory(&bytes).unwrap(), image);
  let cut = Image::load_memory(&bytes[..bytes.len() / 3]).unwrap_err();
  assert_eq!(cut.status(), Status::InvalidArgument);
  assert!(cut.message().contains("truncated or corrupt"), "{}", cut.message());
  assert_eq!(Image::load_file("/nonexistent.jpg").unwrap_err().status(), Status::Io);
}
