//! Gives this crate's tests and examples an rpath to the libtare directory that tare-sys linked
//! (TARE_LIB_DIR, forwarded by tare-sys's build script as DEP_TARE_LIB_DIR).
fn main() {
  println!("cargo:rerun-if-env-changed=DEP_TARE_LIB_DIR");
  if let Ok(dir) = std::env::var("DEP_TARE_LIB_DIR") {
    if std::env::var("CARGO_CFG_TARGET_FAMILY").map(|f| f == "unix").unwrap_or(false) {
      println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
  }
}
