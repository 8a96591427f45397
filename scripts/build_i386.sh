#!/usr/bin/env bash
# The 32-bit x86 (i386) build and its tests: the host's GCC with -m32 (g++-multilib), the target's libraries and
# lavapipe from scripts/sysroot.sh (no multiarch install), the host's build tools, then every ctest entry but
# `install` (its consumer project is configured with the host's 64-bit compiler) on the i386 lavapipe with the
# validation layer on.  The TFLite oracle is the host's node, as in the 64-bit build.  docs/hardening.md.
#
#   scripts/build_i386.sh [CTEST_ARGS...]      BUILD=build-i386  SYSROOT=build-sysroot-i386
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-i386}
SYSROOT=${SYSROOT:-build-sysroot-i386}
NO_LIBC=1 bash scripts/sysroot.sh i386 "$SYSROOT"
TARE_SYSROOT="$(cd "$SYSROOT" && pwd)/root"
export TARE_SYSROOT
launcher=()
if [ "${CCACHE:-1}" = 1 ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/i386.cmake -DCMAKE_BUILD_TYPE=Release \
  -DTARE_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
file -L "$BUILD/libtare.so" | grep -q "ELF 32-bit.*Intel 80386" || { echo "build_i386: libtare.so is not i386"; exit 1; }

source scripts/target_env.sh i386 "$TARE_SYSROOT"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" -E '^install$' "$@"
