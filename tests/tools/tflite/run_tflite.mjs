// Runs a .tflite model in TensorFlow Lite itself: the WASM build of TFLite that npm's @tensorflow/tfjs-tflite ships
// (tflite_web_api_cc), under Node.  Tare's tests use it as an oracle.
//
//   node run_tflite.mjs MODEL.tflite OUT_DIR IN0.bin [IN1.bin ...] [--threads N] [--xnnpack|--no-xnnpack] [--simd]
//
// Each INi.bin holds the raw little-endian bytes of input tensor i (any dtype; its size must equal the tensor's byte
// size).  Writes OUT_DIR/out<i>.bin (raw bytes of output i) and OUT_DIR/outputs.json (name, dtype, shape, bytes and
// id of each input and output, plus the run's settings and the number of nodes XNNPACK took).  Quantization
// parameters are not exposed by the WASM API: read them from the model.
//
// XNNPACK is OFF by default (--xnnpack turns it on): TFLite applies it as a "lazy default delegate", and its int8
// kernels requantize in float, so they are not bit-exact with TFLite's builtin int8 kernels.  The web runner has no
// option for it, so this script patches the module at load time.  Interpreter::AllocateTensors, with
// ApplyLazyDelegateProviders inlined (found as the one function that refers to both of the latter's log strings), first
// checks `lazy_delegate_providers_.empty()`: the patch makes the vector empty (end = begin) just before that check,
// as BuiltinOpResolverWithoutDefaultDelegates would.  Profiling then proves that no node ran in the XNNPACK delegate.
//
// The library's own loader expects a browser (fetch, navigator); here the Emscripten factory gets the wasm bytes.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.join(here, 'node_modules', '@tensorflow', 'tfjs-tflite', 'wasm');

function usage(msg) {
  if (msg) process.stderr.write(`run_tflite: ${msg}\n`);
  process.stderr.write('usage: node run_tflite.mjs MODEL.tflite OUT_DIR IN0.bin [IN1.bin ...] [--threads N] ' +
                       '[--xnnpack|--no-xnnpack] [--simd]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { threads: 1, xnnpack: false, simd: false, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < -1 || v === 0) usage('--threads needs a positive integer (or -1)');
      opts.threads = v;
    } else if (a === '--xnnpack') {
      opts.xnnpack = true;
    } else if (a === '--no-xnnpack') {
      opts.xnnpack = false;
    } else if (a === '--simd') {
      opts.simd = true;
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      opts.positional.push(a);
    }
  }
  if (opts.positional.length < 2) usage('MODEL and OUT_DIR are required');
  return opts;
}

// ---- minimal WebAssembly binary reading / patching -------------------------------------------------------------
function readU(b, i) {
  let r = 0n, s = 0n;
  for (;;) {
    const x = b[i++];
    r |= BigInt(x & 0x7f) << s;
    s += 7n;
    if (x < 0x80) return [Number(r), i];
  }
}
function readS(b, i) {
  let r = 0n, s = 0n;
  for (;;) {
    const x = b[i++];
    r |= BigInt(x & 0x7f) << s;
    s += 7n;
    if (x < 0x80) {
      if (x & 0x40) r -= 1n << s;
      return [Number(r), i];
    }
  }
}
function encU(v) {
  const out = [];
  do {
    let x = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) x |= 0x80;
    out.push(x);
  } while (v);
  return out;
}
function encS(v) {
  const out = [];
  for (;;) {
    const x = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(x & 0x40)) || (v === -1 && (x & 0x40))) { out.push(x); return out; }
    out.push(x | 0x80);
  }
}
function indexOf(hay, needle, from = 0) {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function sectionsOf(b) {
  const secs = [];
  let i = 8;
  while (i < b.length) {
    const id = b[i];
    const [size, start] = readU(b, i + 1);
    secs.push({ id, headerStart: i, start, size });
    i = start + size;
  }
  return secs;
}

// Returns a copy of the module in which the one function referring to every string of `strings` (C strings in the
// active data segments), typed (i32) -> i32 and containing the byte sequence `expect` starts with `inserted`.
function patchFunctionPrologue(wasm, strings, expect, inserted) {
  const b = new Uint8Array(wasm);
  const secs = sectionsOf(b);
  const sec = (id) => {
    const s = secs.filter((x) => x.id === id);
    if (s.length !== 1) throw new Error(`wasm: expected one section ${id}`);
    return s[0];
  };
  // Types.
  let i = sec(1).start, n;
  [n, i] = readU(b, i);
  const types = [];
  for (let k = 0; k < n; k++) {
    if (b[i++] !== 0x60) throw new Error('wasm: bad type');
    let np, nr;
    [np, i] = readU(b, i);
    const params = Array.from(b.subarray(i, i + np));
    i += np;
    [nr, i] = readU(b, i);
    const results = Array.from(b.subarray(i, i + nr));
    i += nr;
    types.push({ params, results });
  }
  // Imported functions shift the function index space.
  let importedFuncs = 0;
  i = sec(2).start;
  [n, i] = readU(b, i);
  for (let k = 0; k < n; k++) {
    let len, kind, flags;
    [len, i] = readU(b, i); i += len;
    [len, i] = readU(b, i); i += len;
    kind = b[i++];
    if (kind === 0) { [, i] = readU(b, i); importedFuncs++; }
    else if (kind === 1) { i++; flags = b[i++]; [, i] = readU(b, i); if (flags & 1) [, i] = readU(b, i); }
    else if (kind === 2) { flags = b[i++]; [, i] = readU(b, i); if (flags & 1) [, i] = readU(b, i); }
    else if (kind === 3) { i += 2; }
    else throw new Error('wasm: unknown import kind');
  }
  // Function types.
  i = sec(3).start;
  [n, i] = readU(b, i);
  const funcTypes = [];
  for (let k = 0; k < n; k++) { let t; [t, i] = readU(b, i); funcTypes.push(t); }
  // Addresses of the strings in the active data segments.
  i = sec(11).start;
  [n, i] = readU(b, i);
  const addrs = strings.map(() => []);
  const enc = new TextEncoder();
  for (let k = 0; k < n; k++) {
    let flags, off, len;
    [flags, i] = readU(b, i);
    if (flags !== 0 || b[i] !== 0x41) throw new Error('wasm: unexpected data segment form');
    [off, i] = readS(b, i + 1);
    if (b[i++] !== 0x0b) throw new Error('wasm: unexpected data segment offset');
    [len, i] = readU(b, i);
    const data = b.subarray(i, i + len);
    strings.forEach((s, si) => {
      const needle = [...enc.encode(s), 0];
      for (let p = indexOf(data, needle); p >= 0; p = indexOf(data, needle, p + 1)) addrs[si].push(off + p);
    });
    i += len;
  }
  addrs.forEach((a, si) => { if (a.length !== 1) throw new Error(`wasm: string "${strings[si]}" found ${a.length}x`); });
  const patterns = addrs.map((a) => [0x41, ...encS(a[0])]);
  // Function bodies.
  const code = sec(10);
  i = code.start;
  [n, i] = readU(b, i);
  const hits = [];
  for (let k = 0; k < n; k++) {
    let size;
    [size, i] = readU(b, i);
    const body = b.subarray(i, i + size);
    if (patterns.every((p) => indexOf(body, p) >= 0)) hits.push({ k, start: i, size });
    i += size;
  }
  if (hits.length !== 1) throw new Error(`wasm: ${hits.length} functions refer to the strings (expected 1)`);
  const hit = hits[0];
  const type = types[funcTypes[hit.k]];
  if (type.params.join() !== '127' || type.results.join() !== '127') {
    throw new Error(`wasm: function ${hit.k + importedFuncs} is not (i32) -> i32`);
  }
  if (indexOf(b.subarray(hit.start, hit.start + hit.size), expect) < 0) {
    throw new Error(`wasm: function ${hit.k + importedFuncs} does not hold the expected code`);
  }
  // Skip the local declarations, insert the code.
  let j = hit.start, nl;
  [nl, j] = readU(b, j);
  for (let k = 0; k < nl; k++) { [, j] = readU(b, j); j++; }
  const newBodySize = encU(hit.size + inserted.length);
  const oldBodySizeLen = encU(hit.size).length;
  const bodySizeStart = hit.start - oldBodySizeLen;
  const newCodeSize = code.size + inserted.length + newBodySize.length - oldBodySizeLen;
  const parts = [
    b.subarray(0, code.headerStart + 1),
    Uint8Array.from(encU(newCodeSize)),
    b.subarray(code.start, bodySizeStart),
    Uint8Array.from(newBodySize),
    b.subarray(hit.start, j),
    Uint8Array.from(inserted),
    b.subarray(j),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---- main ------------------------------------------------------------------------------------------------------
const DTYPES = { float32: 4, int32: 4, uint32: 4, int16: 2, int8: 1, uint8: 1, bool: 1, float64: 8 };

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [modelPath, outDir, ...inputPaths] = opts.positional;
  const variant = opts.simd ? 'tflite_web_api_cc_simd' : 'tflite_web_api_cc';
  const require = createRequire(import.meta.url);
  const factory = require(path.join(wasmDir, `${variant}.js`));
  let wasm = fs.readFileSync(path.join(wasmDir, `${variant}.wasm`));
  if (!opts.xnnpack) {
    // The vector lazy_delegate_providers_ lies at offset 112 of the Interpreter (begin) and 116 (end):
    //   expected:  local.get 0; i32.load offset=112; local.get 0; i32.load offset=116; i32.eq; br_if 0
    //   inserted:  local.get 0; local.get 0; i32.load offset=112; i32.store offset=116
    wasm = patchFunctionPrologue(wasm, [
      'Failed to apply the default TensorFlow Lite delegate indexed at %zu.',
      'Unknown status (%d) after applying the default TensorFlow Lite delegate indexed at %zu.',
    ], [0x20, 0x00, 0x28, 0x02, 0x70, 0x20, 0x00, 0x28, 0x02, 0x74, 0x46, 0x0d, 0x00],
    [0x20, 0x00, 0x20, 0x00, 0x28, 0x02, 0x70, 0x36, 0x02, 0x74]);
  }
  const log = [];
  const mod = await factory({
    wasmBinary: wasm,
    print: (s) => log.push(s),
    printErr: (s) => log.push(s),
  });

  const model = fs.readFileSync(modelPath);
  const ptr = mod._malloc(model.length);
  mod.HEAPU8.set(model, ptr);
  const created = mod.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
    numThreads: opts.threads, enableProfiling: true, maxProfilingBufferEntries: 100000,
  });
  if (!created.ok()) throw new Error(`cannot create the TFLite runner: ${created.errorMessage()}\n${log.join('\n')}`);
  const runner = created.value();

  const list = (v) => { const a = []; for (let k = 0; k < v.size(); k++) a.push(v.get(k)); return a; };
  const info = (t) => {
    const shape = t.shape === '' ? [] : t.shape.split(',').map(Number);
    return { name: t.name, dtype: t.dataType, shape, bytes: t.data().byteLength, id: t.id };
  };
  const bytesOf = (arr) => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);

  const inputs = list(runner.GetInputs());
  if (inputs.length !== inputPaths.length) {
    throw new Error(`the model has ${inputs.length} input(s), ${inputPaths.length} file(s) given`);
  }
  inputs.forEach((t, k) => {
    const dst = bytesOf(t.data());
    const src = fs.readFileSync(inputPaths[k]);
    if (src.length !== dst.length) {
      throw new Error(`input ${k} (${t.name}, ${t.dataType} [${t.shape}]) needs ${dst.length} bytes, ` +
                      `${inputPaths[k]} has ${src.length}`);
    }
    dst.set(src);
  });
  if (!runner.Infer()) throw new Error(`TFLite inference failed\n${log.join('\n')}`);

  const nodes = list(runner.GetProfilingResults()).map((p) => p.nodeType);
  const xnnpackNodes = nodes.filter((t) => t === 'TfLiteXNNPackDelegate').length;
  if (!opts.xnnpack && xnnpackNodes > 0) throw new Error('XNNPACK is still applied: the wasm patch did not work');

  fs.mkdirSync(outDir, { recursive: true });
  const outputs = list(runner.GetOutputs());
  outputs.forEach((t, k) => fs.writeFileSync(path.join(outDir, `out${k}.bin`), bytesOf(t.data())));
  const report = {
    runtime: `@tensorflow/tfjs-tflite ${variant}`,
    threads: opts.threads,
    xnnpack: opts.xnnpack,
    xnnpack_nodes: xnnpackNodes,
    nodes: nodes.length,
    inputs: inputs.map(info),
    outputs: outputs.map((t, k) => ({ ...info(t), file: `out${k}.bin` })),
  };
  for (const t of [...report.inputs, ...report.outputs]) {
    if (DTYPES[t.dtype] === undefined) throw new Error(`unsupported dtype ${t.dtype}`);
  }
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(report, null, 1) + '\n');
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`run_tflite: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
