// IBC's validation guard (src/calib/ibc_guard.h): the rule, and the guard's decisions on constructed cases, its
// errors checked against the CPU references: the float one running the float graph, the integer one running the
// quantized graph (the exported model's arithmetic).
#include <cmath>

#include <cstring>
#include "calib/ibc_guard.h"
#include "calib_harness.h"
#include "common/error.h"

#include "ref/int_reference.h"
#include "ref/reference.h"

using namespace tare;
using namespace tare::test;

namespace {

// One 3x3 convolution without activation (its output is the model's): e = dW x + rounding, so IBC's bias shift is
// -dW E_ibc(x), which is right for inputs with IBC's mean and wrong (twice the error's mean) for inputs with the
// opposite mean.  Channel 0's weights are 5x larger: coarse per-tensor steps, a large dW for the others.
Graph linear_net(std::mt19937& rng) {
  GraphBuilder b;
  b.rng = rng;
  const int x = b.input({1, 9, 9, 4});
  std::vector<float> w = b.random_values(5 * 3 * 3 * 4, -0.3f, 0.3f);
  for (int k = 0; k < 36; k++) w[(size_t)k] *= 5.0f;
  OpParams p;
  p.padding = Padding::Valid;
  b.output(
      b.op(OpType::Conv2D, {x, b.constant({5, 3, 3, 4}, w), b.random_constant({5}, -0.2f, 0.2f)}, {1, 7, 7, 5}, p));
  infer_shapes(b.g);
  return b.g;
}

// The CPU references' squared error of `quantized` (float32 input and outputs) against `float_graph` per output over
// images [first, first + count), and the float outputs' energy.
struct CpuOutputs {
  std::vector<double> err, signal;
};
CpuOutputs cpu_outputs(const Graph& float_graph, const Graph& quantized, const Images& im, size_t first, size_t count) {
  CpuOutputs r;
  r.err.assign(float_graph.outputs.size(), 0);
  r.signal.assign(float_graph.outputs.size(), 0);
  for (size_t i = first; i < first + count; i++) {
    ref::Values vf = ref::run(float_graph, {im[i]});
    std::vector<uint8_t> raw(im[i].size() * 4);
    std::memcpy(raw.data(), im[i].data(), raw.size());
    const std::vector<std::vector<uint8_t>> vq = ref::run_int(quantized, {raw});
    for (size_t k = 0; k < float_graph.outputs.size(); k++) {
      const std::vector<float>& x = vf[(size_t)float_graph.outputs[k]];
      std::vector<float> q(vq[k].size() / 4);
      REQUIRE(q.size() == x.size());
      std::memcpy(q.data(), vq[k].data(), vq[k].size());
      for (size_t j = 0; j < x.size(); j++) {
        r.err[k] += ((double)q[j] - x[j]) * ((double)q[j] - x[j]);
        r.signal[k] += (double)x[j] * x[j];
      }
    }
  }
  return r;
}

// Images whose values are uniform in [lo, hi].
Images shifted(int count, float lo, float hi, std::mt19937& rng) {
  return random_images(count, 9 * 9 * 4, rng, lo, hi);
}

bool same_constants(const Graph& a, const Graph& b) {
  if (a.tensors.size() != b.tensors.size()) return false;
  for (size_t t = 0; t < a.tensors.size(); t++)
    if (a.tensors[t].data != b.tensors[t].data) return false;
  return true;
}

}  // namespace

TEST_SUITE("calib") {
  TEST_CASE("IBC guard rule: the mean over outputs of the SQNR gain; a large head cannot hide a worse small one") {
    calib::IbcGuardReport r;
    // A large output 3 dB better with IBC and a small one 6 dB worse: the summed error favours IBC (1000 -> 500
    // against 1 -> 4), the mean gain (3 - 6) / 2 = -1.5 dB rejects it.
    r.outputs = {{"boxes", 1e6, 1000, 500}, {"scores", 10, 1, 4}};
    calib::decide(r);
    CHECK(r.mean_gain_db == doctest::Approx((10 * std::log10(2.0) - 10 * std::log10(4.0)) / 2));
    CHECK(r.kept_basic);
    r.outputs[1].err_ibc = 1.9;  // -2.79 dB: mean > 0
    calib::decide(r);
    CHECK(!r.kept_basic);
    r.outputs = {{"equal", 1, 2, 2}};  // no change: IBC kept (>= 0)
    calib::decide(r);
    CHECK((r.mean_gain_db == 0 && !r.kept_basic));
    r.outputs = {{"exact", 1, 0, 0}};
    calib::decide(r);
    CHECK(!r.kept_basic);
    r.outputs = {{"a", 1, 0, 1}, {"b", 1, 1, 0}};  // -inf and +inf: NaN, rejected
    calib::decide(r);
    CHECK(r.kept_basic);
    r.outputs.clear();
    CHECK_THROWS_AS(calib::decide(r), tare::Error);
  }

  TEST_CASE("IBC guard: validation inputs unlike IBC's, IBC worsens the output, the basic biases come back exactly") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(41);
    const Graph g = linear_net(rng);
    // Calibrated on both distributions (no clipping); IBC on 8 images with mean 0.75, validation on 8 with mean
    // -0.75.
    Images calib_a = shifted(8, 0.5f, 1.0f, rng), calib_b = shifted(8, -1.0f, -0.5f, rng);
    Images cal = calib_a;
    cal.insert(cal.end(), calib_b.begin(), calib_b.end());
    const Graph q = quantize(ctx, g, cal);
    Images im = shifted(8, 0.5f, 1.0f, rng), val = shifted(8, -1.0f, -0.5f, rng);
    im.insert(im.end(), val.begin(), val.end());
    calib::IbcGuardOptions go;
    go.validation_images = 8;
    calib::GuardedIbcResult r = calib::guarded_bias_correction(ctx, g, q, 16, from(im), {}, go);
    const calib::IbcResult plain = calib::iterative_bias_correction(ctx, g, q, 8, from(im), {});
    // The construction: on the CPU reference IBC's biases are worse on the validation images.
    const CpuOutputs basic = cpu_outputs(g, q, im, 8, 8), ibc = cpu_outputs(g, plain.corrected, im, 8, 8);
    const double cpu_gain = 10 * std::log10(basic.err[0] / ibc.err[0]);
    MESSAGE("validation SQNR gain of IBC, CPU reference: " << cpu_gain << " dB; guard: " << r.guard.mean_gain_db);
    REQUIRE(cpu_gain < -1.0);
    CHECK(r.guard.images == 8);
    REQUIRE(r.guard.outputs.size() == 1);
    CHECK(r.guard.outputs[0].err_basic == doctest::Approx(basic.err[0]).epsilon(1e-4));
    CHECK(r.guard.outputs[0].err_ibc == doctest::Approx(ibc.err[0]).epsilon(1e-4));
    CHECK(r.guard.outputs[0].signal == doctest::Approx(basic.signal[0]).epsilon(1e-4));
    CHECK(r.guard.kept_basic);
    CHECK(same_constants(r.ibc.corrected, q));  // the basic model, bit for bit
    CHECK(r.ibc.corrected.ops.size() == q.ops.size());
    CHECK(r.ibc.layers == 1);  // IBC itself ran (on the first 8 images)
    CHECK(r.guard.wall_ms > 0);
    check_validation();
  }

  TEST_CASE("IBC guard: validation inputs like IBC's, IBC helps and its biases are kept, equal to unguarded IBC") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(41);
    const Graph g = linear_net(rng);
    Images cal = shifted(16, 0.5f, 1.0f, rng);
    const Graph q = quantize(ctx, g, cal);
    Images im = shifted(16, 0.5f, 1.0f, rng);
    calib::IbcGuardOptions go;
    go.validation_images = 8;
    calib::GuardedIbcResult r = calib::guarded_bias_correction(ctx, g, q, 16, from(im), {}, go);
    const calib::IbcResult plain = calib::iterative_bias_correction(ctx, g, q, 8, from(im), {});
    const CpuOutputs basic = cpu_outputs(g, q, im, 8, 8), ibc = cpu_outputs(g, plain.corrected, im, 8, 8);
    const double cpu_gain = 10 * std::log10(basic.err[0] / ibc.err[0]);
    MESSAGE("validation SQNR gain of IBC, CPU reference: " << cpu_gain << " dB; guard: " << r.guard.mean_gain_db);
    REQUIRE(cpu_gain > 1.0);
    CHECK(r.guard.outputs[0].err_basic == doctest::Approx(basic.err[0]).epsilon(1e-4));
    CHECK(r.guard.outputs[0].err_ibc == doctest::Approx(ibc.err[0]).epsilon(1e-4));
    CHECK(!r.guard.kept_basic);
    CHECK(same_constants(r.ibc.corrected, plain.corrected));
    CHECK(!same_constants(r.ibc.corrected, q));
    // Automatic split (-1): 16 images hold out 16 / 8 = 4 at least 4: IBC on 12.
    calib::GuardedIbcResult a = calib::guarded_bias_correction(ctx, g, q, 16, from(im), {}, {});
    CHECK(a.guard.images == 4);
    CHECK(a.ibc.diagnostics.images == 12);
    const calib::IbcResult twelve = calib::iterative_bias_correction(ctx, g, q, 12, from(im), {});
    CHECK(same_constants(a.ibc.corrected, a.guard.kept_basic ? q : twelve.corrected));
    // Fewer than 8 images: the automatic split holds none out, the guard does not run.
    calib::GuardedIbcResult few = calib::guarded_bias_correction(ctx, g, q, 6, from(im), {}, {});
    CHECK(few.guard.images == 0);
    CHECK(same_constants(few.ibc.corrected, calib::iterative_bias_correction(ctx, g, q, 6, from(im), {}).corrected));
    check_validation();
  }

  TEST_CASE("IBC guard off: IBC on every image, the unguarded result") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(41);
    const Graph g = linear_net(rng);
    Images im = shifted(16, 0.5f, 1.0f, rng);
    const Graph q = quantize(ctx, g, im);
    calib::IbcGuardOptions off;
    off.enabled = false;
    calib::GuardedIbcResult r = calib::guarded_bias_correction(ctx, g, q, 16, from(im), {}, off);
    CHECK(r.guard.images == 0);
    CHECK(!r.guard.kept_basic);
    CHECK(same_constants(r.ibc.corrected, calib::iterative_bias_correction(ctx, g, q, 16, from(im), {}).corrected));
    calib::IbcGuardOptions none;
    none.validation_images = 0;  // no validation image: the same
    CHECK(same_constants(calib::guarded_bias_correction(ctx, g, q, 16, from(im), {}, none).ibc.corrected,
                         r.ibc.corrected));
    check_validation();
  }

  TEST_CASE("IBC guard: clear errors for bad arguments") {
    auto ctx = gpu();
    if (!ctx) return;
    std::mt19937 rng(42);
    const Graph g = linear_net(rng);
    Images im = shifted(8, 0.5f, 1.0f, rng);
    const Graph q = quantize(ctx, g, im);
    auto status = [&](auto&& call) {
      try {
        call();
      } catch (const tare::Error& e) {
        MESSAGE(std::string(e.what()));
        return e.status();
      }
      return TARE_OK;
    };
    calib::IbcGuardOptions all;
    all.validation_images = 8;  // leaves none for IBC
    CHECK(status([&] { calib::guarded_bias_correction(ctx, g, q, 8, from(im), {}, all); }) ==
          TARE_ERROR_INVALID_ARGUMENT);
    calib::IbcGuardOptions negative;
    negative.validation_images = -2;
    CHECK(status([&] { calib::guarded_bias_correction(ctx, g, q, 8, from(im), {}, negative); }) ==
          TARE_ERROR_INVALID_ARGUMENT);
    CHECK(status([&] { calib::compare_biases(ctx, g, q, q, 0, from(im), 4); }) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(status([&] { calib::compare_biases(ctx, g, q, q, 4, from(im), 0); }) == TARE_ERROR_INVALID_ARGUMENT);
    // A quantized model of another network (other output shape).
    GraphBuilder b;
    b.rng = rng;
    const int x = b.input({1, 9, 9, 4});
    OpParams p;
    p.padding = Padding::Same;
    b.output(b.op(OpType::Conv2D, {x, b.random_constant({5, 3, 3, 4}, -0.3f, 0.3f), b.random_constant({5}, 0, 0.1f)},
                  {1, 9, 9, 5}, p));
    infer_shapes(b.g);
    const Graph other = quantize(ctx, b.g, im);
    CHECK(status([&] { calib::compare_biases(ctx, g, q, other, 4, from(im), 4); }) == TARE_ERROR_INVALID_ARGUMENT);
    check_validation();
  }
}
