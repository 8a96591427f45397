#!/usr/bin/env bash
# The installed package: `cmake --install` of a built tree into a temporary prefix, then a consumer project
# (tests/consumer) built against it through find_package(tare) (shared and static) and through pkg-config, and run:
# it checks the header's versions against the loaded library, lists the devices and, when the data folder exists,
# classifies one reference input.
# Usage: install_test.sh BUILD_DIR [DATA_DIR]      (fails on any error)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
DATA="${TARE_DATA:-${2:-}}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PREFIX="$tmp/prefix"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
expect() {  # expect NAME COMMAND...: the command must succeed
  local name="$1"
  shift
  local out
  if out=$("$@" 2>&1); then ok; else bad "$name"; echo "$out" | tail -15; fi
}

hdr_num() { sed -n "s/^#define $1 \\([0-9]*\\).*/\\1/p" "$SRC/include/tare/tare.h"; }
ABI=$(hdr_num TARE_ABI_VERSION)
VERSION="$(hdr_num TARE_VERSION_MAJOR).$(hdr_num TARE_VERSION_MINOR).$(hdr_num TARE_VERSION_PATCH)"

# ---- install ----------------------------------------------------------------------------------------------------
if ! cmake --install "$BUILD" --prefix "$PREFIX" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAILED: cmake --install"
  exit 1
fi
pc=$(find "$PREFIX" -name tare.pc -path '*/pkgconfig/*' | head -1)
if [ -z "$pc" ]; then echo "FAILED: no tare.pc installed"; find "$PREFIX"; exit 1; fi
LIBDIR=$(dirname "$(dirname "$pc")")
echo "installed into $PREFIX (libdir ${LIBDIR#"$PREFIX"/}), tare $VERSION, ABI $ABI"

if cmp -s "$PREFIX/include/tare/tare.h" "$SRC/include/tare/tare.h"; then ok; else bad "include/tare/tare.h"; fi
for f in "libtare.so.$VERSION" "libtare.a" "cmake/tare/tareConfig.cmake" "cmake/tare/tareConfigVersion.cmake" \
         "cmake/tare/tareTargets.cmake"; do
  if [ -f "$LIBDIR/$f" ]; then ok; else bad "missing $f"; fi
done
for l in "libtare.so.$ABI" "libtare.so"; do
  if [ -L "$LIBDIR/$l" ] && [ "$(readlink -f "$LIBDIR/$l")" = "$(readlink -f "$LIBDIR/libtare.so.$VERSION")" ]; then
    ok
  else bad "$l is not a link to libtare.so.$VERSION"; fi
done
soname=$(readelf -d "$LIBDIR/libtare.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libtare.so.$ABI" ]; then ok; else bad "SONAME is '$soname', wanted libtare.so.$ABI"; fi
# (Outputs are captured before grep: with pipefail, `cmd | grep -q` fails when grep exits early and cmd gets SIGPIPE.)
dyn=$(readelf -d "$LIBDIR/libtare.so.$VERSION")
if grep -q -E '\((RPATH|RUNPATH)\)' <<<"$dyn"; then
  bad "the installed libtare.so keeps a build RPATH"
else ok; fi

# ---- what the consumer runs ---------------------------------------------------------------------------------------
run_args=()
M="$DATA/models/mobilenet_v1_0.25_224.tflite"
IN="$DATA/ref/mobilenet_v1_0.25_224/in_img0.bin"
if [ -n "$DATA" ] && [ -f "$M" ] && [ -f "$IN" ]; then
  run_args=("$M" "$IN" 473)  # TFLite's top-1 for this input (ref/index.json: "canoe")
else
  echo "SKIPPED (no data): the consumer only lists devices; set TARE_DATA for the model run"
  if [ "${TARE_REQUIRE_DATA:-0}" = "1" ]; then bad "data required (TARE_REQUIRE_DATA=1)"; fi
fi

# ---- find_package(tare) -------------------------------------------------------------------------------------------
expect "consumer: configure" cmake -S "$SRC/tests/consumer" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$PREFIX"
expect "consumer: build" cmake --build "$tmp/consumer" -j2
for exe in tare_consumer tare_consumer_static; do
  if [ -x "$tmp/consumer/$exe" ]; then
    echo "--- $exe"
    if "$tmp/consumer/$exe" "${run_args[@]}"; then ok; else bad "$exe"; fi
  else bad "$exe was not built"; fi
done
if [ -x "$tmp/consumer/tare_consumer" ]; then
  deps=$(ldd "$tmp/consumer/tare_consumer")
  if grep -q "libtare.so.$ABI => $LIBDIR/" <<<"$deps"; then ok
  else bad "tare_consumer does not load the installed libtare.so.$ABI"; ldd "$tmp/consumer/tare_consumer"; fi
fi
if [ -x "$tmp/consumer/tare_consumer_static" ]; then
  deps=$(ldd "$tmp/consumer/tare_consumer_static")
  if grep -q libtare <<<"$deps"; then bad "tare_consumer_static needs libtare.so"
  else ok; fi
fi
# An incompatible version must not be found.
mkdir -p "$tmp/too_new"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(x LANGUAGES C)\nfind_package(tare %s REQUIRED)\n' \
  "$(( $(hdr_num TARE_VERSION_MAJOR) + 1 )).0" >"$tmp/too_new/CMakeLists.txt"
if cmake -S "$tmp/too_new" -B "$tmp/too_new/b" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null 2>&1; then
  bad "find_package(tare <next major>) succeeded"
else ok; fi

# ---- pkg-config ---------------------------------------------------------------------------------------------------
if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
  pcv=$(pkg-config --modversion tare || true)
  if [ "$pcv" = "$VERSION" ]; then ok; else bad "pkg-config --modversion tare gave '$pcv'"; fi
  # shellcheck disable=SC2046
  expect "pkg-config: compile" ${CC:-cc} -std=c99 -Wall -Wextra -Werror -pedantic "$SRC/tests/consumer/consumer.c" \
    -o "$tmp/consumer_pc" $(pkg-config --cflags --libs tare)
  if [ -x "$tmp/consumer_pc" ]; then
    echo "--- consumer_pc (pkg-config)"
    if LD_LIBRARY_PATH="$LIBDIR" "$tmp/consumer_pc" "${run_args[@]}"; then ok; else bad "consumer_pc"; fi
  fi
  # Libs.private must be enough to link libtare.a into a C program.
  static_libs=$(pkg-config --static --libs tare | sed 's/\(^\| \)-ltare\( \|$\)/ /')
  # shellcheck disable=SC2046,SC2086
  expect "pkg-config --static: link" ${CC:-cc} -std=c99 "$SRC/tests/consumer/consumer.c" -o "$tmp/consumer_pc_static" \
    $(pkg-config --cflags tare) "$LIBDIR/libtare.a" $static_libs
  if [ -x "$tmp/consumer_pc_static" ]; then
    if "$tmp/consumer_pc_static" >/dev/null; then ok; else bad "consumer_pc_static"; fi
  fi
  # tare_image (when built): header, library, pkg-config, and a program decoding a JPEG into an input tensor.
  if [ -f "$BUILD/tare_image.pc" ]; then
    if cmp -s "$PREFIX/include/tare/tare_image.h" "$SRC/include/tare/tare_image.h"; then ok
    else bad "include/tare/tare_image.h"; fi
    if [ -f "$LIBDIR/libtare_image.so.$VERSION" ] && [ -L "$LIBDIR/libtare_image.so.$ABI" ]; then ok
    else bad "libtare_image.so.$VERSION (and its .so.$ABI link) missing"; fi
    pcv=$(pkg-config --modversion tare_image || true)
    if [ "$pcv" = "$VERSION" ]; then ok; else bad "pkg-config --modversion tare_image gave '$pcv'"; fi
    # shellcheck disable=SC2046
    expect "pkg-config tare_image: compile" ${CC:-cc} -std=c99 -Wall -Wextra -Werror -pedantic \
      "$SRC/tests/consumer/image_consumer.c" -o "$tmp/image_consumer" $(pkg-config --cflags --libs tare_image)
    img_args=()
    JPG="$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG"
    REF="$DATA/ref/mobilenet_v2_1.0_224_float/in_img1.bin"  # Pillow's preprocessing of that image
    if [ -n "$DATA" ] && [ -f "$JPG" ] && [ -f "$REF" ]; then img_args=("$JPG" "$REF"); fi
    if [ -x "$tmp/image_consumer" ]; then
      echo "--- image_consumer (pkg-config tare_image)"
      if LD_LIBRARY_PATH="$LIBDIR" "$tmp/image_consumer" "${img_args[@]}"; then ok; else bad "image_consumer"; fi
    fi
  else
    echo "SKIPPED: tare_image was not built (libjpeg / libpng missing)"
  fi
else
  bad "pkg-config is not installed"
fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
