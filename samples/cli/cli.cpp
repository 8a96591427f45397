#include "cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace tare_cli {

namespace fs = std::filesystem;

void check(tare_status st, const char* what) {
  if (st != TARE_OK) {
    const char* msg = tare_last_error();
    throw Failure(std::string(what) + " failed: " + tare_status_string(st) + (msg && *msg ? ": " : "") +
                  (msg ? msg : ""));
  }
}

// ---- option tables ----------------------------------------------------------------------------------------------------

namespace opt {
OptionSpec device() {
  return {"--device", "I|NAME",
          "Vulkan device index (see `tare devices`) or a name substring; also the environment variable TARE_DEVICE",
          ""};
}
OptionSpec validation() { return {"--validation", "", "enable the Vulkan validation layer", ""}; }
OptionSpec fp16() { return {"--fp16", "", "fp16 storage and arithmetic (needs a device with both)", ""}; }
OptionSpec json() {
  return {"--json", "", "print one JSON document on stdout instead of text (fields: docs/cli-json.md)", ""};
}
OptionSpec no_cache() {
  return {"--no-cache", "",
          "do not read or write the pipeline cache ($XDG_CACHE_HOME/tare, else ~/.cache/tare), which makes the "
          "next start faster",
          ""};
}
OptionSpec images(const std::string& help) { return tare_samples::calib_opt::images(help); }
OptionSpec mean() { return {"--mean", "M", "image normalization: (pixel - M) / S", "127.5"}; }
OptionSpec std_dev() { return {"--std", "S", "image normalization: (pixel - M) / S", "127.5"}; }
OptionSpec crop() { return {"--crop", "F", "central crop fraction of the images (1: no crop)", "0.875"}; }
OptionSpec count() { return tare_samples::calib_opt::count(); }
OptionSpec per_channel() { return tare_samples::calib_opt::per_channel(); }
OptionSpec bias_16bit() { return {"--bias-16bit", "", "clamp biases to 16 bits, as the paper did", ""}; }
OptionSpec ranges() { return tare_samples::calib_opt::ranges(); }
OptionSpec percentile() { return tare_samples::calib_opt::percentile(); }
OptionSpec batch() { return {"--batch", "B", "images per GPU calibration run", "8"}; }
std::vector<OptionSpec> gpu() { return {device(), validation(), no_cache(), json()}; }
std::vector<OptionSpec> with_gpu(std::vector<OptionSpec> own) {
  for (OptionSpec& o : gpu()) own.push_back(std::move(o));
  return own;
}
}  // namespace opt

// ---- output -----------------------------------------------------------------------------------------------------------

bool g_json = false;

void text(const char* format, ...) {
  if (g_json) return;
  va_list ap;
  va_start(ap, format);
  std::vprintf(format, ap);
  va_end(ap);
}

void print_json(const Json& j) {
  std::string s = j.dump();
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
}

void Progress::update(const std::string& stage, uint64_t done, uint64_t total, const std::string& extra) {
  const auto now = std::chrono::steady_clock::now();
  if (stage != stage_) {
    if (open_) std::fputc('\n', stderr);
    stage_ = stage;
    start_ = now;
    last_decile_ = -1;
    open_ = false;
  }
  const double s = std::chrono::duration<double>(now - start_).count();
  const bool finished = done >= total;
  if (isatty(STDERR_FILENO)) {
    const int width = 30;
    const int filled = total ? static_cast<int>(std::min(done, total) * width / total) : width;
    char eta[48] = "";
    if (!finished && done > 0) std::snprintf(eta, sizeof(eta), ", ETA %.0f s", s * double(total - done) / double(done));
    std::fprintf(stderr, "\r%-10s [%s%s] %" PRIu64 "/%" PRIu64 " %.1f s%s %s\033[K", stage.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total, s, eta,
                 extra.c_str());
    open_ = !finished;
    if (finished) std::fputc('\n', stderr);
  } else {
    // A plain line each tenth of the way: logs and pipes get no carriage returns.
    const int decile = total ? static_cast<int>(std::min(done, total) * 10 / total) : 10;
    if (decile == last_decile_ && !finished) return;
    if (finished && last_decile_ == 10) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s %" PRIu64 "/%" PRIu64 " (%d%%) %.1f s%s%s\n", stage.c_str(), done, total,
                 total ? static_cast<int>(100 * std::min(done, total) / total) : 100, s, extra.empty() ? "" : " ",
                 extra.c_str());
  }
  std::fflush(stderr);
}

Progress& progress() {
  static Progress p;
  return p;
}

int progress_callback(void*, const char* stage, uint32_t done, uint32_t total) {
  progress().update(stage, done, total);
  return 0;
}

// ---- parsing and formatting -----------------------------------------------------------------------------------------

long parse_int(const std::string& s, const char* what, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < lo || v > hi)
    throw UsageError(std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got '" + s + "'");
  return v;
}

tare_ibc_heads parse_ibc_heads(const Args& a) {
  const std::string h = a.get("--ibc-heads");
  if (h == "keep") return TARE_IBC_HEADS_KEEP;
  if (h == "correct") return TARE_IBC_HEADS_CORRECT;
  throw UsageError("--ibc-heads must be keep or correct, got '" + h + "'");
}

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

std::string shape_string(const tare_tensor_info& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank && i < TARE_MAX_RANK; i++) {
    if (i) s += ", ";
    s += std::to_string(t.shape[i]);
  }
  return s + "]";
}

Json shape_json(const tare_tensor_info& t) {
  Json a = Json::array();
  for (int i = 0; i < t.rank && i < TARE_MAX_RANK; i++) a.push(t.shape[i]);
  return a;
}

Json tensor_json(const tare_tensor_info& t) {
  Json j = Json::object();
  j["name"] = t.name;
  j["dtype"] = dtype_name(t.dtype);
  j["shape"] = shape_json(t);
  j["bytes"] = t.byte_size;
  if (t.quantized) {
    Json q = Json::object();
    q["scale"] = t.scale;
    q["zero_point"] = t.zero_point;
    q["scales"] = t.num_scales;
    q["axis"] = t.quantized_dimension;
    j["quantization"] = std::move(q);
  } else {
    j["quantization"] = nullptr;
  }
  return j;
}

std::string bytes_string(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 30)) std::snprintf(buf, sizeof(buf), "%.2f GiB", double(b) / (1 << 30));
  else if (b >= (uint64_t(1) << 20)) std::snprintf(buf, sizeof(buf), "%.2f MiB", double(b) / (1 << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof(buf), "%.1f KiB", double(b) / 1024);
  else std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", b);
  return buf;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// ---- files ------------------------------------------------------------------------------------------------------------

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

// Writability is tried, not inferred from permission bits (root passes access() on read-only file systems).
void check_output_file(const std::string& option, const std::string& path) {
  if (path.empty()) throw UsageError(option + " needs a file name");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Failure(option + " '" + path + "' is a folder; a file name is expected");
  const bool existed = fs::exists(path, ec);
  int fd = existed ? open(path.c_str(), O_WRONLY) : open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) throw Failure(option + " '" + path + "' cannot be written: " + std::strerror(errno));
  close(fd);
  if (!existed) unlink(path.c_str());  // the probe leaves nothing behind
}

void check_output_dir(const std::string& option, const std::string& path) {
  if (path.empty()) throw UsageError(option + " needs a folder name");
  std::error_code ec;
  fs::path dir(path);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw Failure(option + " '" + path + "' exists and is not a folder");
  // Folders created by the probe, outermost first, to remove afterwards.
  std::vector<fs::path> created;
  for (fs::path p = fs::absolute(dir, ec); !p.empty() && !fs::exists(p, ec) && p != p.parent_path();
       p = p.parent_path())
    created.insert(created.begin(), p);
  for (const fs::path& p : created) {
    if (!fs::create_directory(p, ec) && ec) {
      const std::string why = ec.message();
      for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ec);
      throw Failure(option + " '" + path + "' cannot be created: " + why);
    }
  }
  std::string probe = (fs::path(dir) / ".tare-write-probe-XXXXXX").string();
  int fd = mkstemp(probe.data());
  const int err = errno;
  if (fd >= 0) {
    close(fd);
    unlink(probe.c_str());
  }
  for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ec);
  if (fd < 0) throw Failure(option + " '" + path + "' is not writable: " + std::strerror(err));
}

std::vector<std::string> list_images(const std::string& option, const std::string& dir) {
  if (dir.empty()) throw UsageError(option + " DIR is needed");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Failure(option + " '" + dir + "' is not a folder");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && tare::image::is_image_file(e.path().string())) files.push_back(e.path().string());
  if (ec) throw Failure("cannot list '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Failure("no JPEG or PNG images in '" + dir + "'");
  return files;
}

// ---- library objects ------------------------------------------------------------------------------------------------

namespace {
std::string pipeline_cache_file(const std::string& device) {
  fs::path dir;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) dir = fs::path(x) / "tare";
  else if (const char* h = std::getenv("HOME"); h && *h) dir = fs::path(h) / ".cache" / "tare";
  else return "";
  // One file per --device choice: Vulkan ignores a cache of another device, but it would be overwritten.
  std::string key = device.empty() ? "auto" : device;
  for (char& c : key)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return (dir / ("pipelines-" + key + ".bin")).string();
}
}  // namespace

Gpu::Gpu(const Args& a) {
  tare_context_options o;
  tare_context_options_init(&o);
  std::string dev = a.get("--device");
  if (!dev.empty()) {
    bool numeric = std::all_of(dev.begin(), dev.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) o.device_index = static_cast<int>(parse_int(dev, "--device", 0, 1 << 20));
    else o.device_name = dev.c_str();
  }
  if (a.flag("--validation")) o.validation = 1;
  std::vector<uint8_t> cache;
  if (!a.flag("--no-cache")) {
    const char* env = std::getenv("TARE_DEVICE");
    cache_path_ = pipeline_cache_file(!dev.empty() ? dev : env ? env : "");
    std::error_code ec;
    if (!cache_path_.empty() && fs::is_regular_file(cache_path_, ec)) {
      try {
        cache = read_binary(cache_path_);
      } catch (const Failure&) {
        cache.clear();  // an unreadable cache only costs time
      }
    }
  }
  o.pipeline_cache_data = cache.empty() ? nullptr : cache.data();
  o.pipeline_cache_size = cache.size();
  loaded_ = cache.size();
  tare_context* c = nullptr;
  check(tare_context_create(&o, &c), "creating the Vulkan context");
  ctx_.reset(c);
}

Gpu::~Gpu() {
  if (cache_path_.empty() || !ctx_) return;
  void* data = nullptr;
  size_t size = 0;
  if (tare_context_pipeline_cache(ctx_.get(), &data, &size) != TARE_OK || !data) return;
  if (size != loaded_) {  // new pipelines were compiled: store them (write then rename, so readers see whole files)
    std::error_code ec;
    fs::create_directories(fs::path(cache_path_).parent_path(), ec);
    const std::string tmp = cache_path_ + ".tmp" + std::to_string(getpid());
    std::ofstream f(tmp, std::ios::binary);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    f.close();
    if (f) fs::rename(tmp, cache_path_, ec);
    if (!f || ec) fs::remove(tmp, ec);
  }
  tare_free(data);
}

tare_device_info Gpu::device() const {
  tare_device_info d;
  tare_device_info_init(&d);
  check(tare_context_get_device_info(ctx_.get(), &d), "reading the device info");
  return d;
}

ModelPtr load_model(tare_context* ctx, const std::string& path) {
  tare_model* m = nullptr;
  check(tare_model_load_file(ctx, path.c_str(), &m), ("loading '" + path + "'").c_str());
  return ModelPtr(m);
}

SessionPtr make_session(tare_model* model, bool fp16, bool profiling, int batch) {
  tare_session_options o;
  tare_session_options_init(&o);
  o.precision = fp16 ? TARE_PRECISION_FP16 : TARE_PRECISION_FP32;
  o.profiling = profiling ? 1 : 0;
  o.batch = batch;
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

std::vector<std::pair<std::string, uint32_t>> activation_dtypes(tare_model* m) {
  uint32_t nops = 0;
  check(tare_model_op_count(m, &nops), "counting operators");
  std::vector<std::pair<std::string, uint32_t>> counts;
  for (uint32_t i = 0; i < nops; i++) {
    tare_op_info op;
    tare_op_info_init(&op);
    check(tare_model_op_info(m, i, &op), "reading an operator");
    for (uint32_t k = 0; k < op.num_outputs && k < TARE_OP_MAX_OUTPUTS; k++) {
      tare_tensor_info t;
      tare_tensor_info_init(&t);
      check(tare_model_tensor_info(m, static_cast<uint32_t>(op.outputs[k]), &t), "reading a tensor");
      std::string name = dtype_name(t.dtype);
      auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == name; });
      if (it == counts.end()) counts.emplace_back(name, 1);
      else it->second++;
    }
  }
  return counts;
}

void require_float_model(tare_model* m, const std::string& path, const std::string& program) {
  uint32_t n = 0;
  check(tare_model_tensor_count(m, &n), "counting tensors");
  for (uint32_t i = 0; i < n; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    check(tare_model_tensor_info(m, i, &t), "reading a tensor");
    if ((t.dtype == TARE_DTYPE_INT8 || t.dtype == TARE_DTYPE_UINT8) && t.quantized)
      throw Failure("'" + path + "' is already quantized (tensor " + std::to_string(i) + " '" + t.name + "' is " +
                    dtype_name(t.dtype) + " " + shape_string(t) + "); `" + program +
                    "` needs the float model it came from (`tare quantize` and `tare calibrate` take a float32 "
                    ".tflite)");
  }
}

// ---- images -----------------------------------------------------------------------------------------------------------

tare::image::PreprocessOptions image_options(const Args& a) {
  tare::image::PreprocessOptions o;
  const double mean = parse_double(a.get("--mean"), "--mean"), std_dev = parse_double(a.get("--std"), "--std");
  if (std_dev == 0.0) throw UsageError("--std must not be 0");
  o.norm = tare::image::Normalization::uniform(mean, std_dev);
  o.crop_fraction = parse_double(a.get("--crop"), "--crop");
  if (!(o.crop_fraction > 0.0 && o.crop_fraction <= 1.0)) throw UsageError("--crop must be in (0, 1]");
  return o;
}

tare_tensor_info image_input(tare_model* model) {
  tare_tensor_info t;
  tare_tensor_info_init(&t);
  check(tare_model_input_info(model, 0, &t), "reading the input info");
  if (t.rank != 4 || t.shape[3] != 3)
    throw Failure("the model's input " + shape_string(t) + " is not an image [N, H, W, 3]");
  return t;
}

tare_status feed_image(void* user, uint32_t index, void* dst, size_t size) {
  auto* f = static_cast<ImageFeed*>(user);
  try {
    int h = f->input.shape[1], w = f->input.shape[2];
    std::vector<float> v =
        tare::image::to_float(tare::image::preprocess_rgb(f->files.at(f->offset + index), w, h, f->opt), f->opt.norm);
    if (v.size() * 4 != size) return TARE_ERROR_INVALID_ARGUMENT;
    std::memcpy(dst, v.data(), size);
    return TARE_OK;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ntare: %s\n", e.what());
    return TARE_ERROR_IO;
  }
}

std::vector<LabeledImage> read_labeled(const std::string& csv, const std::string& images_dir) {
  std::ifstream f(csv);
  if (!f) throw Failure("cannot open '" + csv + "'");
  std::vector<LabeledImage> out;
  std::string line;
  fs::path base = fs::path(csv).parent_path();
  size_t lines = 0;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    lines++;
    size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    if (c1 == std::string::npos) continue;
    std::string label_text = line.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
    char* end = nullptr;
    long label = std::strtol(label_text.c_str(), &end, 10);
    if (label_text.empty() || end == label_text.c_str()) continue;  // the header, or a malformed line
    std::string file = line.substr(0, c1);
    fs::path p = base / file;
    std::error_code ec;
    if (!fs::exists(p, ec)) p = fs::path(images_dir) / fs::path(file).filename();
    out.push_back({p.string(), static_cast<int>(label)});
  }
  if (out.empty())
    throw Failure("no labeled images in '" + csv + "' (" + std::to_string(lines) +
                  " lines, none of the form file,class_index): --labels expects a CSV such as images/labels.csv "
                  "(\"n01440764_tench.JPEG,1\"), not a list of class names");
  return out;
}

std::vector<int> top_k(const std::vector<double>& v, int k) {
  std::vector<int> idx(v.size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = static_cast<int>(i);
  k = std::min<int>(k, static_cast<int>(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int x, int y) { return v[x] > v[y] || (v[x] == v[y] && x < y); });
  idx.resize(k);
  return idx;
}

std::vector<double> classify(tare_session* s, const tare_tensor_info& out, const std::vector<float>& pixels) {
  check(tare_session_set_input(s, 0, pixels.data(), pixels.size() * 4), "setting the input");
  check(tare_session_run(s), "running");
  std::vector<uint8_t> bytes(out.byte_size);
  check(tare_session_get_output(s, 0, bytes.data(), bytes.size()), "reading the output");
  return output_values(out, bytes);
}

std::vector<double> classify(tare_session* s, const tare_tensor_info& out, const std::vector<uint8_t>& input) {
  check(tare_session_set_input(s, 0, input.data(), input.size()), "setting the input");
  check(tare_session_run(s), "running");
  std::vector<uint8_t> bytes(out.byte_size);
  check(tare_session_get_output(s, 0, bytes.data(), bytes.size()), "reading the output");
  return output_values(out, bytes);
}

std::vector<uint8_t> image_input_bytes(const tare::image::Image& img, const tare_tensor_info& t,
                                       const tare::image::Normalization& norm) {
  std::vector<uint8_t> bytes(t.byte_size);
  switch (t.dtype) {
    case TARE_DTYPE_FLOAT32: {
      std::vector<float> f = tare::image::to_float(img, norm);
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

}  // namespace tare_cli
