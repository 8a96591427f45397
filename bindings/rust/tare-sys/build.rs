//! Links libtare (shared).  TARE_LIB_DIR names the directory holding libtare.so / libtare.dylib / tare.lib (the
//! CMake build directory or an install's lib/); without it the linker's default search path is used.  The
//! directory is passed on to dependents (DEP_TARE_LIB_DIR) so that their tests and examples get an rpath to it.
use std::env;

fn main() {
  println!("cargo:rerun-if-env-changed=TARE_LIB_DIR");
  match env::var("TARE_LIB_DIR") {
    Ok(dir) if !dir.is_empty() => {
      let path = std::path::Path::new(&dir);
      let dir = path.canonicalize().unwrap_or_else(|_| path.to_path_buf()).display().to_string();
      println!("cargo:rustc-link-search=native={dir}");
      println!("cargo:lib_dir={dir}");
      // rpath for this crate's own tests; dependents add theirs from DEP_TARE_LIB_DIR.
      if env::var("CARGO_CFG_TARGET_FAMILY").map(|f| f == "unix").unwrap_or(false) {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
      }
    }
    _ => println!("cargo:warning=TARE_LIB_DIR is not set: linking libtare from the default library path"),
  }
  println!("cargo:rustc-link-lib=dylib=tare");
}
