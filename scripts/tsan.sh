#!/usr/bin/env bash
# The concurrency suite (tests/test_concurrency.cpp) under ThreadSanitizer (GCC): the library and that suite alone
# built with -fsanitize=thread (build-tsan/), run on the default Vulkan device (lavapipe without a GPU) with the
# validation layer on.  Any data race or other TSan report fails the run; Mesa and the Vulkan loader are not
# instrumented, and the only suppressions are tests/tsan.supp's (in them, each with its reason).  See
# docs/hardening.md, "Concurrency".
#
#   scripts/tsan.sh [DOCTEST ARGS...]        BUILD=build-tsan
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-tsan}
san="-fsanitize=thread -fno-omit-frame-pointer"
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
start=$(date +%s)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTARE_BUILD_BENCH=OFF -DTARE_BUILD_SAMPLES=OFF \
  "${launcher[@]}" -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target tare_concurrency_tests
echo "tsan: built in $(( $(date +%s) - start )) s"

# lavapipe stays loaded for the whole process (after the TSan runtime, which must come first), so that reports in it
# name its module, which tests/tsan.supp matches, even after the last context has unloaded it.
lvp=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -1)
preload="$(gcc -print-file-name=libtsan.so)${lvp:+ $lvp}"
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
export TARE_VALIDATION=1
t0=$(date +%s)
if LD_PRELOAD="$preload" "$BUILD/tests/tare_concurrency_tests" --no-intro --force-colors=0 "$@" \
  >"$BUILD/tsan.log" 2>&1; then
  echo "tsan: ok ($(( $(date +%s) - t0 )) s to run, $(( $(date +%s) - start )) s in all)"
else
  echo "tsan: FAILED ($(( $(date +%s) - t0 )) s); the end of $BUILD/tsan.log:"
  tail -80 "$BUILD/tsan.log"
  exit 1
fi
