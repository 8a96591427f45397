// Kernel time of each operator next to an ADD of the same size.  The cases are the conformance table's benchmark
// cases (tests/test_conformance.cpp, bench_cases(): typical CNN activation sizes, [1, 56, 56, 64] mostly), run in
// fp32 and in int8 (the float graph calibrated on the GPU and quantized as `tare quantize` does, int8 in and out);
// median of the graph's summed GPU time over N runs after warm-up.  The baseline is ADD(x, c) with x and c of the
// larger of the op's input and output shapes (two reads and one write per element): a memory-bound op within 2x of
// it streams its data about as well as the simplest kernel does.  The last column is the op's int8 time over its own
// fp32 time (issue 15: an 8-bit kernel should not be slower than its float counterpart).
//   bench_internal_ops [--runs N] [--filter SUBSTRING] [--packed]
// --packed: the int8 kernels on packed uint32 words even where the device has 8-bit storage (the other path).
// --ops: each graph's operators and their times in its last run (what the int8 graph runs besides the op itself).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "calib/calibrate.h"
#include "common/error.h"
#include "conformance.h"
#include "engine/session.h"
#include "model/op_desc.h"
#include "quant/quantizer.h"

using namespace tare;
using tare::test::conformance::Case;

namespace {

// The graph's summed GPU time (ms), median over `runs` after 3 warm-up runs.
double median_ms(Session& s, int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs + 3; i++) {
    s.run();
    if (i < 3) continue;
    double sum = 0;
    for (const auto& [name, ms] : s.profile()) sum += ms;
    t.push_back(sum);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

bool g_list_ops = false;

void list_ops(const char* path, const Session& s) {
  if (!g_list_ops) return;
  for (const auto& [name, ms] : s.profile()) std::printf("    %s %-40s %8.3f\n", path, name.c_str(), ms);
}

struct Times {
  double fp32 = 0, int8 = -1;  // int8 < 0: no 8-bit kernel
};

// fp32 and int8 times of the float case `c` (int8: calibrated on its input, per-tensor, int8 in and out).
Times time_case(const std::shared_ptr<vk::Context>& ctx, const Case& c, int runs, const vk::FeatureOverride& q8) {
  SessionOptions o;
  o.profiling = true;
  Session f(ctx, c.graph, o);
  std::mt19937 rng(c.seed);
  std::vector<float> in;
  if (c.gen) {
    in = c.gen(c.graph, 0, rng);
  } else {
    std::uniform_real_distribution<float> d(c.lo, c.hi);
    in.resize((size_t)f.input(0).elements());
    for (float& x : in) x = d(rng);
  }
  f.set_input(0, in.data(), in.size());
  Times t;
  t.fp32 = median_ms(f, runs);
  list_ops("fp32", f);
  if (!op_desc(c.graph.ops.back().type).make_q8) return t;
  quant::Stats st = calib::calibrate(
      ctx, c.graph, 1, 1, [&](uint32_t, float* dst) { std::copy(in.begin(), in.end(), dst); }, nullptr);
  quant::QuantizeOptions qo;
  qo.input_type = qo.output_type = DType::I8;
  Session q(ctx, quant::quantize_graph(c.graph, st, qo, nullptr), o, q8);
  std::vector<int8_t> raw((size_t)q.input(0).elements());
  for (int8_t& x : raw) x = (int8_t)(rng() & 0xff);
  q.set_input_bytes(0, raw.data(), raw.size());
  t.int8 = median_ms(q, runs);
  list_ops("int8", q);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  std::string filter;
  vk::FeatureOverride q8;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!std::strcmp(argv[i], "--packed")) q8.packed_int8 = true;
    else if (!std::strcmp(argv[i], "--ops")) g_list_ops = true;
  }
  try {
    auto ctx = std::make_shared<vk::Context>(vk::ContextOptions{});
    std::printf(
        "device %s; int8 on %s; summed GPU time per run, median of %d runs; ratio = op / ADD of the larger of its "
        "input and output; i8/f32 = the op's int8 time / its fp32 time\n",
        ctx->caps().name.c_str(), q8.packed_int8 ? "packed words" : "the device's default path", runs);
    std::printf("%-22s %-34s %-16s %8s %8s %6s %8s %8s %6s %6s\n", "op", "case", "ADD shape", "fp32 ms", "ADD", "ratio",
                "int8 ms", "ADD", "ratio", "i8/f32");
    for (const Case& c : test::conformance::bench_cases()) {
      const std::string op = op_desc(c.graph.ops.back().type).name;
      if (!filter.empty() && (op + " " + c.name).find(filter) == std::string::npos) continue;
      // The baseline's size: the larger of the op's first input and its output (a reduction or a pool streams its
      // input; an op with several outputs: its input, which they cover).
      const Op& last = c.graph.ops.back();
      const Tensor& in0 = c.graph.tensors[(size_t)last.inputs[0]];
      const Tensor& out0 = c.graph.tensors[(size_t)last.outputs[0]];
      const std::vector<int>& out = last.outputs.size() > 1 || in0.elements() > out0.elements() ? in0.shape
                                                                                                : out0.shape;
      try {
        const Times t = time_case(ctx, c, runs, q8);
        const Times add = time_case(ctx, test::conformance::bench_add_case(out), runs, q8);
        std::printf("%-22s %-34s %-16s %8.3f %8.3f %6.2f", op.c_str(), c.name.c_str(), shape_str(out).c_str(), t.fp32,
                    add.fp32, t.fp32 / add.fp32);
        if (t.int8 < 0) std::printf(" %8s\n", "-");
        else std::printf(" %8.3f %8.3f %6.2f %6.2f\n", t.int8, add.int8, t.int8 / add.int8, t.int8 / t.fp32);
      } catch (const Error& e) {
        std::printf("%-22s %-34s error: %s\n", op.c_str(), c.name.c_str(), e.what());
      }
      std::fflush(stdout);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
