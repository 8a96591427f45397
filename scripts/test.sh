#!/usr/bin/env bash
# The test command: configure, build and run every test (GPU tests on the default Vulkan device, lavapipe on a
# machine without a GPU, with the Khronos validation layer on).  Data-dependent tests read ../shared/data (or
# $TARE_DATA) and skip with a visible message when it is missing; TARE_REQUIRE_DATA=1 makes missing data fail.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j"$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
