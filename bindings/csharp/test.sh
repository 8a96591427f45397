#!/usr/bin/env bash
# Builds the C# bindings, their tests and the Classify example with Mono's mcs, and runs them with mono against
# the native library in LIB_DIR (a CMake build folder or an installed lib/ folder holding libtare.so).
#   bindings/csharp/test.sh LIB_DIR
# Exits non-zero on any failure.  Outputs go to bindings/csharp/build (or $TARE_CSHARP_BUILD).  Data tests read
# $TARE_DATA (default ../shared/data beside the checkout) and skip visibly without it unless TARE_REQUIRE_DATA=1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ $# -ne 1 ]; then
  echo "usage: $0 LIB_DIR" >&2
  exit 2
fi
LIB_DIR=$(cd "$1" && pwd)
if [ ! -e "$LIB_DIR/libtare.so" ]; then
  echo "$0: no libtare.so in $LIB_DIR" >&2
  exit 1
fi
for tool in mcs mono; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install mono-devel)" >&2; exit 1; }
done
OUT=${TARE_CSHARP_BUILD:-$HERE/build}
mkdir -p "$OUT"

FLAGS=(-unsafe -warnaserror+ -nowarn:1591 -nologo -debug)
mcs "${FLAGS[@]}" -target:library -doc:"$OUT/Tare.xml" -out:"$OUT/Tare.dll" "$HERE"/src/*.cs
cp "$HERE/src/Tare.dll.config" "$OUT/Tare.dll.config"
mcs "${FLAGS[@]}" -r:"$OUT/Tare.dll" -out:"$OUT/Tests.exe" "$HERE"/tests/*.cs
mcs "${FLAGS[@]}" -r:"$OUT/Tare.dll" -out:"$OUT/Classify.exe" "$HERE/examples/Classify.cs"

export LD_LIBRARY_PATH="$LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TARE_VALIDATION=1
export TARE_DATA=${TARE_DATA:-$ROOT/../shared/data}

mono --debug "$OUT/Tests.exe" --header "$ROOT/include/tare/tare.h"

# The example, on TFLite's reference input: the top class of this image is 473.
MODEL="$TARE_DATA/models/mobilenet_v1_0.25_224.tflite"
INPUT="$TARE_DATA/ref/mobilenet_v1_0.25_224/in_img0.bin"
if [ -f "$MODEL" ] && [ -f "$INPUT" ]; then
  out=$(mono --debug "$OUT/Classify.exe" "$MODEL" "$INPUT" "$TARE_DATA/models/labels.txt")
  echo "$out"
  grep -q "^ *1\. *473 " <<<"$out" || { echo "Classify example: top-1 is not 473" >&2; exit 1; }
  # A JPEG through libtare_image and Session.SetInputImage: TFLite's top-1 on the tench image is class 1.
  out=$(mono --debug "$OUT/Classify.exe" "$MODEL" "$TARE_DATA/images/imagenet_sample_1000/n01440764_tench.JPEG" \
        "$TARE_DATA/models/labels.txt")
  echo "$out"
  grep -q "^ *1\. *1 .*tench" <<<"$out" || { echo "Classify example (JPEG): top-1 is not 1" >&2; exit 1; }
elif [ "${TARE_REQUIRE_DATA:-0}" = 1 ]; then
  echo "Classify example: data missing at $TARE_DATA (TARE_REQUIRE_DATA=1)" >&2
  exit 1
else
  echo "SKIPPED Classify example: data missing at $TARE_DATA"
fi
echo "C# bindings: all tests passed"
