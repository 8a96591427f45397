#!/usr/bin/env bash
# Public .tflite models that npm packages ship, run on Tare and in TFLite (tests/tools/tflite), and calibrated.
#
#   bash scripts/public_models.sh [BUILD_DIR] [--only NAME] [--no-calibrate] [--count N]
#
# Downloads the packages with `npm pack` into a cache outside the source tree ($TARE_MODEL_CACHE, default
# ~/.cache/tare/public_models; models are never committed), takes every .tflite they hold (loose files and those
# inside MediaPipe's *_packed_assets.data, located by the loader's file table), and runs scripts/public_models.py:
# one Markdown table row per model (operators, load ok or the exact refusal, float max error vs TFLite, calibrate,
# int8 export vs the float model in TFLite).  Needs Node (npm ci --prefix tests/tools/tflite) and Python 3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="build"
if [[ $# -gt 0 && "$1" != --* ]]; then
  BUILD="$1"
  shift
fi
TARE="$ROOT/$BUILD/samples/cli/tare"
[[ "$BUILD" = /* ]] && TARE="$BUILD/samples/cli/tare"
CACHE="${TARE_MODEL_CACHE:-$HOME/.cache/tare/public_models}"
IMAGES="${TARE_IMAGES:-$ROOT/../shared/data/images/imagenet_sample_1000}"

# Pinned versions: the table's numbers refer to these files.
PACKAGES=(
  @mediapipe/selfie_segmentation@0.1.1675465747
  @mediapipe/face_detection@0.4.1657300184
  @mediapipe/face_mesh@0.4.1657299874
  @mediapipe/hands@0.4.1675469240
  @mediapipe/pose@0.5.1675469404
  @mediapipe/holistic@0.5.1675471629
  @mediapipe/objectron@0.4.1675468480
)

[[ -x "$TARE" ]] || { echo "public_models: $TARE not built" >&2; exit 1; }
[[ -d "$ROOT/tests/tools/tflite/node_modules" ]] || { echo "public_models: run npm ci --prefix tests/tools/tflite" >&2; exit 1; }
mkdir -p "$CACHE/tgz" "$CACHE/models"

for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"            # @mediapipe/hands
  short="${name#@}"; short="${short//\//-}"   # mediapipe-hands
  dest="$CACHE/models/$short"
  [[ -f "$dest/.done" ]] && continue
  tgz="$(cd "$CACHE/tgz" && npm pack "$spec" --silent | tail -1)"
  tmp="$(mktemp -d)"
  tar xzf "$CACHE/tgz/$tgz" -C "$tmp"
  mkdir -p "$dest"
  find "$tmp/package" -maxdepth 1 -name '*.tflite' -exec cp {} "$dest/" \;
  # Packed assets: the loader lists {"filename": ..., "start": S, "end": E} inside the .data file.
  for loader in "$tmp"/package/*_packed_assets_loader.js; do
    [[ -f "$loader" ]] || continue
    data="${loader%_loader.js}.data"
    grep -oE '"filename": ?"[^"]+\.tflite", ?"start": ?[0-9]+, ?"end": ?[0-9]+' "$loader" |
      sed -E 's/"filename": ?"([^"]+)", ?"start": ?([0-9]+), ?"end": ?([0-9]+)/\1 \2 \3/' |
      while read -r file start end; do
        out="$dest/$(basename "$file")"
        [[ -f "$out" ]] || python3 -c 'import sys; f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
open(sys.argv[4], "wb").write(f.read(int(sys.argv[3]) - int(sys.argv[2])))' "$data" "$start" "$end" "$out"
      done
  done
  rm -rf "$tmp"
  touch "$dest/.done"
done

# One copy of each distinct file (packages share models): keep the first package's.
declare -A seen
for f in "$CACHE"/models/*/*.tflite; do
  sum="$(md5sum "$f" | cut -d' ' -f1)"
  if [[ -n "${seen[$sum]:-}" ]]; then rm "$f"; else seen[$sum]=1; fi
done

python3 "$ROOT/scripts/public_models.py" --tare "$TARE" --models "$CACHE/models" --images "$IMAGES" \
  --work "$CACHE/work" "$@"
