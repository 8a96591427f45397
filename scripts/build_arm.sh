#!/usr/bin/env bash
# The ARM cross builds: arm64 (aarch64-linux-gnu) or armhf (arm-linux-gnueabihf) with Debian's cross compilers, the
# target's libraries and lavapipe from scripts/sysroot.sh, the host's glslangValidator, spirv-opt and flatc (shaders
# and the schema header are architecture-independent), then, under qemu-user with the target's lavapipe and the
# validation layer: the C API test, the float and uint8 mobilenet_v1_0.25 model tests against TFLite's outputs, and
# the CLI's `run` on the float model.  Prints each step's time and result; fails at the end if any step failed.
# docs/hardening.md.
#
#   scripts/build_arm.sh arm64|armhf      BUILD=build-ARCH  SYSROOT=build-sysroot-ARCH
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?arm64 or armhf}
case "$arch" in
  arm64) qemu=qemu-aarch64-static ;;
  armhf) qemu=qemu-arm-static ;;
  *) echo "build_arm.sh: arm64 or armhf, not $arch"; exit 2 ;;
esac
BUILD=${BUILD:-build-$arch}
SYSROOT=${SYSROOT:-build-sysroot-$arch}
DATA=${TARE_DATA:-$PWD/../shared/data}
failed=()
timed() {  # timed NAME COMMAND...: a failing step is reported and the run goes on (the script fails at the end)
  local t0=$SECONDS
  if "${@:2}"; then echo "build_arm $arch: $1 ok ($(( SECONDS - t0 )) s)"
  else
    echo "build_arm $arch: $1 FAILED ($(( SECONDS - t0 )) s)"
    failed+=("$1")
  fi
}

timed sysroot bash scripts/sysroot.sh "$arch" "$SYSROOT"
TARE_SYSROOT="$(cd "$SYSROOT" && pwd)/root"
export TARE_SYSROOT
launcher=()
if [ "${CCACHE:-1}" = 1 ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
timed configure cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="cmake/toolchains/$arch.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DTARE_BUILD_BENCH=OFF "${launcher[@]}" -DTARE_DATA_DIR="$DATA" --log-level=WARNING
timed build cmake --build "$BUILD" -j"$(nproc)" --target tare_c_api_test tare_tests tare_cli
[ ${#failed[@]} -eq 0 ] || exit 1  # nothing to run

source scripts/target_env.sh "$arch" "$TARE_SYSROOT"
export TARE_VALIDATION=1
run() { "$qemu" "$@"; }
timed "c_api test" run "$BUILD/tests/tare_c_api_test"
timed "mobilenet_v1_0.25 vs TFLite" run "$BUILD/tests/tare_tests" -tc="mobilenet_v1_0.25_224 vs TFLite" \
  --no-intro --force-colors=0
timed "uint8 mobilenet_v1_0.25_quant vs TFLite" run "$BUILD/tests/tare_tests" \
  -tc="uint8: mobilenet_v1_0.25_224_quant*" --no-intro --force-colors=0
out=$(mktemp)
timed "cli run mobilenet_v1_0.25" run "$BUILD/samples/cli/tare" run "$DATA/models/mobilenet_v1_0.25_224.tflite" \
  --input "$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG" --labels "$DATA/models/labels.txt" >"$out"
head -c 600 "$out"; echo
rm -f "$out"
[ ${#failed[@]} -eq 0 ] || { echo "build_arm $arch FAILED: ${failed[*]}"; exit 1; }
