// Whole models on the GPU against TensorFlow Lite's own outputs (../shared/data/ref): fp32 within
// 1e-4 x max|reference| and the same top-1; fp16 reported and held to the same top-1 on the image cases.
#include <chrono>
#include <cstdio>

#include "engine/session.h"
#include "model/tflite_import.h"
#include "test_util.h"

using namespace tare;
using namespace tare::test;

namespace {

void check_model(const std::string& model, bool fp16) {
  auto ctx = gpu();
  if (!ctx) return;
  if (fp16 && !(ctx->caps().fp16_arithmetic && ctx->caps().fp16_storage)) return;
  auto cases = ref_cases(model);
  if (cases.empty()) return;
  auto file = read_file(data_path("models/" + model));
  Graph g = import_tflite(file.data(), file.size());
  SessionOptions o;
  o.fp16 = fp16;
  auto t0 = std::chrono::steady_clock::now();
  Session s(ctx, g, o);
  double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (const RefCase& c : cases) {
    INFO(model << " case " << c.name << (fp16 ? " fp16" : " fp32"));
    auto input = read_floats(data_path("ref/" + c.input_file));
    s.set_input(0, input.data(), input.size());
    auto t1 = std::chrono::steady_clock::now();
    s.run();
    double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    REQUIRE(c.outputs.size() == s.num_outputs());
    for (size_t i = 0; i < c.outputs.size(); i++) {
      size_t gi = i;
      for (size_t j = 0; j < s.num_outputs(); j++)
        if (s.output(j).name == c.outputs[i].name) gi = j;
      auto want = read_floats(data_path("ref/" + c.outputs[i].file));
      std::vector<float> got((size_t)s.output(gi).elements());
      REQUIRE(got.size() == want.size());
      s.get_output(gi, got.data(), got.size());
      double rel = max_rel_error(got, want);
      std::printf("gpu %s %-36s %-8s %-26s max|err| %.3g (rel %.3g) build %.0f ms run %.1f ms\n",
                  fp16 ? "fp16" : "fp32", model.c_str(), c.name.c_str(), c.outputs[i].name.c_str(),
                  max_abs_error(got, want), rel, build_ms, run_ms);
      bool image = c.name.rfind("img", 0) == 0;
      if (!fp16) {
        CHECK(rel <= 1e-4);
        if (c.kind.rfind("classifier", 0) == 0) CHECK(argmax(got) == argmax(want));
      } else {
        CHECK(rel <= 0.1);
        if (image && c.kind.rfind("classifier", 0) == 0) CHECK(argmax(got) == argmax(want));
      }
    }
  }
  check_validation();
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("mobilenet_v1_0.25_224 vs TFLite") { check_model("mobilenet_v1_0.25_224.tflite", false); }
  TEST_CASE("mobilenet_v2_1.0_224_float vs TFLite") { check_model("mobilenet_v2_1.0_224_float.tflite", false); }
  TEST_CASE("mobilenet_v2_1.0_224_qat_float vs TFLite") { check_model("mobilenet_v2_1.0_224_qat_float.tflite", false); }
  TEST_CASE("face_detection_short_range vs TFLite") { check_model("face_detection_short_range.tflite", false); }
  TEST_CASE("fp16: mobilenet_v1_0.25_224") { check_model("mobilenet_v1_0.25_224.tflite", true); }
  TEST_CASE("fp16: mobilenet_v2_1.0_224_float") { check_model("mobilenet_v2_1.0_224_float.tflite", true); }
  TEST_CASE("fp16: face_detection_short_range") { check_model("face_detection_short_range.tflite", true); }

  TEST_CASE("batch 2 session matches two batch-1 runs") {
    auto ctx = gpu();
    if (!ctx) return;
    auto cases = ref_cases("mobilenet_v1_0.25_224.tflite");
    if (cases.size() < 2) return;
    auto file = read_file(data_path("models/mobilenet_v1_0.25_224.tflite"));
    Graph g = import_tflite(file.data(), file.size());
    SessionOptions o;
    o.batch = 2;
    Session s(ctx, g, o);
    auto a = read_floats(data_path("ref/" + cases[0].input_file));
    auto b = read_floats(data_path("ref/" + cases[1].input_file));
    std::vector<float> in(a);
    in.insert(in.end(), b.begin(), b.end());
    s.set_input(0, in.data(), in.size());
    s.run();
    std::vector<float> out((size_t)s.output(0).elements());
    REQUIRE(out.size() == 2 * 1001);
    s.get_output(0, out.data(), out.size());
    auto wa = read_floats(data_path("ref/" + cases[0].outputs[0].file));
    auto wb = read_floats(data_path("ref/" + cases[1].outputs[0].file));
    std::vector<float> oa(out.begin(), out.begin() + 1001), ob(out.begin() + 1001, out.end());
    CHECK(max_rel_error(oa, wa) <= 1e-4);
    CHECK(max_rel_error(ob, wb) <= 1e-4);
    check_validation();
  }
}
