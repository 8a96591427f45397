// `tare`: the command-line front end of the Tare library.  Uses only the public C API (tare/tare.h) and the
// image helpers of samples/image.
//
//   tare devices
//   tare ops [--markdown]
//   tare info MODEL [--ops]
//   tare run MODEL --input FILE [...]
//   tare bench MODEL [--runs N] [--fp16]
//
// Exit status: 0 on success, 1 on a failure reported by the library or the file system, 2 on a usage error.
#include <tare/tare.h>

#include "blazeface.h"
#include "files.h"
#include "tare_handles.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "image.h"

namespace {

const char* kUsage =
    "usage: tare <command> [options]\n"
    "\n"
    "commands:\n"
    "  devices                      list the Vulkan devices and their features\n"
    "  ops [--markdown]             the supported operators and their paths (fp32/fp16, int8, gradient, export);\n"
    "                               --markdown: README.md's operator table\n"
    "  info MODEL [--ops]           inputs, outputs, operators with MACs, planned GPU memory of a model\n"
    "  run MODEL --input FILE ...   run a model once and print / save its outputs\n"
    "  bench MODEL                  time session creation, the first run, N runs, and each op on the GPU\n"
    "  quantize MODEL --images DIR --out OUT.tflite\n"
    "                               calibrate on the GPU and write an int8 .tflite (the paper's scheme)\n"
    "  eval MODEL --images DIR --labels CSV [--reference FLOAT_MODEL]\n"
    "                               top-1/top-5 accuracy; with a reference, paired agreement and difference\n"
    "  calibrate MODEL --images DIR --out OUT.tflite [--method none|ibc|bft|ibc+bft]\n"
    "                               quantize, correct the biases (IBC) and/or fine-tune them (BFT), export\n"
    "  analyze MODEL --images DIR --report DIR [--quantized Q.tflite]\n"
    "                               per-layer, per-channel quantization errors before/after IBC (CSV + HTML)\n"
    "  version                      print the library version\n"
    "\n"
    "options of info, run and bench:\n"
    "  --device I|NAME   Vulkan device index (see `tare devices`) or a name substring; default: automatic\n"
    "                    (also the environment variable TARE_DEVICE)\n"
    "  --fp16            fp16 storage and arithmetic (needs a device with both)\n"
    "  --validation      enable the Vulkan validation layer\n"
    "\n"
    "options of run:\n"
    "  --input FILE      one per model input, in order: a JPEG/PNG image (decoded to RGB, central 87.5% crop,\n"
    "                    Pillow-exact bilinear resize to the input's H,W, then (pixel - mean) / std; uint8 inputs\n"
    "                    get the pixels, int8 inputs pixel - 128) or a raw file of exactly the input's byte size\n"
    "                    (little-endian, e.g. float32 NHWC)\n"
    "  --mean M --std S  image normalization (default 127.5 and 127.5: inputs in [-1, 1])\n"
    "  --crop F          central crop fraction for images (default 0.875; 1 = no crop)\n"
    "  --output OUT.bin  write the raw outputs (OUT.bin for a single output; OUT.<i>.bin for output i otherwise)\n"
    "  --top K           print the K best classes of output 0 (default 5 when output 0 is [1, N])\n"
    "  --labels FILE     class names, one per line, line 0 = index 0 (e.g. background)\n"
    "\n"
    "options of quantize:\n"
    "  --count N         calibration images (default 64: the first N of DIR in name order)\n"
    "  --per-channel     per-channel weight scales (default per-tensor, the paper's scheme)\n"
    "  --bias-16bit      clamp biases to 16 bits, as the paper did\n"
    "  --keep-dead-channels   do not drop constant channels\n"
    "  --round-even      round weights half to even (default: half away from zero, as TFLite's converter)\n"
    "  --int8-io | --uint8-io 8-bit model inputs and outputs (default float32 with QUANTIZE/DEQUANTIZE)\n"
    "  --batch B         images per GPU calibration run (default 8)\n"
    "options of calibrate and analyze (and quantize's --count, --per-channel, --bias-16bit, --batch):\n"
    "  --method M        none (basic quantization), ibc (default: iterative bias correction), bft (bias\n"
    "                    fine-tuning) or ibc+bft; float: no quantization (with --equalize: the equalized model)\n"
    "  --equalize        cross-layer equalization before quantizing (--keep-relu6: pairs joined by RELU6 skipped)\n"
    "  --bft-images N    images for bias fine-tuning (default 256: the first N of DIR)\n"
    "  --bft-epochs E    mini-epochs per learning rate (default 16; rates 1e-3, 1e-4, 1e-5, 1e-6)\n"
    "  --bft-batch B     images per step (default 16; shrunk to fit the device memory)\n"
    "  --bft-rates LIST  learning rates, comma-separated (default 1e-3,1e-4,1e-5,1e-6)\n"
    "  --bft-images-per-epoch N  images per mini-epoch (default: all BFT images)\n"
    "  --ibc-images N    images for the correction (default 8: the first N of DIR)\n"
    "  --pre-activation  correct the mean before the fused activation (default: after it)\n"
    "  --report DIR      write errors.csv, summary.csv and report.html there\n"
    "  --quantized Q     (analyze) analyze this quantized model instead of quantizing MODEL\n"
    "  --no-ibc          (analyze) no correction: errors of the quantized model alone\n"
    "  --analyze-images N  (analyze) held-out images measured (default 32, after those used above)\n"
    "  --skip N          (analyze) first held-out image\n"
    "options of eval:\n"
    "  --skip N          skip the first N labeled images (e.g. those used for calibration)\n"
    "  --limit N         evaluate at most N images\n"
    "\n"
    "options of bench:\n"
    "  --runs N          timed runs (default 20), after --warmup W runs (default 3)\n"
    "  --no-profile      skip the per-op GPU timing\n";

// ---- errors ------------------------------------------------------------------------------------------------------

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(tare_status st, const char* what) {
  if (st != TARE_OK) {
    const char* msg = tare_last_error();
    throw Failure(std::string(what) + " failed: " + tare_status_string(st) + (msg && *msg ? ": " : "") +
                  (msg ? msg : ""));
  }
}

// ---- RAII for the C handles (samples/common/tare_handles.h) ------------------------------------------------------

using tare_samples::ContextPtr;
using tare_samples::DiagnosticsPtr;
using tare_samples::ModelPtr;
using tare_samples::SessionPtr;

// ---- arguments -----------------------------------------------------------------------------------------------------

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> values;  // --name value
  std::vector<std::string> flags;                  // --name

  bool flag(const std::string& name) const { return std::find(flags.begin(), flags.end(), name) != flags.end(); }
  bool has(const std::string& name) const { return values.count(name) > 0; }
  std::string get(const std::string& name, const std::string& def = "") const {
    auto it = values.find(name);
    return it == values.end() ? def : it->second;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = values.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
};

// Options that take a value; every other --option is a flag.
const char* kValueOptions[] = {"--device",     "--input",
                               "--output",     "--top",
                               "--labels",     "--mean",
                               "--std",        "--crop",
                               "--runs",       "--warmup",
                               "--images",     "--count",
                               "--out",        "--batch",
                               "--reference",  "--skip",
                               "--limit",      "--method",
                               "--ibc-images", "--report",
                               "--quantized",  "--analyze-images",
                               "--bft-images", "--bft-epochs",
                               "--bft-batch",  "--bft-images-per-epoch",
                               "--bft-rates"};
const char* kFlagOptions[] = {"--fp16",       "--validation", "--no-profile",     "--ops",      "--per-channel",
                              "--bias-16bit", "--round-even", "--int8-io",        "--uint8-io", "--keep-dead-channels",
                              "--help",       "-h",           "--pre-activation", "--no-ibc",   "--equalize",
                              "--keep-relu6", "--markdown"};

Args parse_args(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; i++) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-') {
      std::string name = s, value;
      bool inline_value = false;
      if (auto eq = s.find('='); eq != std::string::npos && s.rfind("--", 0) == 0) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        inline_value = true;
      }
      bool takes_value = std::any_of(std::begin(kValueOptions), std::end(kValueOptions),
                                     [&](const char* o) { return name == o; });
      bool is_flag = std::any_of(std::begin(kFlagOptions), std::end(kFlagOptions),
                                 [&](const char* o) { return name == o; });
      if (takes_value) {
        if (!inline_value) {
          if (i + 1 >= argc) throw UsageError("option " + name + " needs a value");
          value = argv[++i];
        }
        a.values.emplace(name, value);
      } else if (is_flag && !inline_value) {
        a.flags.push_back(name);
      } else {
        throw UsageError("unknown option " + s);
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

long parse_int(const std::string& s, const char* what, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < lo || v > hi)
    throw UsageError(std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got '" + s + "'");
  return v;
}

double parse_double(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !std::isfinite(v))
    throw UsageError(std::string(what) + " must be a number, got '" + s + "'");
  return v;
}

// ---- formatting ----------------------------------------------------------------------------------------------------

const char* dtype_name(tare_dtype d) {
  switch (d) {
    case TARE_DTYPE_FLOAT32: return "float32";
    case TARE_DTYPE_FLOAT16: return "float16";
    case TARE_DTYPE_INT32: return "int32";
    case TARE_DTYPE_UINT8: return "uint8";
    case TARE_DTYPE_INT8: return "int8";
    case TARE_DTYPE_INT64: return "int64";
    case TARE_DTYPE_INT16: return "int16";
    case TARE_DTYPE_BOOL: return "bool";
  }
  return "unknown";
}

const char* device_type_name(tare_device_type t) {
  switch (t) {
    case TARE_DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case TARE_DEVICE_DISCRETE_GPU: return "discrete GPU";
    case TARE_DEVICE_VIRTUAL_GPU: return "virtual GPU";
    case TARE_DEVICE_CPU: return "CPU";
    case TARE_DEVICE_OTHER: break;
  }
  return "other";
}

std::string shape_string(const tare_tensor_info& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank && i < TARE_MAX_RANK; i++) {
    if (i) s += ", ";
    s += std::to_string(t.shape[i]);
  }
  return s + "]";
}

std::string bytes_string(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 30)) std::snprintf(buf, sizeof(buf), "%.2f GiB", double(b) / (1 << 30));
  else if (b >= (uint64_t(1) << 20)) std::snprintf(buf, sizeof(buf), "%.2f MiB", double(b) / (1 << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof(buf), "%.1f KiB", double(b) / 1024);
  else std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", b);
  return buf;
}

void print_tensor(const char* kind, uint32_t index, const tare_tensor_info& t) {
  std::printf("  %s %u: %-32s %-8s %-20s %s", kind, index, t.name, dtype_name(t.dtype), shape_string(t).c_str(),
              bytes_string(t.byte_size).c_str());
  if (t.quantized) {
    if (t.num_scales > 1)
      std::printf("  quantized: %d scales on axis %d (first %g, zero point %" PRId64 ")", t.num_scales,
                  t.quantized_dimension, double(t.scale), t.zero_point);
    else std::printf("  quantized: scale %g, zero point %" PRId64, double(t.scale), t.zero_point);
  }
  std::printf("\n");
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// ---- files ---------------------------------------------------------------------------------------------------------

std::vector<uint8_t> read_binary(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Failure("cannot open '" + path + "'");
  std::vector<uint8_t> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Failure("cannot read '" + path + "'");
  return v;
}

void write_binary(const std::string& path, const void* data, size_t size) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Failure("cannot create '" + path + "'");
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) throw Failure("cannot write '" + path + "'");
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Failure("cannot open labels file '" + path + "'");
  std::vector<std::string> labels;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

// ---- library objects -----------------------------------------------------------------------------------------------

ContextPtr make_context(const Args& a) {
  tare_context_options o;
  tare_context_options_init(&o);
  std::string dev = a.get("--device");
  if (!dev.empty()) {
    bool numeric = std::all_of(dev.begin(), dev.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) o.device_index = static_cast<int>(parse_int(dev, "--device", 0, 1 << 20));
    else o.device_name = dev.c_str();
  }
  if (a.flag("--validation")) o.validation = 1;
  tare_context* c = nullptr;
  check(tare_context_create(&o, &c), "creating the Vulkan context");
  return ContextPtr(c);
}

ModelPtr load_model(tare_context* ctx, const std::string& path) {
  tare_model* m = nullptr;
  check(tare_model_load_file(ctx, path.c_str(), &m), ("loading '" + path + "'").c_str());
  return ModelPtr(m);
}

SessionPtr make_session(tare_model* model, bool fp16, bool profiling) {
  tare_session_options o;
  tare_session_options_init(&o);
  o.precision = fp16 ? TARE_PRECISION_FP16 : TARE_PRECISION_FP32;
  o.profiling = profiling ? 1 : 0;
  tare_session* s = nullptr;
  check(tare_session_create(model, &o, &s), "creating the session");
  return SessionPtr(s);
}

std::vector<tare_tensor_info> session_tensors(tare_session* s, bool inputs, uint32_t count) {
  std::vector<tare_tensor_info> v(count);
  for (uint32_t i = 0; i < count; i++) {
    tare_tensor_info_init(&v[i]);
    if (inputs) check(tare_session_input_info(s, i, &v[i]), "reading the input info");
    else check(tare_session_output_info(s, i, &v[i]), "reading the output info");
  }
  return v;
}

uint32_t input_count(tare_model* m) {
  uint32_t n = 0;
  check(tare_model_input_count(m, &n), "counting the inputs");
  return n;
}
uint32_t output_count(tare_model* m) {
  uint32_t n = 0;
  check(tare_model_output_count(m, &n), "counting the outputs");
  return n;
}

std::string device_name(tare_context* ctx) {
  tare_device_info d;
  tare_device_info_init(&d);
  if (tare_context_get_device_info(ctx, &d) != TARE_OK) return "?";
  return d.name;
}

// Deterministic inputs for benchmarking: uniform in [-1, 1] for float tensors, random bytes otherwise.
std::vector<uint8_t> synthetic_input(const tare_tensor_info& t, uint32_t seed) {
  std::vector<uint8_t> bytes(t.byte_size);
  std::mt19937 rng(seed);
  if (t.dtype == TARE_DTYPE_FLOAT32) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      float v = u(rng);
      std::memcpy(&bytes[i], &v, 4);
    }
  } else if (t.dtype != TARE_DTYPE_FLOAT16) {
    for (auto& b : bytes) b = static_cast<uint8_t>(rng() & 0xFF);
    if (t.dtype == TARE_DTYPE_INT32 || t.dtype == TARE_DTYPE_INT64 || t.dtype == TARE_DTYPE_BOOL)
      std::fill(bytes.begin(), bytes.end(), 0);
  }
  return bytes;
}

// Output values as doubles (dequantized when the tensor is quantized), or empty if the dtype is not numeric here.
std::vector<double> output_values(const tare_tensor_info& t, const std::vector<uint8_t>& bytes) {
  std::vector<double> v;
  auto deq = [&](double q) { return t.quantized ? (q - double(t.zero_point)) * t.scale : q; };
  switch (t.dtype) {
    case TARE_DTYPE_FLOAT32:
      v.resize(bytes.size() / 4);
      for (size_t i = 0; i < v.size(); i++) {
        float f;
        std::memcpy(&f, &bytes[4 * i], 4);
        v[i] = f;
      }
      break;
    case TARE_DTYPE_UINT8:
      for (uint8_t b : bytes) v.push_back(deq(b));
      break;
    case TARE_DTYPE_INT8:
      for (uint8_t b : bytes) v.push_back(deq(static_cast<int8_t>(b)));
      break;
    case TARE_DTYPE_INT32:
      v.resize(bytes.size() / 4);
      for (size_t i = 0; i < v.size(); i++) {
        int32_t x;
        std::memcpy(&x, &bytes[4 * i], 4);
        v[i] = deq(x);
      }
      break;
    default: break;
  }
  return v;
}

// ---- commands ------------------------------------------------------------------------------------------------------

int cmd_version() {
  std::printf("tare %s (ABI %d)\n", tare_version(), tare_abi_version());
  return 0;
}

int cmd_devices(const Args& a) {
  if (!a.positional.empty()) throw UsageError("`tare devices` takes no argument");
  uint32_t n = 0;
  check(tare_device_count(&n), "enumerating the Vulkan devices");
  std::printf("%u Vulkan device%s\n", n, n == 1 ? "" : "s");
  for (uint32_t i = 0; i < n; i++) {
    tare_device_info d;
    tare_device_info_init(&d);
    check(tare_device_get_info(i, &d), "reading the device info");
    std::printf("\n[%u] %s (%s)\n", i, d.name, device_type_name(d.type));
    std::printf("    vendor 0x%04x, device 0x%04x, Vulkan %u.%u.%u\n", d.vendor_id, d.device_id,
                (d.api_version >> 22) & 0x7F, (d.api_version >> 12) & 0x3FF, d.api_version & 0xFFF);
    std::printf("    fp16 arithmetic %s, fp16 storage %s, int8 arithmetic %s, int8 storage %s\n",
                d.fp16_arithmetic ? "yes" : "no", d.fp16_storage ? "yes" : "no", d.int8_arithmetic ? "yes" : "no",
                d.int8_storage ? "yes" : "no");
    std::printf("    integer dot product %s, int64 %s, timestamps %s (period %g ns)\n",
                d.integer_dot_product ? "yes" : "no", d.int64 ? "yes" : "no", d.timestamps ? "yes" : "no",
                double(d.timestamp_period_ns));
    std::printf("    subgroup size %u, subgroup operations 0x%x\n", d.subgroup_size, d.subgroup_operations);
    std::printf("    max workgroup invocations %u, shared memory %s, max storage buffer range %s\n",
                d.max_workgroup_invocations, bytes_string(d.max_shared_memory_bytes).c_str(),
                bytes_string(d.max_storage_buffer_range).c_str());
    std::printf("    device-local memory %s\n", bytes_string(d.device_local_bytes).c_str());
  }
  return 0;
}

// The op table through the C API (tare_op_support), sorted by name.
std::vector<tare_op_support_info> supported_ops() {
  uint32_t n = 0;
  check(tare_op_count(&n), "counting the supported operators");
  std::vector<tare_op_support_info> ops(n);
  for (uint32_t i = 0; i < n; i++) {
    tare_op_support_info_init(&ops[i]);
    check(tare_op_support(i, &ops[i]), "reading the supported operators");
  }
  std::sort(ops.begin(), ops.end(), [](const tare_op_support_info& x, const tare_op_support_info& y) {
    return std::strcmp(x.name, y.name) < 0;
  });
  return ops;
}

int cmd_ops(const Args& a) {
  if (!a.positional.empty()) throw UsageError("usage: tare ops [--markdown]");
  std::vector<tare_op_support_info> ops = supported_ops();
  if (a.flag("--markdown")) {
    // README.md's table between <!-- ops:begin --> and <!-- ops:end -->: the ops a .tflite model may contain.
    const char* kNo = "\xe2\x80\x94";  // an em dash
    std::printf("| op | fp32 / fp16 | int8 (TFLite-exact) | gradient (BFT) | export |\n");
    std::printf("|---|---|---|---|---|\n");
    for (const tare_op_support_info& o : ops) {
      if (o.is_internal) continue;
      std::string name = o.name;
      if (o.alt_name[0]) name += std::string(" / ") + o.alt_name;
      std::printf("| %s | %s | %s | %s | %s |\n", name.c_str(), o.has_float ? "yes" : kNo, o.has_int8 ? "yes" : kNo,
                  o.has_gradient ? "yes" : kNo, o.can_export ? "yes" : kNo);
    }
    return 0;
  }
  size_t width = 2;
  for (const tare_op_support_info& o : ops) {
    width = std::max(width, std::strlen(o.name) + (o.alt_name[0] ? std::strlen(o.alt_name) + 3 : 0));
  }
  std::printf("%-*s  %8s  %9s  %4s  %4s  %6s  %6s\n", (int)width, "op", "builtin", "fp32/fp16", "int8", "grad",
              "import", "export");
  for (const tare_op_support_info& o : ops) {
    std::string name = o.name;
    if (o.alt_name[0]) name += std::string(" / ") + o.alt_name;
    std::string code = o.is_internal ? "internal" : std::to_string(o.builtin_code);
    if (o.alt_builtin_code >= 0) code += "/" + std::to_string(o.alt_builtin_code);
    auto yn = [](int v) { return v ? "yes" : "-"; };
    std::printf("%-*s  %8s  %9s  %4s  %4s  %6s  %6s\n", (int)width, name.c_str(), code.c_str(), yn(o.has_float),
                yn(o.has_int8), yn(o.has_gradient), yn(o.can_import), yn(o.can_export));
  }
  std::printf("%zu operators\n", ops.size());
  return 0;
}

int cmd_info(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("usage: tare info MODEL [--ops] [--device D] [--fp16]");
  const std::string& path = a.positional[0];
  ContextPtr ctx = make_context(a);
  ModelPtr model = load_model(ctx.get(), path);
  std::printf("model   %s\n", path.c_str());
  std::printf("device  %s\n", device_name(ctx.get()).c_str());
  uint32_t ni = input_count(model.get()), no = output_count(model.get());
  std::printf("inputs (%u):\n", ni);
  for (uint32_t i = 0; i < ni; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    check(tare_model_input_info(model.get(), i, &t), "reading the input info");
    print_tensor("input ", i, t);
  }
  std::printf("outputs (%u):\n", no);
  for (uint32_t i = 0; i < no; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    check(tare_model_output_info(model.get(), i, &t), "reading the output info");
    print_tensor("output", i, t);
  }
  uint32_t nops = 0, ntensors = 0;
  check(tare_model_op_count(model.get(), &nops), "counting operators");
  check(tare_model_tensor_count(model.get(), &ntensors), "counting tensors");
  std::printf("operators (%u), tensors (%u):\n", nops, ntensors);
  uint64_t total_macs = 0;
  std::vector<std::pair<std::string, std::pair<int, uint64_t>>> by_type;
  for (uint32_t i = 0; i < nops; i++) {
    tare_op_info op;
    tare_op_info_init(&op);
    check(tare_model_op_info(model.get(), i, &op), "reading an operator");
    total_macs += op.macs;
    auto it = std::find_if(by_type.begin(), by_type.end(), [&](const auto& e) { return e.first == op.type; });
    if (it == by_type.end()) by_type.push_back({op.type, {1, op.macs}});
    else {
      it->second.first++;
      it->second.second += op.macs;
    }
    if (a.flag("--ops")) {
      tare_tensor_info out;
      tare_tensor_info_init(&out);
      check(tare_model_tensor_info(model.get(), (uint32_t)op.outputs[0], &out), "reading a tensor");
      std::printf("  %4u %-20s -> %-40s %s  %.2f MMAC\n", i, op.type, out.name, shape_string(out).c_str(),
                  double(op.macs) * 1e-6);
    }
  }
  for (const auto& [type, v] : by_type)
    std::printf("  %-20s x%-4d %10.2f MMAC\n", type.c_str(), v.first, double(v.second) * 1e-6);
  std::printf("  total %.2f MMAC per image (--ops lists every operator)\n", double(total_macs) * 1e-6);
  bool fp16 = a.flag("--fp16");
  SessionPtr session = make_session(model.get(), fp16, false);
  tare_memory_report m;
  tare_memory_report_init(&m);
  check(tare_session_memory(session.get(), &m), "reading the memory report");
  std::printf("GPU memory (%s session):\n", fp16 ? "fp16" : "fp32");
  std::printf("  constants (weights)     %s\n", bytes_string(m.constant_bytes).c_str());
  std::printf("  activations (planned)   %s", bytes_string(m.activation_bytes).c_str());
  if (m.unplanned_bytes)
    std::printf("   (%s without sharing: %.1fx saved)", bytes_string(m.unplanned_bytes).c_str(),
                m.activation_bytes ? double(m.unplanned_bytes) / double(m.activation_bytes) : 0.0);
  std::printf("\n  staging (inputs/outputs) %s\n", bytes_string(m.staging_bytes).c_str());
  std::printf("  total                   %s\n",
              bytes_string(m.constant_bytes + m.activation_bytes + m.staging_bytes).c_str());
  return 0;
}

// Replaces the extension of `path` by ".<i>" + extension (OUT.bin -> OUT.1.bin).
std::string indexed_path(const std::string& path, uint32_t i) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + std::to_string(i);
  return path.substr(0, dot) + "." + std::to_string(i) + path.substr(dot);
}

std::vector<uint8_t> make_input(const std::string& file, const tare_tensor_info& t, const Args& a, uint32_t index) {
  if (!tare::image::is_image_file(file)) {
    uint64_t size = 0;  // checked before reading: a wrong file must not cost its size in memory
    std::string error;
    if (!tare_samples::regular_file_size(file, &size, &error))
      throw Failure("input " + std::to_string(index) + ": " + error);
    if (size != t.byte_size)
      throw Failure("input " + std::to_string(index) + " ('" + t.name + "', " + dtype_name(t.dtype) + " " +
                    shape_string(t) + ") needs " + std::to_string(t.byte_size) + " bytes; '" + file + "' has " +
                    std::to_string(size) + " (and is not a JPEG or PNG image)");
    std::vector<uint8_t> bytes = read_binary(file);
    if (bytes.size() != t.byte_size) throw Failure("input " + std::to_string(index) + ": '" + file + "' changed size");
    return bytes;
  }
  tare::image::PreprocessOptions o;
  o.norm = tare::image::Normalization::uniform(parse_double(a.get("--mean", "127.5"), "--mean"),
                                               parse_double(a.get("--std", "127.5"), "--std"));
  o.crop_fraction = parse_double(a.get("--crop", "0.875"), "--crop");
  bool nhwc = (t.rank == 4 && t.shape[0] == 1 && t.shape[3] == 3) || (t.rank == 3 && t.shape[2] == 3);
  if (!nhwc)
    throw Failure("input " + std::to_string(index) + " has shape " + shape_string(t) +
                  ": an image can only feed a [1, H, W, 3] input");
  int h = t.rank == 4 ? t.shape[1] : t.shape[0], w = t.rank == 4 ? t.shape[2] : t.shape[1];
  tare::image::Image img = tare::image::preprocess_rgb(file, w, h, o);
  std::vector<uint8_t> bytes(t.byte_size);
  switch (t.dtype) {
    case TARE_DTYPE_FLOAT32: {
      std::vector<float> f = tare::image::to_float(img, o.norm);
      if (f.size() * 4 != bytes.size()) throw Failure("internal: image tensor size mismatch");
      std::memcpy(bytes.data(), f.data(), bytes.size());
      break;
    }
    case TARE_DTYPE_UINT8:
      if (img.rgb.size() != bytes.size()) throw Failure("internal: image tensor size mismatch");
      std::memcpy(bytes.data(), img.rgb.data(), bytes.size());
      break;
    case TARE_DTYPE_INT8:
      if (img.rgb.size() != bytes.size()) throw Failure("internal: image tensor size mismatch");
      for (size_t i = 0; i < bytes.size(); i++) bytes[i] = static_cast<uint8_t>(static_cast<int>(img.rgb[i]) - 128);
      break;
    default: throw Failure(std::string("an image cannot feed a ") + dtype_name(t.dtype) + " input");
  }
  return bytes;
}

// MediaPipe BlazeFace (outputs 'regressors' [1,896,16] and 'classificators' [1,896,1]): print the faces found.
void print_faces(const std::vector<tare_tensor_info>& in, const std::vector<tare_tensor_info>& out,
                 const std::vector<std::vector<uint8_t>>& bytes) {
  int reg = -1, cls = -1;
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i].dtype != TARE_DTYPE_FLOAT32 || out[i].rank != 3) continue;
    if (std::string(out[i].name) == "regressors" && out[i].shape[1] == 896 && out[i].shape[2] == 16) reg = (int)i;
    if (std::string(out[i].name) == "classificators" && out[i].shape[1] == 896 && out[i].shape[2] == 1) cls = (int)i;
  }
  if (reg < 0 || cls < 0 || in.empty() || in[0].rank != 4) return;
  auto faces = tare_cli::decode_blazeface(reinterpret_cast<const float*>(bytes[reg].data()),
                                          reinterpret_cast<const float*>(bytes[cls].data()), 896, in[0].shape[2], 0.5f);
  std::printf("BlazeFace: %zu face(s) with score >= 0.5\n", faces.size());
  for (const auto& f : faces)
    std::printf("  score %.3f  centre (%.3f, %.3f)  size %.3f x %.3f  (fractions of the input image)\n", f.score, f.cx,
                f.cy, f.w, f.h);
}

int cmd_run(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("usage: tare run MODEL --input FILE [options]; see tare --help");
  std::vector<std::string> inputs = a.all("--input");
  if (inputs.empty()) throw UsageError("tare run needs --input FILE (one per model input)");
  int top = a.has("--top") ? static_cast<int>(parse_int(a.get("--top"), "--top", 0, 1 << 20)) : -1;
  // Validate numeric options before the (slow) GPU setup.
  parse_double(a.get("--mean", "127.5"), "--mean");
  if (parse_double(a.get("--std", "127.5"), "--std") == 0.0) throw UsageError("--std must not be 0");
  double crop = parse_double(a.get("--crop", "0.875"), "--crop");
  if (!(crop > 0.0 && crop <= 1.0)) throw UsageError("--crop must be in (0, 1]");
  std::vector<std::string> labels;
  if (a.has("--labels")) labels = read_labels(a.get("--labels"));

  ContextPtr ctx = make_context(a);
  ModelPtr model = load_model(ctx.get(), a.positional[0]);
  SessionPtr session = make_session(model.get(), a.flag("--fp16"), false);
  uint32_t ni = input_count(model.get()), no = output_count(model.get());
  if (inputs.size() != ni)
    throw UsageError("the model has " + std::to_string(ni) + " input(s); " + std::to_string(inputs.size()) +
                     " --input given");
  auto in_info = session_tensors(session.get(), true, ni);
  auto out_info = session_tensors(session.get(), false, no);
  for (uint32_t i = 0; i < ni; i++) {
    std::vector<uint8_t> bytes;
    try {
      bytes = make_input(inputs[i], in_info[i], a, i);
    } catch (const tare::image::ImageError& e) {
      throw Failure(e.what());
    }
    check(tare_session_set_input(session.get(), i, bytes.data(), bytes.size()), "setting the input");
  }
  auto t0 = std::chrono::steady_clock::now();
  check(tare_session_run(session.get()), "running the model");
  double run_ms = ms_since(t0);
  std::printf("ran %s on %s in %.2f ms\n", a.positional[0].c_str(), device_name(ctx.get()).c_str(), run_ms);

  std::vector<std::vector<uint8_t>> outputs(no);
  for (uint32_t i = 0; i < no; i++) {
    std::vector<uint8_t>& bytes = outputs[i];
    bytes.resize(out_info[i].byte_size);
    check(tare_session_get_output(session.get(), i, bytes.data(), bytes.size()), "reading the output");
    if (a.has("--output")) {
      std::string p = no == 1 ? a.get("--output") : indexed_path(a.get("--output"), i);
      write_binary(p, bytes.data(), bytes.size());
      std::printf("output %u (%s %s %s) written to %s\n", i, out_info[i].name, dtype_name(out_info[i].dtype),
                  shape_string(out_info[i]).c_str(), p.c_str());
    }
    std::vector<double> v = output_values(out_info[i], bytes);
    const tare_tensor_info& t = out_info[i];
    bool classifier = i == 0 && t.rank == 2 && t.shape[0] == 1 && t.shape[1] >= 2 && !v.empty();
    int k = top >= 0 ? top : classifier ? 5 : 0;
    if (i == 0 && k > 0 && !v.empty()) {
      std::vector<size_t> idx(v.size());
      for (size_t j = 0; j < idx.size(); j++) idx[j] = j;
      size_t kk = std::min(idx.size(), static_cast<size_t>(k));
      std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(),
                        [&](size_t x, size_t y) { return v[x] > v[y] || (v[x] == v[y] && x < y); });
      std::printf("top %zu of output 0 (%s):\n", kk, t.name);
      for (size_t j = 0; j < kk; j++) {
        size_t c = idx[j];
        std::printf("  %5zu  %10.6f  %s\n", c, v[c], c < labels.size() ? labels[c].c_str() : "");
      }
    } else if (!v.empty()) {
      double mn = v[0], mx = v[0], sum = 0;
      for (double x : v) {
        mn = std::min(mn, x);
        mx = std::max(mx, x);
        sum += x;
      }
      std::printf("output %u %s %s %s: min %g, max %g, mean %g\n", i, t.name, dtype_name(t.dtype),
                  shape_string(t).c_str(), mn, mx, sum / double(v.size()));
    }
  }
  print_faces(in_info, out_info, outputs);
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int cmd_bench(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("usage: tare bench MODEL [--runs N] [--warmup W] [--fp16]");
  int runs = static_cast<int>(parse_int(a.get("--runs", "20"), "--runs", 1, 1000000));
  int warmup = static_cast<int>(parse_int(a.get("--warmup", "3"), "--warmup", 0, 1000000));
  bool fp16 = a.flag("--fp16");
  const std::string& path = a.positional[0];

  auto t0 = std::chrono::steady_clock::now();
  ContextPtr ctx = make_context(a);
  double ctx_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  ModelPtr model = load_model(ctx.get(), path);
  double load_ms = ms_since(t0);
  uint32_t ni = input_count(model.get());

  t0 = std::chrono::steady_clock::now();
  SessionPtr session = make_session(model.get(), fp16, false);
  double create_ms = ms_since(t0);
  auto in_info = session_tensors(session.get(), true, ni);
  for (uint32_t i = 0; i < ni; i++) {
    auto bytes = synthetic_input(in_info[i], 1234 + i);
    check(tare_session_set_input(session.get(), i, bytes.data(), bytes.size()), "setting the input");
  }
  t0 = std::chrono::steady_clock::now();
  check(tare_session_run(session.get()), "running the model");
  double first_ms = ms_since(t0);
  for (int i = 0; i < warmup; i++) check(tare_session_run(session.get()), "running the model");
  std::vector<double> times;
  times.reserve(runs);
  for (int i = 0; i < runs; i++) {
    t0 = std::chrono::steady_clock::now();
    check(tare_session_run(session.get()), "running the model");
    times.push_back(ms_since(t0));
  }
  tare_memory_report m;
  tare_memory_report_init(&m);
  check(tare_session_memory(session.get(), &m), "reading the memory report");

  std::printf("model      %s\n", path.c_str());
  std::printf("device     %s, %s\n", device_name(ctx.get()).c_str(), fp16 ? "fp16" : "fp32");
  std::printf("context    %8.2f ms\n", ctx_ms);
  std::printf("load       %8.2f ms\n", load_ms);
  std::printf("session    %8.2f ms  (planning, pipelines, command buffer)\n", create_ms);
  std::printf("first run  %8.2f ms\n", first_ms);
  std::printf("latency    median %.3f ms, min %.3f ms, max %.3f ms over %d runs (after %d warm-up)\n", median(times),
              *std::min_element(times.begin(), times.end()), *std::max_element(times.begin(), times.end()), runs,
              warmup);
  std::printf("memory     constants %s, activations %s (unplanned %s), staging %s\n",
              bytes_string(m.constant_bytes).c_str(), bytes_string(m.activation_bytes).c_str(),
              bytes_string(m.unplanned_bytes).c_str(), bytes_string(m.staging_bytes).c_str());
  session.reset();

  if (a.flag("--no-profile")) return 0;
  tare_device_info d;
  tare_device_info_init(&d);
  check(tare_context_get_device_info(ctx.get(), &d), "reading the device info");
  if (!d.timestamps) {
    std::printf("per-op GPU time: not available (the device has no compute-queue timestamps)\n");
    return 0;
  }
  SessionPtr prof = make_session(model.get(), fp16, true);
  for (uint32_t i = 0; i < ni; i++) {
    auto bytes = synthetic_input(in_info[i], 1234 + i);
    check(tare_session_set_input(prof.get(), i, bytes.data(), bytes.size()), "setting the input");
  }
  // Per-op median over several profiled runs (after one warm-up run).
  const int prof_runs = std::max(3, std::min(runs, 10));
  check(tare_session_run(prof.get()), "running the model");
  std::vector<std::string> names;
  std::vector<std::vector<double>> op_ms;
  for (int r = 0; r < prof_runs; r++) {
    check(tare_session_run(prof.get()), "running the model");
    uint32_t n = 0;
    check(tare_session_profile_count(prof.get(), &n), "reading the profile");
    if (r == 0) {
      names.resize(n);
      op_ms.assign(n, {});
    }
    if (n != names.size()) throw Failure("the profile changed size between runs");
    for (uint32_t i = 0; i < n; i++) {
      const char* name = nullptr;
      double ms = 0;
      check(tare_session_profile_entry(prof.get(), i, &name, &ms), "reading the profile");
      if (r == 0) names[i] = name ? name : "?";
      op_ms[i].push_back(ms);
    }
  }
  std::vector<std::pair<double, size_t>> order;
  double total = 0;
  for (size_t i = 0; i < names.size(); i++) {
    double med = median(op_ms[i]);
    order.emplace_back(med, i);
    total += med;
  }
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  std::printf("\nper-op GPU time (median of %d profiled runs), %zu ops, top %zu:\n", prof_runs, names.size(),
              std::min<size_t>(15, order.size()));
  for (size_t j = 0; j < order.size() && j < 15; j++) {
    std::printf("  %-32s %9.4f ms  %5.1f%%\n", names[order[j].second].c_str(), order[j].first,
                total > 0 ? 100.0 * order[j].first / total : 0.0);
  }
  std::printf("  %-32s %9.4f ms\n", "total (all ops)", total);
  return 0;
}

#include "calib_cmds.inc"
#include "ibc_cmds.inc"

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") return cmd_version();
  try {
    Args a = parse_args(argc, argv, 2);
    if (a.flag("--help") || a.flag("-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (cmd == "devices") return cmd_devices(a);
    if (cmd == "ops") return cmd_ops(a);
    if (cmd == "info") return cmd_info(a);
    if (cmd == "run") return cmd_run(a);
    if (cmd == "bench") return cmd_bench(a);
    if (cmd == "quantize") return cmd_quantize(a);
    if (cmd == "eval") return cmd_eval(a);
    if (cmd == "calibrate") return cmd_calibrate(a);
    if (cmd == "analyze") return cmd_analyze(a);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "tare: %s\n(see tare --help)\n", e.what());
    return 2;
  } catch (const Failure& e) {
    std::fprintf(stderr, "tare: %s\n", e.what());
    return 1;
  } catch (const tare::image::ImageError& e) {
    std::fprintf(stderr, "tare: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tare: %s\n", e.what());
    return 1;
  }
}
