#!/usr/bin/env bash
# The test suite under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer (GCC): the library, the
# doctest suites and the C API test built with -fsanitize=address,undefined, run on the default Vulkan device
# (lavapipe without a GPU) with the validation layer on.  Any sanitizer report fails the run; the only suppressions
# are tests/fuzz/lsan.supp's (in Mesa, each with its reason).  See docs/hardening.md.
#
#   scripts/sanitize.sh [SUITE...]      (default: every suite of tests/CMakeLists.txt)   BUILD=build-asan
#                                       CCACHE=0: no compiler cache (CI's from-scratch timing)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-asan}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# GCC 12's object-size warnings misfire on ASan-instrumented FlatBuffers code (stringop-overflow on a builder's
# memcpy): off in this build only.
warn="-Wno-stringop-overflow"
launcher=()
if [ "${CCACHE:-1}" = 1 ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTARE_BUILD_BENCH=OFF "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$san $warn" -DCMAKE_C_FLAGS="$san $warn" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target tare_tests tare_c_api_test

# lavapipe is unloaded when the last context goes, and LeakSanitizer then cannot name the module its leaks come from
# (tests/fuzz/lsan.supp suppresses them by module): keep it loaded for the whole process (after the ASan runtime,
# which must come first).
lvp=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -1)
preload="$(gcc -print-file-name=libasan.so)${lvp:+ $lvp}"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TARE_VALIDATION=1
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  read -r -a suites < <(sed -n 's/^set(TARE_TEST_SUITES \(.*\))$/\1/p' tests/CMakeLists.txt)
fi
start=$(date +%s)
failed=()
for s in "${suites[@]}"; do
  t0=$(date +%s)
  if LD_PRELOAD="$preload" "$BUILD/tests/tare_tests" --test-suite="$s" --no-intro --force-colors=0 >"$BUILD/sanitize-$s.log" 2>&1; then
    echo "sanitize: $s ok ($(( $(date +%s) - t0 )) s)"
  else
    echo "sanitize: $s FAILED ($(( $(date +%s) - t0 )) s); the end of $BUILD/sanitize-$s.log:"
    tail -40 "$BUILD/sanitize-$s.log"
    failed+=("$s")
  fi
done
if LD_PRELOAD="$preload" "$BUILD/tests/tare_c_api_test" >"$BUILD/sanitize-c_api.log" 2>&1; then echo "sanitize: c_api ok"
else
  echo "sanitize: c_api FAILED:"
  tail -40 "$BUILD/sanitize-c_api.log"
  failed+=(c_api)
fi
echo "sanitize: $(( $(date +%s) - start )) s"
[ ${#failed[@]} -eq 0 ] || { echo "sanitize FAILED: ${failed[*]}"; exit 1; }
