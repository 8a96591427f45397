//! Classifies one image with a .tflite classifier and prints the top-5, like samples/classify.c.
//!
//!     cargo run --example classify -- MODEL.tflite IMAGE.jpg|INPUT.bin [LABELS.txt]
//!
//! IMAGE.jpg / .png: decoded by libtare_image and preprocessed by `Session::set_input_image` with the defaults (the
//! `tare` CLI's pipeline: central crop 87.5 %, Pillow's bilinear resize, pixel / 127.5 - 1, or the 8-bit input's
//! quantization).  INPUT.bin: the preprocessed image as raw little-endian float32 in the model's input layout (e.g.
//! [1,224,224,3], pixel/127.5 - 1), such as ref/mobilenet_v1_0.25_224/in_img0.bin of the data set; an 8-bit input is
//! quantized from the floats with the input's scale and zero point.  LABELS.txt: one class name per line.  Without
//! arguments the data set's MobileNet-v1 0.25 and its tench JPEG are used (TARE_DATA, else ../shared/data from the
//! repository root).
use std::path::PathBuf;
use std::process::ExitCode;

use tare::{Context, DType, Image, ImageOptions, Model, SessionOptions};

// A JPEG or PNG, by its first bytes.
fn is_image(path: &PathBuf) -> bool {
  let mut head = [0u8; 8];
  let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
  (n >= 3 && head[..3] == [0xFF, 0xD8, 0xFF]) || (n == 8 && head == *b"\x89PNG\r\n\x1a\n")
}

fn read_f32(path: &PathBuf) -> Result<Vec<f32>, String> {
  let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
  if bytes.len() % 4 != 0 {
    return Err(format!("{}: {} bytes is not a whole number of float32", path.display(), bytes.len()));
  }
  Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

// The raw float32 input file, quantized for an 8-bit input.
fn set_raw_input(
  session: &mut tare::Session,
  input: &tare::TensorInfo,
  input_path: &PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
  let floats = read_f32(input_path)?;
  if floats.len() != input.elements() {
    return Err(
      format!(
        "{} holds {} floats; input '{}' {:?} takes {}",
        input_path.display(),
        floats.len(),
        input.name,
        input.shape,
        input.elements()
      )
      .into(),
    );
  }

  match input.dtype {
    DType::Float32 => session.set_input(0, &floats)?,
    DType::UInt8 | DType::Int8 => {
      let (lo, hi) = if input.dtype == DType::UInt8 { (0.0, 255.0) } else { (-128.0, 127.0) };
      let q: Vec<u8> = floats
        .iter()
        .map(|&x| (x / input.scale + input.zero_point as f32).round().clamp(lo, hi) as i32 as u8)
        .collect();
      session.set_input(0, &q)?;
    }
    other => return Err(format!("input type {other:?} is not handled by this example").into()),
  }
  Ok(())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
  let args: Vec<String> = std::env::args().skip(1).collect();
  let data = std::env::var("TARE_DATA")
    .map(PathBuf::from)
    .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/data"));
  let data = data.canonicalize().unwrap_or(data);
  let (model_path, input_path, labels_path) = match args.as_slice() {
    [] => (
      data.join("models/mobilenet_v1_0.25_224.tflite"),
      data.join("images/imagenet_sample_1000/n01440764_tench.JPEG"),
      Some(data.join("models/labels.txt")),
    ),
    [m, i] => (PathBuf::from(m), PathBuf::from(i), None),
    [m, i, l] => (PathBuf::from(m), PathBuf::from(i), Some(PathBuf::from(l))),
    _ => return Err("usage: classify [MODEL.tflite IMAGE.jpg|INPUT.bin [LABELS.txt]]".into()),
  };

  let ctx = Context::new()?;
  println!("device: {}", ctx.device_info()?.name);
  let model = Model::load_file(&ctx, &model_path)?;
  let input = model.input_info(0)?;
  let output = model.output_info(0)?;
  let mut session = model.session(&SessionOptions::default())?;
  if is_image(&input_path) {
    let image = Image::load_file(&input_path)?;
    session.set_input_image(0, &image.pixels(), &ImageOptions::default())?;
  } else {
    set_raw_input(&mut session, &input, &input_path)?;
  }
  let t0 = std::time::Instant::now();
  session.run()?;
  let ms = t0.elapsed().as_secs_f64() * 1e3;
  let scores: Vec<f32> = match output.dtype {
    DType::Float32 => session.output(0)?,
    DType::UInt8 => {
      session.output::<u8>(0)?.iter().map(|&q| (q as f32 - output.zero_point as f32) * output.scale).collect()
    }
    DType::Int8 => {
      session.output::<i8>(0)?.iter().map(|&q| (q as f32 - output.zero_point as f32) * output.scale).collect()
    }
    other => return Err(format!("output type {other:?} is not handled by this example").into()),
  };

  let labels: Vec<String> = labels_path
    .and_then(|p| std::fs::read_to_string(p).ok())
    .map(|s| s.lines().map(str::to_string).collect())
    .unwrap_or_default();
  let mut order: Vec<usize> = (0..scores.len()).collect();
  order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
  println!("{} on {} ({ms:.1} ms):", model_path.display(), input_path.display());
  for &i in order.iter().take(5) {
    println!("  {i:5}  {:.4}  {}", scores[i], labels.get(i).map(String::as_str).unwrap_or(""));
  }
  Ok(())
}

fn main() -> ExitCode {
  match run() {
    Ok(()) => ExitCode::SUCCESS,
    Err(e) => {
      eprintln!("classify: {e}");
      ExitCode::FAILURE
    }
  }
}
