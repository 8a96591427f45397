#!/usr/bin/env bash
# Two builds of the `tare` tool side by side on this machine's default device: inference medians (interleaved
# runs, so both see the same load) as NEW/OLD ratios, and whether calibration (basic, IBC, BFT) exports
# byte-identical models.  For refactorings that must change neither speed nor results.
#   bench/compare_builds.sh OLD_TARE NEW_TARE [DATA_DIR]
set -euo pipefail
old=$1 new=$2
data=${3:-$(dirname "$0")/../../shared/data}
models=$data/models
images=$data/images/imagenet_sample_1000
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_ms() {  # median_ms TARE MODEL [ARGS...]: "median,min" of `tare bench`'s timed runs, in ms
  local tare=$1 model=$2
  shift 2
  "$tare" bench "$model" --runs "${RUNS:-30}" --no-profile "$@" 2>&1 |
    sed -n 's/.*median \([0-9.]*\) ms, min \([0-9.]*\) ms.*/\1,\2/p' | head -1
}

echo "device: $("$new" devices 2>/dev/null | sed -n 's/^\[0\] //p')"
for spec in "mobilenet_v2_1.0_224_float.tflite fp32" "mobilenet_v2_1.0_224_float.tflite fp16" \
            "tf2_mobilenet_v2_1.0_224_ptq.tflite int8"; do
  set -- $spec
  flag=""
  [ "$2" = fp16 ] && flag=--fp16
  o=() n=()
  for ((r = 0; r < rounds; r++)); do
    o+=("$(median_ms "$old" "$models/$1" $flag)")
    n+=("$(median_ms "$new" "$models/$1" $flag)")
  done
  python3 - "$1 $2" "${o[*]}" "${n[*]}" <<'PY'
import statistics, sys
# Each round: one `tare bench` of each build, back to back.  Lavapipe on a shared VM has bimodal outliers, so the
# fastest run of all rounds (min) is reported next to the median of the rounds' medians.
name = sys.argv[1]
o = [tuple(map(float, x.split(","))) for x in sys.argv[2].split()]
n = [tuple(map(float, x.split(","))) for x in sys.argv[3].split()]
om, nm = statistics.median(x[0] for x in o), statistics.median(x[0] for x in n)
omin, nmin = min(x[1] for x in o), min(x[1] for x in n)
ratios = [b[0] / a[0] for a, b in zip(o, n)]
print(f"{name}: median old {om:.1f} ms, new {nm:.1f} ms, new/old {nm / om:.3f}; "
      f"fastest old {omin:.1f} ms, new {nmin:.1f} ms, new/old {nmin / omin:.3f} "
      f"(per-round median ratios {', '.join(f'{r:.2f}' for r in ratios)})")
PY
done

same=0
check() {  # check NAME MODEL ARGS...: both builds calibrate, the exported files are compared byte for byte
  local name=$1 model=$2
  shift 2
  "$old" calibrate "$models/$model" --images "$images" --out "$tmp/old.tflite" "$@" >/dev/null 2>&1
  "$new" calibrate "$models/$model" --images "$images" --out "$tmp/new.tflite" "$@" >/dev/null 2>&1
  if cmp -s "$tmp/old.tflite" "$tmp/new.tflite"; then
    echo "$name: byte-identical ($(stat -c %s "$tmp/new.tflite") bytes)"
  else
    echo "$name: DIFFERENT"
    same=1
  fi
}
check "v1-0.25 basic" mobilenet_v1_0.25_224.tflite --method none --count 32
check "v1-0.25 IBC" mobilenet_v1_0.25_224.tflite --method ibc --count 32
check "v1-0.25 IBC+BFT" mobilenet_v1_0.25_224.tflite --method ibc+bft --count 32 --bft-images 32 --bft-epochs 1
check "v1-0.25 equalize+IBC" mobilenet_v1_0.25_224.tflite --method ibc --equalize --count 32
check "v2 IBC per-channel" mobilenet_v2_1.0_224_float.tflite --method ibc --per-channel --count 16
exit $same
