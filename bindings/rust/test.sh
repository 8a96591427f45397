#!/usr/bin/env bash
# Builds and runs the Rust bindings' tests (offline: no external crates) against the libtare in LIB_DIR.
#   bindings/rust/test.sh LIB_DIR      e.g. bindings/rust/test.sh build
# Environment passed on: TARE_DATA (default ../shared/data), TARE_REQUIRE_DATA=1 (missing data fails the tests).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 LIB_DIR (the directory holding libtare.so)" >&2
  exit 2
fi
lib_dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if ! compgen -G "$lib_dir/libtare.so*" >/dev/null && ! compgen -G "$lib_dir/libtare*.dylib" >/dev/null; then
  echo "$0: no libtare in $lib_dir" >&2
  exit 2
fi
cd "$here"
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "$0: cargo not found (install Rust >= 1.77)" >&2; exit 2; }
export TARE_LIB_DIR="$lib_dir"
export LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DYLD_LIBRARY_PATH="$lib_dir${DYLD_LIBRARY_PATH:+:$DYLD_LIBRARY_PATH}"
export TARE_VALIDATION=1
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
export CARGO_NET_OFFLINE=true
start=$(date +%s)
# Everything: lib, tests, examples and doc tests of both crates.
cargo build --offline --locked --workspace --all-targets
cargo test --offline --locked --workspace --no-fail-fast
# The example end to end, when the data set is there.
data="${TARE_DATA:-$here/../../../shared/data}"
if [ -f "$data/models/mobilenet_v1_0.25_224.tflite" ]; then
  out=$(cargo run --offline --locked -q -p tare --example classify -- "$data/models/mobilenet_v1_0.25_224.tflite" \
        "$data/ref/mobilenet_v1_0.25_224/in_img0.bin" "$data/models/labels.txt")
  echo "$out"
  # TFLite's top-1 for this input is class 473.
  echo "$out" | grep -Eq '^ +473 ' || { echo "classify example: unexpected top-1" >&2; exit 1; }
  [ "$(echo "$out" | grep -Ec '^ +[0-9]+ +[0-9.]+')" = 5 ] || { echo "classify example: not 5 lines" >&2; exit 1; }
  # A JPEG through libtare_image and Session::set_input_image: TFLite's top-1 on the tench image is class 1.
  out=$(cargo run --offline --locked -q -p tare --example classify -- "$data/models/mobilenet_v1_0.25_224.tflite" \
        "$data/images/imagenet_sample_1000/n01440764_tench.JPEG" "$data/models/labels.txt")
  echo "$out"
  echo "$out" | grep -Eq '^ +1 +0\.46[0-9]* +tench' || { echo "classify example (JPEG): unexpected top-1" >&2; exit 1; }
elif [ "${TARE_REQUIRE_DATA:-0}" = 1 ]; then
  echo "classify example: no data in $data (TARE_REQUIRE_DATA=1)" >&2
  exit 1
else
  echo "SKIPPED (no data): classify example; $data missing"
fi
# Finding an installed Tare through pkg-config (TARE_LIB_DIR unset): install the build into a temporary prefix and
# link and run one test against it, in a target folder of its own.
if [ -f "$lib_dir/cmake_install.cmake" ] && command -v pkg-config >/dev/null; then
  prefix=$(mktemp -d)
  trap 'rm -rf "$prefix"' EXIT
  cmake --install "$lib_dir" --prefix "$prefix" >/dev/null
  pc_dir=$(dirname "$(find "$prefix" -name tare.pc | head -1)")
  (unset TARE_LIB_DIR; export LD_LIBRARY_PATH=; PKG_CONFIG_PATH="$pc_dir" \
     cargo test --offline --locked -q -p tare-sys --test init_sized --target-dir "$prefix/target")
  echo "pkg-config probe: linked and ran against $prefix"
fi
# The crates as they would be published: cargo package builds each from its packaged sources (offline; tare's
# dependency on tare-sys resolves to the packaged tare-sys).  A target folder of its own: cargo does not rebuild a
# packaged crate whose version it has built before, even when its sources changed.
pkg_target=$(mktemp -d)
cargo package --offline --locked --workspace --allow-dirty --target-dir "$pkg_target"
rm -rf "$pkg_target"
echo "Rust bindings: all tests passed in $(( $(date +%s) - start )) s"
