// QUANTIZE (float -> int8 / uint8 and 8-bit requantization) on every GPU path vs the integer reference
// (bit-exact), plus hand-checked rounding of halfway and special values.
#include <cmath>
#include <limits>

#include "q8_harness.h"

namespace tare::test {

namespace {

Graph quantize_graph(std::vector<int> shape, DType in_dtype, float si, int zi, DType out_dtype, float so, int zo) {
  Q8Builder b;
  int x = in_dtype == DType::F32 ? b.input(shape) : b.q8_input(shape, si, zi, in_dtype);
  int o = b.op(OpType::Quantize, {x}, shape);
  Tensor& t = b.g.tensors[o];
  t.dtype = out_dtype;
  t.quant.scale = {so};
  t.quant.zero_point = {zo};
  b.output(o);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 QUANTIZE float -> 8-bit matches the integer reference bit-exactly") {
    struct Case {
      std::vector<int> shape;
      DType dtype;
      float scale;
      int zp;
    };
    const std::vector<Case> cases = {
        {{1, 7, 7, 3}, DType::I8, 0.0078125f, 0}, {{2, 5, 3, 13}, DType::I8, 0.023f, -7},
        {{1, 9, 9, 33}, DType::U8, 0.0117f, 128}, {{3, 17}, DType::U8, 0.1f, 3},
        {{1, 4, 4, 5}, DType::I8, 0.3f, 100},     {{11}, DType::I8, 1e-5f, 0},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      const auto& c = cases[i];
      if (!check_q8_gpu_vs_ref(quantize_graph(c.shape, DType::F32, 0, 0, c.dtype, c.scale, c.zp), 0)) return;
    }
  }

  TEST_CASE("q8 QUANTIZE rounds halfway and special values as TFLite") {
    auto ctx = gpu();
    if (!ctx) return;
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // scale 0.1: x / 0.1f is an inexact float32 division; scale 0.5: exact halves (ties round away from zero).
    const std::vector<float> x = {0.05f,   -0.05f, 0.15f, -0.25f, 0.35f,  1e-30f,  -1e-42f,   12.7f, 12.75f,
                                  -12.85f, 1e9f,   -1e9f, inf,    -inf,   nan,     0.0f,      -0.0f, 0.65f,
                                  0.25f,   -0.75f, 1.25f, -1.25f, 63.25f, -63.75f, 0.2500001f};
    for (float scale : {0.1f, 0.5f}) {
      CAPTURE(scale);
      Graph g = quantize_graph({(int)x.size()}, DType::F32, 0, 0, DType::I8, scale, 0);
      infer_shapes(g);
      std::vector<uint8_t> in(x.size() * 4);
      std::memcpy(in.data(), x.data(), in.size());
      auto want = ref::run_int(g, {in});
      // Hand-checked: std::round(x / scale) in double (TFLite's AffineQuantize), half away from zero, clamped.
      std::vector<int> expect;
      for (float v : x) {
        double r = std::round((double)v / (double)scale);
        expect.push_back(std::isnan(r) ? -128 : (int)std::max(-128.0, std::min(127.0, r)));
      }
      for (size_t i = 0; i < x.size(); i++) CHECK((int)(int8_t)want[0][i] == expect[i]);
      for (const Q8Path& path : q8_paths(*ctx)) {
        INFO("GPU path " << path.name);
        Session s = q8_session(ctx, g, path);
        s.set_input_bytes(0, in.data(), in.size());
        s.run();
        std::vector<uint8_t> got(x.size());
        s.get_output_bytes(0, got.data(), got.size());
        for (size_t i = 0; i < x.size(); i++) {
          CAPTURE(i);
          CHECK((int)(int8_t)got[i] == expect[i]);
        }
      }
    }
    check_validation();
  }

  TEST_CASE("q8 QUANTIZE is exact at rounding boundaries (exact quotient, as TFLite's double division)") {
    // Values within a few ulps of (k + 0.5) * scale: any inexact division, float32 included, changes the result.
    for (float scale : {0.1f, 0.0117f, 0.3f, 0.0078125f, 1.7e-3f}) {
      CAPTURE(scale);
      std::vector<float> x;
      for (int k = -130; k <= 130; k++) {
        float b = (float)((k + 0.5) * (double)scale);
        float lo = b, hi = b;
        for (int u = 0; u < 3; u++) {
          lo = std::nextafter(lo, -1e30f);
          hi = std::nextafter(hi, 1e30f);
        }
        for (float v = lo; v <= hi; v = std::nextafter(v, 1e30f)) x.push_back(v);
      }
      Graph g = quantize_graph({(int)x.size()}, DType::F32, 0, 0, DType::I8, scale, -1);
      infer_shapes(g);
      std::vector<uint8_t> in(x.size() * 4);
      std::memcpy(in.data(), x.data(), in.size());
      auto want = ref::run_int(g, {in});
      auto ctx = gpu();
      if (!ctx) return;
      Session s(ctx, g, SessionOptions{});
      s.set_input_bytes(0, in.data(), in.size());
      s.run();
      std::vector<uint8_t> got(x.size());
      s.get_output_bytes(0, got.data(), got.size());
      size_t bad = 0, bad_ref = 0, float_div_differs = 0;
      for (size_t i = 0; i < x.size(); i++) {
        bad += got[i] != want[0][i];
        double r = std::max(-128.0, std::min(127.0, std::round((double)x[i] / (double)scale) - 1));
        bad_ref += (int)(int8_t)want[0][i] != (int)r;
        float_div_differs += std::round(x[i] / scale) != std::round((double)x[i] / (double)scale);
      }
      CHECK_MESSAGE(bad == 0, bad << " of " << x.size() << " values differ");
      CHECK(bad_ref == 0);
      MESSAGE("scale " << scale << ": float32 division would round " << float_div_differs << " of " << x.size()
                       << " values differently");
    }
    check_validation();
  }

  TEST_CASE("q8 QUANTIZE / DEQUANTIZE in an fp16 session") {
    auto ctx = gpu();
    if (!ctx) return;
    if (!(ctx->caps().fp16_arithmetic && ctx->caps().fp16_storage)) {
      MESSAGE("device has no fp16: skipped");
      return;
    }
    // float16 input values (multiples of 1/64 in [-4, 4]) are exact, so QUANTIZE is bit-exact; DEQUANTIZE's
    // outputs are the float32 results rounded to float16.
    Q8Builder b;
    int x = b.input({2, 3, 5, 7});
    int q = b.op(OpType::Quantize, {x}, {2, 3, 5, 7});
    b.g.tensors[q].dtype = DType::I8;
    b.g.tensors[q].quant.scale = {0.03f};
    b.g.tensors[q].quant.zero_point = {-5};
    int d = b.op(OpType::Dequantize, {q}, {2, 3, 5, 7});
    b.output(q);
    b.output(d);
    Graph g = b.g;
    infer_shapes(g);
    std::vector<float> v(210);
    for (size_t i = 0; i < v.size(); i++) v[i] = (float)((int)((i * 37) % 513) - 256) / 64.0f;
    std::vector<uint8_t> in(v.size() * 4);
    std::memcpy(in.data(), v.data(), in.size());
    auto want = ref::run_int(g, {in});
    SessionOptions o;
    o.fp16 = true;
    Session s(ctx, g, o);
    s.set_input(0, v.data(), v.size());
    s.run();
    std::vector<uint8_t> got_q(v.size());
    s.get_output_bytes(0, got_q.data(), got_q.size());
    CHECK(got_q == want[0]);
    std::vector<float> got_d(v.size()), want_d(v.size());
    s.get_output(1, got_d.data(), got_d.size());
    std::memcpy(want_d.data(), want[1].data(), want[1].size());
    CHECK(max_rel_error(got_d, want_d) <= 1e-3);
    check_validation();
  }

  TEST_CASE("q8 QUANTIZE 8-bit -> 8-bit requantization matches the integer reference bit-exactly") {
    struct Case {
      std::vector<int> shape;
      DType in_dtype;
      float si;
      int zi;
      DType out_dtype;
      float so;
      int zo;
    };
    const std::vector<Case> cases = {
        {{1, 7, 7, 13}, DType::U8, 0.02f, 128, DType::I8, 0.02f, 0},  // uint8 -> int8, same scale
        {{2, 3, 5, 6}, DType::I8, 0.02f, -3, DType::I8, 0.05f, 10},   // multiplier < 1
        {{1, 3, 3, 33}, DType::I8, 0.05f, 7, DType::U8, 0.01f, 100},  // multiplier > 1
        {{9, 5}, DType::U8, 0.1f, 0, DType::U8, 0.3f, 255},
    };
    for (size_t i = 0; i < cases.size(); i++) {
      CAPTURE(i);
      const auto& c = cases[i];
      if (!check_q8_gpu_vs_ref(quantize_graph(c.shape, c.in_dtype, c.si, c.zi, c.out_dtype, c.so, c.zo), 0)) return;
    }
  }
}

}  // namespace tare::test
