#!/usr/bin/env bash
# Builds the libFuzzer targets (TARE_FUZZ=ON: clang, ASan + UBSan) and runs each for a bounded time on a seed
# corpus made from tests/fuzz (seeds and regressions) and the shared data (models up to 512 KiB, the smallest
# sample JPEGs).  Fails when a target finds a crash, a leak, a timeout or a sanitizer report (the input is left in
# BUILD/findings/TARGET/).  See docs/hardening.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]   (targets: fuzz_model fuzz_image)
#   BUILD=build-fuzz  JOBS=N (parallel fuzzing processes per target, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_model fuzz_image)
BUILD=${BUILD:-build-fuzz}
JOBS=${JOBS:-1}
DATA=${TARE_DATA:-../shared/data}

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTARE_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}"

# Seed corpora: the working corpus grows from run to run (BUILD/corpus/TARGET).
seed() {  # seed TARGET FILE...
  local dir="$BUILD/corpus/$1" f
  shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" 2>/dev/null || true; done
}
seed fuzz_model tests/fuzz/corpus/model/* tests/fuzz/regressions/model/*
seed fuzz_image tests/fuzz/corpus/image/* tests/fuzz/regressions/image/*
if [ -d "$DATA/models" ]; then
  while IFS= read -r f; do seed fuzz_model "$f"; done < <(find "$DATA/models" -name '*.tflite' -size -513k)
fi
if [ -d "$DATA/images" ]; then
  while IFS= read -r f; do seed fuzz_image "$f"; done < <(find "$DATA/images" -name '*.JPEG' -size -4k | sort | head -24)
fi

# The Mesa and loader leaks LSan reports at exit, each with its reason (tests/fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="quarantine_size_mb=64"  # the default 256 MiB crowds the 2 GiB limit on long runs
failed=0
for t in "${TARGETS[@]}"; do
  findings="$BUILD/findings/$t"
  mkdir -p "$findings"
  log="$BUILD/$t.log"
  echo "=== $t: ${SECONDS_PER_TARGET} s, $(ls "$BUILD/corpus/$t" | wc -l) corpus files"
  # Fork mode: JOBS child processes, each restarted after a while, because lavapipe's memory (compiled pipelines)
  # only grows within a process and would reach the 2 GiB limit after ~400,000 models.  A crash, an OOM or a
  # timeout (60 s) in any child still stops the run.  max_len: the seed models are up to 512 KiB.
  if ! "$BUILD/tests/fuzz/$t" "$BUILD/corpus/$t" -fork="$JOBS" -ignore_crashes=0 -ignore_ooms=0 -ignore_timeouts=0 \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=60 -rss_limit_mb=2048 -max_len=600000 \
      -artifact_prefix="$findings/" >"$log" 2>&1; then
    echo "=== $t: FAILED (log: $log)"
    tail -40 "$log"
    failed=1
  fi
  grep -E "^#[0-9]+: cov:" "$log" | tail -1 || true  # executions so far, coverage, corpus
  if ls "$findings"/* >/dev/null 2>&1; then
    echo "=== $t: findings in $findings:"
    ls -la "$findings"
    failed=1
  fi
done
exit $failed
