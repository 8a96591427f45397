#!/usr/bin/env bash
# Tests of the `tare` command-line tool: per-command help, refusals, output paths checked before the work, hints,
# `--json` of every command against docs/cli-json.md, progress on stderr, cold/warm times, the pipeline cache, and
# real models/images when the data folder exists.
# Usage: cli_test.sh PATH/TO/tare DATA_DIR
set -u
TARE="$1"
DATA="${TARE_DATA:-$2}"
HERE="$(dirname "${BASH_SOURCE[0]}")"
DOC="$HERE/../docs/cli-json.md"
source "$HERE/check_lib.sh"
# Tare's pipeline cache of these runs stays in the temporary folder; the driver's own shader cache (Mesa's, which
# also follows XDG_CACHE_HOME) stays where it was.
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesa_shader_cache}"
export XDG_CACHE_HOME="$tmp/cache"

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAILED: $*"; }

# check_json NAME CMD [REQUIRED_FIELD ...] -- command...: exit 0, stdout one JSON document matching the doc's table
# for CMD (and REQUIRED_FIELD present), stderr free of carriage returns.
check_json() {
  local name="$1" cmd="$2"
  shift 2
  local required=()
  while [ "$1" != "--" ]; do required+=("$1"); shift; done
  shift
  "$@" >"$tmp/json.out" 2>"$tmp/json.err"
  local rc=$?
  if [ "$rc" -ne 0 ]; then ko "$name (exit $rc)"; tail -5 "$tmp/json.err"; return; fi
  if ! python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/json.out"; then ko "$name: not JSON"; return; fi
  if python3 "$HERE/check_cli_json.py" "$DOC" "$cmd" "${required[@]}" <"$tmp/json.out" >/dev/null 2>"$tmp/check.err"; then
    ok
  else
    ko "$name: $(cat "$tmp/check.err")"
  fi
  if grep -q $'\r' "$tmp/json.err"; then ko "$name: carriage return in piped stderr"; fi
}

# check_fast NAME STATUS PATTERN -- command...: as check, and finished in under a second (no work started).
check_fast() {
  local t0=$(date +%s%N)
  check "$@"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$ms" -ge 1000 ]; then ko "$1 took $ms ms: the check did not come before the work"; fi
}

check "help" 0 "usage: tare" -- "$TARE" --help
check "help lists calibrate" 0 "^  calibrate  *quantize, correct the biases" -- "$TARE" --help
check "unknown command" 2 "unknown command" -- "$TARE" frobnicate
for c in devices ops info run bench quantize eval calibrate analyze; do
  check "$c --help" 0 "^usage: tare $c" -- "$TARE" "$c" --help
  check "$c --help lists --json" 0 "^  --json " -- "$TARE" "$c" --help
done
check "calibrate --help has its options" 0 "^  --bft-rates LIST .*default: 1e-3,1e-4,1e-5,1e-6" -- "$TARE" calibrate --help
check "run --help has --decode" 0 "^  --decode blazeface" -- "$TARE" run --help
if "$TARE" run --help | grep -q -- "--per-channel"; then ko "run --help lists --per-channel"; else ok; fi
check "foreign option refused" 2 "\`--per-channel\` is not an option of \`tare run\`; see \`tare run --help\`" -- \
  "$TARE" run m.tflite --runs 3 --per-channel --bft-images 3
check "info refuses --input" 2 "\`--input\` is not an option of \`tare info\`" -- "$TARE" info m.tflite --input x
check "option without value" 2 "\`--runs\` needs a value" -- "$TARE" bench m.tflite --runs
check "devices" 0 "subgroup" -- "$TARE" devices
check_json "devices --json" devices -- "$TARE" devices --json
check "ops" 0 "CONV_2D  *3  *yes  *yes  *yes  *yes  *yes" -- "$TARE" ops
check "ops internal" 0 "FAKE_QUANT  *internal" -- "$TARE" ops
check "ops markdown" 0 "^| CONV_2D | yes | yes | yes | yes |$" -- "$TARE" ops --markdown
check "ops extra argument" 2 "usage: tare ops" -- "$TARE" ops foo
check_json "ops --json" ops -- "$TARE" ops --json
check "missing model" 1 "cannot open" -- "$TARE" info /nonexistent.tflite
head -c 1000 /dev/urandom >"$tmp/junk.tflite"
check "junk model" 1 "" -- "$TARE" info "$tmp/junk.tflite"
check "missing model, json" 1 "cannot open" -- "$TARE" info /nonexistent.tflite --json
if [ -z "$("$TARE" info /nonexistent.tflite --json 2>/dev/null)" ]; then ok; else ko "an error wrote to stdout"; fi

if [ -f "$DATA/models/mobilenet_v2_1.0_224_float.tflite" ]; then
  M="$DATA/models/mobilenet_v2_1.0_224_float.tflite"
  S="$DATA/models/mobilenet_v1_0.25_224.tflite"
  IMG="$DATA/images/imagenet_sample_1000/n01440764_tench.JPEG"
  ALL="$(realpath "$DATA/images/imagenet_sample_1000")"
  check "info" 0 "CONV_2D              x36" -- "$TARE" info "$M"
  check_json "info --json" info ops -- "$TARE" info "$M" --ops --json
  # A file name with a quote, a backslash, a tab, a control character and non-ASCII letters comes back unchanged.
  odd=$'we"ird\\ n\xc3\xa9\t\x01.tflite'
  cp "$S" "$tmp/$odd"
  if "$TARE" info "$tmp/$odd" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["model"] != sys.argv[1])' "$tmp/$odd"; then
    ok
  else
    ko "info --json: the odd model name did not round-trip"
  fi

  # run: cold and warm times, outputs, the explicit BlazeFace decoder.
  check "run image" 0 "tench" -- "$TARE" run "$M" --input "$IMG" --labels "$DATA/models/labels.txt"
  check "run is cold" 0 "ms cold (the session's first run)$" -- "$TARE" run "$S" --input "$IMG"
  check "run warm" 0 "ms cold (the session's first run), .* ms warm (median of 2 runs)" -- "$TARE" run "$S" --input "$IMG" --runs 3
  check_json "run --json" run top warm_median_ms -- "$TARE" run "$S" --input "$IMG" --runs 2 --labels "$DATA/models/labels.txt" \
    --output "$tmp/out.bin" --json
  if [ "$(stat -c %s "$tmp/out.bin")" = 4004 ]; then ok; else ko "run --output did not write 1001 floats"; fi
  check "run wrong size" 1 "needs 602112 bytes" -- "$TARE" run "$M" --input "$DATA/models/labels.txt"
  check_fast "run --output checked first" 1 "\-\-output '/nonexistent/o.bin' cannot be written" -- \
    "$TARE" run "$M" --input "$IMG" --output /nonexistent/o.bin
  F="$DATA/models/face_detection_short_range.tflite"
  if [ -f "$F" ]; then
    check "run --decode blazeface" 0 "BlazeFace: .* face(s)" -- "$TARE" run "$F" --input "$IMG" --decode blazeface
    check_json "run --decode blazeface --json" run faces -- "$TARE" run "$F" --input "$IMG" --decode blazeface --json
    if "$TARE" run "$F" --input "$IMG" | grep -q BlazeFace; then ko "BlazeFace decoded without --decode"; else ok; fi
    check "--decode on another model" 1 "needs BlazeFace short range" -- "$TARE" run "$S" --input "$IMG" --decode blazeface
  fi
  check "--decode unknown" 2 "knows only" -- "$TARE" run "$S" --input "$IMG" --decode yolo

  # bench: separate cold and warm figures, the path that ran, ops by tensor name.
  check "bench" 0 "per-op GPU time" -- "$TARE" bench "$S" --runs 2
  check "bench cold" 0 "^first run .* ms  (cold)" -- "$TARE" bench "$S" --runs 2 --no-profile
  check "bench float path" 0 "^precision  fp32 graph (op outputs: float32 x" -- "$TARE" bench "$S" --runs 2 --no-profile
  Q8="$DATA/models/mobilenet_v1_0.25_224_quant.tflite"
  if [ -f "$Q8" ]; then
    check "bench 8-bit path" 0 "^precision  8-bit graph, 8-bit tensors in" -- "$TARE" bench "$Q8" --runs 2 --no-profile
    check "bench names ops by tensor" 0 "MobilenetV1/MobilenetV1/Conv2d_0/Relu6 (CONV_2D)" -- "$TARE" bench "$Q8" --runs 2
    check_json "bench --json (8-bit)" bench ops int8_storage -- "$TARE" bench "$Q8" --runs 2 --json
  fi
  check_json "bench --json" bench ops -- "$TARE" bench "$S" --runs 2 --json

  # The pipeline cache: written by default, not with --no-cache, read back.
  rm -rf "$XDG_CACHE_HOME"
  "$TARE" bench "$S" --runs 1 --no-profile --no-cache >/dev/null 2>&1
  if [ -e "$XDG_CACHE_HOME/tare" ]; then ko "--no-cache wrote a pipeline cache"; else ok; fi
  "$TARE" bench "$S" --runs 1 --no-profile >/dev/null 2>&1
  if ls "$XDG_CACHE_HOME"/tare/pipelines-*.bin >/dev/null 2>&1; then ok; else ko "no pipeline cache written"; fi
  if "$TARE" bench "$S" --runs 1 --no-profile --json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["pipeline_cache"]["loaded_bytes"] == 0)'; then
    ok
  else
    ko "the pipeline cache was not read back"
  fi

  mkdir -p "$tmp/calib"
  for f in $(ls "$ALL" | head -6); do ln -s "$ALL/$f" "$tmp/calib/$f"; done
  check "quantize" 0 "wrote" -- "$TARE" quantize "$S" --images "$tmp/calib" --count 4 --out "$tmp/q.tflite"
  check_json "quantize --json" quantize -- "$TARE" quantize "$S" --images "$tmp/calib" --count 4 --out "$tmp/q2.tflite" --json
  # Range methods (docs/quantization.md, "Activation ranges"): a second pass over the images, and bad values refused.
  check "quantize --ranges mse" 0 "mse ranges" -- "$TARE" quantize "$S" --images "$tmp/calib" --count 2 --ranges mse \
    --out "$tmp/qm.tflite"
  check "run an MSE-range model" 0 "top 5" -- "$TARE" run "$tmp/qm.tflite" --input "$IMG"
  check_json "quantize --ranges percentile --json" quantize percentile -- "$TARE" quantize "$S" --images "$tmp/calib" \
    --count 2 --ranges percentile --percentile 99.9 --out "$tmp/qp.tflite" --json
  check "unknown --ranges" 2 "\-\-ranges must be minmax, percentile or mse, got 'max'" -- "$TARE" quantize "$S" \
    --images "$tmp/calib" --ranges max --out "$tmp/qx.tflite"
  check "--percentile without its method" 2 "\-\-percentile needs \-\-ranges percentile" -- "$TARE" calibrate "$S" \
    --images "$tmp/calib" --percentile 99 --out "$tmp/qx.tflite"
  check "--percentile out of range" 2 "\-\-percentile must be in " -- "$TARE" quantize "$S" --images "$tmp/calib" \
    --ranges percentile --percentile 50 --out "$tmp/qx.tflite"
  # Progress on a pipe: plain lines, no carriage returns.
  "$TARE" quantize "$S" --images "$tmp/calib" --count 4 --out "$tmp/q3.tflite" >/dev/null 2>"$tmp/progress.txt"
  if grep -q $'\r' "$tmp/progress.txt"; then ko "carriage return in piped progress"; else ok; fi
  if grep -q "^calibrate 4/4 (100%)" "$tmp/progress.txt"; then ok; else ko "no progress line"; cat "$tmp/progress.txt"; fi
  check "run quantized" 0 "top 5" -- "$TARE" run "$tmp/q.tflite" --input "$IMG"
  check "quantize a quantized model" 1 "is already quantized (tensor .* is int8 .*needs the float model" -- \
    "$TARE" quantize "$tmp/q.tflite" --images "$tmp/calib" --out "$tmp/qq.tflite"
  check "calibrate a quantized model" 1 "is already quantized" -- \
    "$TARE" calibrate "$tmp/q.tflite" --images "$tmp/calib" --out "$tmp/qq.tflite"
  check "eval" 0 "paired top-1 agreement" -- "$TARE" eval "$tmp/q.tflite" --images "$ALL" \
    --labels "$DATA/images/labels.csv" --reference "$S" --limit 3
  check_json "eval --json" eval reference -- "$TARE" eval "$tmp/q.tflite" --images "$ALL" \
    --labels "$DATA/images/labels.csv" --reference "$S" --limit 2 --json
  # An 8-bit image input (the QAT uint8 MobileNet-v1): fed the pixels, as `tare run` feeds it; a wrong conversion
  # (normalized values cast to bytes, a missing or doubled shift by 128) leaves it agreeing with the float model on
  # almost no image, where it agrees on 18 of the first 20.
  if [ -f "$Q8" ]; then
    check_json "eval of a uint8-input model" eval reference -- "$TARE" eval "$Q8" --images "$ALL" \
      --labels "$DATA/images/labels.csv" --reference "$S" --limit 20 --json
    if python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["reference"]["agreement"] >= 0.6 else 1)' \
      <"$tmp/json.out"; then ok; else ko "eval of a uint8-input model: agreement with the float model below 60%"; fi
    check "eval with an 8-bit reference" 1 "needs a reference with a float32 input" -- "$TARE" eval "$S" \
      --images "$ALL" --labels "$DATA/images/labels.csv" --reference "$Q8" --limit 1
  fi
  # Fidelity: the SQNR and errors of one image against a computation here from `tare run`'s raw outputs.
  "$TARE" run "$tmp/q.tflite" --input "$ALL/$(ls "$ALL" | head -1)" --output "$tmp/fq.bin" >/dev/null &&
    "$TARE" run "$S" --input "$ALL/$(ls "$ALL" | head -1)" --output "$tmp/ff.bin" >/dev/null
  check_json "eval --fidelity --json" "eval --fidelity" outputs -- "$TARE" eval "$tmp/q.tflite" --images "$ALL" \
    --reference "$S" --limit 1 --json
  if python3 - "$tmp/ff.bin" "$tmp/fq.bin" "$tmp/json.out" <<'PY'; then ok; else ko "eval --fidelity vs the raw outputs"; fi
import json, math, struct, sys
x = struct.unpack(f"{len(open(sys.argv[1], 'rb').read()) // 4}f", open(sys.argv[1], "rb").read())
q = struct.unpack(f"{len(x)}f", open(sys.argv[2], "rb").read())
o = json.load(open(sys.argv[3]))["outputs"][0]
e = [a - b for a, b in zip(x, q)]
want = (10 * math.log10(sum(a * a for a in x) / sum(d * d for d in e)), max(map(abs, e)), sum(map(abs, e)) / len(e))
got = (o["sqnr_db"], o["max_abs_error"], o["mean_abs_error"])
print("sqnr/max/mean", want, got)
sys.exit(0 if o["values"] == len(x) and all(abs(a - b) <= 1e-6 * abs(a) + 1e-9 for a, b in zip(want, got)) else 1)
PY
  check "eval --fidelity of a model against itself" 0 "SQNR    inf dB   max |error| 0 " -- "$TARE" eval "$S" \
    --images "$ALL" --reference "$S" --limit 1
  B="$DATA/models/face_detection_short_range.tflite"
  check_json "eval --fidelity BlazeFace" "eval --fidelity" detections -- "$TARE" eval "$B" --images "$ALL" \
    --reference "$B" --limit 2 --json
  check "eval --fidelity needs a reference" 2 "needs --reference" -- "$TARE" eval "$S" --images "$ALL" --fidelity
  check "eval with a class list" 1 "expects a CSV" -- "$TARE" eval "$S" --images "$ALL" --labels "$DATA/models/labels.txt"

  # Output paths and input folders are checked before any work: on all 1000 images, failures come at once.
  check_fast "calibrate --out checked first" 1 "\-\-out '/nonexistent/x.tflite' cannot be written" -- \
    "$TARE" calibrate "$M" --images "$ALL" --count 1000 --out /nonexistent/x.tflite
  check_fast "calibrate --report checked first" 1 "\-\-report '$tmp/q.tflite' exists and is not a folder" -- \
    "$TARE" calibrate "$M" --images "$ALL" --count 1000 --out "$tmp/x.tflite" --report "$tmp/q.tflite"
  check_fast "quantize --out a folder" 1 "is a folder; a file name is expected" -- \
    "$TARE" quantize "$M" --images "$ALL" --count 1000 --out "$tmp"
  check_fast "analyze --report checked first" 1 "cannot be created" -- \
    "$TARE" analyze "$M" --images "$ALL" --report /proc/tare-report
  check_fast "missing --images folder" 1 "\-\-images '$tmp/none' is not a folder" -- \
    "$TARE" calibrate "$M" --images "$tmp/none" --out "$tmp/x.tflite"
  check_fast "--report without correction" 2 "\-\-report needs --method ibc" -- \
    "$TARE" calibrate "$M" --images "$ALL" --method none --out "$tmp/x.tflite" --report "$tmp/r"
  if [ -e "$tmp/x.tflite" ] || [ -e "$tmp/r" ] || ls -A "$tmp" | grep -q "^\.tare"; then ko "a failed check left files"; else ok; fi

  check "calibrate ibc" 0 "IBC         28 layers corrected" -- "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 \
    --ibc-images 2 --out "$tmp/ibc.tflite" --report "$tmp/ibc_report"
  # IBC's validation guard (on by default) runs on the calibration images after IBC's: here images 2..3.
  check "calibrate ibc guard" 0 "^IBC guard   \(kept\|rejected\): mean SQNR gain over the outputs .* on 2 held-out" -- \
    "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 --ibc-images 2 --method ibc --out "$tmp/ibcg.tflite"
  check_fast "calibrate bad --ibc-guard" 2 "\-\-ibc-guard must be on or off, got 'maybe'" -- \
    "$TARE" calibrate "$S" --images "$tmp/calib" --ibc-guard maybe --out "$tmp/x.tflite"
  check_fast "calibrate guard without images" 1 "\-\-count 2 leaves none after 2" -- \
    "$TARE" calibrate "$S" --images "$tmp/calib" --count 2 --ibc-images 2 --ibc-guard on --out "$tmp/x.tflite"
  check "calibrate default guard without images" 0 "^warning .*leaves none after 2: IBC runs unguarded" -- \
    "$TARE" calibrate "$S" --images "$tmp/calib" --count 2 --ibc-images 2 --out "$tmp/x.tflite"
  check "calibrate --ibc-guard off" 0 "IBC         28 layers corrected" -- "$TARE" calibrate "$S" --images "$tmp/calib" \
    --count 2 --ibc-images 2 --ibc-guard off --out "$tmp/ibc_off.tflite"
  check "calibrated model runs" 0 "top 5" -- "$TARE" run "$tmp/ibc.tflite" --input "$IMG"
  for f in report.html errors.csv summary.csv summary.json; do
    if [ -s "$tmp/ibc_report/$f" ]; then ok; else ko "no $f"; fi
  done
  python3 "$HERE/check_cli_json.py" "$DOC" calibrate layers ibc <"$tmp/ibc_report/summary.json" >/dev/null && ok || ko "summary.json"
  # Not equalized: `analyze` below compares it with the original float model, layer by layer.
  check "calibrate none" 0 "wrote" -- "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 --method none \
    --no-equalize --out "$tmp/none.tflite"
  # The default pipeline (docs/accuracy.md): equalization before per-tensor quantization, none before per-channel.
  for run in "|true" "--no-equalize|false" "--per-channel|false" "--per-channel --equalize|true"; do
    flags=${run%|*}
    # shellcheck disable=SC2086  # flags is a list of options
    "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 --method none $flags --out "$tmp/d.tflite" --json \
      >"$tmp/d.json" 2>/dev/null && python3 -c '
import json, sys
d, want = json.load(sys.stdin), sys.argv[1] == "true"
assert d["settings"]["equalize"] == want and ("equalized" in d["stages"]) == want, (d["settings"], d["stages"])' \
      "${run#*|}" <"$tmp/d.json" && ok || ko "calibrate equalization with '$flags'"
  done
  check_fast "calibrate --equalize --no-equalize" 2 "contradict" -- "$TARE" calibrate "$S" --images "$tmp/calib" \
    --equalize --no-equalize --out "$tmp/x.tflite"
  check_fast "--replace-relu6 without equalization" 2 "equalization is off" -- "$TARE" calibrate "$S" \
    --images "$tmp/calib" --per-channel --replace-relu6 --out "$tmp/x.tflite"
  check "equalize keeps RELU6" 0 "27 RELU6 kept by an added MINIMUM, 0 replaced" -- "$TARE" calibrate "$S" \
    --images "$tmp/calib" --method float --equalize --out "$tmp/eq.tflite"
  check "equalize --replace-relu6 warns" 0 "warning     RELU6 -> RELU changes the float model" -- "$TARE" calibrate \
    "$S" --images "$tmp/calib" --method float --equalize --replace-relu6 --out "$tmp/eq6.tflite"
  check "calibrate bad method" 2 "\-\-method must be" -- "$TARE" calibrate "$S" --images "$tmp/calib" --method bft2 \
    --out "$tmp/x.tflite"
  check "calibrate bft" 0 "BFT         28 layers" -- "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 \
    --method ibc+bft --ibc-images 2 --bft-images 2 --bft-epochs 1 --bft-batch 2 --bft-rates 1e-3,1e-4 --equalize \
    --out "$tmp/bft.tflite" --report "$tmp/bft_report"
  if [ -s "$tmp/bft_report/bft_loss.html" ]; then ok; else ko "no loss plot"; fi
  check_json "calibrate --json" calibrate settings ibc ibc.guard bft accuracy layers timings.ibc_ms timings.bft_ms \
    timings.ibc_guard_ms timings.equalize_ms -- "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 --method ibc+bft --ibc-images 2 \
    --bft-images 2 --bft-epochs 1 --bft-batch 2 --bft-rates 1e-3 --equalize --eval 2 --labels "$DATA/images/labels.csv" \
    --out "$tmp/bft2.tflite" --report "$tmp/bft2_report" --json
  python3 "$HERE/check_cli_json.py" "$DOC" calibrate accuracy bft <"$tmp/bft2_report/summary.json" >/dev/null && ok ||
    ko "summary.json of ibc+bft"
  # The per-stage accuracy: four stages measured on the two held-out labeled images.
  python3 - "$tmp/bft2_report/summary.json" "$DATA/images/labels.csv" <<'PY' && ok || ko "calibrate accuracy per stage"
import json, os, sys
d = json.load(open(sys.argv[1]))
a = d["accuracy"]
assert a["images"] == 2 and a["labeled"] == 2, a
assert [s["stage"] for s in a["stages"]] == ["float", "equalized", "quantized", "ibc", "bft"], a
assert a["stages"][0]["top1_agreement"] == 1, a
# Per image, in name order: the labels of labels.csv and each stage's top-1, which its two fractions must count.
names = sorted(os.listdir(os.path.dirname(d["settings"]["images"] + "/")))[4:6]
csv = {os.path.basename(f): c for f, c in (line.split(",")[:2] for line in open(sys.argv[2]) if "," in line)}
assert a["labels"] == [int(csv[n]) for n in names], (a["labels"], names)
for s in a["stages"]:
    assert len(s["top1"]) == 2 and all(isinstance(t, int) and t >= 0 for t in s["top1"]), s
    assert s["top1_agreement"] == sum(t == f for t, f in zip(s["top1"], a["stages"][0]["top1"])) / 2, s
    assert s["top1_accuracy"] == sum(t == l for t, l in zip(s["top1"], a["labels"])) / 2, s
assert d["settings"]["count"] == 4 and d["settings"]["bft_images"] == 2, d["settings"]
assert len(d["layers"]) == 28, len(d["layers"])
# Every stage measured on the IBC images, in pipeline order; IBC lowers the mean shift there (it corrects it).
e = d["stage_errors"]
assert [s["stage"] for s in e] == ["unequalized", "before", "after", "bft"], e
assert e[2]["mean_mas"] < e[1]["mean_mas"], e
for layer in d["layers"]:
    for point in ("pre_activation", "post_activation"):
        assert all(layer[point][s] is not None for s in ("unequalized", "before", "after", "bft")), layer
PY
  # BFT alone: the report measures the quantized model and the fine-tuned one (no IBC stage).
  check "calibrate bft report" 0 "report.html" -- "$TARE" calibrate "$S" --images "$tmp/calib" --count 4 --method bft \
    --ibc-images 2 --bft-images 2 --bft-epochs 1 --bft-batch 2 --bft-rates 1e-3 --out "$tmp/bft3.tflite" \
    --report "$tmp/bft3_report"
  if grep -q 'data-stage="BFT"' "$tmp/bft3_report/report.html" && ! grep -q 'data-stage="IBC"' \
    "$tmp/bft3_report/report.html" && grep -q ',post,bft,' "$tmp/bft3_report/errors.csv"; then ok; else
    ko "the BFT-only report lacks the BFT stage"
  fi
  check "analyze" 0 "MAS         post-activation" -- "$TARE" analyze "$S" --images "$tmp/calib" --quantized "$tmp/none.tflite" \
    --ibc-images 2 --skip 2 --analyze-images 2 --report "$tmp/analysis"
  check_json "analyze --json" analyze ibc_images -- "$TARE" analyze "$S" --images "$tmp/calib" --quantized "$tmp/none.tflite" \
    --ibc-images 2 --skip 2 --analyze-images 1 --report "$tmp/analysis3" --json
  check "analyze wrong float model" 1 "weighted layers" -- "$TARE" analyze "$M" --images "$tmp/calib" \
    --quantized "$tmp/none.tflite" --no-ibc --skip 2 --analyze-images 1 --report "$tmp/analysis2"
else
  echo "SKIPPED (no data): $DATA/models missing; set TARE_DATA"
  if [ "${TARE_REQUIRE_DATA:-0}" = "1" ]; then fail=$((fail + 1)); fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
