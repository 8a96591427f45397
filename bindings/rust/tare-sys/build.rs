//! Links libtare (shared).  Where it is, in this order:
//! 1. `TARE_LIB_DIR`: the directory holding libtare.so / libtare.dylib / tare.lib (the CMake build directory or an
//!    install's lib/);
//! 2. pkg-config's `tare` package (an installed Tare: `cmake --install` writes lib/pkgconfig/tare.pc; set
//!    `PKG_CONFIG_PATH` for a prefix outside the default search path; `PKG_CONFIG` names another pkg-config);
//! 3. the linker's default search path.
//! The directory found is passed on to dependents (DEP_TARE_LIB_DIR) so that their tests and examples get an rpath.
use std::env;
use std::process::Command;

// The -L directories of `pkg-config --libs tare`, or None when pkg-config or the package is missing.
fn pkg_config_lib_dirs() -> Option<Vec<String>> {
  let tool = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
  let out = Command::new(tool).args(["--libs-only-L", "tare"]).output().ok()?;
  if !out.status.success() {
    return None;
  }
  let text = String::from_utf8(out.stdout).ok()?;
  Some(text.split_whitespace().filter_map(|w| w.strip_prefix("-L")).map(str::to_string).collect())
}

fn link_dir(dir: &str) {
  let path = std::path::Path::new(dir);
  let dir = path.canonicalize().unwrap_or_else(|_| path.to_path_buf()).display().to_string();
  println!("cargo:rustc-link-search=native={dir}");
  println!("cargo:lib_dir={dir}");
  // rpath for this crate's own tests; dependents add theirs from DEP_TARE_LIB_DIR.
  if env::var("CARGO_CFG_TARGET_FAMILY").map(|f| f == "unix").unwrap_or(false) {
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
  }
}

fn main() {
  for var in ["TARE_LIB_DIR", "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"] {
    println!("cargo:rerun-if-env-changed={var}");
  }
  match env::var("TARE_LIB_DIR") {
    Ok(dir) if !dir.is_empty() => link_dir(&dir),
    _ => match pkg_config_lib_dirs() {
      Some(dirs) => {
        // An empty list: tare.pc names no -L (a system prefix); the default path finds it.
        if let Some(dir) = dirs.first() {
          link_dir(dir);
        }
      }
      None => println!(
        "cargo:warning=neither TARE_LIB_DIR nor pkg-config's tare package is available: linking libtare from the \
         default library path"
      ),
    },
  }
  println!("cargo:rustc-link-lib=dylib=tare");
}
