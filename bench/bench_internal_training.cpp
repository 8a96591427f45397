// Where one BFT training step's GPU time goes: the student network of a quantized model (its fake-quant graph with
// fused activations split out or applied by FAKE_QUANT, up to the logits: calib::student_graph) in a TrainingSession,
// recorded once with a timestamp around every forward and backward operator and the gradient zeroing, submitted
// N times; per operator kind the median over runs of the summed GPU time, next to a float forward pass of the
// float model of the same batch (a Session with profiling).  Also the medians of each submission's wall and process
// CPU time (all threads, lavapipe's included: steadier than wall time on a shared machine), step against forward.
//   bench_internal_training [--runs N] [--batch B] [--no-fold] [--ops] [QUANTIZED_MODEL FLOAT_MODEL]
//   (--no-fold: FAKE_QUANT's backward not folded into its reader's, TrainingOptions::fold_fake_quant; --ops: every
//   operator's own median too)
//   (models default to the shared MobileNet-v2 int8 per-channel and float; names without .tflite)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "calib/bft.h"
#include "calib/layer_runner.h"
#include "common/error.h"
#include "data_files.h"
#include "engine/session.h"
#include "engine/training_session.h"
#include "model/tflite_import.h"
#include "quant/fake_quant.h"
#include "vk/command.h"

using namespace tare;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

Graph load(const std::string& name) {
  const std::string path = data::data_dir() + "/models/" + name + ".tflite";
  const auto bytes = data::read_bytes(path);
  TARE_CHECK(bytes.has_value(), TARE_ERROR_IO, path + " not found (set TARE_DATA)");
  return import_tflite(bytes->data(), bytes->size());
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_ms() { return 1000.0 * (double)std::clock() / CLOCKS_PER_SEC; }

// "CONV_2D#12" -> "CONV_2D", "grad CONV_2D#12" -> "grad CONV_2D".
std::string kind(const std::string& region) { return region.substr(0, region.find('#')); }

// Per kind (per region with `whole`): the median over runs of each run's summed time.
std::map<std::string, double> by_kind(const std::vector<std::vector<std::pair<std::string, double>>>& runs,
                                      bool whole = false) {
  std::map<std::string, std::vector<double>> per;
  for (const auto& run : runs) {
    std::map<std::string, double> sum;
    for (const auto& [name, ms] : run) sum[whole ? name : kind(name)] += ms;
    for (const auto& [k, ms] : sum) per[k].push_back(ms);
  }
  std::map<std::string, double> out;
  for (const auto& [k, v] : per) out[k] = median(v);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5, batch = 2;
  bool fold = true, per_op = false;
  std::vector<std::string> names;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-fold") {
      fold = false;
    } else if (a == "--ops") {
      per_op = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr,
                   "usage: bench_internal_training [--runs N] [--batch B] [--no-fold] [--ops] "
                   "[QUANTIZED_MODEL FLOAT_MODEL]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    } else {
      names.push_back(a);
    }
  }
  if (names.size() != 2) names = {"tf2_mobilenet_v2_1.0_224_ptq", "mobilenet_v2_1.0_224_float"};
  try {
    auto ctx = std::make_shared<vk::Context>(vk::ContextOptions{});
    const Graph q = load(names[0]), f = load(names[1]);
    const Graph student = calib::student_graph(quant::fake_quant_graph(calib::with_biases(q)));
    TrainingOptions to;
    to.batch = batch;
    to.fold_fake_quant = fold;
    TrainingSession ts(ctx, student, to);
    std::vector<float> input((size_t)ts.input(0).elements(), 0.5f);
    ts.set_input(0, input.data(), input.size());
    const size_t ops = ts.num_ops();
    vk::Recorder rec(ctx, ts.dispatch_bound(0, ops) * 2 + 8, (uint32_t)(4 * ops + 8));
    rec.begin();
    ts.record_inputs(rec);
    ts.record_ops(rec, 0, ops);
    rec.begin_region("zero gradients#");
    ts.record_zero_grads(rec);
    rec.end_region();
    ts.record_backward(rec, 0, ops);
    rec.end();
    std::vector<std::vector<std::pair<std::string, double>>> train;
    std::vector<double> train_wall, train_cpu, fwd_wall, fwd_cpu;
    for (int r = 0; r <= runs; r++) {
      const double t0 = now_ms(), c0 = cpu_ms();
      rec.submit();
      if (r) {  // the first run warms up
        train_wall.push_back(now_ms() - t0), train_cpu.push_back(cpu_ms() - c0);
        train.push_back(rec.region_times());
      }
    }

    SessionOptions so;
    so.batch = batch;
    so.profiling = true;
    Session fs(ctx, f, so);
    std::vector<float> fin((size_t)fs.input(0).elements(), 0.5f);
    fs.set_input(0, fin.data(), fin.size());
    std::vector<std::vector<std::pair<std::string, double>>> fwd;
    for (int r = 0; r <= runs; r++) {
      const double t0 = now_ms(), c0 = cpu_ms();
      fs.run();
      if (r) fwd_wall.push_back(now_ms() - t0), fwd_cpu.push_back(cpu_ms() - c0), fwd.push_back(fs.profile());
    }

    double forward = 0, student_fwd = 0, backward = 0;
    for (const auto& [k, ms] : by_kind(fwd)) forward += ms;
    std::printf("%s (student) vs %s (float), batch %d, median of %d runs, GPU ms (timestamps)\n", names[0].c_str(),
                names[1].c_str(), batch, runs);
    std::printf("%-32s %10s %8s\n", "kind", "ms", "x fwd");
    for (const auto& [k, ms] : by_kind(train)) {
      (k.rfind("grad ", 0) == 0 || k == "zero gradients" ? backward : student_fwd) += ms;
      std::printf("%-32s %10.2f %8.3f\n", k.c_str(), ms, ms / forward);
    }
    std::printf("%-32s %10.2f %8.3f\n", "student forward (sum)", student_fwd, student_fwd / forward);
    std::printf("%-32s %10.2f %8.3f\n", "backward + zeroing (sum)", backward, backward / forward);
    std::printf("%-32s %10.2f %8.3f\n", "float forward pass", forward, 1.0);
    std::printf(
        "step (forward + backward) / float forward, per submission: wall %.1f / %.1f ms = %.2fx, "
        "process CPU %.1f / %.1f ms = %.2fx\n",
        median(train_wall), median(fwd_wall), median(train_wall) / median(fwd_wall), median(train_cpu), median(fwd_cpu),
        median(train_cpu) / median(fwd_cpu));
    if (per_op)
      for (const auto& [k, ms] : by_kind(train, true)) std::printf("%-32s %10.3f\n", k.c_str(), ms);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_internal_training: %s\n", e.what());
    return 1;
  }
  return 0;
}
