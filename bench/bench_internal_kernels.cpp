// Per-kernel latency of the shapes that dominate MobileNet-v2 and -v1, and of two BATCH_MATMULs, on the default
// device: one-op graphs run through a Session, median of N runs after warm-up, with the achieved GFLOP/s (2 x MACs /
// time).
//   bench_internal_kernels [--runs N] [--fp16] [--filter SUBSTRING]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/session.h"
#include "model/graph.h"

using namespace tare;

namespace {

struct Case {
  std::string name;
  OpType type;
  int h, w, cin, cout, k, stride;
};

Graph make(const Case& c, std::mt19937& rng) {
  Graph g;
  auto add = [&](std::vector<int> shape, bool cst) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    if (cst) {
      t.is_const = true;
      std::uniform_real_distribution<float> d(-1, 1);
      std::vector<float> v((size_t)t.elements());
      for (auto& x : v) x = d(rng);
      t.data.resize(v.size() * 4);
      std::memcpy(t.data.data(), v.data(), t.data.size());
    }
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  };
  Op op;
  if (c.type == OpType::BatchMatmul) {  // [h, w, cin] x constant [cin, cout]: h batches of w x cin
    const int a = add({c.h, c.w, c.cin}, false), b = add({c.cin, c.cout}, true);
    const int out = add({c.h, c.w, c.cout}, false);
    op.type = c.type;
    op.inputs = {a, b};
    op.outputs = {out};
    g.ops.push_back(op);
    g.inputs = {a};
    g.outputs = {out};
    infer_shapes(g);
    return g;
  }
  int in = add({1, c.h, c.w, c.cin}, false);
  op.type = c.type;
  op.params.stride_h = op.params.stride_w = c.stride;
  op.params.padding = Padding::Same;
  op.params.activation = Activation::Relu6;
  int oh = conv_out_size(c.h, c.k, c.stride, 1, Padding::Same),
      ow = conv_out_size(c.w, c.k, c.stride, 1, Padding::Same);
  int wt, bias;
  if (c.type == OpType::DepthwiseConv2D) {
    wt = add({1, c.k, c.k, c.cout}, true);
  } else {
    wt = add({c.cout, c.k, c.k, c.cin}, true);
  }
  bias = add({c.cout}, true);
  int out = add({1, oh, ow, c.cout}, false);
  op.inputs = {in, wt, bias};
  op.outputs = {out};
  g.ops.push_back(op);
  g.inputs = {in};
  g.outputs = {out};
  infer_shapes(g);
  return g;
}

// Process CPU time (all threads, lavapipe's workers included): less sensitive to a busy machine than wall time.
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-3;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  bool fp16 = false;
  std::string filter;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--fp16")) fp16 = true;
    else if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
  }
  std::vector<Case> cases = {
      {"v2 stem 3x3s2 3->32 @224", OpType::Conv2D, 224, 224, 3, 32, 3, 2},
      {"v2 expand 1x1 16->96 @112", OpType::Conv2D, 112, 112, 16, 96, 1, 1},
      {"v2 project 1x1 144->24 @56", OpType::Conv2D, 56, 56, 144, 24, 1, 1},
      {"v2 expand 1x1 24->144 @56", OpType::Conv2D, 56, 56, 24, 144, 1, 1},
      {"v2 1x1 960->160 @7", OpType::Conv2D, 7, 7, 960, 160, 1, 1},
      {"v2 head 1x1 320->1280 @7", OpType::Conv2D, 7, 7, 320, 1280, 1, 1},
      {"v2 dw 3x3s1 32 @112", OpType::DepthwiseConv2D, 112, 112, 32, 32, 3, 1},
      {"v2 dw 3x3s2 96 @112", OpType::DepthwiseConv2D, 112, 112, 96, 96, 3, 2},
      {"v2 dw 3x3s1 144 @56", OpType::DepthwiseConv2D, 56, 56, 144, 144, 3, 1},
      {"bmm 12x197x64 x 64x64", OpType::BatchMatmul, 12, 197, 64, 64, 1, 1},
      {"bmm 1x256x256 x 256x256", OpType::BatchMatmul, 1, 256, 256, 256, 1, 1},
  };
  try {
    auto ctx = std::make_shared<vk::Context>(vk::ContextOptions{});
    std::printf("device %s, %s, median of %d runs\n", ctx->caps().name.c_str(), fp16 ? "fp16" : "fp32", runs);
    std::mt19937 rng(1);
    for (const Case& c : cases) {
      if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
      Graph g = make(c, rng);
      SessionOptions o;
      o.fp16 = fp16;
      o.profiling = true;
      Session s(ctx, g, o);
      std::vector<float> in((size_t)s.input(0).elements(), 0.5f);
      s.set_input(0, in.data(), in.size());
      for (int i = 0; i < 3; i++) s.run();
      std::vector<double> t;
      double cpu0 = cpu_ms();
      for (int i = 0; i < runs; i++) {
        s.run();
        auto p = s.profile();
        t.push_back(p.empty() ? 0 : p[0].second);
      }
      double cpu = (cpu_ms() - cpu0) / runs;
      std::sort(t.begin(), t.end());
      const Tensor& out = s.output(0);
      double macs = (double)out.elements() * c.k * c.k * (c.type == OpType::DepthwiseConv2D ? 1 : c.cin);
      std::printf("%-30s %9.3f ms  %6.2f GFLOP/s  cpu %8.3f ms/run\n", c.name.c_str(), t[t.size() / 2],
                  2 * macs / (t[t.size() / 2] * 1e6), cpu);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
