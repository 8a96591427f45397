//! Every function of tare-sys (hence of tare.h, by tare-sys's header_drift test) is used by the safe crate, so a
//! function added to the header cannot be forgotten here either.
use std::path::PathBuf;

#[test]
fn every_c_function_is_wrapped() {
  let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
  let sys = std::fs::read_to_string(root.join("../tare-sys/src/lib.rs")).unwrap();
  let mut safe = String::new();
  for entry in std::fs::read_dir(root.join("src")).unwrap() {
    safe += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
  }
  let functions: Vec<&str> = sys.split("pub fn ").skip(1).map(|s| s[..s.find('(').unwrap()].trim()).collect();
  assert!(functions.len() >= 60, "only {} functions found in tare-sys", functions.len());
  let missing: Vec<&&str> = functions.iter().filter(|f| !safe.contains(&format!("sys::{f}"))).collect();
  assert!(missing.is_empty(), "functions of tare-sys the safe crate does not use: {missing:?}");
}
