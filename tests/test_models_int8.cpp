// 8-bit models on the GPU: the quantized models of ../shared/data as they are (int8 per-tensor and per-channel,
// legacy uint8) against TensorFlow Lite itself (WASM, tests/tools/tflite) and the integer reference; models Tare
// quantized itself: export -> TFLite gives the same bytes as Tare's GPU session, and export -> re-import -> run
// gives the same outputs as the in-memory quantized model.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "calib/calibrate.h"
#include "engine/session.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "q8_harness.h"
#include "quant/quantizer.h"
#include "ref/int_reference.h"
#include "test_util.h"
#include "tflite_oracle.h"

using namespace tare;
using namespace tare::test;

namespace {

std::vector<std::vector<uint8_t>> random_inputs(const Graph& g, unsigned seed) {
  return random_raw_inputs(g, seed, 1.0f);
}

std::vector<std::vector<uint8_t>> run_gpu(const Graph& g, const std::vector<std::vector<uint8_t>>& in,
                                          bool packed = false) {
  // packed: 8-bit values in packed words even where the device has 8-bit storage (dot products as by default).
  Session s = q8_session(gpu(), g, {packed, Q8Dot::Default, packed ? "packed" : "default"});
  for (size_t i = 0; i < in.size(); i++) s.set_input_bytes(i, in[i].data(), in[i].size());
  s.run();
  std::vector<std::vector<uint8_t>> out(s.num_outputs());
  for (size_t i = 0; i < out.size(); i++) {
    out[i].resize(s.output(i).bytes());
    s.get_output_bytes(i, out[i].data(), out[i].size());
  }
  return out;
}

// Largest difference of two raw outputs in units of the output type (floats: relative to max |b|).
double max_diff(const Tensor& t, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  if (t.dtype == DType::F32) {
    std::vector<float> x(a.size() / 4), y(b.size() / 4);
    std::memcpy(x.data(), a.data(), a.size());
    std::memcpy(y.data(), b.data(), b.size());
    return max_rel_error(x, y);
  }
  for (size_t i = 0; i < a.size(); i++)
    m = std::max(m,
                 t.dtype == DType::U8 ? std::abs((double)a[i] - b[i]) : std::abs((double)(int8_t)a[i] - (int8_t)b[i]));
  return m;
}

// An existing quantized model: GPU (every 8-bit path) vs TFLite and vs the integer reference.
void check_quantized_model(const std::string& rel, int tol) {
  auto ctx = gpu();
  if (!ctx || !have_data("models/" + rel)) return;
  auto bytes = read_file(data_path("models/" + rel));
  Graph g = import_tflite(bytes.data(), bytes.size());
  for (unsigned seed : {1u, 2u}) {
    auto in = random_inputs(g, seed);
    auto want = ref::run_int(g, in);
    std::vector<std::vector<uint8_t>> tfl;
    if (tflite_available()) tfl = run_tflite(data_path("models/" + rel), in);
    for (bool packed : {false, true}) {
      auto got = run_gpu(g, in, packed);
      for (size_t i = 0; i < got.size(); i++) {
        const Tensor& t = g.tensors[g.outputs[i]];
        double d_ref = max_diff(t, got[i], want[i]);
        double d_tfl = tfl.empty() ? 0 : max_diff(t, got[i], tfl[i]);
        std::printf("int8 gpu %-40s seed %u %-6s output %zu: max diff vs TFLite %g, vs reference %g\n", rel.c_str(),
                    seed, packed ? "packed" : "s8", i, d_tfl, d_ref);
        CHECK(d_ref <= tol);
        CHECK(d_tfl <= tol);
      }
    }
  }
  check_validation();
}

}  // namespace

TEST_SUITE("models") {
  TEST_CASE("int8: tflm person_detect (int8 per-channel) vs TFLite") {
    check_quantized_model("tflm/person_detect_fixed.tflite", 0);
  }
  TEST_CASE("int8: tflm hello_world and micro_speech vs TFLite") {
    check_quantized_model("tflm/hello_world_int8.tflite", 0);
    check_quantized_model("tflm/micro_speech_quantized.tflite", 0);
  }
  TEST_CASE("int8: tf2_mobilenet_v2_1.0_224_ptq (TFLite's own PTQ) vs TFLite") {
    check_quantized_model("tf2_mobilenet_v2_1.0_224_ptq.tflite", 0);
  }
  // Legacy uint8 runs as int8 on the device (q - 128, zero point - 128): identical except that AVERAGE_POOL_2D's
  // rounding of exact halves can differ by one step, which TFLite's own kernels allow themselves.
  TEST_CASE("uint8: mobilenet_v1_0.25_224_quant (QAT) vs TFLite") {
    check_quantized_model("mobilenet_v1_0.25_224_quant.tflite", 1);
  }
  TEST_CASE("uint8: mobilenet_v2_1.0_224_quant (QAT) vs TFLite") {
    check_quantized_model("mobilenet_v2_1.0_224_quant.tflite", 0);
  }

  TEST_CASE("Tare-quantized MobileNet-v1: export runs in TFLite with the same bytes; re-import gives the same run") {
    auto ctx = gpu();
    if (!ctx) return;
    const std::vector<std::vector<float>> images = ref_inputs("mobilenet_v1_0.25_224.tflite");
    if (images.size() < 2) return;
    auto bytes = read_file(data_path("models/mobilenet_v1_0.25_224.tflite"));
    Graph g = import_tflite(bytes.data(), bytes.size());
    auto st = calib::calibrate(ctx, g, (uint32_t)images.size(), 2, fill_from(images), nullptr);
    for (bool per_channel : {false, true}) {
      for (DType io : {DType::I8, DType::F32}) {
        quant::QuantizeOptions o;
        o.per_channel = per_channel;
        o.input_type = o.output_type = io;
        Graph q = quant::quantize_graph(g, st, o, nullptr);
        auto file = export_tflite(q);
        Graph back = import_tflite(file.data(), file.size());
        std::string path = (std::filesystem::temp_directory_path() /
                            ("tare_q_" + std::to_string(per_channel) + std::to_string((int)io) + "_" +
                             std::to_string(::getpid()) + ".tflite"))
                               .string();
        {
          std::ofstream f(path, std::ios::binary);
          f.write(reinterpret_cast<const char*>(file.data()), (std::streamsize)file.size());
        }
        for (size_t k = 0; k < images.size(); k++) {
          std::vector<uint8_t> in(images[k].size() * 4);
          std::memcpy(in.data(), images[k].data(), in.size());
          if (io == DType::I8) {  // quantize the image to the input's parameters, as an app with int8 I/O would
            const Tensor& t = q.tensors[q.inputs[0]];
            std::vector<uint8_t> qi(images[k].size());
            for (size_t i = 0; i < qi.size(); i++)
              qi[i] = (uint8_t)(int8_t)std::max(-128.0f, std::min(127.0f, std::round(images[k][i] / t.quant.scale[0]) +
                                                                              (float)t.quant.zero_point[0]));
            in = qi;
          }
          auto mem = run_gpu(q, {in});
          auto reimported = run_gpu(back, {in});
          CHECK(mem == reimported);
          auto want = ref::run_int(q, {in});
          const Tensor& out = q.tensors[q.outputs[0]];
          CHECK(max_diff(out, mem[0], want[0]) == 0);
          if (tflite_available()) {
            auto tfl = run_tflite(path, {in});
            double d = max_diff(out, mem[0], tfl[0]);
            std::printf("Tare-quantized v1 (%s, %s I/O) image %zu: max diff vs TFLite %g\n",
                        per_channel ? "per-channel" : "per-tensor", io == DType::I8 ? "int8" : "float", k, d);
            CHECK(d == 0);
          }
        }
        std::filesystem::remove(path);
      }
    }
    check_validation();
  }
}
