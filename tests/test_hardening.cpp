// Hardening regressions (issue 13): inputs an attacker or a careless caller could give, each refused with a clear
// status or handled, checked against references (ref::run, the constants' own data, TFLite's stored outputs).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/session.h"
#include "fuzz/fuzz_targets.h"
#include "model/graph.h"
#include "model/tflite_import.h"
#include "ref/reference.h"
#include "test_util.h"

namespace tare {
namespace {

using test::gpu;

int add_tensor(Graph& g, const std::string& name, std::vector<int> shape, DType dtype = DType::F32) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.dtype = dtype;
  g.tensors.push_back(t);
  return (int)g.tensors.size() - 1;
}

// x -> ADD(x, x) -> y, both of `shape`.
Graph doubling_graph(const std::vector<int>& shape) {
  Graph g;
  const int x = add_tensor(g, "x", shape), y = add_tensor(g, "y", shape);
  g.ops.push_back(Op{OpType::Add, {x, x}, {y}, {}, 0});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

std::vector<float> ramp(size_t n, float step, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = start + step * (float)(i % 97);
  return v;
}

std::vector<float> run_float(Session& s, const std::vector<float>& in, size_t out = 0) {
  s.set_input(0, in.data(), in.size());
  s.run();
  std::vector<float> got((size_t)s.output(out).elements());
  s.get_output(out, got.data(), got.size());
  return got;
}

// The files of tests/fuzz/SUBDIR, sorted.
std::vector<std::filesystem::path> fuzz_files(const std::string& subdir) {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path dir = std::filesystem::path(TARE_SOURCE_DIR) / "tests" / "fuzz" / subdir;
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

tare_status session_status(std::shared_ptr<vk::Context> ctx, const Graph& g, const SessionOptions& o,
                           std::string* message) {
  try {
    Session s(ctx, g, o);
    return TARE_OK;
  } catch (const Error& e) {
    *message = e.what();
    return e.status();
  }
}

}  // namespace

TEST_SUITE("hardening") {
  TEST_CASE("fuzz seeds load, compile and run; every fuzz finding is now a clean error (tests/fuzz)") {
    auto ctx = gpu();
    const auto seeds = fuzz_files("corpus/model");
    CHECK(seeds.size() >= 3);
    for (const auto& f : seeds) {
      CAPTURE(f.string());
      const std::vector<uint8_t> bytes = test::read_file(f.string());
      CHECK(fuzz::model_one(bytes.data(), bytes.size(), ctx) == TARE_OK);
    }
    int findings = 0;
    for (const auto& f : fuzz_files("regressions/model")) {
      CAPTURE(f.string());
      const std::vector<uint8_t> bytes = test::read_file(f.string());
      const tare_status st = fuzz::model_one(bytes.data(), bytes.size(), ctx);
      CHECK_MESSAGE(st != TARE_ERROR_INTERNAL, "an internal error is a bug: " << tare_status_string(st));
      findings++;
    }
#if TARE_HAVE_IMAGE
    for (const auto& f : fuzz_files("corpus/image")) {
      CAPTURE(f.string());
      const std::vector<uint8_t> bytes = test::read_file(f.string());
      CHECK(fuzz::image_one(bytes.data(), bytes.size()));
    }
    for (const auto& f : fuzz_files("regressions/image")) {
      const std::vector<uint8_t> bytes = test::read_file(f.string());
      fuzz::image_one(bytes.data(), bytes.size());  // decoded or refused: either is clean
      findings++;
    }
#endif
    MESSAGE(seeds.size() << " model seeds, " << findings << " fuzz regression files replayed");
    test::check_validation();
  }

  TEST_CASE("a constant graph output is the constant's value (float, int8, uint8; fp32 and fp16 sessions)") {
    auto ctx = gpu();
    if (!ctx) return;
    Graph g = doubling_graph({1, 2, 2, 5});
    const int c = add_tensor(g, "c", {2, 3, 5}), q = add_tensor(g, "q", {3, 6}, DType::I8),
              u = add_tensor(g, "u", {7}, DType::U8);
    const std::vector<float> cv = ramp(30, 0.25f, -3.0f);
    g.tensors[c].is_const = true;
    g.tensors[c].data.resize(cv.size() * 4);
    std::memcpy(g.tensors[c].data.data(), cv.data(), cv.size() * 4);
    g.tensors[q].is_const = true;
    g.tensors[q].quant = {{0.5f}, {-3}, 0};
    for (int i = 0; i < 18; i++) g.tensors[q].data.push_back((uint8_t)(int8_t)(i * 13 - 100));
    g.tensors[u].is_const = true;
    g.tensors[u].quant = {{0.25f}, {128}, 0};
    for (int i = 0; i < 7; i++) g.tensors[u].data.push_back((uint8_t)(i * 40 + 3));
    g.outputs = {c, g.outputs[0], q, u};

    const std::vector<float> x = ramp(20, 0.5f, -4.0f);
    const ref::Values want = ref::run(g, {x});
    REQUIRE(want[c] == cv);
    for (bool fp16 : {false, true}) {
      if (fp16 && !(ctx->caps().fp16_arithmetic && ctx->caps().fp16_storage)) continue;
      CAPTURE(fp16);
      SessionOptions o;
      o.fp16 = fp16;
      Session s(ctx, g, o);
      const std::vector<float> got_c = run_float(s, x, 0), got_y = run_float(s, x, 1);
      // The constant's floats are exact in fp32; fp16 storage rounds them (these are multiples of 1/4 below 32).
      CHECK(got_c == cv);
      CHECK(test::max_abs_error(got_y, want[g.outputs[1]]) <= 1e-6);
      std::vector<uint8_t> got_q(18), got_u(7);
      s.get_output_bytes(2, got_q.data(), got_q.size());
      s.get_output_bytes(3, got_u.data(), got_u.size());
      CHECK(got_q == g.tensors[q].data);
      CHECK(got_u == g.tensors[u].data);
    }
    // A graph whose only output is a constant, with no operator at all.
    Graph k;
    add_tensor(k, "unused", {1, 3});
    const int kc = add_tensor(k, "k", {5});
    k.tensors[kc].is_const = true;
    const std::vector<float> kv = {1.5f, -2, 0, 7, 1e-3f};
    k.tensors[kc].data.resize(20);
    std::memcpy(k.tensors[kc].data.data(), kv.data(), 20);
    k.inputs = {0};
    k.outputs = {kc};
    Session s(ctx, k, {});
    CHECK(run_float(s, {1, 2, 3}) == kv);
    test::check_validation();
  }

  TEST_CASE("maxStorageBufferRange: a tensor above it is refused by name; what fits runs (limit lowered)") {
    if (!gpu()) return;
    vk::ContextOptions co;
    co.max_storage_buffer_range = 64 << 10;
    auto ctx = std::make_shared<vk::Context>(co);
    REQUIRE(ctx->caps().max_storage_buffer_range == (64 << 10));

    // [1,64,64,8] float: 64 x 64 x 2 groups of vec4 = 128 KiB.
    const Graph big = doubling_graph({1, 64, 64, 8});
    std::string msg;
    CHECK(session_status(ctx, big, {}, &msg) == TARE_ERROR_UNSUPPORTED);
    CHECK_MESSAGE(msg.find("tensor 'x' [1,64,64,8] needs 131072 bytes of device storage, above the device's "
                           "maxStorageBufferRange of 65536 bytes") != std::string::npos,
                  msg);
    // Batch 2 of a graph that fits at batch 1.
    SessionOptions b2;
    b2.batch = 2;
    const Graph half = doubling_graph({1, 32, 64, 8});
    CHECK(session_status(ctx, half, b2, &msg) == TARE_ERROR_UNSUPPORTED);
    CHECK_MESSAGE(msg.find("tensor 'x' [2,32,64,8] needs 131072 bytes") != std::string::npos, msg);

    // Exactly at the limit ([1,32,64,8]: 64 KiB on the device and as float32 staging), the result is the reference's.
    const std::vector<float> in = ramp(32 * 64 * 8, 0.125f, -5.0f);
    Session s(ctx, half, {});
    CHECK(test::max_abs_error(run_float(s, in), ref::run(half, {in})[1]) <= 1e-6);

    // A real model under a 1 MiB limit (its largest tensor, the 224x224 input, takes 784 KiB): TFLite's outputs.
    vk::ContextOptions mo;
    mo.max_storage_buffer_range = 1 << 20;
    auto mctx = std::make_shared<vk::Context>(mo);
    for (const test::RefCase& rc : test::ref_cases("mobilenet_v1_0.25_224.tflite")) {
      auto file = test::read_file(test::data_path("models/mobilenet_v1_0.25_224.tflite"));
      Graph g = import_tflite(file.data(), file.size());
      Session ms(mctx, g, {});
      const std::vector<float> got = run_float(ms, test::read_floats(test::data_path("ref/" + rc.input_file)));
      const std::vector<float> want = test::read_floats(test::data_path("ref/" + rc.outputs[0].file));
      std::printf("hardening: mobilenet_v1_0.25 under a 1 MiB binding limit: rel err %.3g vs TFLite\n",
                  test::max_rel_error(got, want));
      CHECK(test::max_rel_error(got, want) <= 1e-4);
      break;
    }
    CHECK(ctx->validation_messages() == 0);
    CHECK(mctx->validation_messages() == 0);
  }
}

}  // namespace tare
