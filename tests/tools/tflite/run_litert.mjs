// Runs a .tflite model in LiteRT.js (npm @litertjs/core: LiteRT, TFLite's successor, compiled to WASM) under Node,
// on its CPU path (XNNPACK).  Tare's tests use it as the float reference for models with ops that the older
// TFLite of run_tflite.mjs lacks: MediaPipe's custom Convolution2DTransposeBias, which LiteRT registers.
//
//   node run_litert.mjs MODEL.tflite OUT_DIR IN0.bin [IN1.bin ...]
//
// Each INi.bin holds the raw little-endian bytes of input tensor i (its size must equal the tensor's byte size).
// Writes OUT_DIR/out<i>.bin (raw bytes of output i) and OUT_DIR/outputs.json (name, dtype, shape of each input and
// output), as run_tflite.mjs does.
//
// LiteRT.js is written for browsers: it loads its Emscripten script with importScripts (workers) or a <script> tag.
// Here importScripts runs the script in Node's global scope, with the CommonJS names it expects and the .wasm bytes
// handed to the module factory (no fetch).  The WebGPU environment fails to start (no navigator) and is not used.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.join(here, 'node_modules', '@litertjs', 'core', 'wasm');

function usage(msg) {
  if (msg) process.stderr.write(`run_litert: ${msg}\n`);
  process.stderr.write('usage: node run_litert.mjs MODEL.tflite OUT_DIR IN0.bin [IN1.bin ...]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length < 2 || args.some((a) => a.startsWith('--'))) usage(args.length < 2 ? 'MODEL and OUT_DIR are required' : 'no options');
const [modelPath, outDir, ...inputPaths] = args;

globalThis.self = globalThis;
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = wasmDir;
globalThis.__filename = path.join(wasmDir, 'loader.js');
globalThis.importScripts = (url) => {
  const file = String(url).startsWith('file:') ? fileURLToPath(url) : String(url);
  self.Module = { wasmBinary: fs.readFileSync(file.replace(/\.js$/, '.wasm')) };
  vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
};
// Keep LiteRT's log lines off stdout's data: they go to stderr with the rest of the diagnostics.
console.log = (...a) => process.stderr.write(a.join(' ') + '\n');
console.info = console.log;
console.warn = console.log;

const { loadLiteRt, loadAndCompile, Tensor } = await import('@litertjs/core');
await loadLiteRt(wasmDir + '/');
const model = await loadAndCompile(new Uint8Array(fs.readFileSync(modelPath)), { accelerator: 'wasm' });

const kTypes = { float32: Float32Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array };
const inputs = model.getInputDetails();
if (inputs.length !== inputPaths.length) usage(`the model has ${inputs.length} inputs, ${inputPaths.length} given`);
const tensors = inputs.map((d, i) => {
  const T = kTypes[d.dtype];
  if (!T) throw new Error(`input ${i}: dtype ${d.dtype} is not supported here`);
  const bytes = fs.readFileSync(inputPaths[i]);
  const shape = Array.from(d.shape);
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== n * T.BYTES_PER_ELEMENT) usage(`input ${i}: ${bytes.length} bytes, expected ${n * T.BYTES_PER_ELEMENT}`);
  const data = new T(n);
  new Uint8Array(data.buffer).set(bytes);
  return new Tensor(data, shape);
});
const outs = await model.run(tensors);
fs.mkdirSync(outDir, { recursive: true });
const details = model.getOutputDetails();
const json = { runtime: 'litert.js', inputs: [], outputs: [] };
inputs.forEach((d) => json.inputs.push({ name: d.name, dtype: d.dtype, shape: Array.from(d.shape) }));
outs.forEach((t, i) => {
  const a = t.toTypedArray();
  fs.writeFileSync(path.join(outDir, `out${i}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  json.outputs.push({ name: details[i].name, dtype: details[i].dtype, shape: Array.from(details[i].shape), bytes: a.byteLength });
});
fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(json, null, 1));
process.exit(0);
