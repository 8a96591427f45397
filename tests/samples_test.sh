#!/usr/bin/env bash
# Smoke tests of the samples `classify` (C) and `calibrate` (C++): exit codes, and real models/images when the data
# folder exists.
# Usage: samples_test.sh PATH/TO/classify PATH/TO/calibrate DATA_DIR
set -u
CLASSIFY="$1"
CALIBRATE="$2"
DATA="${TARE_DATA:-$3}"
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"

check "classify usage" 2 "usage: classify" -- "$CLASSIFY"
check "classify help" 0 "usage: classify" -- "$CLASSIFY" --help
check "classify bad option" 2 "usage: classify" -- "$CLASSIFY" m.tflite in.bin --frobnicate
check "classify missing model" 1 "TARE_ERROR_IO" -- "$CLASSIFY" /nonexistent.tflite /nonexistent.bin
check "calibrate help" 0 "usage: calibrate" -- "$CALIBRATE" --help
check "calibrate help: tare calibrate's flags" 0 "^  --ibc-images N" -- "$CALIBRATE" --help
check "calibrate no args" 2 "usage: calibrate" -- "$CALIBRATE"
check "calibrate no --out" 2 "are needed" -- "$CALIBRATE" m.tflite --images .
check "calibrate bad count" 2 "\-\-ibc-images needs a count" -- "$CALIBRATE" m.tflite --images . --out x --ibc-images many
check "calibrate old flag refused" 2 "\`--calib\` is not an option of \`calibrate\`" -- "$CALIBRATE" m.tflite \
  --images . --out x --calib 2
check "calibrate bad ranges" 2 "\-\-ranges must be minmax, percentile or mse" -- "$CALIBRATE" m.tflite --images . \
  --out x --ranges median
check "calibrate --percentile without percentile ranges" 2 "\-\-percentile needs \-\-ranges percentile" -- \
  "$CALIBRATE" m.tflite --images . --out x --percentile 99
check "calibrate bad method" 2 "\-\-method must be" -- "$CALIBRATE" m.tflite --images . --out x --method ibc2
check "calibrate empty folder" 1 "has 0 images" -- "$CALIBRATE" /nonexistent.tflite --images "$tmp" \
  --out "$tmp/x.tflite" --count 1 --method none

M="$DATA/models/mobilenet_v1_0.25_224.tflite"
if [ -f "$M" ] && [ -d "$DATA/images/imagenet_sample_1000" ]; then
  head -c 20000 "$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG" >"$tmp/cut.jpg"
  IN="$DATA/ref/mobilenet_v1_0.25_224/in_img0.bin"  # TFLite: top-1 473 "canoe", p = 0.96123
  check "classify ref input" 0 "473  0.9612.  canoe" -- "$CLASSIFY" "$M" "$IN" --labels "$DATA/models/labels.txt"
  check "classify top 3" 0 "top 3 of 1001" -- "$CLASSIFY" "$M" "$IN" --top 3
  # A JPEG through libtare_image and tare_session_set_input_image: TFLite's top-1 on it (ref/float_top1_sample.csv)
  # is class 1 "tench", p = 0.46355.
  check "classify JPEG" 0 "      1  0\.463.*tench" -- "$CLASSIFY" "$M" "$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG" \
    --labels "$DATA/models/labels.txt"
  check "classify truncated JPEG" 1 "JPEG data is truncated or corrupt" -- "$CLASSIFY" "$M" "$tmp/cut.jpg"
  check "classify wrong size" 1 "needs 602112 bytes" -- "$CLASSIFY" "$M" "$DATA/models/labels.txt"
  check "classify junk model" 1 "TARE_ERROR_INVALID_MODEL" -- "$CLASSIFY" "$DATA/models/labels.txt" "$IN"
  mkdir -p "$tmp/imgs"
  for f in $(ls "$DATA/images/imagenet_sample_1000" | head -8); do
    ln -s "$DATA/images/imagenet_sample_1000/$f" "$tmp/imgs/$f"
  done
  check "calibrate missing model" 1 "loading the model" -- "$CALIBRATE" /nonexistent.tflite --images "$tmp/imgs" \
    --count 2 --method none --out "$tmp/x.tflite"
  check "calibrate too few images" 1 "has 8 images" -- "$CALIBRATE" "$M" --images "$tmp/imgs" --count 9 \
    --out "$tmp/x.tflite"
  check "calibrate equalizes per-tensor by default" 0 "^equalized [0-9]* layer pairs (27 RELU6 kept" -- \
    "$CALIBRATE" "$M" --images "$tmp/imgs" --count 2 --method none --out "$tmp/x.tflite"
  if out=$("$CALIBRATE" "$M" --images "$tmp/imgs" --count 2 --method none --no-equalize --out "$tmp/x.tflite" 2>&1) &&
    grep -q "^quantizing on 2 images" <<<"$out" && ! grep -q "^equalized" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAILED: calibrate --no-equalize"
  fi
  check "calibrate ibc+bft" 0 "+IBC+BFT" -- "$CALIBRATE" "$M" --images "$tmp/imgs" --count 6 --method ibc+bft \
    --ibc-images 2 --bft-images 2 --bft-epochs 1 --bft-batch 2 --eval 2 --labels "$DATA/images/labels.csv" \
    --out "$tmp/q.tflite"
  check "calibrate accuracy" 0 "top-1 accuracy" -- "$CALIBRATE" "$M" --images "$tmp/imgs" --count 6 --ibc-images 2 \
    --eval 2 --labels "$DATA/images/labels.csv" --out "$tmp/ibc.tflite"
  check "calibrated model classifies" 0 "top 5 of 1001" -- "$CLASSIFY" "$tmp/q.tflite" "$IN"
  check "calibrate quantize only" 0 "evaluation skipped" -- "$CALIBRATE" "$M" --images "$tmp/imgs" --count 8 \
    --method none --out "$tmp/plain.tflite"
  check "plain model classifies" 0 "top 5 of 1001" -- "$CLASSIFY" "$tmp/plain.tflite" "$IN"
  # Percentile ranges reach the quantizer: the same images give other activation ranges, so other bytes.
  check "calibrate percentile ranges" 0 "percentile activation ranges" -- "$CALIBRATE" "$M" --images "$tmp/imgs" \
    --count 8 --method none --ranges percentile --percentile 99 --out "$tmp/pct.tflite"
  if cmp -s "$tmp/plain.tflite" "$tmp/pct.tflite"; then
    fail=$((fail + 1))
    echo "FAILED: --ranges percentile wrote the min/max model"
  else
    pass=$((pass + 1))
  fi
else
  echo "SKIPPED (no data): $DATA/models missing; set TARE_DATA"
  if [ "${TARE_REQUIRE_DATA:-0}" = "1" ]; then fail=$((fail + 1)); fi
fi
echo "samples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
