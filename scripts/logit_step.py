#!/usr/bin/env python3
"""What the 8-bit logits of a classifier cost by themselves (docs/accuracy.md, "What the 8-bit logits cost by
themselves").

Runs the float model and each quantized model on the held-out images with `tare run` (outputs cached under --out),
then reports for each quantized model its top-1, its top-1 agreement with the float model, and the disagreements
where its output ties at the maximum with the float model's top-1 among the tied classes (the tie-break by index
decided them).  Then it simulates a network whose only error is the rounding of its logits to a grid of step S
(the quantized logits' scale): the float model's logits (log-probabilities: softmax is shift-invariant) rounded at
a random grid offset, softmax, rounded to the 8-bit softmax output's 1/256 steps, argmax with ties to the lowest
index; averaged over --offsets offsets.  Standard library only.

  scripts/logit_step.py --float M.tflite --quantized pt.tflite pc.tflite --step 0.14412 --step 0.07206
"""
import argparse
import array
import csv
import math
import os
import random
import subprocess


def load(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return list(a)


def argmax(v):
    return v.index(max(v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tare", default="build/samples/cli/tare")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--float", dest="float_model", required=True)
    ap.add_argument("--quantized", nargs="+", required=True)
    ap.add_argument("--skip", type=int, default=64)
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--step", type=float, action="append", default=[])
    ap.add_argument("--offsets", type=int, default=20)
    ap.add_argument("--out", default="build/logit_step")
    a = ap.parse_args()

    folder = os.path.join(a.data, "images", "imagenet_sample_1000")
    with open(os.path.join(a.data, "images", "labels.csv")) as f:
        labels = {os.path.basename(r[0]): int(r[1]) for r in list(csv.reader(f))[1:]}
    files = sorted(os.listdir(folder))[a.skip:a.skip + a.limit]
    os.makedirs(a.out, exist_ok=True)

    def outputs(model):
        tag = os.path.splitext(os.path.basename(model))[0]
        res = []
        for i, f in enumerate(files):
            path = os.path.join(a.out, "%s.%d.bin" % (tag, i))
            if not os.path.exists(path):
                subprocess.run([a.tare, "run", model, "--input", os.path.join(folder, f), "--output", path],
                               check=True, stdout=subprocess.DEVNULL)
            res.append(load(path))
        return res

    n = len(files)
    y = [labels[f] for f in files]
    F = outputs(a.float_model)
    fa = [argmax(p) for p in F]
    base = sum(fa[i] == y[i] for i in range(n))
    print("%d images (%d..%d); float top-1 %.1f %%" % (n, a.skip, a.skip + n - 1, 100.0 * base / n))
    for q in a.quantized:
        Q = outputs(q)
        qa = [argmax(p) for p in Q]
        dis = [i for i in range(n) if qa[i] != fa[i]]
        tied = [i for i in dis if Q[i][fa[i]] == max(Q[i])]
        print("%s: top-1 %.1f %%, agreement %.1f %% (%d disagreements), of which %d with the float top-1 tied at the "
              "maximum" % (q, 100.0 * sum(qa[i] == y[i] for i in range(n)) / n, 100.0 * (n - len(dis)) / n, len(dis),
                           len(tied)))

    logits = [[math.log(max(v, 1e-38)) for v in p] for p in F]
    gaps = [b - a2 for a2, b in (sorted(z)[-2:] for z in logits)]
    for s in a.step:
        dis = right = 0
        for r in range(a.offsets):
            rng = random.Random(r)
            for i in range(n):
                c = rng.random() * s
                z = [round((v + c) / s) * s for v in logits[i]]
                m = max(z)
                e = [math.exp(v - m) for v in z]
                t = sum(e)
                k = argmax([round(v / t * 256) for v in e])
                dis += k != fa[i]
                right += k == y[i]
        print("logits rounded to steps of %.4f alone: %.1f disagreements (%.1f %%), top-1 %+.2f points; float top-2 "
              "gap below one step on %d images" % (s, dis / a.offsets, 100.0 * dis / a.offsets / n,
                                                   100.0 * (right / a.offsets - base) / n, sum(g < s for g in gaps)))


if __name__ == "__main__":
    main()
