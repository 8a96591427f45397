// The fixed cost of one dispatch on the default device, apart from any kernel's work: a chain of N tiny ADDs
// (x + c on [1, 4, 4, 8]: one workgroup each, one barrier between two), run as one command buffer like a model.
// For each N: the run's wall time (profiling off: what an application sees), and with profiling on the summed
// per-op GPU time and the GPU span of the run; the slope between the shortest and the longest chain is the cost per
// dispatch, and wall - summed op time is the part that per-op GPU times do not see (bench/README.md, "Where a run's
// wall time goes").  Median of R runs after warm-up; the chain lengths interleaved over rounds.
//   bench_internal_dispatch [--runs R] [--rounds K] [--lengths 1,16,64]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/session.h"
#include "model/graph.h"

using namespace tare;

namespace {

// x_{i+1} = x_i + c_i, i < n, on [1, 4, 4, 8] float tensors.
Graph chain(int n) {
  Graph g;
  auto add = [&](bool cst) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = {1, 4, 4, 8};
    if (cst) {
      t.is_const = true;
      std::vector<float> v((size_t)t.elements(), 0.25f);
      t.data.resize(v.size() * 4);
      std::memcpy(t.data.data(), v.data(), t.data.size());
    }
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  };
  int x = add(false);
  g.inputs = {x};
  for (int i = 0; i < n; i++) {
    Op op;
    op.type = OpType::Add;
    op.inputs = {x, add(true)};
    x = add(false);
    op.outputs = {x};
    g.ops.push_back(op);
  }
  g.outputs = {x};
  infer_shapes(g);
  return g;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Figures {
  std::vector<double> wall, ops, span;  // per round: medians of its runs (ms)
};

// One round of chain length n: wall time unprofiled, then summed op time and GPU span profiled.
void round_of(const std::shared_ptr<vk::Context>& ctx, int n, int runs, Figures& f) {
  const Graph g = chain(n);
  std::vector<float> in(128, 1.0f);
  std::vector<double> wall, ops, span;
  for (bool profiling : {false, true}) {
    SessionOptions o;
    o.profiling = profiling;
    Session s(ctx, g, o);
    s.set_input(0, in.data(), in.size());
    for (int i = 0; i < runs + 3; i++) {
      const auto t0 = std::chrono::steady_clock::now();
      s.run();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (i < 3) continue;
      if (!profiling) {
        wall.push_back(ms);
        continue;
      }
      double sum = 0;
      for (const auto& [name, t] : s.profile()) sum += t;
      ops.push_back(sum);
      span.push_back(s.run_times().gpu_span_ms);
    }
  }
  f.wall.push_back(median(wall));
  f.ops.push_back(median(ops));
  f.span.push_back(median(span));
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, rounds = 3;
  std::vector<int> lengths = {1, 16, 64};
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--lengths") && i + 1 < argc) {
      lengths.clear();
      for (char* p = argv[++i]; *p;) {
        lengths.push_back(std::max(1, (int)std::strtol(p, &p, 10)));
        if (*p == ',') p++;
        else if (*p) break;
      }
    }
  }
  if (lengths.size() < 2) {
    std::fprintf(stderr, "--lengths needs at least two chain lengths\n");
    return 2;
  }
  std::sort(lengths.begin(), lengths.end());
  try {
    auto ctx = std::make_shared<vk::Context>(vk::ContextOptions{});
    std::map<int, Figures> figs;
    for (int r = 0; r < rounds; r++)
      for (int n : lengths) round_of(ctx, n, runs, figs[n]);
    std::printf("device %s; a chain of N ADDs on [1, 4, 4, 8]; medians of %d rounds of %d runs (ms)\n",
                ctx->caps().name.c_str(), rounds, runs);
    std::printf("%6s %10s %14s %12s %12s %16s\n", "N", "wall", "summed op time", "GPU span", "wall / N",
                "(wall - ops) / N");
    for (int n : lengths) {
      const Figures& f = figs[n];
      const double wall = median(f.wall), ops = median(f.ops), span = median(f.span);
      std::printf("%6d %10.3f %14.3f %12.3f %12.3f %16.3f\n", n, wall, ops, span, wall / n, (wall - ops) / n);
    }
    const int a = lengths.front(), b = lengths.back();
    const double dn = b - a;
    std::printf(
        "per dispatch (slope from N = %d to %d): wall %.3f ms, summed op time %.3f ms, outside the op times "
        "%.3f ms\n",
        a, b, (median(figs[b].wall) - median(figs[a].wall)) / dn, (median(figs[b].ops) - median(figs[a].ops)) / dn,
        (median(figs[b].wall) - median(figs[b].ops) - median(figs[a].wall) + median(figs[a].ops)) / dn);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
