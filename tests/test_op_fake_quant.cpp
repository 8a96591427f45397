// FAKE_QUANT (Tare's internal fake-quantization op): hand-computed values (ties, clamping, special values, the
// quotient rounded as QUANTIZE rounds it), the GPU vs the CPU reference bit for bit in fp32 on values placed at
// rounding ties, fp16 within a quantization step, parameter checks and the exporter's refusal.
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "model/tflite_export.h"
#include "op_harness.h"

namespace tare::test {

namespace {

OpParams fq(float scale, int zp, int qmin, int qmax) {
  OpParams p;
  p.fq_scale = scale;
  p.fq_zero_point = zp;
  p.fq_qmin = qmin;
  p.fq_qmax = qmax;
  return p;
}

Graph fq_graph(const std::vector<int>& shape, const OpParams& p) {
  GraphBuilder b;
  int x = b.input(shape);
  b.output(b.op(OpType::FakeQuant, {x}, shape, p));
  return b.g;
}

// Runs a one-input graph on the GPU (fp32); empty when there is no GPU.
std::vector<float> run_gpu(const Graph& g, const std::vector<float>& in) {
  auto ctx = gpu();
  if (!ctx) return {};
  Session s(ctx, g, SessionOptions{});
  s.set_input(0, in.data(), in.size());
  s.run();
  std::vector<float> out((size_t)g.tensors[g.outputs[0]].elements());
  s.get_output(0, out.data(), out.size());
  check_validation();
  return out;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op fake_quant: hand-computed values on the reference and the GPU") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    struct Case {
      OpParams p;
      std::vector<float> x, want;
    };
    std::vector<Case> cases;
    // scale 0.5 (exact halves: ties go away from zero), zero point 3, int8 range [-128, 127]: representable reals
    // are (q - 3) * 0.5 in [-65.5, 62].
    cases.push_back({fq(0.5f, 3, -128, 127),
                     {0.25f, -0.25f, 0.74f, 0.75f, -0.75f, 100.0f, -100.0f, 62.2f, 62.25f, -65.5f, -65.75f, 0.0f,
                      -0.0f, nan, inf, -inf, 1e-30f, -1e-42f},
                     {0.5f, -0.5f, 0.5f, 1.0f, -1.0f, 62.0f, -65.5f, 62.0f, 62.0f, -65.5f, -65.5f, 0.0f, 0.0f,
                      -65.5f, 62.0f, -65.5f, 0.0f, 0.0f}});
    // scale 0.1f (0.100000001490116...), zero point 0, uint8 range [0, 255].  The quotient is rounded as QUANTIZE
    // rounds it (TFLite divides in double: the exact quotient decides), not from a float32 quotient:
    // 0.25f / 0.1f = 2.49999996 -> 2 (a float32 division gives 2.5 -> 3); 0.35f -> 3.4999999 -> 3; 0.45f ->
    // 4.4999998 -> 4; 12.75f -> 127.4999981 -> 127; 2.55f -> 25.4999991 -> 25; 25.45f -> 254.5000038 -> 255;
    // 0.05f -> 0.5 exactly -> 1 (a tie, away from zero); 0.15f -> 1.50000004 -> 2; negatives clamp to 0, large
    // values to 255.
    const float s = 0.1f;
    cases.push_back({fq(s, 0, 0, 255),
                     {0.25f, 0.35f, 0.45f, 0.65f, 12.75f, 2.55f, 25.45f, 30.0f, -0.3f, 0.05f, 0.15f},
                     {2 * s, 3 * s, 4 * s, 6 * s, 127 * s, 25 * s, 255 * s, 255 * s, 0.0f, 1 * s, 2 * s}});
    // uint8 with zero point 128: -12.85f / 0.1f = -128.5000019 -> -129 -> q = -1 clamps to 0; -12.75f ->
    // -127.4999981 -> -127; 12.65f -> 126.4999943 -> 126; -0.05f -> -0.5 exactly -> -1.
    cases.push_back({fq(s, 128, 0, 255),
                     {-12.85f, -12.75f, 12.75f, 12.65f, -0.05f},
                     {-128 * s, -127 * s, 127 * s, 126 * s, -1 * s}});
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      const Case& c = cases[i];
      Graph g = fq_graph({(int)c.x.size()}, c.p);
      infer_shapes(g);
      std::vector<float> ref = ref::run(g, {c.x})[g.outputs[0]];
      for (size_t k = 0; k < c.x.size(); k++) {
        CAPTURE(k);
        CAPTURE(c.x[k]);
        CHECK(same_bits(ref[k], c.want[k]));
      }
      std::vector<float> got = run_gpu(g, c.x);
      if (got.empty()) continue;
      for (size_t k = 0; k < c.x.size(); k++) {
        CAPTURE(k);
        CAPTURE(c.x[k]);
        CHECK(same_bits(got[k], c.want[k]));
      }
    }
  }

  TEST_CASE("op fake_quant: GPU fp32 equals the reference bit for bit at rounding ties") {
    if (!gpu()) return;
    std::mt19937 rng(11);
    struct P {
      float scale;
      int zp, qmin, qmax;
    };
    const std::vector<P> params = {{0.0235294f, -128, -128, 127}, {0.1f, 0, 0, 255},       {0.0078125f, 0, -128, 127},
                                   {3.7e-5f, 17, -128, 127},      {0.6666667f, 200, 0, 255}, {1.3e-3f, -5, -128, 127},
                                   {47.5f, 0, -128, 127},         {0.0137f, 100, 0, 255}};
    const std::vector<std::vector<int>> shapes = {{2, 7, 5, 13}, {1, 3, 3, 8}, {37}, {3, 1001}};
    int64_t total = 0, at_tie = 0;
    for (size_t i = 0; i < params.size(); i++) {
      const P& p = params[i];
      const std::vector<int>& shape = shapes[i % shapes.size()];
      CAPTURE(p.scale);
      Graph g = fq_graph(shape, fq(p.scale, p.zp, p.qmin, p.qmax));
      infer_shapes(g);
      // Values at (k + 0.5) * scale (computed in float: near ties, some exactly on one), nudged by -2..2 ulps, over
      // and beyond the range.
      const int64_t n = g.tensors[g.inputs[0]].elements();
      std::uniform_int_distribution<int> k(p.qmin - p.zp - 10, p.qmax - p.zp + 10);
      std::uniform_int_distribution<int> nudge(-2, 2);
      std::vector<float> x((size_t)n);
      for (auto& v : x) {
        v = ((float)k(rng) + 0.5f) * p.scale;
        int u = nudge(rng);
        for (; u > 0; u--) v = std::nextafter(v, std::numeric_limits<float>::infinity());
        for (; u < 0; u++) v = std::nextafter(v, -std::numeric_limits<float>::infinity());
      }
      std::vector<float> want = ref::run(g, {x})[g.outputs[0]];
      std::vector<float> got = run_gpu(g, x);
      REQUIRE(got.size() == want.size());
      int bad = 0;
      for (size_t e = 0; e < got.size(); e++) {
        if (!same_bits(got[e], want[e])) {
          if (bad++ < 5) MESSAGE("x " << x[e] << ": GPU " << got[e] << " reference " << want[e]);
        }
        const double q = (double)x[e] / p.scale;
        if (q - std::trunc(q) == 0.5 || q - std::trunc(q) == -0.5) at_tie++;
      }
      total += (int64_t)got.size();
      CHECK(bad == 0);
    }
    MESSAGE("fake_quant fp32: " << total << " values bit-exact, " << at_tie << " of them exactly at a tie");
  }

  TEST_CASE("op fake_quant: fp16 within a quantization step") {
    const float scale = 4.0f / 255;
    last_max_rel_error = 0;
    for (const auto& shape : std::vector<std::vector<int>>{{1, 9, 9, 7}, {2, 3, 4, 16}, {1001}}) {
      CAPTURE(shape.back());
      // Inputs in [-2, 2] (the harness), range about [-2, 2]: one step is 1/127.5 of max |ref| (~0.0079).
      if (!check_gpu_vs_ref(fq_graph(shape, fq(scale, -1, -128, 127)), 0.012, true)) return;
    }
    MESSAGE("fake_quant fp16: max relative error " << last_max_rel_error);
  }

  TEST_CASE("op fake_quant: invalid parameters are rejected; the exporter refuses it") {
    for (const OpParams& p : {fq(0.0f, 0, -128, 127), fq(-1.0f, 0, -128, 127), fq(1e-40f, 0, -128, 127),
                              fq(NAN, 0, -128, 127), fq(0.1f, 200, -128, 127), fq(0.1f, 0, 5, 4)}) {
      Graph g = fq_graph({4}, p);
      try {
        infer_shapes(g);
        FAIL("accepted invalid FAKE_QUANT parameters");
      } catch (const Error& e) {
        CHECK(e.status() == TARE_ERROR_INVALID_MODEL);
      }
      try {
        ref::run(g, {{1, 2, 3, 4}});
        FAIL("the reference accepted invalid FAKE_QUANT parameters");
      } catch (const Error& e) {
        CHECK(e.status() == TARE_ERROR_INVALID_MODEL);
      }
    }
    Graph g = fq_graph({1, 4}, fq(0.5f, 0, -128, 127));
    infer_shapes(g);
    try {
      export_tflite(g);
      FAIL("exported a FAKE_QUANT operator");
    } catch (const Error& e) {
      CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
      CHECK(std::string(e.what()).find("FAKE_QUANT") != std::string::npos);
    }
    CHECK(std::string(op_name(OpType::FakeQuant)) == "FAKE_QUANT");
  }
}

}  // namespace tare::test
