//! Shared by the integration tests: the data directory, visible notes and skips, one context for all tests.
#![allow(dead_code)]
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes straight to the process's stderr, which the test harness does not capture, so skips and measured figures
/// show in the output of `cargo test`.
pub fn note(msg: &str) {
  let _ = writeln!(std::io::stderr(), "{msg}");
}

/// TARE_DATA, else ../shared/data from the repository root.
pub fn data_dir() -> PathBuf {
  match std::env::var("TARE_DATA") {
    Ok(d) if !d.is_empty() => PathBuf::from(d),
    _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/data"),
  }
}

/// The data directory if it holds `rel`; otherwise a visible skip (`None`), or a failure with TARE_REQUIRE_DATA=1.
pub fn data(test: &str, rel: &str) -> Option<PathBuf> {
  let dir = data_dir();
  if dir.join(rel).is_file() {
    return Some(dir);
  }
  let msg = format!("SKIPPED (no data): {test}: {} missing; set TARE_DATA", dir.join(rel).display());
  if std::env::var("TARE_REQUIRE_DATA").map(|v| v == "1").unwrap_or(false) {
    panic!("{msg} (TARE_REQUIRE_DATA=1)");
  }
  note(&msg);
  None
}

pub const V1: &str = "models/mobilenet_v1_0.25_224.tflite";
pub const REF: &str = "ref/mobilenet_v1_0.25_224";

pub fn read_f32(path: PathBuf) -> Vec<f32> {
  let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
  assert_eq!(bytes.len() % 4, 0);
  bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

pub fn argmax(v: &[f32]) -> usize {
  let mut best = 0;
  for (i, &x) in v.iter().enumerate() {
    if x > v[best] {
      best = i;
    }
  }
  best
}

/// max |a - b| / max |b|.
pub fn rel_err(a: &[f32], b: &[f32]) -> f32 {
  assert_eq!(a.len(), b.len());
  let maxref = b.iter().fold(0f32, |m, x| m.max(x.abs()));
  let maxerr = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
  maxerr / maxref
}

/// One context shared by the tests (contexts are Sync); the validation layer is on when TARE_VALIDATION=1.
pub fn ctx() -> &'static tare::Context {
  static CTX: OnceLock<tare::Context> = OnceLock::new();
  CTX.get_or_init(|| tare::Context::new().expect("no Vulkan context"))
}

/// Fails if the validation layer reported anything on the shared context so far.
pub fn no_validation_messages() {
  assert_eq!(ctx().validation_messages().unwrap(), 0, "the Vulkan validation layer reported messages");
}

/// The two preprocessed reference images and TFLite's outputs for them.
pub struct RefData {
  pub images: Vec<Vec<f32>>,
  pub outputs: Vec<Vec<f32>>,
}

pub fn ref_data(dir: &std::path::Path) -> RefData {
  let r = dir.join(REF);
  RefData {
    images: vec![read_f32(r.join("in_img0.bin")), read_f32(r.join("in_img1.bin"))],
    outputs: vec![read_f32(r.join("out_img0.0.bin")), read_f32(r.join("out_img1.0.bin"))],
  }
}
