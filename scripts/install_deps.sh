#!/usr/bin/env bash
# Installs what Tare needs to build and test on Debian 12 (bookworm): compilers, Vulkan loader + headers + volk,
# lavapipe (Mesa's CPU Vulkan driver) and the validation layer, glslang/SPIRV-Tools, FlatBuffers, doctest, and what
# the samples and tests use (libjpeg, libpng, Pillow as the preprocessing oracle, Node for TFLite's WASM oracle), and
# clang-format-14 for scripts/format.sh, clang with libFuzzer for scripts/fuzz.sh.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
PKGS=(cmake g++ make pkg-config
      libvulkan-dev libvulkan-volk-dev mesa-vulkan-drivers vulkan-validationlayers
      glslang-tools spirv-tools flatbuffers-compiler libflatbuffers-dev doctest-dev
      libjpeg-dev libpng-dev python3-pil mono-devel clang-format-14
      clang libclang-rt-14-dev)  # clang, libFuzzer and the sanitizers' runtimes: scripts/fuzz.sh
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# TFLite itself (WASM, from npm) is the oracle of the 8-bit tests.
if [ -f tests/tools/tflite/package.json ] && command -v npm >/dev/null; then
  npm ci --prefix tests/tools/tflite --no-audit --no-fund --loglevel=error
fi
