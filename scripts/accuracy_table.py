#!/usr/bin/env python3
"""Reproduces docs/accuracy.md's full table: both MobileNets x every method x per-tensor / per-channel weights x
without / with cross-layer equalization (RELU6 kept), on one fixed split of the shared ImageNet sample.

One `tare calibrate --method M ... --json` run per model, weights and equalization gives the rows of every method
up to M (its JSON has every stage's top-1 on every held-out image: --method ibc+bft also gives the none and ibc
rows, with each stage's own time).  Runs are cached as WORK/RUN.json (with the export WORK/RUN.tflite); a row that a
cached run holds is not run again (--force reruns the selected runs), so rows can be (re)run a few at a time:

  scripts/accuracy_table.py [--tare build/samples/cli/tare] [--nets v1,v2] [--methods none,ibc,ibc+bft]
      [--weights per-tensor,per-channel] [--equalize off,on] [--work build/accuracy] [--force] [--dry-run]
      [--no-run]

Paired differences (the rows' per-image top-1s): equalization on - off, and IBC+BFT - IBC; the difference of two
top-1s on the same images can only come from the images where the two disagree, so its noise is at most
sqrt(disagreements) / n (against the float model: sqrt(disagreements with float) / n).  Prints docs/accuracy.md's
tables on stdout.  Standard library only.
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

NETS = {
    'v1': ('MobileNet-v1 0.25 224', 'mobilenet_v1_0.25_224.tflite'),
    'v2': ('MobileNet-v2 1.0 224', 'mobilenet_v2_1.0_224_float.tflite'),
}
METHODS = ('none', 'ibc', 'ibc+bft')
WEIGHTS = ('per-tensor', 'per-channel')
EQUALIZE = ('off', 'on')

# One split, never re-drawn: ranges on the first 64 images in name order, IBC on the first 8, BFT on the first 64
# (the last 8 of them its validation images), top-1 on the next 500 (64..563).
CALIB_IMAGES = 64
IBC_IMAGES = 8
EVAL_IMAGES = 500
# Short BFT schedules that fit the shared 2-core machine, from IBC: 64 images (the last 8 its validation images, so
# 56 train), 2 rates, batch 8; v1 4 mini-epochs per rate (56 x 2 x 4 = 448 image-steps), v2, whose image-step costs
# several of v1's, 2 per rate (224 image-steps).
BFT_EPOCHS = {'v1': 4, 'v2': 2}


def bft_args(net):
    return ['--bft-images', '64', '--bft-rates', '1e-3,1e-4', '--bft-epochs', str(BFT_EPOCHS[net]), '--bft-batch', '8']


def run_name(net, weights, eq, method):
    return f'{net}_{weights}_eq-{eq}_{method.replace("+", "-")}'


def calibrate_command(tare, data, net, weights, eq, method, out):
    cmd = [tare, 'calibrate', os.path.join(data, 'models', NETS[net][1]),
           '--images', os.path.join(data, 'images', 'imagenet_sample_1000'), '--method', method,
           '--count', str(CALIB_IMAGES), '--ibc-images', str(IBC_IMAGES), '--eval', str(EVAL_IMAGES),
           '--labels', os.path.join(data, 'images', 'labels.csv'), '--out', out]
    if method in ('bft', 'ibc+bft'):
        cmd += bft_args(net)
    if weights == 'per-channel':
        cmd.append('--per-channel')
    if eq == 'on':
        cmd.append('--equalize')
    elif has_option(tare, '--no-equalize'):  # say which a row is, whatever the default
        cmd.append('--no-equalize')
    return cmd + ['--json']


_help = {}


def has_option(tare, option):
    if tare not in _help:
        _help[tare] = subprocess.run([tare, 'calibrate', '--help'], capture_output=True, text=True).stdout
    return option in _help[tare].split()


def run_cached(path, cmd, force, dry_run):
    """The JSON document of `cmd`, from `path` when an earlier run left it there."""
    if os.path.exists(path) and not force:
        with open(path) as f:
            return json.load(f)
    print('run: ' + ' '.join(cmd), file=sys.stderr, flush=True)
    if dry_run:
        return None
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f'failed ({p.returncode}): {" ".join(cmd)}')
    doc = json.loads(p.stdout)
    doc['command'] = cmd
    with open(path + '.tmp', 'w') as f:
        json.dump(doc, f)
    os.replace(path + '.tmp', path)  # an interrupted run leaves no cache
    return doc


STAGE = {'none': 'quantized', 'ibc': 'ibc', 'ibc+bft': 'bft'}
TIMINGS = {'none': ('equalize_ms', 'quantize_ms'), 'ibc': ('equalize_ms', 'quantize_ms', 'ibc_ms'),
           'ibc+bft': ('equalize_ms', 'quantize_ms', 'ibc_ms', 'bft_ms')}


def row_of(doc, method):
    """A method's row from a run that went at least that far."""
    acc = doc['accuracy']
    stages = {s['stage']: s for s in acc['stages']}
    labels = acc['labels']
    n = len(labels)
    assert n == acc['labeled'] == EVAL_IMAGES, 'every held-out image is labeled'
    top1, ref = stages[STAGE[method]]['top1'], stages['float']['top1']
    return {
        'top1': top1,
        'correct': sum(t == l for t, l in zip(top1, labels)),
        'float_correct': sum(t == l for t, l in zip(ref, labels)),
        'disagree': sum(t != r for t, r in zip(top1, ref)),
        'labels': labels,
        'n': n,
        'seconds': sum(doc['timings'].get(k, 0) for k in TIMINGS[method]) / 1000,
        'bft': doc.get('bft') if method == 'ibc+bft' else None,
    }


def paired(a, b):
    """Top-1 of row a - row b in points, its noise bound and the images where they disagree."""
    assert a['labels'] == b['labels'], 'the same held-out images'
    d = sum(x != y for x, y in zip(a['top1'], b['top1']))
    return (a['correct'] - b['correct']) * 100 / a['n'], math.sqrt(d) * 100 / a['n'], d


def pct(count, n):
    return count * 100 / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tare', default=os.path.join(ROOT, 'build', 'samples', 'cli', 'tare'))
    ap.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data'))
    ap.add_argument('--work', default=os.path.join(ROOT, 'build', 'accuracy'))
    ap.add_argument('--nets', default=','.join(NETS))
    ap.add_argument('--methods', default=','.join(METHODS))
    ap.add_argument('--weights', default=','.join(WEIGHTS))
    ap.add_argument('--equalize', default=','.join(EQUALIZE))
    ap.add_argument('--force', action='store_true', help='rerun the selected runs even when cached')
    ap.add_argument('--dry-run', action='store_true', help='print the commands of the runs not cached')
    ap.add_argument('--no-run', action='store_true', help='only print the tables of the cached rows')
    args = ap.parse_args()

    def pick(value, allowed, what):
        items = [v for v in value.split(',') if v]
        bad = [v for v in items if v not in allowed]
        if bad or not items:
            ap.error(f'--{what}: {",".join(bad) or "nothing"} (choose from {",".join(allowed)})')
        return [v for v in allowed if v in items]

    nets = pick(args.nets, tuple(NETS), 'nets')
    methods = pick(args.methods, METHODS, 'methods')
    weights_list = pick(args.weights, WEIGHTS, 'weights')
    eq_list = pick(args.equalize, EQUALIZE, 'equalize')
    if not args.no_run and not os.access(args.tare, os.X_OK):
        ap.error(f'--tare: {args.tare} is not an executable (build the tare_cli target)')
    os.makedirs(args.work, exist_ok=True)

    rows = {}
    for net in nets:
        for weights in weights_list:
            for eq in eq_list:
                # The cheapest cached run that holds a method's row; else one run of the last method asked for.
                for method in methods:
                    for deeper in METHODS[METHODS.index(method):]:
                        path = os.path.join(args.work, run_name(net, weights, eq, deeper) + '.json')
                        if os.path.exists(path) and not args.force:
                            doc = run_cached(path, [], False, False)
                            settings = doc['settings']
                            if settings['equalize'] != (eq == 'on') or settings['per_channel'] != (
                                    weights == 'per-channel'):
                                sys.exit(f'{path} is another row\'s run (settings {settings}); delete it')
                            rows[(net, weights, eq, method)] = row_of(doc, method)
                            break
                missing = [m for m in methods if (net, weights, eq, m) not in rows]
                if not missing or args.no_run:
                    continue
                last = missing[-1]
                name = run_name(net, weights, eq, last)
                cmd = calibrate_command(args.tare, args.data, net, weights, eq, last,
                                        os.path.join(args.work, name + '.tflite'))
                doc = run_cached(os.path.join(args.work, name + '.json'), cmd, args.force, args.dry_run)
                if doc is not None:
                    for m in missing:
                        rows[(net, weights, eq, m)] = row_of(doc, m)

    print(f'{len(rows)} rows from {args.work}; BFT: ' +
          '; '.join(f'{n} {56 * 2 * e} image-steps ({" ".join(bft_args(n))})' for n, e in BFT_EPOCHS.items()))
    print()
    print('| model | weights | equalize | method | top-1 % | vs float | agree % | noise vs float | '
          'equalize on - off (noise; images differing) | calibration s |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for key in sorted(rows, key=lambda k: (list(NETS).index(k[0]), WEIGHTS.index(k[1]), METHODS.index(k[3]),
                                           EQUALIZE.index(k[2]))):
        net, weights, eq, method = key
        r = rows[key]
        eq_cell = ''
        off = rows.get((net, weights, 'off', method))
        if eq == 'on' and off:
            p = paired(r, off)
            eq_cell = f'{p[0]:+.1f} ({p[1]:.1f}; {p[2]})'
        print(f'| {NETS[net][0]} | {weights} | {eq} | {method} | {pct(r["correct"], r["n"]):.1f} | '
              f'{pct(r["correct"] - r["float_correct"], r["n"]):+.1f} | {pct(r["n"] - r["disagree"], r["n"]):.1f} | '
              f'{math.sqrt(r["disagree"]) * 100 / r["n"]:.1f} | {eq_cell} | {r["seconds"]:.0f} |')
    bft_rows = [k for k in rows if k[3] == 'ibc+bft' and rows[k]['bft']]
    if bft_rows:
        print()
        print('| model | weights | equalize | IBC+BFT - IBC (noise; images differing) | validation loss start / kept '
              '(mini-epoch) | BFT s |')
        print('|---|---|---|---|---|---|')
        for key in bft_rows:
            net, weights, eq, _ = key
            r, b = rows[key], rows[key]['bft']
            ibc = rows.get((net, weights, eq, 'ibc'))
            cell = '{:+.1f} ({:.1f}; {})'.format(*paired(r, ibc)) if ibc else ''
            print(f'| {NETS[net][0]} | {weights} | {eq} | {cell} | {b["initial_validation_loss"]:.4f} / '
                  f'{b["best_validation_loss"]:.4f} ({b["best_mini_epoch"]}) | '
                  f'{r["seconds"] - rows.get((net, weights, eq, "ibc"), {"seconds": 0})["seconds"]:.0f} |')


if __name__ == '__main__':
    main()
