// The C API from C++: bad input never crashes and never damages the caller's data, options structs can grow,
// handles can be released in any order, quantization through the API (cancellation, callbacks, export).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "model/op_desc.h"
#include "model/op_list.h"
#include "model/tflite_export.h"
#include "op_harness.h"
#include "tare/tare.h"
#include "test_util.h"

using namespace tare::test;

namespace {

struct Ctx {
  tare_context* c = nullptr;
  Ctx() {
    tare_context_options o;
    tare_context_options_init(&o);
    if (tare_context_create(&o, &c) != TARE_OK) c = nullptr;
  }
  ~Ctx() { tare_context_destroy(c); }
};

// The two MobileNet-v1 reference images, one after the other (the calibration batch of the API tests).
std::vector<float> v1_images() {
  std::vector<float> images = read_floats(data_path("ref/mobilenet_v1_0.25_224/in_img0.bin"));
  const std::vector<float> second = read_floats(data_path("ref/mobilenet_v1_0.25_224/in_img1.bin"));
  images.insert(images.end(), second.begin(), second.end());
  return images;
}

}  // namespace

TEST_SUITE("api") {
  TEST_CASE("corrupt models through the API: a status and a message, the caller's bytes untouched") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    Ctx ctx;
    REQUIRE(ctx.c);
    auto bytes = read_file(data_path("models/mobilenet_v1_0.25_224.tflite"));
    for (size_t cut : {(size_t)0, (size_t)3, (size_t)8, (size_t)100, bytes.size() / 2, bytes.size() - 1}) {
      std::vector<uint8_t> part(bytes.begin(), bytes.begin() + (std::ptrdiff_t)cut);
      std::vector<uint8_t> copy = part;
      tare_model* m = nullptr;
      CHECK(tare_model_load_memory(ctx.c, part.data(), part.size(), &m) == TARE_ERROR_INVALID_MODEL);
      CHECK(m == nullptr);
      CHECK(std::strlen(tare_last_error()) > 0);
      CHECK(part == copy);
    }
  }

  TEST_CASE("options structs from an older, smaller caller still work; unset struct_size is rejected") {
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_device_info info;
    std::memset(&info, 0x5a, sizeof(info));
    info.struct_size = offsetof(tare_device_info, type);  // a caller that only knows struct_size and name
    CHECK(tare_context_get_device_info(ctx.c, &info) == TARE_OK);
    CHECK(std::strlen(info.name) > 0);
    CHECK(info.struct_size == offsetof(tare_device_info, type));
    CHECK((unsigned char)reinterpret_cast<char*>(&info)[offsetof(tare_device_info, type)] == 0x5a);  // untouched
    tare_device_info bad;
    std::memset(&bad, 0, sizeof(bad));
    CHECK(tare_context_get_device_info(ctx.c, &bad) == TARE_ERROR_INVALID_ARGUMENT);
    tare_context_options o;
    std::memset(&o, 0, sizeof(o));
    tare_context* c2 = nullptr;
    CHECK(tare_context_create(&o, &c2) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(c2 == nullptr);
  }

  TEST_CASE("tare_op_support lists every op of the op list once, with the paths of its descriptor") {
    uint32_t n = 0;
    REQUIRE(tare_op_count(&n) == TARE_OK);
    const char* listed[] = {
#define TARE_LISTED(T) #T,
        TARE_OPS(TARE_LISTED)
#undef TARE_LISTED
    };
    REQUIRE(n == std::size(listed));
    REQUIRE(n == tare::op_descs().size());
    std::set<std::string> names;
    for (uint32_t i = 0; i < n; i++) {
      tare_op_support_info s;
      tare_op_support_info_init(&s);
      REQUIRE(tare_op_support(i, &s) == TARE_OK);
      const tare::OpDesc& d = tare::op_desc(static_cast<tare::OpType>(i));
      INFO(listed[i], " ", s.name);
      CHECK(d.type == static_cast<tare::OpType>(i));
      CHECK(std::string(s.name) == d.name);
      CHECK(names.insert(s.name).second);  // once
      CHECK(s.builtin_code == d.builtin);
      CHECK(s.alt_builtin_code == d.builtin_alt);
      CHECK((s.alt_name[0] != 0) == (d.builtin_alt >= 0));
      CHECK(std::string(s.custom_name) == (d.custom ? d.custom : ""));
      CHECK(s.is_internal == (d.builtin < 0));
      CHECK(s.has_float == (d.make_float != nullptr));
      CHECK(s.has_int8 == (d.make_q8 != nullptr && d.ref_int != nullptr));
      CHECK(s.has_gradient == (d.make_grad != nullptr));
      CHECK(s.can_import == (d.read != nullptr));
      CHECK(s.can_export == (d.write != nullptr));
    }
    auto support = [&](const char* name) {
      for (uint32_t i = 0; i < n; i++) {
        tare_op_support_info s;
        tare_op_support_info_init(&s);
        REQUIRE(tare_op_support(i, &s) == TARE_OK);
        if (std::string(s.name) == name) return s;
      }
      FAIL("no op ", name);
      return tare_op_support_info{};
    };
    tare_op_support_info conv = support("CONV_2D");
    CHECK((conv.has_float && conv.has_int8 && conv.has_gradient && conv.can_import && conv.can_export));
    CHECK_FALSE(conv.is_internal);
    tare_op_support_info neg = support("NEG");
    CHECK((neg.has_float && !neg.has_int8 && neg.has_gradient && neg.can_export));
    tare_op_support_info fq = support("FAKE_QUANT");
    CHECK((fq.is_internal && fq.builtin_code == -1 && !fq.can_import && !fq.can_export));
    CHECK(std::string(support("PAD").alt_name) == "PADV2");
    tare_op_support_info tconv = support("TRANSPOSE_CONV");
    CHECK(std::string(tconv.custom_name) == "Convolution2DTransposeBias");
    CHECK((tconv.has_int8 && tconv.builtin_code == 67));
    CHECK(support("CONV_2D").custom_name[0] == 0);
    tare_op_support_info s;
    tare_op_support_info_init(&s);
    CHECK(tare_op_support(n, &s) == TARE_ERROR_INVALID_ARGUMENT);
  }

  TEST_CASE("handles are released in any order; op and tensor listing") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    tare_context* c = nullptr;
    REQUIRE(tare_context_create(nullptr, &c) == TARE_OK);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    tare_session* s = nullptr;
    REQUIRE(tare_session_create(m, nullptr, &s) == TARE_OK);
    tare_context_destroy(c);  // the model and the session keep it alive
    uint32_t nops = 0;
    CHECK(tare_model_op_count(m, &nops) == TARE_OK);
    CHECK(nops == 31);
    uint64_t macs = 0;
    int convs = 0;
    for (uint32_t i = 0; i < nops; i++) {
      tare_op_info op;
      tare_op_info_init(&op);
      REQUIRE(tare_model_op_info(m, i, &op) == TARE_OK);
      macs += op.macs;
      convs += std::strcmp(op.type, "CONV_2D") == 0;
    }
    CHECK(convs == 15);
    // MobileNet-v1 0.25 at 224: about 41 million MACs (the paper family's figure: 41M).
    CHECK(macs > 35000000);
    CHECK(macs < 50000000);
    tare_model_destroy(m);
    std::vector<float> in(224 * 224 * 3, 0.1f), out(1001);
    CHECK(tare_session_set_input(s, 0, in.data(), in.size() * 4) == TARE_OK);
    CHECK(tare_session_run(s) == TARE_OK);
    CHECK(tare_session_get_output(s, 0, out.data(), out.size() * 4) == TARE_OK);
    float sum = 0;
    for (float v : out) sum += v;
    CHECK(sum == doctest::Approx(1.0f).epsilon(1e-3));  // a softmax
    tare_session_destroy(s);
  }

  TEST_CASE("run timing: host phases of every run; GPU span and per-op sum with profiling") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    std::vector<float> in(224 * 224 * 3, 0.1f);
    for (int profiling = 0; profiling < 2; profiling++) {
      INFO("profiling " << profiling);
      tare_session_options so;
      tare_session_options_init(&so);
      so.profiling = profiling;
      tare_session* s = nullptr;
      REQUIRE(tare_session_create(m, &so, &s) == TARE_OK);
      tare_run_timing t;
      tare_run_timing_init(&t);
      CHECK(tare_session_run_timing(s, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
      CHECK(tare_session_run_timing(nullptr, &t) == TARE_ERROR_INVALID_ARGUMENT);
      REQUIRE(tare_session_run_timing(s, &t) == TARE_OK);
      CHECK(t.run_ms == 0);  // no run yet
      REQUIRE(tare_session_set_input(s, 0, in.data(), in.size() * 4) == TARE_OK);
      // The phases are measured by a clock outside them: they nest in the run's wall time, measured here too.
      const auto t0 = std::chrono::steady_clock::now();
      REQUIRE(tare_session_run(s) == TARE_OK);
      const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      REQUIRE(tare_session_run_timing(s, &t) == TARE_OK);
      CHECK(t.fence_wait_ms > 0);
      CHECK(t.run_ms >= t.queue_wait_ms + t.submit_ms + t.fence_wait_ms + t.profile_read_ms);
      CHECK(t.run_ms <= wall);
      uint32_t n = 0;
      REQUIRE(tare_session_profile_count(s, &n) == TARE_OK);
      double sum = 0, longest = 0;
      for (uint32_t i = 0; i < n; i++) {
        const char* name = nullptr;
        double ms = 0;
        REQUIRE(tare_session_profile_entry(s, i, &name, &ms) == TARE_OK);
        sum += ms;
        longest = std::max(longest, ms);
      }
      CHECK(t.gpu_ops_ms == doctest::Approx(sum));
      tare_device_info dev;
      tare_device_info_init(&dev);
      REQUIRE(tare_context_get_device_info(ctx.c, &dev) == TARE_OK);
      if (profiling && dev.timestamps) {
        CHECK(n > 0);
        CHECK(n <= 31);  // an operator without a kernel (RESHAPE's alias) has no region
        // The whole command buffer's span holds every op, and the GPU finished it before the fence signalled.
        CHECK(t.gpu_span_ms >= longest);
        CHECK(t.gpu_span_ms <= t.run_ms);
      } else {
        CHECK(n == 0);
        CHECK(t.gpu_span_ms == 0);
        CHECK(t.profile_read_ms == 0);
      }
      tare_session_destroy(s);
    }
    tare_model_destroy(m);
  }

  TEST_CASE("an impossible batch is refused with INVALID_ARGUMENT, and the model stays usable") {
    if (!have_data("models/mobilenet_v2_1.0_224_float.tflite")) return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v2_1.0_224_float.tflite").c_str(), &m) == TARE_OK);
    tare_session_options o;
    tare_session_options_init(&o);
    o.batch = 1 << 20;  // tensors of more than 2^31 elements
    tare_session* s = nullptr;
    tare_status st = tare_session_create(m, &o, &s);
    CHECK(st == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()).find("batch 1048576") != std::string::npos);
    CHECK(s == nullptr);
    MESSAGE("huge batch: " << std::string(tare_status_string(st)) << ": " << std::string(tare_last_error()));
    o.batch = 1;
    CHECK(tare_session_create(m, &o, &s) == TARE_OK);
    tare_session_destroy(s);
    tare_model_destroy(m);
  }

  TEST_CASE("pipeline cache: saved from one context, reused by the next; foreign bytes are ignored") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    auto make_session_in = [&](tare_context* c) {
      tare_model* m = nullptr;
      REQUIRE(tare_model_load_file(c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
      tare_session* s = nullptr;
      CHECK(tare_session_create(m, nullptr, &s) == TARE_OK);
      tare_session_destroy(s);
      tare_model_destroy(m);
    };
    tare_context* c1 = nullptr;
    REQUIRE(tare_context_create(nullptr, &c1) == TARE_OK);
    make_session_in(c1);
    void* data = nullptr;
    size_t size = 0;
    REQUIRE(tare_context_pipeline_cache(c1, &data, &size) == TARE_OK);
    CHECK(size >= 32);  // at least the header
    tare_context_destroy(c1);
    tare_context_options o;
    tare_context_options_init(&o);
    o.pipeline_cache_data = data;
    o.pipeline_cache_size = size;
    tare_context* c2 = nullptr;
    REQUIRE(tare_context_create(&o, &c2) == TARE_OK);
    make_session_in(c2);
    tare_context_destroy(c2);
    std::vector<uint8_t> junk(size, 0xa5);
    std::memcpy(junk.data(), data, 8);  // a plausible length and version, then garbage
    o.pipeline_cache_data = junk.data();
    tare_context* c3 = nullptr;
    REQUIRE(tare_context_create(&o, &c3) == TARE_OK);
    make_session_in(c3);
    tare_context_destroy(c3);
    tare_free(data);
  }

  TEST_CASE("pipeline report: a new context compiles each distinct (shader, specialization) once") {
    if (!gpu()) return;
    // x + x, then + x again (one shape class: one pipeline), then * x (another specialization of the same shader).
    GraphBuilder b;
    const int x = b.input({1, 5, 3, 6});
    int y = b.op(tare::OpType::Add, {x, x}, {1, 5, 3, 6});
    y = b.op(tare::OpType::Add, {y, x}, {1, 5, 3, 6});
    y = b.op(tare::OpType::Mul, {y, x}, {1, 5, 3, 6});
    b.output(y);
    const std::vector<uint8_t> bytes = tare::export_tflite(b.g);
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_memory(ctx.c, bytes.data(), bytes.size(), &m) == TARE_OK);
    auto report_of_new_session = [&] {
      tare_session* s = nullptr;
      REQUIRE(tare_session_create(m, nullptr, &s) == TARE_OK);
      tare_pipeline_report r;
      tare_pipeline_report_init(&r);
      CHECK(tare_session_pipelines(s, &r) == TARE_OK);
      // The session still computes x * (3x) with its pipelines.
      std::vector<float> in(5 * 3 * 6), out(in.size());
      for (size_t i = 0; i < in.size(); i++) in[i] = 0.25f * (float)i - 3.0f;
      CHECK(tare_session_set_input(s, 0, in.data(), in.size() * 4) == TARE_OK);
      CHECK(tare_session_run(s) == TARE_OK);
      CHECK(tare_session_get_output(s, 0, out.data(), out.size() * 4) == TARE_OK);
      for (size_t i = 0; i < in.size(); i++) CHECK(out[i] == (in[i] + in[i] + in[i]) * in[i]);
      tare_session_destroy(s);
      return r;
    };
    // pack_input, binary (ADD), binary (MUL), unpack_output: four pipelines of three shaders.
    const tare_pipeline_report first = report_of_new_session();
    CHECK(first.pipelines == 4);
    CHECK(first.shaders == 3);
    CHECK(first.compiled == 4);
    CHECK(first.threads >= 1);
    CHECK(first.compile_ms > 0);
    CHECK(first.compile_sum_ms > 0);
    const tare_pipeline_report second = report_of_new_session();  // same context: nothing new to compile
    CHECK(second.pipelines == 4);
    CHECK(second.shaders == 3);
    CHECK(second.compiled == 0);
    CHECK(second.threads == 0);
    CHECK(second.compile_ms == 0);
    CHECK(tare_session_pipelines(nullptr, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
    tare_model_destroy(m);
  }

  TEST_CASE("quantize through the API: callback inputs, cancellation, export to memory and back") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite") || !have_data("ref/mobilenet_v1_0.25_224/in_img0.bin"))
      return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    std::vector<std::vector<float>> images = {read_floats(data_path("ref/mobilenet_v1_0.25_224/in_img0.bin")),
                                              read_floats(data_path("ref/mobilenet_v1_0.25_224/in_img1.bin"))};
    struct Feed {
      std::vector<std::vector<float>>* images;
      int calls = 0;
    } feed{&images};
    auto fill = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
      auto* f = static_cast<Feed*>(user);
      f->calls++;
      if (size != f->images->at(i % 2).size() * 4) return TARE_ERROR_INVALID_ARGUMENT;
      std::memcpy(dst, f->images->at(i % 2).data(), size);
      return TARE_OK;
    };
    tare_quantize_options o;
    tare_quantize_options_init(&o);
    o.calibration_batch = 2;
    // Cancel after the first batch: CANCELLED, no model.
    o.progress = [](void*, const char*, uint32_t done, uint32_t) { return done >= 2 ? 1 : 0; };
    tare_model* q = nullptr;
    CHECK(tare_quantize(m, 4, fill, &feed, &o, &q, nullptr) == TARE_ERROR_CANCELLED);
    CHECK(q == nullptr);
    // A failing callback stops it with the callback's status.
    auto failing = [](void*, uint32_t, void*, size_t) -> tare_status { return TARE_ERROR_IO; };
    CHECK(tare_quantize(m, 4, failing, nullptr, nullptr, &q, nullptr) == TARE_ERROR_IO);
    CHECK(q == nullptr);
    o.progress = nullptr;
    tare_quantize_report rep;
    tare_quantize_report_init(&rep);
    feed.calls = 0;
    REQUIRE(tare_quantize(m, 4, fill, &feed, &o, &q, &rep) == TARE_OK);
    CHECK(feed.calls == 4);
    CHECK(rep.quantized_weights == 28);
    tare_tensor_info ti;
    tare_tensor_info_init(&ti);
    CHECK(tare_model_input_info(q, 0, &ti) == TARE_OK);
    CHECK(ti.dtype == TARE_DTYPE_FLOAT32);  // float I/O by default: QUANTIZE inside
    uint32_t nt = 0;
    CHECK(tare_model_tensor_count(q, &nt) == TARE_OK);
    int int8_tensors = 0;
    for (uint32_t i = 0; i < nt; i++) {
      REQUIRE(tare_model_tensor_info(q, i, &ti) == TARE_OK);
      int8_tensors += ti.dtype == TARE_DTYPE_INT8;
      if (ti.dtype == TARE_DTYPE_INT8) CHECK(ti.quantized == 1);
    }
    CHECK(int8_tensors > 50);
    void* bytes = nullptr;
    size_t size = 0;
    REQUIRE(tare_model_export_memory(q, &bytes, &size) == TARE_OK);
    CHECK(size > 100000);
    CHECK(std::memcmp(static_cast<char*>(bytes) + 4, "TFL3", 4) == 0);
    tare_model* back = nullptr;
    CHECK(tare_model_load_memory(ctx.c, bytes, size, &back) == TARE_OK);  // passes our own Verifier
    tare_free(bytes);
    tare_model_destroy(back);
    CHECK(tare_quantize_array(m, images[0].data(), 1, nullptr, &back, nullptr) == TARE_OK);
    tare_model_destroy(back);
    CHECK(tare_model_export_file(q, "/nonexistent-dir/x.tflite") == TARE_ERROR_IO);
    tare_model_destroy(q);
    tare_model_destroy(m);
  }

  TEST_CASE("bias correction and analysis through the API: diagnostics, determinism, errors, cancellation") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite") || !have_data("models/mobilenet_v2_1.0_224_float.tflite") ||
        !have_data("ref/mobilenet_v1_0.25_224/in_img1.bin"))
      return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model *m = nullptr, *v2 = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v2_1.0_224_float.tflite").c_str(), &v2) == TARE_OK);
    std::vector<float> images = v1_images();
    tare_model* q = nullptr;
    REQUIRE(tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr) == TARE_OK);

    tare_ibc_options o;
    tare_ibc_options_init(&o);
    tare_ibc_report rep;
    tare_ibc_report_init(&rep);
    tare_model *c1 = nullptr, *c2 = nullptr;
    tare_diagnostics* d = nullptr;
    REQUIRE(tare_correct_bias_array(m, q, images.data(), 2, &o, &c1, &rep, &d) == TARE_OK);
    CHECK(rep.layers == 28);
    CHECK(rep.images == 2);
    CHECK(rep.clamped == 0);
    uint32_t layers = 0;
    REQUIRE(tare_diagnostics_layer_count(d, &layers) == TARE_OK);
    CHECK(layers == 28);
    double mas_before = 0, mas_after = 0;
    for (uint32_t l = 0; l < layers; l++) {
      tare_layer_info li;
      li.struct_size = sizeof(li);
      REQUIRE(tare_diagnostics_layer(d, l, &li) == TARE_OK);
      CHECK(li.has_after == 1);
      CHECK(li.channels > 0);
      tare_error_stats b, a, ch;
      b.struct_size = a.struct_size = ch.struct_size = sizeof(b);
      REQUIRE(tare_diagnostics_summary(d, l, TARE_POINT_POST_ACTIVATION, TARE_STAGE_BEFORE, &b) == TARE_OK);
      REQUIRE(tare_diagnostics_summary(d, l, TARE_POINT_POST_ACTIVATION, TARE_STAGE_AFTER, &a) == TARE_OK);
      REQUIRE(tare_diagnostics_channel(d, l, li.channels - 1, TARE_POINT_PRE_ACTIVATION, TARE_STAGE_BEFORE, &ch) ==
              TARE_OK);
      CHECK(ch.count == b.count);
      mas_before += b.mas;
      mas_after += a.mas;
    }
    MESSAGE("mean per-layer MAS rms on the IBC batch: " << mas_before / layers << " -> " << mas_after / layers);
    CHECK(mas_after < 0.5 * mas_before);
    tare_layer_info li;
    li.struct_size = sizeof(li);
    CHECK(tare_diagnostics_layer(d, 28, &li) == TARE_ERROR_INVALID_ARGUMENT);
    const std::string dir = "/tmp/tare_api_diag_" + std::to_string(getpid());
    REQUIRE(tare_diagnostics_write(d, dir.c_str()) == TARE_OK);
    for (const char* f : {"/errors.csv", "/summary.csv", "/report.html"}) {
      std::ifstream in(dir + f);
      CHECK(in.good());
      std::remove((dir + f).c_str());
    }
    std::remove(dir.c_str());
    CHECK(tare_diagnostics_write(d, "/dev/null/report") == TARE_ERROR_IO);
    tare_diagnostics_destroy(d);

    // Deterministic: the same inputs give the same model, byte for byte; only biases differ from the quantized one.
    REQUIRE(tare_correct_bias_array(m, q, images.data(), 2, &o, &c2, nullptr, nullptr) == TARE_OK);
    void *b1 = nullptr, *b2 = nullptr, *b0 = nullptr;
    size_t s1 = 0, s2 = 0, s0 = 0;
    REQUIRE(tare_model_export_memory(c1, &b1, &s1) == TARE_OK);
    REQUIRE(tare_model_export_memory(c2, &b2, &s2) == TARE_OK);
    REQUIRE(tare_model_export_memory(q, &b0, &s0) == TARE_OK);
    CHECK(s1 == s2);
    CHECK(std::memcmp(b1, b2, s1) == 0);
    CHECK(s1 == s0);  // every layer of this model has a bias already: same size, other bias bytes
    CHECK(std::memcmp(b1, b0, s0) != 0);
    tare_free(b0);
    tare_free(b1);
    tare_free(b2);

    // Analysis of the quantized and corrected models on the same two images.
    tare_analyze_options ao;
    tare_analyze_options_init(&ao);
    ao.batch = 1;
    struct Feed {
      const std::vector<float>* images;
    } feed{&images};
    auto fill = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
      auto* f = static_cast<Feed*>(user);
      std::memcpy(dst, f->images->data() + (size_t)i * (size / 4), size);
      return TARE_OK;
    };
    tare_diagnostics* a = nullptr;
    REQUIRE(tare_analyze(m, q, c1, 2, fill, &feed, &ao, &a) == TARE_OK);
    tare_error_stats last_b, last_a;
    last_b.struct_size = last_a.struct_size = sizeof(last_b);
    REQUIRE(tare_diagnostics_summary(a, 27, TARE_POINT_POST_ACTIVATION, TARE_STAGE_BEFORE, &last_b) == TARE_OK);
    REQUIRE(tare_diagnostics_summary(a, 27, TARE_POINT_POST_ACTIVATION, TARE_STAGE_AFTER, &last_a) == TARE_OK);
    CHECK(last_a.mas < last_b.mas);
    CHECK(last_b.count == 1001.0 / 1001.0 * 2);  // 2 images x 1 position
    tare_diagnostics_destroy(a);
    REQUIRE(tare_analyze(m, q, nullptr, 1, fill, &feed, nullptr, &a) == TARE_OK);
    CHECK(tare_diagnostics_summary(a, 0, TARE_POINT_POST_ACTIVATION, TARE_STAGE_AFTER, &last_a) ==
          TARE_ERROR_INVALID_ARGUMENT);
    // Another stage measured into the same diagnostics: the corrected model as "bft" gives the numbers tare_analyze
    // gives it as "after" on the same image; the stages it has are flagged.
    tare_layer_info info;
    info.struct_size = sizeof(info);
    REQUIRE(tare_diagnostics_layer(a, 27, &info) == TARE_OK);
    CHECK(info.stages == 1u << TARE_STAGE_BEFORE);
    REQUIRE(tare_diagnostics_measure(a, TARE_STAGE_BFT, m, c1, 1, fill, &feed, &ao) == TARE_OK);
    REQUIRE(tare_diagnostics_layer(a, 27, &info) == TARE_OK);
    CHECK(info.stages == ((1u << TARE_STAGE_BEFORE) | (1u << TARE_STAGE_BFT)));
    CHECK(info.has_after == 0);
    tare_diagnostics* ref = nullptr;
    REQUIRE(tare_analyze(m, q, c1, 1, fill, &feed, &ao, &ref) == TARE_OK);
    for (uint32_t l : {0u, 13u, 27u}) {
      tare_error_stats bft, after;
      bft.struct_size = after.struct_size = sizeof(bft);
      REQUIRE(tare_diagnostics_summary(a, l, TARE_POINT_PRE_ACTIVATION, TARE_STAGE_BFT, &bft) == TARE_OK);
      REQUIRE(tare_diagnostics_summary(ref, l, TARE_POINT_PRE_ACTIVATION, TARE_STAGE_AFTER, &after) == TARE_OK);
      CHECK(bft.mas == after.mas);
      CHECK(bft.rqnsr == after.rqnsr);
    }
    tare_diagnostics_destroy(ref);
    CHECK(tare_diagnostics_summary(a, 0, TARE_POINT_POST_ACTIVATION, TARE_STAGE_UNEQUALIZED, &last_a) ==
          TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()).find("no \"unequalized\" measurement") != std::string::npos);
    CHECK(tare_diagnostics_measure(a, (tare_error_stage)4, m, c1, 1, fill, &feed, &ao) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_measure(a, TARE_STAGE_BFT, m, nullptr, 1, fill, &feed, &ao) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_measure(a, TARE_STAGE_BFT, m, c1, 1, nullptr, &feed, &ao) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_note(a, "settings", nullptr, "x") == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_note(a, "", "k", "x") == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_note(nullptr, "settings", "k", "x") == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_diagnostics_note(a, "settings", "method", "ibc+bft") == TARE_OK);
    tare_diagnostics_destroy(a);

    // Errors: a float model of another network, a float "quantized" model, no images, cancellation.
    tare_model* bad = nullptr;
    CHECK(tare_correct_bias_array(v2, q, images.data(), 1, nullptr, &bad, nullptr, nullptr) ==
          TARE_ERROR_INVALID_ARGUMENT);
    CHECK(bad == nullptr);
    CHECK(tare_correct_bias_array(m, m, images.data(), 1, nullptr, &bad, nullptr, nullptr) ==
          TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()).find("no 8-bit layer") != std::string::npos);
    CHECK(tare_correct_bias_array(m, q, images.data(), 0, nullptr, &bad, nullptr, nullptr) ==
          TARE_ERROR_INVALID_ARGUMENT);
    o.progress = [](void*, const char* stage, uint32_t done, uint32_t) {
      return std::string(stage) == "ibc" && done >= 3 ? 1 : 0;
    };
    tare_diagnostics* dd = nullptr;
    CHECK(tare_correct_bias_array(m, q, images.data(), 1, &o, &bad, nullptr, &dd) == TARE_ERROR_CANCELLED);
    CHECK(bad == nullptr);
    CHECK(dd == nullptr);
    tare_model_destroy(c1);
    tare_model_destroy(c2);
    tare_model_destroy(q);
    tare_model_destroy(v2);
    tare_model_destroy(m);
  }

  TEST_CASE("IBC's validation guard through the API: defaults, the report, the model it returns, bad arguments") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite") || !have_data("ref/mobilenet_v1_0.25_224/in_img1.bin"))
      return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    std::vector<float> images = v1_images();
    const size_t n = images.size() / 2;
    const std::vector<float> backwards(images.rend() - (long)n, images.rend());  // image 0 backwards: validation
    images.insert(images.end(), backwards.begin(), backwards.end());
    REQUIRE(images.size() == 3 * n);
    tare_model* q = nullptr;
    REQUIRE(tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr) == TARE_OK);
    tare_ibc_options o;
    tare_ibc_options_init(&o);
    CHECK((o.guard == 1 && o.guard_images == -1));  // on by default
    o.guard_images = 1;
    tare_ibc_report rep;
    tare_ibc_report_init(&rep);
    tare_model* guarded = nullptr;
    REQUIRE(tare_correct_bias_array(m, q, images.data(), 3, &o, &guarded, &rep, nullptr) == TARE_OK);
    CHECK(rep.images == 2);
    CHECK(rep.guard_images == 1);
    CHECK(std::isfinite(rep.guard_gain_db));
    CHECK(rep.guard_gain_db == doctest::Approx(rep.guard_sqnr_ibc_db - rep.guard_sqnr_basic_db).epsilon(1e-6));
    CHECK((rep.kept_basic == 1) == (rep.guard_gain_db < 0));
    CHECK((rep.guard_ms > 0 && rep.guard_ms <= rep.wall_ms));
    MESSAGE("guard on MobileNet-v1: " << rep.guard_gain_db << " dB, kept_basic " << rep.kept_basic);
    // The model returned: the basic one when rejected, else IBC's on the first two images (the guard off).
    tare_ibc_options off;
    tare_ibc_options_init(&off);
    off.guard = 0;
    tare_model* plain = nullptr;
    REQUIRE(tare_correct_bias_array(m, q, images.data(), 2, &off, &plain, nullptr, nullptr) == TARE_OK);
    auto bytes = [](tare_model* model) {
      void* b = nullptr;
      size_t size = 0;
      REQUIRE(tare_model_export_memory(model, &b, &size) == TARE_OK);
      std::vector<uint8_t> v(static_cast<uint8_t*>(b), static_cast<uint8_t*>(b) + size);
      tare_free(b);
      return v;
    };
    CHECK(bytes(guarded) == bytes(rep.kept_basic ? q : plain));
    // Bad arguments: a guard that is not 0 or 1, validation images that leave none for IBC, or below -1.
    tare_model* bad = nullptr;
    o.guard = 2;
    CHECK(tare_correct_bias_array(m, q, images.data(), 3, &o, &bad, nullptr, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()).find("guard = 2") != std::string::npos);
    o.guard = 1;
    o.guard_images = 3;
    CHECK(tare_correct_bias_array(m, q, images.data(), 3, &o, &bad, nullptr, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()).find("leave none") != std::string::npos);
    o.guard_images = -2;
    CHECK(tare_correct_bias_array(m, q, images.data(), 3, &o, &bad, nullptr, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(bad == nullptr);
    tare_model_destroy(plain);
    tare_model_destroy(guarded);
    tare_model_destroy(q);
    tare_model_destroy(m);
  }

  TEST_CASE("bias fine-tuning and equalization through the API") {
    if (!have_data("models/mobilenet_v1_0.25_224.tflite") || !have_data("ref/mobilenet_v1_0.25_224/in_img1.bin"))
      return;
    Ctx ctx;
    REQUIRE(ctx.c);
    tare_model* m = nullptr;
    REQUIRE(tare_model_load_file(ctx.c, data_path("models/mobilenet_v1_0.25_224.tflite").c_str(), &m) == TARE_OK);
    std::vector<float> images = v1_images();
    tare_model* q = nullptr;
    REQUIRE(tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr) == TARE_OK);
    struct Feed {
      const std::vector<float>* images;
    } feed{&images};
    auto fill = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
      std::memcpy(dst, static_cast<Feed*>(user)->images->data() + (size_t)i * (size / 4), size);
      return TARE_OK;
    };
    tare_bft_options o;
    tare_bft_options_init(&o);
    CHECK(o.rate_count == 4);
    CHECK(o.rates[0] == doctest::Approx(1e-3));
    CHECK(o.mini_epochs_per_rate == 16);
    o.rate_count = 2;  // 1e-3, 1e-4: the paper's first two rates
    o.mini_epochs_per_rate = 2;
    o.batch = 2;
    std::vector<double> losses;
    o.user_data = &losses;
    o.on_loss = [](void* user, uint32_t, uint32_t, double loss) {
      static_cast<std::vector<double>*>(user)->push_back(loss);
      return 0;
    };
    tare_bft_report rep;
    tare_bft_report_init(&rep);
    tare_model* t = nullptr;
    REQUIRE(tare_fine_tune_bias(m, q, 2, fill, &feed, &o, &t, &rep) == TARE_OK);
    CHECK(rep.layers == 28);
    CHECK(rep.batch == 2);
    CHECK(rep.mini_epochs == 4);  // one step each (2 images, batch 2)
    CHECK(losses.size() == 4);
    CHECK(rep.final_loss == doctest::Approx(losses.back()));
    MESSAGE("BFT loss " << rep.initial_loss << " -> " << rep.final_loss);
    CHECK(rep.final_loss < rep.initial_loss);
    CHECK(rep.training_bytes > 0);
    tare_session* s = nullptr;
    REQUIRE(tare_session_create(t, nullptr, &s) == TARE_OK);  // the fine-tuned model runs
    tare_session_destroy(s);
    tare_model_destroy(t);
    // Cancelled from the loss callback; bad schedule.
    o.on_loss = [](void*, uint32_t, uint32_t, double) { return 1; };
    CHECK(tare_fine_tune_bias(m, q, 2, fill, &feed, &o, &t, nullptr) == TARE_ERROR_CANCELLED);
    CHECK(t == nullptr);
    o.on_loss = nullptr;
    o.rate_count = 9;
    CHECK(tare_fine_tune_bias(m, q, 2, fill, &feed, &o, &t, nullptr) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_fine_tune_bias(m, m, 2, fill, &feed, nullptr, &t, nullptr) == TARE_ERROR_INVALID_ARGUMENT);

    // Equalization keeps the float function where no RELU6 is replaced (the default: RELU6 kept by a MINIMUM).
    tare_equalize_options eo;
    tare_equalize_options_init(&eo);
    CHECK(eo.replace_relu6 == 0);
    tare_equalize_report er;
    tare_equalize_report_init(&er);
    tare_model* e = nullptr;
    REQUIRE(tare_equalize(m, &eo, &e, &er) == TARE_OK);
    eo.replace_relu6 = 1;
    tare_model* e6 = nullptr;
    tare_equalize_report er6;
    tare_equalize_report_init(&er6);
    REQUIRE(tare_equalize(m, &eo, &e6, &er6) == TARE_OK);
    MESSAGE("equalized pairs: " << er.pairs << " (" << er.relu6_clipped << " RELU6 kept), " << er6.pairs << " ("
                                << er6.relu6_replaced << " RELU6 replaced)");
    CHECK(er6.pairs == er.pairs);
    CHECK(er.relu6_clipped > 0);
    CHECK(er.relu6_replaced == 0);
    CHECK(er6.relu6_replaced == er.relu6_clipped);
    CHECK(er6.relu6_clipped == 0);
    std::vector<float> out_m(1001), out_e(1001);
    for (auto [model, out] : {std::pair{m, &out_m}, std::pair{e, &out_e}}) {
      tare_session* ss = nullptr;
      REQUIRE(tare_session_create(model, nullptr, &ss) == TARE_OK);
      REQUIRE(tare_session_set_input(ss, 0, images.data(), 224 * 224 * 3 * 4) == TARE_OK);
      REQUIRE(tare_session_run(ss) == TARE_OK);
      REQUIRE(tare_session_get_output(ss, 0, out->data(), 1001 * 4) == TARE_OK);
      tare_session_destroy(ss);
    }
    float err = 0, mx = 0;
    for (int i = 0; i < 1001; i++) {
      err = std::max(err, std::fabs(out_m[i] - out_e[i]));
      mx = std::max(mx, std::fabs(out_m[i]));
    }
    CHECK(err <= 1e-4f * mx);
    tare_model_destroy(e);
    tare_model_destroy(e6);
    tare_model_destroy(q);
    tare_model_destroy(m);
  }
}
