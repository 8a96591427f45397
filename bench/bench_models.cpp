// Benchmark of the float models of the data folder through the public C API: session creation, first run, median
// and min latency of N runs after a warm-up, in fp32 and (when the device has fp16 storage and arithmetic) fp16,
// and the memory report.
//
//   bench_models [--runs N] [--warmup W] [MODEL_NAME ...]
//
// The data folder is $TARE_DATA, else the build-time default.  Missing models are skipped with a message.  Exits 0
// when every benchmark that could run succeeded, 1 if one failed, 2 on a usage error.
#include <tare/tare.h>

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "data_files.h"

namespace {

const char* kDefaultModels[] = {"mobilenet_v1_0.25_224", "mobilenet_v2_1.0_224_float", "face_detection_short_range"};

using tare::data::data_dir;

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string error_text(tare_status st) { return std::string(tare_status_string(st)) + ": " + tare_last_error(); }

struct Row {
  std::string model;
  const char* precision = "fp32";
  bool ok = false;
  std::string error;
  double create_ms = 0, first_ms = 0, median_ms = 0, min_ms = 0;
  tare_memory_report mem{};
};

Row bench_one(tare_model* model, const std::string& name, bool fp16, int runs, int warmup) {
  Row r;
  r.model = name;
  r.precision = fp16 ? "fp16" : "fp32";
  tare_session_options o;
  tare_session_options_init(&o);
  o.precision = fp16 ? TARE_PRECISION_FP16 : TARE_PRECISION_FP32;
  tare_session* s = nullptr;
  auto t0 = std::chrono::steady_clock::now();
  tare_status st = tare_session_create(model, &o, &s);
  r.create_ms = ms_since(t0);
  if (st != TARE_OK) {
    r.error = "session: " + error_text(st);
    return r;
  }
  uint32_t ni = 0;
  st = tare_model_input_count(model, &ni);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (uint32_t i = 0; st == TARE_OK && i < ni; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    st = tare_session_input_info(s, i, &t);
    if (st != TARE_OK) break;
    std::vector<uint8_t> bytes(t.byte_size, 0);
    if (t.dtype == TARE_DTYPE_FLOAT32)
      for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
        float v = u(rng);
        std::memcpy(&bytes[k], &v, 4);
      }
    st = tare_session_set_input(s, i, bytes.data(), bytes.size());
  }
  if (st == TARE_OK) {
    t0 = std::chrono::steady_clock::now();
    st = tare_session_run(s);
    r.first_ms = ms_since(t0);
  }
  for (int i = 0; st == TARE_OK && i < warmup; i++) st = tare_session_run(s);
  std::vector<double> times;
  for (int i = 0; st == TARE_OK && i < runs; i++) {
    t0 = std::chrono::steady_clock::now();
    st = tare_session_run(s);
    times.push_back(ms_since(t0));
  }
  tare_memory_report_init(&r.mem);
  if (st == TARE_OK) st = tare_session_memory(s, &r.mem);
  if (st != TARE_OK) {
    r.error = "run: " + error_text(st);
    tare_session_destroy(s);
    return r;
  }
  tare_session_destroy(s);
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  r.median_ms = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  r.min_ms = times.front();
  r.ok = true;
  return r;
}

double mib(uint64_t b) { return double(b) / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
  int runs = 30, warmup = 5;
  std::vector<std::string> models;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if ((a == "--runs" || a == "--warmup") && i + 1 < argc) {
      int v = std::atoi(argv[++i]);
      if (v < (a == "--runs" ? 1 : 0)) {
        std::fprintf(stderr, "bench_models: bad value for %s\n", a.c_str());
        return 2;
      }
      (a == "--runs" ? runs : warmup) = v;
    } else if (a == "--help" || a == "-h" || (!a.empty() && a[0] == '-')) {
      std::fprintf(stderr,
                   "usage: bench_models [--runs N (>= 1, default 30)] [--warmup W (default 5)] [MODEL ...]\n"
                   "models default to the float models of $TARE_DATA/models\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    } else {
      models.push_back(a);
    }
  }
  if (models.empty()) models.assign(std::begin(kDefaultModels), std::end(kDefaultModels));

  tare_context* ctx = nullptr;
  tare_status st = tare_context_create(nullptr, &ctx);
  if (st != TARE_OK) {
    std::fprintf(stderr, "bench_models: no Vulkan context: %s\n", error_text(st).c_str());
    return st == TARE_ERROR_NO_VULKAN ? 0 : 1;
  }
  tare_device_info dev;
  tare_device_info_init(&dev);
  tare_context_get_device_info(ctx, &dev);
  bool fp16 = dev.fp16_arithmetic && dev.fp16_storage;
  std::printf("tare %s on %s; %d runs after %d warm-up; fp16 %s\n", tare_version(), dev.name, runs, warmup,
              fp16 ? "available" : "not available on this device");

  std::vector<Row> rows;
  bool failed = false;
  for (const auto& name : models) {
    std::string path = data_dir() + "/models/" + name + (name.find(".tflite") == std::string::npos ? ".tflite" : "");
    if (!file_exists(path)) {
      std::printf("SKIPPED (no data): %s not found; set TARE_DATA to the data folder\n", path.c_str());
      continue;
    }
    tare_model* model = nullptr;
    st = tare_model_load_file(ctx, path.c_str(), &model);
    if (st != TARE_OK) {
      Row r;
      r.model = name;
      r.error = "load: " + error_text(st);
      rows.push_back(r);
      failed = true;
      continue;
    }
    for (int p = 0; p < (fp16 ? 2 : 1); p++) {
      rows.push_back(bench_one(model, name, p == 1, runs, warmup));
      if (!rows.back().ok) failed = true;
    }
    tare_model_destroy(model);
  }
  tare_context_destroy(ctx);

  std::printf("\n%-28s %-5s %10s %10s %10s %10s %10s %10s %10s\n", "model", "prec", "create ms", "first ms",
              "median ms", "min ms", "const MiB", "act MiB", "unpl MiB");
  for (const auto& r : rows) {
    if (!r.ok) {
      std::printf("%-28s %-5s FAILED: %s\n", r.model.c_str(), r.precision, r.error.c_str());
      continue;
    }
    std::printf("%-28s %-5s %10.2f %10.2f %10.3f %10.3f %10.2f %10.2f %10.2f\n", r.model.c_str(), r.precision,
                r.create_ms, r.first_ms, r.median_ms, r.min_ms, mib(r.mem.constant_bytes), mib(r.mem.activation_bytes),
                mib(r.mem.unplanned_bytes));
  }
  return failed ? 1 : 0;
}
