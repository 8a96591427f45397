#!/usr/bin/env bash
# Smoke tests of the `tare` command-line tool: exit codes, and real models/images when the data folder exists.
# Usage: cli_test.sh PATH/TO/tare DATA_DIR
set -u
TARE="$1"
DATA="${TARE_DATA:-$2}"
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"

check "help" 0 "usage: tare" -- "$TARE" --help
check "unknown command" 2 "unknown command" -- "$TARE" frobnicate
check "devices" 0 "subgroup" -- "$TARE" devices
check "ops" 0 "CONV_2D  *3  *yes  *yes  *yes  *yes  *yes" -- "$TARE" ops
check "ops internal" 0 "FAKE_QUANT  *internal" -- "$TARE" ops
check "ops markdown" 0 "^| CONV_2D | yes | yes | yes | yes |$" -- "$TARE" ops --markdown
check "ops extra argument" 2 "usage: tare ops" -- "$TARE" ops foo
check "missing model" 1 "cannot open" -- "$TARE" info /nonexistent.tflite
head -c 1000 /dev/urandom >"$tmp/junk.tflite"
check "junk model" 1 "" -- "$TARE" info "$tmp/junk.tflite"

if [ -f "$DATA/models/mobilenet_v2_1.0_224_float.tflite" ]; then
  M="$DATA/models/mobilenet_v2_1.0_224_float.tflite"
  IMG="$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG"
  check "info" 0 "CONV_2D              x36" -- "$TARE" info "$M"
  check "run image" 0 "tench" -- "$TARE" run "$M" --input "$IMG" --labels "$DATA/models/labels.txt"
  check "run wrong size" 1 "needs 602112 bytes" -- "$TARE" run "$M" --input "$DATA/models/labels.txt"
  check "bench" 0 "per-op GPU time" -- "$TARE" bench "$DATA/models/mobilenet_v1_0.25_224.tflite" --runs 2
  mkdir -p "$tmp/calib"
  for f in $(ls "$DATA/images/imagenet_sample_1000" | head -4); do ln -s "$DATA/images/imagenet_sample_1000/$f" "$tmp/calib/$f"; done
  check "quantize" 0 "wrote" -- "$TARE" quantize "$DATA/models/mobilenet_v1_0.25_224.tflite" --images "$tmp/calib" \
    --count 4 --out "$tmp/q.tflite"
  check "run quantized" 0 "top 5" -- "$TARE" run "$tmp/q.tflite" --input "$IMG"
  check "eval" 0 "paired top-1 agreement" -- "$TARE" eval "$tmp/q.tflite" --images "$DATA/images/imagenet_sample_1000" \
    --labels "$DATA/images/labels.csv" --reference "$DATA/models/mobilenet_v1_0.25_224.tflite" --limit 3
  check "calibrate ibc" 0 "IBC         28 layers corrected" -- "$TARE" calibrate \
    "$DATA/models/mobilenet_v1_0.25_224.tflite" --images "$tmp/calib" --count 4 --ibc-images 2 \
    --out "$tmp/ibc.tflite" --report "$tmp/ibc_report"
  check "calibrated model runs" 0 "top 5" -- "$TARE" run "$tmp/ibc.tflite" --input "$IMG"
  for f in report.html errors.csv summary.csv; do
    if [ -s "$tmp/ibc_report/$f" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: no $f"; fi
  done
  check "calibrate none" 0 "wrote" -- "$TARE" calibrate "$DATA/models/mobilenet_v1_0.25_224.tflite" \
    --images "$tmp/calib" --count 4 --method none --out "$tmp/none.tflite"
  check "calibrate bad method" 2 "--method must be" -- "$TARE" calibrate "$DATA/models/mobilenet_v1_0.25_224.tflite" \
    --images "$tmp/calib" --method bft2 --out "$tmp/x.tflite"
  check "calibrate bft" 0 "BFT         28 layers" -- "$TARE" calibrate "$DATA/models/mobilenet_v1_0.25_224.tflite" \
    --images "$tmp/calib" --count 4 --method ibc+bft --ibc-images 2 --bft-images 2 --bft-epochs 1 --bft-batch 2 \
    --bft-rates 1e-3,1e-4 --equalize --out "$tmp/bft.tflite" --report "$tmp/bft_report"
  if [ -s "$tmp/bft_report/bft_loss.html" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: no loss plot"; fi
  check "analyze" 0 "MAS         post-activation" -- "$TARE" analyze "$DATA/models/mobilenet_v1_0.25_224.tflite" \
    --images "$tmp/calib" --quantized "$tmp/none.tflite" --ibc-images 2 --skip 2 --analyze-images 2 \
    --report "$tmp/analysis"
  check "analyze wrong float model" 1 "weighted layers" -- "$TARE" analyze "$M" --images "$tmp/calib" \
    --quantized "$tmp/none.tflite" --no-ibc --skip 2 --analyze-images 1 --report "$tmp/analysis2"
else
  echo "SKIPPED (no data): $DATA/models missing; set TARE_DATA"
  if [ "${TARE_REQUIRE_DATA:-0}" = "1" ]; then fail=$((fail + 1)); fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
