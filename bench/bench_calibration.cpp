// Cost of bias correction on this device, as ratios measured side by side in one run: IBC wall time and one BFT
// training step per image, against one float forward pass of the same batch.  Public C API only.  IBC and the
// forward pass are also timed by the process's CPU time (every thread, lavapipe's included), steadier than wall time
// on a shared machine.
//   bench_calibration [--images N (default 8)] [--ibc-runs N (default 3)] [--no-bft] [MODEL ...]
//   (models default to the shared MobileNets; IBC's figures are medians of its runs)
#include <tare/tare.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "data_files.h"

namespace {

const char* kDefaultModels[] = {"mobilenet_v1_0.25_224", "mobilenet_v2_1.0_224_float"};

using tare::data::data_dir;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The process's CPU time (all threads) in ms.
double cpu_ms() { return 1000.0 * (double)std::clock() / CLOCKS_PER_SEC; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

bool ok(tare_status st, const char* what) {
  if (st == TARE_OK) return true;
  std::printf("  FAILED: %s: %s (%s)\n", what, tare_status_string(st), tare_last_error());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t images = 8;
  int ibc_runs = 3;
  bool bft = true;
  std::vector<std::string> models;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--images" && i + 1 < argc) {
      images = (uint32_t)std::max(1, std::atoi(argv[++i]));
    } else if (a == "--ibc-runs" && i + 1 < argc) {
      ibc_runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-bft") {
      bft = false;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: bench_calibration [--images N] [--ibc-runs N] [--no-bft] [MODEL ...]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    } else {
      models.push_back(a);
    }
  }
  if (models.empty()) models.assign(std::begin(kDefaultModels), std::end(kDefaultModels));
  tare_context* ctx = nullptr;
  tare_status st = tare_context_create(nullptr, &ctx);
  if (st != TARE_OK) {
    std::fprintf(stderr, "bench_calibration: no Vulkan context: %s\n", tare_last_error());
    return st == TARE_ERROR_NO_VULKAN ? 0 : 1;
  }
  tare_device_info dev;
  tare_device_info_init(&dev);
  tare_context_get_device_info(ctx, &dev);
  std::printf("tare %s on %s; batch of %u images\n", tare_version(), dev.name, images);
  std::printf("%-28s %12s %10s %8s %11s %10s %8s %14s %10s\n", "model", "float pass", "IBC", "IBC/fwd", "fwd cpu",
              "IBC cpu", "cpu/cpu", "BFT step/img", "BFT/fwd");
  bool failed = false;
  for (const std::string& name : models) {
    const std::string path = data_dir() + "/models/" + name + ".tflite";
    const std::string ref = data_dir() + "/ref/" + name;
    const std::vector<float> a = tare::data::read_floats(ref + "/in_img0.bin").value_or(std::vector<float>());
    const std::vector<float> b = tare::data::read_floats(ref + "/in_img1.bin").value_or(std::vector<float>());
    tare_model* m = nullptr;
    if (a.empty() || b.size() != a.size() || tare_model_load_file(ctx, path.c_str(), &m) != TARE_OK) {
      std::printf("SKIPPED (no data): %s or its reference inputs not found; set TARE_DATA\n", path.c_str());
      continue;
    }
    std::vector<float> batch;
    for (uint32_t i = 0; i < images; i++) batch.insert(batch.end(), (i % 2 ? b : a).begin(), (i % 2 ? b : a).end());
    tare_model *q = nullptr, *c = nullptr;
    tare_session* s = nullptr;
    tare_session_options so;
    tare_session_options_init(&so);
    so.batch = images;
    std::vector<double> fwd, ibc, fwd_cpu, ibc_cpu;
    bool good = ok(tare_quantize_array(m, batch.data(), images, nullptr, &q, nullptr), "quantize") &&
                ok(tare_session_create(m, &so, &s), "float session") &&
                ok(tare_session_set_input(s, 0, batch.data(), batch.size() * 4), "input");
    for (int r = 0; good && r < 4; r++) {
      const double t0 = now_ms(), c0 = cpu_ms();
      good = ok(tare_session_run(s), "float run");
      if (r) fwd.push_back(now_ms() - t0), fwd_cpu.push_back(cpu_ms() - c0);  // the first run warms up
    }
    tare_ibc_options io;
    tare_ibc_options_init(&io);
    io.guard = 0;  // IBC alone on all the images, as timed before the guard existed
    for (int r = 0; good && r < ibc_runs; r++) {
      tare_ibc_report rep;
      tare_ibc_report_init(&rep);
      const double c0 = cpu_ms();
      good = ok(tare_correct_bias_array(m, q, batch.data(), images, &io, &c, &rep, nullptr), "IBC");
      if (good) ibc.push_back(rep.wall_ms), ibc_cpu.push_back(cpu_ms() - c0);
      tare_model_destroy(c);
      c = nullptr;
    }
    double bft_step = 0;
    if (good && bft) {
      struct Feed {
        const std::vector<float>* v;
      } feed{&batch};
      auto fill = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
        std::memcpy(dst, static_cast<Feed*>(user)->v->data() + (size_t)i * (size / 4), size);
        return TARE_OK;
      };
      tare_bft_options bo;
      tare_bft_options_init(&bo);
      bo.rate_count = 1;
      bo.mini_epochs_per_rate = 2;  // one pass to warm up, one timed
      bo.batch = images;
      bo.validation_images = 0;  // every image trains: the step is one training pass of the whole batch
      std::vector<double> marks;
      bo.user_data = &marks;
      bo.on_loss = [](void* user, uint32_t, uint32_t, double) {
        static_cast<std::vector<double>*>(user)->push_back(now_ms());
        return 0;
      };
      tare_bft_report br;
      tare_bft_report_init(&br);
      good = ok(tare_fine_tune_bias(m, q, images, fill, &feed, &bo, &c, &br), "BFT");
      if (good && marks.size() == 2) bft_step = (marks[1] - marks[0]) / images;
      tare_model_destroy(c);
    }
    if (good) {
      const double f = median(fwd), i = median(ibc), fc = median(fwd_cpu), ic = median(ibc_cpu);
      std::printf("%-28s %9.1f ms %7.0f ms %7.1fx %8.1f ms %7.0f ms %7.1fx", name.c_str(), f, i, i / f, fc, ic,
                  ic / fc);
      if (bft) std::printf(" %11.1f ms %9.1fx\n", bft_step, bft_step * images / f);
      else std::printf(" %14s %10s\n", "-", "-");
    } else {
      failed = true;
    }
    tare_session_destroy(s);
    tare_model_destroy(q);
    tare_model_destroy(m);
  }
  std::printf(
      "IBC/fwd: IBC wall time over one float forward pass of the batch; cpu/cpu: the same by process CPU time\n"
      "(medians); BFT/fwd: one training pass of the batch (forward, loss, backward, bias gradients, Adam) over one\n"
      "float forward pass.\n");
  tare_context_destroy(ctx);
  return failed ? 1 : 0;
}
