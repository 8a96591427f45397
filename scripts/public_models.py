#!/usr/bin/env python3
"""Evaluates public .tflite models (downloaded by scripts/public_models.sh) on Tare against TFLite.

For each model: its operators (read from the FlatBuffer here), whether Tare loads it (else the exact reason),
float outputs of Tare's GPU vs TFLite (the WASM oracle, XNNPACK off) on the same input, `tare calibrate`
(quantize + IBC + export) and the exported int8 model run in TFLite against the float model's TFLite outputs.
Standard library only.

  public_models.py --tare BUILD/samples/cli/tare --models DIR --images DIR --work DIR [--only NAME] [--no-calibrate]
"""
import argparse
import array
import math
import os
import re
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORACLE = os.path.join(ROOT, 'tests', 'tools', 'tflite', 'run_tflite.mjs')
LITERT = os.path.join(ROOT, 'tests', 'tools', 'tflite', 'run_litert.mjs')
SCHEMA = os.path.join(ROOT, 'src', 'model', 'tflite_schema.fbs')
IMAGE_RAW = os.path.join(ROOT, '..', 'shared', 'data', 'ref', 'mobilenet_v1_0.25_224', 'in_img0.bin')

# Input ranges of MediaPipe's image models (their graphs' ImageToTensor ranges); others default to [0, 1].
RANGE_M11 = ('face_detection', 'pose_detection', 'ssd_mobilenet')


# ---- a minimal FlatBuffers reader for the fields needed here --------------------------------------------------------
class Fb:
    def __init__(self, data):
        self.d = data

    def u32(self, p):
        return struct.unpack_from('<I', self.d, p)[0]

    def field(self, table, i):
        vt = table - struct.unpack_from('<i', self.d, table)[0]
        vt_size = struct.unpack_from('<H', self.d, vt)[0]
        if 4 + 2 * i >= vt_size:
            return None
        off = struct.unpack_from('<H', self.d, vt + 4 + 2 * i)[0]
        return table + off if off else None

    def scalar(self, table, i, fmt, default=0):
        p = self.field(table, i)
        return struct.unpack_from('<' + fmt, self.d, p)[0] if p else default

    def ref(self, table, i):
        p = self.field(table, i)
        return p + self.u32(p) if p else None

    def vector(self, table, i):  # (count, first element position)
        v = self.ref(table, i)
        return (self.u32(v), v + 4) if v else (0, 0)

    def tables(self, table, i):
        n, p = self.vector(table, i)
        return [p + 4 * k + self.u32(p + 4 * k) for k in range(n)]

    def ints(self, table, i):
        n, p = self.vector(table, i)
        return list(struct.unpack_from('<%di' % n, self.d, p)) if n else []

    def string(self, table, i):
        n, p = self.vector(table, i)
        return self.d[p:p + n].decode('utf-8', 'replace') if n else ''


def enum_names(name):
    text = open(SCHEMA).read()
    body = re.search(r'enum %s\s*:\s*\w+\s*{(.*?)}' % name, text, re.S).group(1)
    out, value = {}, -1
    for m in re.finditer(r'(\w+)\s*(?:=\s*(-?\d+))?\s*,', body + ','):
        value = int(m.group(2)) if m.group(2) else value + 1
        out[value] = m.group(1)
    return out


BUILTINS = None
TYPES = None
DTYPE_SIZE = {'FLOAT32': 4, 'FLOAT16': 2, 'INT32': 4, 'UINT8': 1, 'INT64': 8, 'INT16': 2, 'INT8': 1, 'BOOL': 1}


def describe(path):
    """Operators (name -> count), inputs [(name, shape, dtype)], number of subgraphs."""
    global BUILTINS, TYPES
    if BUILTINS is None:
        BUILTINS, TYPES = enum_names('BuiltinOperator'), enum_names('TensorType')
    fb = Fb(open(path, 'rb').read())
    model = fb.u32(0)
    codes = []
    for c in fb.tables(model, 1):
        b = max(fb.scalar(c, 0, 'b'), fb.scalar(c, 3, 'i'))
        codes.append(fb.string(c, 1) if BUILTINS.get(b) == 'CUSTOM' else BUILTINS.get(b, 'BUILTIN_%d' % b))
    subgraphs = fb.tables(model, 2)
    sg = subgraphs[0]
    tensors = fb.tables(sg, 0)
    ops = {}
    for op in fb.tables(sg, 3):
        name = codes[fb.scalar(op, 0, 'I')]
        ops[name] = ops.get(name, 0) + 1
    inputs = []
    for t in fb.ints(sg, 1):
        tt = tensors[t]
        inputs.append((fb.string(tt, 3), fb.ints(tt, 0), TYPES.get(fb.scalar(tt, 1, 'b'), '?')))
    return ops, inputs, len(subgraphs)


# ---- inputs ---------------------------------------------------------------------------------------------------------
def image_input(shape, lo, hi):
    """The stored 224x224 ImageNet test image ([-1, 1] float NHWC) resized bilinearly to shape [1, H, W, C]."""
    src = array.array('f')
    with open(IMAGE_RAW, 'rb') as f:
        src.frombytes(f.read())
    S = 224
    _, H, W, C = shape
    out = array.array('f', bytes(4 * H * W * C))
    for y in range(H):
        fy = min(max((y + 0.5) * S / H - 0.5, 0), S - 1)
        y0 = int(fy)
        y1, wy = min(y0 + 1, S - 1), fy - y0
        for x in range(W):
            fx = min(max((x + 0.5) * S / W - 0.5, 0), S - 1)
            x0 = int(fx)
            x1, wx = min(x0 + 1, S - 1), fx - x0
            for c in range(C):
                cc = min(c, 2)
                v = ((1 - wy) * ((1 - wx) * src[(y0 * S + x0) * 3 + cc] + wx * src[(y0 * S + x1) * 3 + cc]) +
                     wy * ((1 - wx) * src[(y1 * S + x0) * 3 + cc] + wx * src[(y1 * S + x1) * 3 + cc]))
                out[(y * W + x) * C + c] = lo + (v + 1) * 0.5 * (hi - lo)
    return out.tobytes()


def random_input(shape, dtype, seed):
    n = 1
    for d in shape:
        n *= d
    state = seed * 2654435761 % 2**32 or 1
    vals = []
    for _ in range(n):
        state = (state * 1103515245 + 12345) % 2**31
        vals.append(state / 2**31)
    if dtype == 'FLOAT32':
        return array.array('f', [2 * v - 1 for v in vals]).tobytes()
    return bytes(int(v * 256) % 256 for v in vals)


def make_inputs(name, inputs, work):
    lo, hi = (-1.0, 1.0) if any(k in name for k in RANGE_M11) else (0.0, 1.0)
    paths = []
    for i, (_, shape, dtype) in enumerate(inputs):
        if dtype == 'FLOAT32' and len(shape) == 4 and shape[0] == 1 and shape[3] in (1, 3, 4) and shape[1] > 16:
            data = image_input(shape, lo, hi)
        else:
            data = random_input(shape, dtype, i + 1)
        p = os.path.join(work, 'in%d.bin' % i)
        open(p, 'wb').write(data)
        paths.append(p)
    return paths, (lo, hi)


# ---- runs -----------------------------------------------------------------------------------------------------------
def run(cmd, timeout=1800):
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return r.returncode, r.stdout, time.time() - t0


def last_error(log):
    lines = [l for l in log.strip().splitlines() if l.strip()]
    for l in reversed(lines):
        if 'failed' in l or 'rror' in l:
            return l.strip()
    return lines[-1].strip() if lines else '(no output)'


def tflite_outputs(model, ins, out_dir, litert=False):
    # LiteRT.js (run_litert.mjs, XNNPACK) for models with custom ops the oracle's TFLite lacks (MediaPipe's
    # Convolution2DTransposeBias); else the oracle with XNNPACK off.
    cmd = ['node', LITERT, model, out_dir] + ins if litert else ['node', ORACLE, model, out_dir] + ins + ['--no-xnnpack']
    code, log, secs = run(cmd)
    if code != 0:
        return None, last_error(log), secs
    outs = []
    i = 0
    while os.path.exists(os.path.join(out_dir, 'out%d.bin' % i)):
        outs.append(open(os.path.join(out_dir, 'out%d.bin' % i), 'rb').read())
        i += 1
    return outs, '', secs


def floats(b):
    a = array.array('f')
    a.frombytes(b[:len(b) // 4 * 4])
    return a


def compare(got, want):
    """Worst over the outputs of: max |diff|, max |diff| / max |want|, mean |diff| / mean |want|."""
    worst_abs, worst_rel, worst_mean = 0.0, 0.0, 0.0
    for g, w in zip(got, want):
        g, w = floats(g), floats(w)
        if len(g) != len(w) or not w:
            return float('nan'), float('nan'), float('nan')
        m = max(abs(x) for x in w)
        diffs = [abs(x - y) for x, y in zip(g, w)]
        d = max(diffs)
        if any(math.isnan(x) for x in g):
            d = float('inf')
        mean_w = sum(abs(x) for x in w) / len(w)
        mean_d = sum(diffs) / len(diffs)
        worst_abs = max(worst_abs, d)
        worst_rel = max(worst_rel, d / m if m > 0 else d)
        worst_mean = max(worst_mean, mean_d / mean_w if mean_w > 0 else mean_d)
    return worst_abs, worst_rel, worst_mean


def calibrate(args, path, work, method, mean, std, ins, want, row):
    """`tare calibrate --method METHOD`, then the export in TFLite vs the float model, and on Tare's GPU vs TFLite."""
    q = os.path.join(work, 'int8_%s.tflite' % method)
    cmd = [args.tare, 'calibrate', path, '--images', args.images, '--out', q, '--method', method, '--count',
           str(args.count), '--ibc-images', str(min(8, args.count)), '--batch', '4', '--mean', str(mean), '--std',
           str(std)]
    code, log, cal_s = run(cmd)
    if code != 0:
        row['calibrate ' + method] = 'failed: ' + last_error(log)
        return
    qout, err, _ = tflite_outputs(q, ins, os.path.join(work, 'tflite_int8_' + method))
    if qout is None:
        row['calibrate ' + method] = 'ok (%.0f s); TFLite failed on the export: %s' % (cal_s, err)
        return
    text = 'ok (%.0f s); vs float, per output max abs diff / max abs float: %s' % (cal_s, per_output(qout, want))
    # The exported model on Tare's GPU (its int8 kernels) against TFLite running the same file.
    out = os.path.join(work, 'tare_int8_%s.bin' % method)
    cmd = [args.tare, 'run', q, '--output', out]
    for p in ins:
        cmd += ['--input', p]
    code, log, _ = run(cmd)
    if code != 0:
        text += '; tare run failed: ' + last_error(log)
    else:
        got = [open(out, 'rb').read()] if len(qout) == 1 else [
            open(out[:-4] + '.%d.bin' % i, 'rb').read() for i in range(len(qout))]
        text += '; Tare = TFLite' if got == qout else '; Tare vs TFLite max abs %.3g' % compare(got, qout)[0]
    row['calibrate ' + method] = text


def per_output(got, want):
    """'d0/m0, d1/m1, ...': each output's max |got - want| and max |want| (a relative error means little for an
    output near 0, such as a sigmoid score)."""
    parts = []
    for g, w in zip(got, want):
        g, w = floats(g), floats(w)
        d = max((abs(x - y) for x, y in zip(g, w)), default=float('nan')) if len(g) == len(w) else float('nan')
        parts.append('%.3g/%.3g' % (d, max((abs(x) for x in w), default=0.0)))
    return ', '.join(parts)


def evaluate(args, name, path):
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    row = {'model': name, 'package': os.path.basename(os.path.dirname(path))}
    ops, inputs, nsub = describe(path)
    row['ops'] = ' '.join('%s%s' % (k, 'x%d' % v if v > 1 else '') for k, v in sorted(ops.items()))
    row['subgraphs'] = nsub
    code, log, _ = run([args.tare, 'info', path])
    if code != 0:
        row['load'] = 'refused: ' + last_error(log)
        return row
    row['load'] = 'ok'
    ins, rng = make_inputs(name, inputs, work)
    row['input'] = '[%g, %g]' % rng
    reference = 'TFLite'
    want, err, tfl_s = tflite_outputs(path, ins, os.path.join(work, 'tflite_float'))
    if want is None and any(not k.isupper() for k in ops):  # a custom op (mixed case): try LiteRT.js
        reference = 'LiteRT.js'
        want, err, tfl_s = tflite_outputs(path, ins, os.path.join(work, 'litert_float'), litert=True)
    if want is None:
        row['float'] = reference + ' failed: ' + err
        return row
    cmd = [args.tare, 'run', path, '--output', os.path.join(work, 'tare.bin')]
    for p in ins:
        cmd += ['--input', p]
    code, log, tare_s = run(cmd)
    if code != 0:
        row['float'] = 'tare run failed: ' + last_error(log)
        return row
    got = [open(os.path.join(work, 'tare.bin'), 'rb').read()] if len(want) == 1 else [
        open(os.path.join(work, 'tare.%d.bin' % i), 'rb').read() for i in range(len(want))]
    a, r, _ = compare(got, want)
    row['float'] = 'max abs %.3g, rel %.3g (Tare %.1f s, %s %.1f s)' % (a, r, tare_s, reference, tfl_s)
    if args.no_calibrate:
        return row
    lo, hi = rng
    mean, std = (127.5, 127.5) if lo < 0 else (0.0, 255.0)
    for method in args.methods.split(','):
        calibrate(args, path, work, method, mean, std, ins, want, row)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tare', required=True)
    ap.add_argument('--models', required=True)
    ap.add_argument('--images', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--count', type=int, default=16)
    ap.add_argument('--no-calibrate', action='store_true')
    ap.add_argument('--methods', default='none,ibc', help='tare calibrate methods, comma-separated')
    args = ap.parse_args()
    rows = []
    for pkg in sorted(os.listdir(args.models)):
        d = os.path.join(args.models, pkg)
        for f in sorted(os.listdir(d)):
            if not f.endswith('.tflite') or (args.only and args.only not in f):
                continue
            name = f[:-len('.tflite')]
            try:
                row = evaluate(args, name, os.path.join(d, f))
            except subprocess.TimeoutExpired as e:
                row = {'model': name, 'package': pkg, 'load': 'timeout: %s' % ' '.join(e.cmd[:2])}
            rows.append(row)
            print('| ' + ' | '.join(str(row.get(k, '')) for k in COLUMNS) + ' |', flush=True)
    return 0


COLUMNS = ['model', 'package', 'subgraphs', 'ops', 'load', 'input', 'float', 'calibrate none', 'calibrate ibc']

if __name__ == '__main__':
    print('| ' + ' | '.join(COLUMNS) + ' |')
    print('|' + '---|' * len(COLUMNS))
    sys.exit(main())
