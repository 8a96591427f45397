#!/usr/bin/env python3
"""Measures issue 15's figures on this machine's default Vulkan device and writes them as the table of
bench/README.md (the part between its `bench-table` markers), so that the next change can be compared.

  scripts/bench_table.py [--build DIR] [--data DIR] [--rounds N] [--runs N] [--cold-rounds N] [--calib-rounds N]
                         [--quick] [--out FILE]

Everything goes through the built programs: `tare bench --json` (warm latency, GPU time per op, cold start, the
pipeline cache), `tare quantize --per-channel` (the int8 MobileNet-v1), `bench_calibration` (IBC and BFT costs).
Each figure is the median over rounds (one process per round, the configurations interleaved so that every one
sees the same load), with the spread (min-max of the rounds).  --quick: one round of everything, fewer runs.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"

# Issue 15's goals, and its ncnn figures (quoted: ncnn cannot be built here).
GOAL_WALL_OVER_GPU = 1.1
GOAL_INT8_OVER_FP32 = 0.7
GOAL_COLD_INT8_OVER_FP32 = 1.5
GOAL_WARM_CACHE_S = 0.1
GOAL_IBC = 3.0
GOAL_BFT = 3.0
ISSUE_RSS_MB, NCNN_RSS_MB = 148, 200


def run(cmd, env=None, timeout=1800, required=True):
    """stdout of cmd; a failure stops the script when `required`, else is noted and gives None."""
    full_env = dict(os.environ, **(env or {}))
    try:
        p = subprocess.run(cmd, capture_output=True, env=full_env, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        p = None
    if p is not None and p.returncode == 0:
        return p.stdout
    why = "timed out" if p is None else f"exit {p.returncode}: {(p.stderr.strip().splitlines() or [''])[-1][:200]}"
    if required:
        sys.exit(f"failed ({why}): {' '.join(cmd)}")
    FAILURES.append(f"`{' '.join(os.path.basename(c) if os.sep in c else c for c in cmd)}`: {why}")
    return None


FAILURES = []


def peak_rss_mb(cmd, env=None):
    """Peak resident memory (MB) of one run of cmd, from wait4's rusage."""
    full_env = dict(os.environ, **(env or {}))
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvpe(cmd[0], cmd, full_env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        FAILURES.append(f"peak RSS run `{' '.join(os.path.basename(c) for c in cmd)}` failed")
        return float("nan")
    return usage.ru_maxrss / 1024.0


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, fmt="{:.1f}"):
    if not values:
        return "n/a"
    return (fmt.format(min(values)) + "-" + fmt.format(max(values))) if len(values) > 1 else "(1 round)"


def met(value, goal):
    if value != value:  # NaN: a run failed
        return "n/a"
    return "met" if value <= goal else f"not met ({value / goal:.2f}x the goal)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.environ.get("TARE_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--rounds", type=int, default=3, help="warm-latency rounds (default 3)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per `tare bench` (default 10)")
    ap.add_argument("--cold-rounds", type=int, default=2, help="cold-start rounds (default 2)")
    ap.add_argument("--calib-rounds", type=int, default=2, help="bench_calibration rounds (default 2)")
    ap.add_argument("--quick", action="store_true", help="one round of everything, 5 runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "README.md"))
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.runs, a.cold_rounds, a.calib_rounds = 1, 5, 1, 1
    tare = os.path.join(a.build, "samples", "cli", "tare")
    bench_calibration = os.path.join(a.build, "bench", "bench_calibration")
    for exe in (tare, bench_calibration):
        if not os.access(exe, os.X_OK):
            sys.exit(f"{exe} not found: build first (cmake --build {a.build})")
    models = os.path.join(a.data, "models")
    images = os.path.join(a.data, "images", "imagenet_sample_1000")
    started = time.time()
    load_start = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="tare_bench_table_")
    # Tare's pipeline cache and Mesa's shader cache in folders of their own (the user's stay untouched), primed before
    # the warm rounds, as an application's caches are from its second start on.
    cache_env = {"XDG_CACHE_HOME": os.path.join(tmp, "cache"), "MESA_SHADER_CACHE_DIR": os.path.join(tmp, "mesa")}
    no_mesa_cache = {"MESA_SHADER_CACHE_DISABLE": "true"}
    try:
        devices = json.loads(run([tare, "devices", "--json"]))["devices"]
        has_fp16 = any(d["fp16_arithmetic"] and d["fp16_storage"] for d in devices)

        # The int8 per-channel MobileNet-v1: Tare's own quantizer on the float model (16 images: only speed counts).
        v1_pc = os.path.join(tmp, "mobilenet_v1_0.25_224_int8_pc.tflite")
        run([tare, "quantize", os.path.join(models, "mobilenet_v1_0.25_224.tflite"), "--images", images, "--count",
             "16", "--per-channel", "--out", v1_pc, "--no-cache"])

        nets = [
            ("MobileNet-v2 1.0", os.path.join(models, "mobilenet_v2_1.0_224_float.tflite"),
             os.path.join(models, "mobilenet_v2_1.0_224_quant.tflite"),
             os.path.join(models, "tf2_mobilenet_v2_1.0_224_ptq.tflite"), "tf2_mobilenet_v2_1.0_224_ptq (TF)"),
            ("MobileNet-v1 0.25", os.path.join(models, "mobilenet_v1_0.25_224.tflite"),
             os.path.join(models, "mobilenet_v1_0.25_224_quant.tflite"), v1_pc, "`tare quantize --per-channel`"),
        ]
        configs = []  # (net, path label, model file, extra args)
        for net, f32, u8, pc, pc_label in nets:
            configs.append((net, "fp32", f32, []))
            if has_fp16:
                configs.append((net, "fp16", f32, ["--fp16"]))
            configs.append((net, "uint8 (per-tensor, _quant model)", u8, []))
            configs.append((net, f"int8 per-channel ({pc_label})", pc, []))

        def bench(model, extra, runs, env, profile=True):
            cmd = [tare, "bench", model, "--runs", str(runs), "--json"] + extra
            if not profile:
                cmd.append("--no-profile")
            out = run(cmd, env, required=False)
            return json.loads(out) if out is not None else None

        # Warm latency: rounds x configurations, interleaved, each round starting one configuration later (a process
        # run right after another measured up to 6 % slower or faster by its place in the pair alone).
        def order(r):
            k = r % len(configs)
            return [(i, configs[i]) for i in list(range(k, len(configs))) + list(range(k))]

        # Prime both caches first: a process that compiles runs its first second or so of inferences up to 40 %
        # slower while Mesa's disk-cache thread compresses and writes the new shaders (MobileNet-v2 int8: 53 against
        # 38 ms per run, with an empty Mesa cache; the GPU time of the later, profiled runs unchanged).
        for _, (_, _, model, extra) in order(0):
            bench(model, extra + ["--warmup", "0"], 1, cache_env, False)
        warm = {i: [] for i in range(len(configs))}
        for r in range(a.rounds):
            for i, (_, _, model, extra) in order(r):
                warm[i].append(bench(model, extra, a.runs, cache_env))
            print(f"warm round {r + 1}/{a.rounds} done", file=sys.stderr)

        # Cold start: Mesa's shader cache off; Tare's pipeline cache empty (--no-cache), then warm (filled above).
        # A later start: both caches warm (filled above).
        cold = {i: [] for i in range(len(configs))}
        cached = {i: [] for i in range(len(configs))}
        later = {i: [] for i in range(len(configs))}
        for r in range(a.cold_rounds):
            for i, (_, _, model, extra) in order(r):
                cold[i].append(bench(model, extra + ["--warmup", "0", "--no-cache"], 1, no_mesa_cache, False))
                cached[i].append(bench(model, extra + ["--warmup", "0"], 1, dict(no_mesa_cache, **cache_env), False))
                later[i].append(bench(model, extra + ["--warmup", "0"], 1, cache_env, False))
            print(f"cold round {r + 1}/{a.cold_rounds} done", file=sys.stderr)

        # Peak RSS: MobileNet-v2 fp32 without profiling.
        rss = [x for x in (peak_rss_mb([tare, "bench", nets[0][1], "--runs", str(a.runs), "--no-profile"], cache_env)
                                for _ in range(a.rounds)) if x == x]

        # Calibration: bench_calibration with 2 images (as in the issue).
        calib = {}
        for r in range(a.calib_rounds):
            out = run([bench_calibration, "--images", "2"], dict(TARE_DATA=a.data), required=False) or ""
            parsed = 0
            for line in out.splitlines():
                # model, float pass, IBC, IBC/fwd, fwd cpu, IBC cpu, cpu/cpu, BFT step/img, BFT/fwd
                m = re.match(r"^(\S+)\s+([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+)x\s+([\d.]+) ms\s+([\d.]+) ms"
                             r"\s+([\d.]+)x\s+([\d.]+) ms\s+([\d.]+)x", line)
                if m:
                    calib.setdefault(m.group(1), []).append(tuple(float(m.group(k)) for k in (2, 3, 4, 8, 9, 7)))
                    parsed += 1
            if not parsed:
                FAILURES.append(f"bench_calibration round {r + 1}: no result line understood")
            print(f"calibration round {r + 1}/{a.calib_rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    load_end = os.getloadavg()
    for i in warm:
        warm[i] = [d for d in warm[i] if d]
        cold[i] = [d for d in cold[i] if d]
        cached[i] = [d for d in cached[i] if d]
        later[i] = [d for d in later[i] if d]
    device = next((d[0]["device"] for d in warm.values() if d), devices[0]["name"])
    minutes = (time.time() - started) / 60
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    L = []
    args = " ".join(sys.argv[1:])
    L.append(f"Generated by `scripts/bench_table.py{' ' + args if args else ''}` on {datetime.date.today()} "
             f"(commit {commit}) in "
             f"{minutes:.1f} min, on **{device}**.  Load average (1, 5, 15 min) at the start "
             f"{load_start[0]:.1f} / {load_start[1]:.1f} / {load_start[2]:.1f}, at the end "
             f"{load_end[0]:.1f} / {load_end[1]:.1f} / {load_end[2]:.1f}: absolute times on a loaded machine are "
             "inflated; compare ratios, and compare builds side by side (`bench/compare_builds.sh`).")
    L.append("")
    L.append(f"Warm latency: {a.rounds} round(s) of one `tare bench --runs {a.runs}` process per configuration "
             "(configurations interleaved); each round gives the median wall time of its timed runs and the GPU "
             "time (sum of the per-op medians of its profiled runs); the table shows the median of the rounds and "
             "their spread (min-max).")
    L.append("")
    L.append("| model | path | wall ms | spread | GPU ms (sum of ops) | spread | GPU span ms | wall / GPU | "
             f"goal wall/GPU <= {GOAL_WALL_OVER_GPU} |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for i, (net, label, _, _) in enumerate(configs):
        if not warm[i]:
            L.append(f"| {net} | {label} | failed (see below) | | | | | | |")
            summary[i] = (float("nan"), float("nan"))
            continue
        walls = [d["warm"]["median_ms"] for d in warm[i]]
        gpus = [d.get("ops_total_ms", 0.0) for d in warm[i]]
        spans = [d.get("profiled", {}).get("gpu_span_ms", 0.0) for d in warm[i]]
        ratios = [w / g for w, g in zip(walls, gpus) if g > 0]
        summary[i] = (med(walls), med(gpus))
        ratio = med(ratios)
        L.append(f"| {net} | {label} | {med(walls):.1f} | {spread(walls)} | {med(gpus):.1f} | {spread(gpus)} | "
                 f"{med(spans):.1f} | {ratio:.2f} | {met(ratio, GOAL_WALL_OVER_GPU)} |")
    L.append("")
    L.append(f"int8 against Tare's own fp32 (goal <= {GOAL_INT8_OVER_FP32}x on every device, lavapipe included; "
             "<= 0.5x where dot products are accelerated):")
    L.append("")
    L.append("| model | 8-bit path | int8/fp32 by GPU time | int8/fp32 by wall time | goal |")
    L.append("|---|---|---|---|---|")
    for i, (net, label, _, _) in enumerate(configs):
        if "int8" not in label:
            continue
        f32 = next(j for j, c in enumerate(configs) if c[0] == net and c[1] == "fp32")
        by_gpu = summary[i][1] / summary[f32][1] if summary[f32][1] else float("nan")
        by_wall = summary[i][0] / summary[f32][0]
        L.append(f"| {net} | {label} | {by_gpu:.2f} | {by_wall:.2f} | {met(by_gpu, GOAL_INT8_OVER_FP32)} |")
    L.append("")
    L.append(f"Cold start: a new process, session creation (planning, pipelines, command buffer) plus its first run, "
             f"with Mesa's shader cache disabled (`MESA_SHADER_CACHE_DISABLE=true`); median of {a.cold_rounds} "
             "round(s).  Empty: `--no-cache` (every pipeline compiled); Tare's cache warm: its pipeline cache filled "
             "by the runs above, Mesa's still off.  Later start: both caches warm, as an application finds them from "
             "its second start on; its start-up cost is session creation plus the first run's time beyond a warm "
             "run (the next run of the same process), since no cache can make the inference itself shorter.  Goals: "
             f"an int8 cold start <= {GOAL_COLD_INT8_OVER_FP32}x that of fp32, and a start-up cost <= "
             f"{GOAL_WARM_CACHE_S} s with the caches warm.")
    L.append("")
    L.append("| model | path | cache empty: session + first run s | spread | of which first run s | / fp32 | "
             "Tare's cache warm: session + first run s | later start: session + first run s | start-up cost s | "
             "spread | goal |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, (net, label, _, _) in enumerate(configs):
        f32 = next(j for j, cc in enumerate(configs) if cc[0] == net and cc[1] == "fp32")
        if not cold[i] or not cached[i] or not later[i] or not cold[f32]:
            L.append(f"| {net} | {label} | {'failed (see below)' if not cold[i] else ''} | | | | "
                     f"{'failed (see below)' if not cached[i] else ''} | "
                     f"{'failed (see below)' if not later[i] else ''} | | | |")
            continue
        c = [(d["session_ms"] + d["first_run_ms"]) / 1000 for d in cold[i]]
        first = [d["first_run_ms"] / 1000 for d in cold[i]]
        w = [(d["session_ms"] + d["first_run_ms"]) / 1000 for d in cached[i]]
        loaded = all(d["pipeline_cache"]["loaded_bytes"] > 0 for d in cached[i] + later[i])
        ls = [(d["session_ms"] + d["first_run_ms"]) / 1000 for d in later[i]]
        cost = [(d["session_ms"] + max(0.0, d["first_run_ms"] - d["warm"]["median_ms"])) / 1000 for d in later[i]]
        f32_cold = med([(d["session_ms"] + d["first_run_ms"]) / 1000 for d in cold[f32]])
        rel = med(c) / f32_cold
        goal = met(med(cost), GOAL_WARM_CACHE_S) + " (later start)"
        if "8" in label:
            goal = met(rel, GOAL_COLD_INT8_OVER_FP32) + " (cold/fp32); " + goal
        L.append(f"| {net} | {label} | {med(c):.2f} | {spread(c, '{:.2f}')} | {med(first):.2f} | {rel:.2f} | "
                 f"{med(w):.2f}{'' if loaded else ' (cache not loaded!)'} | {med(ls):.3f} | {med(cost):.3f} | "
                 f"{spread(cost, '{:.3f}')} | {goal} |")
    L.append("")
    L.append(f"Calibration cost (`bench_calibration --images 2`, median of {a.calib_rounds} round(s); each round "
             "is itself the median of 3 IBC runs and one timed BFT pass), as multiples of one float forward pass "
             f"of the same batch.  Goals: IBC <= {GOAL_IBC}x, a BFT training step <= {GOAL_BFT}x.")
    L.append("")
    L.append("| model | float pass ms | IBC ms | IBC / forward | spread | goal | IBC / forward by CPU time | "
             "BFT step / forward | spread | goal |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for name, rows in calib.items():
        fwd, ibc, ibc_x, _, bft_x, ibc_cpu_x = (med([r[k] for r in rows]) for k in range(6))
        L.append(f"| {name} | {fwd:.1f} | {ibc:.0f} | {ibc_x:.1f}x | {spread([r[2] for r in rows])} | "
                 f"{met(ibc_x, GOAL_IBC)} | {ibc_cpu_x:.1f}x | {bft_x:.1f}x | {spread([r[4] for r in rows])} | "
                 f"{met(bft_x, GOAL_BFT)} |")
    L.append("")
    L.append(f"Peak RSS of `tare bench` on MobileNet-v2 1.0 fp32 without profiling (process total: context, model, "
             f"session, {a.runs} runs), median of {a.rounds}: **{med(rss):.0f} MB** (spread {spread(rss, '{:.0f}')}); "
             f"the issue measured {ISSUE_RSS_MB} MB and quotes ncnn at {NCNN_RSS_MB} MB: goal keep below ncnn, "
             f"{met(med(rss), NCNN_RSS_MB)}.")
    if FAILURES:
        L.append("")
        L.append("Runs that failed (a cold int8 first run on a loaded machine can pass the 60 s fence timeout):")
        L.append("")
        L.extend(f"- {f}" for f in FAILURES)
    table = "\n".join(L) + "\n"

    text = open(a.out, encoding="utf-8").read() if os.path.exists(a.out) else f"{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        sys.exit(f"{a.out} has no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + table + END + tail)
    print(f"wrote {a.out} ({minutes:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
