// Per-kernel latency of the shapes that dominate MobileNet-v2 and -v1, and of two BATCH_MATMULs, on the default
// device: one-op graphs run through a Session, median of N runs after warm-up, with the achieved GFLOP/s (2 x MACs /
// time).  The convolutions and FULLY_CONNECTED also run 8-bit, side by side with fp32 (same shape, rounds
// interleaved so that both see the same machine load): uint8 with per-tensor weights and zero points (legacy
// quantized models) and int8 with per-channel weights (TFLite's post-training quantization), each with its time
// over fp32's.
// --cold: instead, the cold start of each case's kernel: the process CPU time (lavapipe's JIT threads included) of
// session creation plus the first run in a context of its own, so that every pipeline is compiled (run it with
// MESA_SHADER_CACHE_DISABLE=true); median of R rounds, precisions interleaved.
//   bench_internal_kernels [--runs N] [--fp16] [--filter SUBSTRING] [--rounds R] [--cold]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
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

// How a case's tensors are stored: float32, uint8 with per-tensor weights (weight zero point 120), int8 with
// per-channel weights (zero points 0, as TFLite's post-training quantization).
enum class Precision { F32, U8, I8PerChannel };
const char* precision_name(Precision p) {
  return p == Precision::F32 ? "fp32" : p == Precision::U8 ? "uint8" : "int8-pc";
}
bool quantizable(OpType t) {
  return t == OpType::Conv2D || t == OpType::DepthwiseConv2D || t == OpType::FullyConnected;
}

Graph make(const Case& c, Precision prec, std::mt19937& rng) {
  Graph g;
  const bool q8 = prec != Precision::F32, u8 = prec == Precision::U8;
  // An activation (scale and zero point of a [-2.56, 2.54] input or a ReLU6 output) or a float constant.
  auto add = [&](std::vector<int> shape, bool cst, bool output = false) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    if (q8) {
      t.dtype = u8 ? DType::U8 : DType::I8;
      t.quant.scale = {output ? 6.0f / 255 : 0.02f};
      t.quant.zero_point = {output ? (u8 ? 0 : -128) : (u8 ? 128 : 0)};
    }
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
  // Quantized weights: random bytes; per-channel scales along `axis` (channels values).
  auto add_weights = [&](std::vector<int> shape, int axis) {
    if (!q8) return add(std::move(shape), true);
    Tensor t;
    t.name = "w" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    t.is_const = true;
    t.dtype = u8 ? DType::U8 : DType::I8;
    std::uniform_int_distribution<int> d(u8 ? 0 : -127, u8 ? 255 : 127);
    t.data.resize((size_t)t.elements());
    for (auto& x : t.data) x = (uint8_t)d(rng);
    if (u8) {
      t.quant.scale = {0.01f};
      t.quant.zero_point = {120};
    } else {
      const int channels = t.shape[(size_t)axis];
      for (int i = 0; i < channels; i++) t.quant.scale.push_back(0.004f * (1 + i % 7));
      t.quant.zero_point.assign((size_t)channels, 0);
      t.quant.axis = axis;
    }
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  };
  // int32 bias with scale input_scale * weight_scale (uniform in [-1, 1] real).
  auto add_bias = [&](int channels, int wt) {
    if (!q8) return add({channels}, true);
    Tensor t;
    t.name = "b" + std::to_string(g.tensors.size());
    t.shape = {channels};
    t.is_const = true;
    t.dtype = DType::I32;
    const QuantParams& wq = g.tensors[(size_t)wt].quant;
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<int32_t> v((size_t)channels);
    for (int i = 0; i < channels; i++) {
      const float s = 0.02f * wq.scale[wq.scale.size() > 1 ? (size_t)i : 0];
      t.quant.scale.push_back(s);
      t.quant.zero_point.push_back(0);
      v[(size_t)i] = (int32_t)std::lround(d(rng) / s);
    }
    t.quant.axis = 0;
    t.data.resize(v.size() * 4);
    std::memcpy(t.data.data(), v.data(), t.data.size());
    g.tensors.push_back(std::move(t));
    return (int)g.tensors.size() - 1;
  };
  Op op;
  // The graph of the one op: its first input is the graph's input.
  auto single_op = [&](std::vector<int> inputs, int out) {
    op.inputs = std::move(inputs);
    op.outputs = {out};
    g.ops.push_back(op);
    g.inputs = {op.inputs[0]};
    g.outputs = {out};
    infer_shapes(g);
    return g;
  };
  if (c.type == OpType::BatchMatmul) {  // [h, w, cin] x constant [cin, cout]: h batches of w x cin
    const int a = add({c.h, c.w, c.cin}, false), b = add({c.cin, c.cout}, true);
    op.type = c.type;
    return single_op({a, b}, add({c.h, c.w, c.cout}, false));
  }
  op.type = c.type;
  op.params.activation = Activation::Relu6;
  if (c.type == OpType::FullyConnected) {  // [h, cin] x [cout, cin]
    const int in = add({c.h, c.cin}, false), wt = add_weights({c.cout, c.cin}, 0), bias = add_bias(c.cout, wt);
    return single_op({in, wt, bias}, add({c.h, c.cout}, false, true));
  }
  int in = add({1, c.h, c.w, c.cin}, false);
  op.params.stride_h = op.params.stride_w = c.stride;
  op.params.padding = Padding::Same;
  int oh = conv_out_size(c.h, c.k, c.stride, 1, Padding::Same),
      ow = conv_out_size(c.w, c.k, c.stride, 1, Padding::Same);
  int wt;
  if (c.type == OpType::DepthwiseConv2D) {
    wt = add_weights({1, c.k, c.k, c.cout}, 3);
  } else {
    wt = add_weights({c.cout, c.k, c.k, c.cin}, 0);
  }
  const int bias = add_bias(c.cout, wt);
  return single_op({in, wt, bias}, add({1, oh, ow, c.cout}, false, true));
}

// Process CPU time (all threads, lavapipe's workers included): less sensitive to a busy machine than wall time.
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-3;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The input of a case's session: 0.5 for float, random bytes for 8-bit.
void set_case_input(Session& s, Precision prec, std::mt19937& rng) {
  const Tensor& t = s.input(0);
  if (prec == Precision::F32) {
    std::vector<float> in((size_t)t.elements(), 0.5f);
    s.set_input(0, in.data(), in.size());
  } else {
    std::uniform_int_distribution<int> d(0, 255);
    std::vector<uint8_t> in((size_t)t.elements());
    for (auto& x : in) x = (uint8_t)d(rng);
    s.set_input_bytes(0, in.data(), in.size());
  }
}

// One precision of a case: its session and the GPU times and CPU time of its timed runs so far.
struct Variant {
  Precision prec;
  std::unique_ptr<Session> session;
  std::vector<double> gpu_ms;
  double cpu_total = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, rounds = 3;
  bool fp16 = false, cold = false;
  std::string filter;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--fp16")) fp16 = true;
    else if (!std::strcmp(argv[i], "--cold")) cold = true;
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
      {"v2 classifier fc 1280->1001", OpType::FullyConnected, 1, 1, 1280, 1001, 1, 1},
      {"bmm 12x197x64 x 64x64", OpType::BatchMatmul, 12, 197, 64, 64, 1, 1},
      {"bmm 1x256x256 x 256x256", OpType::BatchMatmul, 1, 256, 256, 256, 1, 1},
  };
  try {
    auto ctx = std::make_shared<vk::Context>(vk::ContextOptions{});
    if (cold)
      std::printf("device %s, %s, cold start (session + first run, process CPU time), median of %d rounds\n",
                  ctx->caps().name.c_str(), fp16 ? "fp16" : "fp32", rounds);
    else
      std::printf("device %s, %s, median of %d rounds x %d runs%s\n", ctx->caps().name.c_str(), fp16 ? "fp16" : "fp32",
                  rounds, runs, fp16 ? "" : " (8-bit variants interleaved with fp32)");
    std::mt19937 rng(1);
    for (const Case& c : cases) {
      if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
      std::vector<Variant> vs;
      std::vector<Precision> precs = {Precision::F32};
      if (!fp16 && quantizable(c.type)) precs = {Precision::F32, Precision::U8, Precision::I8PerChannel};
      if (cold) {
        std::vector<std::vector<double>> ms(precs.size());
        for (int r = 0; r < rounds; r++)
          for (size_t i = 0; i < precs.size(); i++) {
            Graph g = make(c, precs[i], rng);
            auto own = std::make_shared<vk::Context>(vk::ContextOptions{});
            SessionOptions o;
            o.fp16 = fp16;
            const double cpu0 = cpu_ms();
            Session s(own, g, o);
            set_case_input(s, precs[i], rng);
            s.run();
            ms[i].push_back(cpu_ms() - cpu0);
          }
        for (size_t i = 0; i < precs.size(); i++) {
          const auto [lo, hi] = std::minmax_element(ms[i].begin(), ms[i].end());
          std::printf("%-30s %-8s cold cpu %8.1f ms (%.1f-%.1f)", c.name.c_str(), precision_name(precs[i]),
                      median(ms[i]), *lo, *hi);
          if (i > 0) std::printf("  / fp32 x%.2f", median(ms[i]) / median(ms[0]));
          std::printf("\n");
        }
        continue;
      }
      for (Precision prec : precs) {
        Graph g = make(c, prec, rng);
        SessionOptions o;
        o.fp16 = fp16;
        o.profiling = true;
        Variant v{prec, std::make_unique<Session>(ctx, g, o), {}, 0};
        set_case_input(*v.session, prec, rng);
        for (int i = 0; i < 3; i++) v.session->run();
        vs.push_back(std::move(v));
      }
      for (int r = 0; r < rounds; r++)
        for (Variant& v : vs) {
          const double cpu0 = cpu_ms();
          for (int i = 0; i < runs; i++) {
            v.session->run();
            auto p = v.session->profile();
            v.gpu_ms.push_back(p.empty() ? 0 : p[0].second);
          }
          v.cpu_total += cpu_ms() - cpu0;
        }
      const Tensor& out = vs[0].session->output(0);
      const double macs = (double)out.elements() * c.k * c.k * (c.type == OpType::DepthwiseConv2D ? 1 : c.cin);
      const double base = median(vs[0].gpu_ms), base_cpu = vs[0].cpu_total;
      for (const Variant& v : vs) {
        const double t = median(v.gpu_ms);
        std::printf("%-30s %-8s %9.3f ms  %6.2f GFLOP/s  cpu %8.3f ms/run", c.name.c_str(), precision_name(v.prec), t,
                    2 * macs / (t * 1e6), v.cpu_total / (runs * rounds));
        if (v.prec != Precision::F32) std::printf("  / fp32: gpu x%.2f cpu x%.2f", t / base, v.cpu_total / base_cpu);
        std::printf("\n");
      }
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
