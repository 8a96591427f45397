// The TFLite oracle (tests/tflite_oracle.h, tests/tools/tflite/run_tflite.mjs) against TFLite's stored outputs.
#include <cstring>

#include "test_util.h"
#include "tflite_oracle.h"

using namespace tare::test;

namespace {

std::vector<float> as_floats(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

}  // namespace

TEST_SUITE("tflite") {
  TEST_CASE("oracle: float MobileNet-v1 0.25 reproduces the stored TFLite reference") {
    const std::string model = "models/mobilenet_v1_0.25_224.tflite";
    const std::string in = "ref/mobilenet_v1_0.25_224/in_img0.bin";
    const std::string ref = "ref/mobilenet_v1_0.25_224/out_img0.0.bin";
    if (!have_data(model) || !have_data(in) || !have_data(ref) || !tflite_available()) return;
    const std::vector<float> expect = read_floats(data_path(ref));
    // The stored references were made with XNNPACK on: the same build with XNNPACK reproduces them exactly.
    TfliteOptions xnn;
    xnn.xnnpack = true;
    TfliteRun on = run_tflite_full(data_path(model), {read_file(data_path(in))}, xnn);
    REQUIRE_MESSAGE(on.ok, on.log);
    REQUIRE(on.outputs.size() == 1);
    const std::vector<float> got_on = as_floats(on.outputs[0]);
    REQUIRE(got_on.size() == expect.size());
    const double err_on = max_rel_error(got_on, expect);
    MESSAGE("XNNPACK on: max |diff| / max |ref| = " << err_on);
    CHECK(err_on <= 1e-5);
    CHECK(on.json.find("\"xnnpack_nodes\": 0") == std::string::npos);  // XNNPACK did take nodes
    // Default: XNNPACK off (TFLite's builtin kernels), so every node runs in TFLite's own kernels.
    TfliteRun off = run_tflite_full(data_path(model), {read_file(data_path(in))});
    REQUIRE_MESSAGE(off.ok, off.log);
    REQUIRE(off.outputs.size() == 1);
    const std::vector<float> got_off = as_floats(off.outputs[0]);
    const double err_off = max_rel_error(got_off, expect);
    MESSAGE("XNNPACK off: max |diff| / max |ref| = " << err_off);
    CHECK(err_off <= 1e-5);
    CHECK(argmax(got_off) == argmax(expect));
    CHECK(off.json.find("\"xnnpack_nodes\": 0") != std::string::npos);
    CHECK(off.json.find("\"MobilenetV1/Predictions/Reshape_1\"") != std::string::npos);
  }

  TEST_CASE("oracle: int8 person_detect runs with int8 input and output") {
    const std::string model = "models/tflm/person_detect_fixed.tflite";
    if (!have_data(model) || !tflite_available()) return;
    std::vector<uint8_t> img(96 * 96);
    for (size_t i = 0; i < img.size(); i++) img[i] = (uint8_t)(i * 7 + (i / 96) * 13);
    TfliteRun run = run_tflite_full(data_path(model), {img});
    REQUIRE_MESSAGE(run.ok, run.log);
    REQUIRE(run.outputs.size() == 1);
    CHECK(run.outputs[0].size() == 2);  // [1,2] int8
    CHECK(run.json.find("\"dtype\": \"int8\"") != std::string::npos);
    CHECK(run.json.find("\"xnnpack_nodes\": 0") != std::string::npos);
    // Deterministic.
    CHECK(run_tflite(data_path(model), {img}) == run.outputs);
  }

  TEST_CASE("oracle: an input of the wrong size is an error") {
    const std::string model = "models/tflm/person_detect_fixed.tflite";
    if (!have_data(model) || !tflite_available()) return;
    TfliteRun run = run_tflite_full(data_path(model), {std::vector<uint8_t>(100)});
    CHECK_FALSE(run.ok);
    CHECK(run.log.find("needs 9216 bytes") != std::string::npos);
    TfliteRun none = run_tflite_full(data_path(model), {});
    CHECK_FALSE(none.ok);
  }
}
