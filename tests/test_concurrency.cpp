// Concurrency through the C API (docs/hardening.md, "Concurrency"): sessions of one model built and run from several
// threads give a single-threaded run's bytes; models load and go on one context while others run; quantization and
// bias correction on one thread give the same bytes while another runs a session; cancelling callbacks leave every
// handle destroyable; and the handle checks refuse a destroyed handle, a double destroy and one session used by two
// threads at once.  scripts/tsan.sh runs this suite under ThreadSanitizer.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tare/tare.h"
#include "test_util.h"

using namespace tare::test;

namespace {

constexpr const char* kFloatModel = "models/mobilenet_v1_0.25_224.tflite";
constexpr const char* kQuantModel = "models/mobilenet_v1_0.25_224_quant.tflite";
constexpr const char* kImage0 = "ref/mobilenet_v1_0.25_224/in_img0.bin";
constexpr const char* kImage1 = "ref/mobilenet_v1_0.25_224/in_img1.bin";

bool have_models() { return have_data(kFloatModel) && have_data(kQuantModel) && have_data(kImage1); }

struct Context {
  tare_context* c = nullptr;
  Context() { REQUIRE(tare_context_create(nullptr, &c) == TARE_OK); }
  ~Context() { tare_context_destroy(c); }
};

tare_model* load(tare_context* c, const char* relative) {
  tare_model* m = nullptr;
  REQUIRE(tare_model_load_file(c, data_path(relative).c_str(), &m) == TARE_OK);
  return m;
}

// Two inputs for `model`: the two reference images as float32, or mapped to the 8-bit input of the quantized model.
std::vector<std::vector<uint8_t>> inputs_for(tare_model* model) {
  tare_tensor_info in;
  tare_tensor_info_init(&in);
  REQUIRE(tare_model_input_info(model, 0, &in) == TARE_OK);
  std::vector<std::vector<uint8_t>> out;
  for (const char* file : {kImage0, kImage1}) {
    std::vector<float> image = read_floats(data_path(file));
    std::vector<uint8_t> bytes(in.byte_size);
    if (in.dtype == TARE_DTYPE_FLOAT32) {
      REQUIRE(bytes.size() == image.size() * 4);
      std::memcpy(bytes.data(), image.data(), bytes.size());
    } else {
      REQUIRE(bytes.size() == image.size());
      for (size_t i = 0; i < image.size(); i++)
        bytes[i] = (uint8_t)std::clamp(std::lround((image[i] + 1.0f) * 127.5f), 0L, 255L);
    }
    out.push_back(std::move(bytes));
  }
  return out;
}

// One run of `session` on `input`: its first output's bytes (empty on a failure, with the status in *status).
std::vector<uint8_t> run(tare_session* session, const std::vector<uint8_t>& input, tare_status* status) {
  tare_tensor_info info;
  tare_tensor_info_init(&info);
  std::vector<uint8_t> out;
  if ((*status = tare_session_output_info(session, 0, &info)) != TARE_OK) return {};
  out.resize(info.byte_size);
  if ((*status = tare_session_set_input(session, 0, input.data(), input.size())) != TARE_OK) return {};
  if ((*status = tare_session_run(session)) != TARE_OK) return {};
  if ((*status = tare_session_get_output(session, 0, out.data(), out.size())) != TARE_OK) return {};
  return out;
}

// The outputs of a fresh session of `model` on each input, from this thread alone: the reference of the threaded runs.
std::vector<std::vector<uint8_t>> single_threaded(tare_model* model, const std::vector<std::vector<uint8_t>>& inputs) {
  tare_session* s = nullptr;
  REQUIRE(tare_session_create(model, nullptr, &s) == TARE_OK);
  std::vector<std::vector<uint8_t>> outs;
  for (const auto& in : inputs) {
    tare_status st = TARE_OK;
    outs.push_back(run(s, in, &st));
    REQUIRE(st == TARE_OK);
  }
  tare_session_destroy(s);
  return outs;
}

std::vector<uint8_t> exported(tare_model* model) {
  void* data = nullptr;
  size_t size = 0;
  REQUIRE(tare_model_export_memory(model, &data, &size) == TARE_OK);
  std::vector<uint8_t> bytes(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  tare_free(data);
  return bytes;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("concurrency") {
  TEST_CASE("sessions of one model, created and run from several threads at once, match a single thread's bytes") {
    if (!have_models()) return;
    Context ctx;
    for (const char* file : {kFloatModel, kQuantModel}) {
      CAPTURE(file);
      tare_model* m = load(ctx.c, file);
      const auto inputs = inputs_for(m);
      const auto expected = single_threaded(m, inputs);
      REQUIRE(expected[0] != expected[1]);  // the two images tell runs apart
      constexpr int kThreads = 4, kRuns = 3;
      std::latch start(kThreads);
      std::vector<int> mismatches(kThreads, 0), failures(kThreads, 0);
      std::vector<std::string> errors(kThreads);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; t++)
        threads.emplace_back([&, t] {
          start.arrive_and_wait();  // every thread creates its session at the same time
          tare_session* s = nullptr;
          if (tare_session_create(m, nullptr, &s) != TARE_OK) {
            failures[t]++;
            errors[t] = tare_last_error();
            return;
          }
          for (int r = 0; r < kRuns; r++) {
            const size_t which = (size_t)(t + r) % 2;
            tare_status st = TARE_OK;
            std::vector<uint8_t> out = run(s, inputs[which], &st);
            if (st != TARE_OK) {
              failures[t]++;
              errors[t] = tare_last_error();
            } else if (out != expected[which]) {
              mismatches[t]++;
            }
          }
          tare_session_destroy(s);
        });
      for (auto& th : threads) th.join();
      for (int t = 0; t < kThreads; t++) {
        CAPTURE(t);
        CHECK(failures[t] == 0);
        CHECK(errors[t] == "");
        CHECK(mismatches[t] == 0);
      }
      tare_model_destroy(m);
    }
    check_validation();
  }

  TEST_CASE("models loaded, queried and destroyed from several threads on one context while a session runs") {
    if (!have_models()) return;
    Context ctx;
    tare_model* runner = load(ctx.c, kQuantModel);
    const auto inputs = inputs_for(runner);
    const auto expected = single_threaded(runner, inputs);
    const std::vector<uint8_t> bytes = read_file(data_path(kFloatModel));
    uint32_t tensors = 0, ops = 0;
    {
      tare_model* m = load(ctx.c, kFloatModel);
      REQUIRE(tare_model_tensor_count(m, &tensors) == TARE_OK);
      REQUIRE(tare_model_op_count(m, &ops) == TARE_OK);
      tare_model_destroy(m);
    }
    constexpr int kLoaders = 3, kLoads = 6;
    std::atomic<int> loaders_left{kLoaders};
    std::atomic<bool> running{false};  // the loaders start once the session has run once
    std::atomic<int> load_failures{0}, wrong_counts{0}, run_failures{0}, run_mismatches{0}, runs{0};
    std::thread session_thread([&] {
      tare_session* s = nullptr;
      if (tare_session_create(runner, nullptr, &s) != TARE_OK) {
        run_failures++;
        return;
      }
      for (int r = 0; loaders_left.load() > 0 || r < 2; r++) {
        tare_status st = TARE_OK;
        std::vector<uint8_t> out = run(s, inputs[(size_t)r % 2], &st);
        runs++;
        running = true;
        if (st != TARE_OK) run_failures++;
        if (st == TARE_OK && out != expected[(size_t)r % 2]) run_mismatches++;
      }
      tare_session_destroy(s);
    });
    std::vector<std::thread> loaders;
    for (int t = 0; t < kLoaders; t++)
      loaders.emplace_back([&, t] {
        while (!running.load() && run_failures.load() == 0) std::this_thread::yield();
        for (int i = 0; i < kLoads; i++) {
          tare_model* m = nullptr;
          tare_status st = (t + i) % 2 ? tare_model_load_memory(ctx.c, bytes.data(), bytes.size(), &m)
                                       : tare_model_load_file(ctx.c, data_path(kFloatModel).c_str(), &m);
          if (st != TARE_OK) {
            load_failures++;
            continue;
          }
          uint32_t n = 0, k = 0;
          if (tare_model_tensor_count(m, &n) != TARE_OK || tare_model_op_count(m, &k) != TARE_OK || n != tensors ||
              k != ops)
            wrong_counts++;
          tare_model_destroy(m);
        }
        loaders_left--;
      });
    for (auto& th : loaders) th.join();
    session_thread.join();
    CHECK(load_failures.load() == 0);
    CHECK(wrong_counts.load() == 0);
    CHECK(run_failures.load() == 0);
    CHECK(run_mismatches.load() == 0);
    MESSAGE(runs.load() << " runs during " << kLoaders * kLoads << " loads");
    tare_model_destroy(runner);
    check_validation();
  }

  TEST_CASE("quantization and bias correction on one thread while another runs a session: the same bytes") {
    if (!have_models()) return;
    Context ctx;
    tare_model* m = load(ctx.c, kFloatModel);
    std::vector<float> images = read_floats(data_path(kImage0));
    const std::vector<float> second = read_floats(data_path(kImage1));
    images.insert(images.end(), second.begin(), second.end());
    // Alone first: the reference bytes of the quantized and of the corrected model.
    tare_model *q = nullptr, *c = nullptr;
    REQUIRE(tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr) == TARE_OK);
    REQUIRE(tare_correct_bias_array(m, q, images.data(), 2, nullptr, &c, nullptr, nullptr) == TARE_OK);
    const std::vector<uint8_t> quantized = exported(q), corrected = exported(c);
    tare_model_destroy(c);
    tare_model_destroy(q);

    const auto inputs = inputs_for(m);
    const auto expected = single_threaded(m, inputs);
    std::atomic<bool> calibrating{true};
    std::atomic<int> runs{0}, run_failures{0}, run_mismatches{0};
    std::thread session_thread([&] {
      tare_session* s = nullptr;
      if (tare_session_create(m, nullptr, &s) != TARE_OK) {
        run_failures++;
        return;
      }
      for (int r = 0; calibrating.load() || r < 2; r++) {
        tare_status st = TARE_OK;
        std::vector<uint8_t> out = run(s, inputs[(size_t)r % 2], &st);
        runs++;
        if (st != TARE_OK) run_failures++;
        if (st == TARE_OK && out != expected[(size_t)r % 2]) run_mismatches++;
      }
      tare_session_destroy(s);
    });
    tare_status qs = tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr);
    tare_status cs = qs == TARE_OK ? tare_correct_bias_array(m, q, images.data(), 2, nullptr, &c, nullptr, nullptr)
                                   : TARE_ERROR_INTERNAL;
    calibrating = false;
    session_thread.join();
    REQUIRE(qs == TARE_OK);
    REQUIRE(cs == TARE_OK);
    CHECK(exported(q) == quantized);
    CHECK(exported(c) == corrected);
    CHECK(run_failures.load() == 0);
    CHECK(run_mismatches.load() == 0);
    MESSAGE(runs.load() << " runs during quantization and bias correction");
    tare_model_destroy(c);
    tare_model_destroy(q);
    tare_model_destroy(m);
    check_validation();
  }

  TEST_CASE("callbacks that cancel: CANCELLED with a message, no output, every handle destroyable") {
    if (!have_models()) return;
    tare_context* ctx = nullptr;
    REQUIRE(tare_context_create(nullptr, &ctx) == TARE_OK);
    tare_model* m = load(ctx, kFloatModel);
    std::vector<float> images = read_floats(data_path(kImage0));
    const std::vector<float> second = read_floats(data_path(kImage1));
    images.insert(images.end(), second.begin(), second.end());
    struct Feed {
      const std::vector<float>* images;
    } feed{&images};
    auto fill = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
      std::memcpy(dst, static_cast<Feed*>(user)->images->data() + (size_t)i * (size / 4), size);
      return TARE_OK;
    };
    // Each callback counts its calls and cancels at the first.
    static std::atomic<int> calls{0};
    auto cancel = [](void*, const char*, uint32_t, uint32_t) -> int { return ++calls, 1; };
    // A session runs on another thread all along, and must not notice.
    const auto inputs = inputs_for(m);
    const auto expected = single_threaded(m, inputs);
    std::atomic<bool> cancelling{true};
    std::atomic<int> run_failures{0}, run_mismatches{0};
    std::thread session_thread([&] {
      tare_session* s = nullptr;
      if (tare_session_create(m, nullptr, &s) != TARE_OK) {
        run_failures++;
        return;
      }
      for (int r = 0; cancelling.load() || r < 1; r++) {
        tare_status st = TARE_OK;
        if (run(s, inputs[(size_t)r % 2], &st) != expected[(size_t)r % 2])
          (st == TARE_OK ? run_mismatches : run_failures)++;
      }
      tare_session_destroy(s);
    });

    tare_quantize_options qo;
    tare_quantize_options_init(&qo);
    qo.calibration_batch = 1;
    qo.progress = cancel;
    tare_model* q = reinterpret_cast<tare_model*>(&feed);  // must be reset to NULL
    calls = 0;
    CHECK(tare_quantize(m, 2, fill, &feed, &qo, &q, nullptr) == TARE_ERROR_CANCELLED);
    CHECK(q == nullptr);
    CHECK(calls.load() == 1);
    CHECK(contains(tare_last_error(), "cancel"));
    REQUIRE(tare_quantize_array(m, images.data(), 2, nullptr, &q, nullptr) == TARE_OK);

    tare_ibc_options io;
    tare_ibc_options_init(&io);
    io.progress = cancel;
    tare_model* c = nullptr;
    tare_diagnostics* d = nullptr;
    calls = 0;
    CHECK(tare_correct_bias(m, q, 2, fill, &feed, &io, &c, nullptr, &d) == TARE_ERROR_CANCELLED);
    CHECK(c == nullptr);
    CHECK(d == nullptr);
    CHECK(calls.load() == 1);
    CHECK(contains(tare_last_error(), "cancel"));

    tare_analyze_options ao;
    tare_analyze_options_init(&ao);
    ao.progress = cancel;
    calls = 0;
    CHECK(tare_analyze(m, q, nullptr, 2, fill, &feed, &ao, &d) == TARE_ERROR_CANCELLED);
    CHECK(d == nullptr);
    CHECK(calls.load() == 1);

    tare_bft_options bo;
    tare_bft_options_init(&bo);
    bo.rate_count = 1;
    bo.mini_epochs_per_rate = 2;
    bo.batch = 2;
    bo.on_loss = [](void*, uint32_t, uint32_t, double) -> int { return ++calls, 1; };
    tare_model* t = nullptr;
    calls = 0;
    CHECK(tare_fine_tune_bias(m, q, 2, fill, &feed, &bo, &t, nullptr) == TARE_ERROR_CANCELLED);
    CHECK(t == nullptr);
    CHECK(calls.load() == 1);
    CHECK(contains(tare_last_error(), "cancel"));

    cancelling = false;
    session_thread.join();
    CHECK(run_failures.load() == 0);
    CHECK(run_mismatches.load() == 0);
    // The context and models still work after the cancelled calls, then go in the least convenient order.
    const auto after = single_threaded(q, inputs_for(q));
    CHECK(after.size() == 2);
    tare_context_destroy(ctx);
    tare_model_destroy(m);
    tare_model_destroy(q);
    check_validation();
  }

  TEST_CASE("handle checks: use after destroy, double destroy and a wrong handle kind are INVALID_ARGUMENT") {
    if (!have_models()) return;
    Context ctx;
    tare_model* m = load(ctx.c, kQuantModel);
    tare_session* s = nullptr;
    REQUIRE(tare_session_create(m, nullptr, &s) == TARE_OK);
    tare_session_destroy(s);
    // New handles do not take the destroyed one's address while it is quarantined, so it stays detectably dead.
    std::vector<tare_session*> others(8, nullptr);
    for (auto& o : others) {
      REQUIRE(tare_session_create(m, nullptr, &o) == TARE_OK);
      CHECK(o != s);
    }
    CHECK(tare_session_run(s) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()) == "session used after tare_session_destroy (or not a handle Tare returned)");
    uint32_t count = 0;
    CHECK(tare_session_profile_count(s, &count) == TARE_ERROR_INVALID_ARGUMENT);
    tare_session_destroy(s);  // double destroy: ignored, and said
    CHECK(contains(tare_last_error(), "tare_session_destroy: session already destroyed"));
    for (auto& o : others) tare_session_destroy(o);

    tare_model* gone = load(ctx.c, kQuantModel);
    tare_model_destroy(gone);
    CHECK(tare_model_input_count(gone, &count) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()) == "model used after tare_model_destroy (or not a handle Tare returned)");
    tare_session* from_gone = reinterpret_cast<tare_session*>(&count);
    CHECK(tare_session_create(gone, nullptr, &from_gone) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(from_gone == nullptr);
    tare_model_destroy(gone);
    CHECK(contains(tare_last_error(), "tare_model_destroy: model already destroyed"));

    // A pointer Tare never returned, and a model passed where a session goes.
    int not_a_handle = 0;
    CHECK(tare_session_run(reinterpret_cast<tare_session*>(&not_a_handle)) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(tare_session_run(reinterpret_cast<tare_session*>(m)) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tare_last_error()) == "a model handle passed as a session");

    tare_context* c2 = nullptr;
    REQUIRE(tare_context_create(nullptr, &c2) == TARE_OK);
    tare_context_destroy(c2);
    tare_model* late = nullptr;
    CHECK(tare_model_load_file(c2, data_path(kQuantModel).c_str(), &late) == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(contains(tare_last_error(), "context used after tare_context_destroy"));
    CHECK(late == nullptr);

    // The live handles still work.  The checks' cost: the cheapest call (a lookup under the registry's mutex and
    // little else) next to a run.
    constexpr int kCalls = 200000;
    const auto t0 = std::chrono::steady_clock::now();
    int failed_calls = 0;
    for (int i = 0; i < kCalls; i++) failed_calls += tare_model_input_count(m, &count) != TARE_OK;
    const auto t1 = std::chrono::steady_clock::now();
    CHECK(failed_calls == 0);
    const auto outs = single_threaded(m, inputs_for(m));
    const auto t2 = std::chrono::steady_clock::now();
    CHECK(outs[0] != outs[1]);
    MESSAGE("tare_model_input_count with the handle check: "
            << std::chrono::duration<double, std::nano>(t1 - t0).count() / kCalls << " ns per call; a session "
            << "created and run twice: " << std::chrono::duration<double, std::milli>(t2 - t1).count() << " ms");
    tare_model_destroy(m);
    check_validation();
  }

  TEST_CASE("handle checks: one session used by two threads at once is refused; a destroy during a run waits") {
    if (!have_models()) return;
    Context ctx;
    tare_model* m = load(ctx.c, kFloatModel);
    const auto inputs = inputs_for(m);
    const auto expected = single_threaded(m, inputs);
    tare_session* s = nullptr;
    REQUIRE(tare_session_create(m, nullptr, &s) == TARE_OK);
    REQUIRE(tare_session_set_input(s, 0, inputs[0].data(), inputs[0].size()) == TARE_OK);
    // Two threads run the same session until one of them has been refused (a run takes milliseconds, so they
    // overlap within a few tries; 20 s at most).
    std::atomic<bool> refused{false};
    std::atomic<int> other_failures{0}, runs{0};
    std::vector<std::string> messages(2);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++)
      threads.emplace_back([&, t] {
        while (!refused.load() && std::chrono::steady_clock::now() < deadline) {
          tare_status st = tare_session_run(s);
          runs++;
          if (st == TARE_ERROR_INVALID_ARGUMENT) {
            messages[t] = tare_last_error();
            refused = true;
          } else if (st != TARE_OK) {
            other_failures++;
          }
        }
      });
    for (auto& th : threads) th.join();
    CHECK(refused.load());
    CHECK(other_failures.load() == 0);
    const std::string message = messages[0].empty() ? messages[1] : messages[0];
    CHECK(contains(message, "session used from two threads at once"));
    MESSAGE(runs.load() << " runs until the first refusal");
    // The session is intact: a run from one thread gives the single-threaded bytes.
    tare_status st = TARE_OK;
    CHECK(run(s, inputs[1], &st) == expected[1]);
    CHECK(st == TARE_OK);

    // Destroyed from this thread while another runs it: the running call finishes, the next one is refused, and the
    // session is released by the thread that used it last (no use after free under ASan).
    std::atomic<bool> started{false};
    std::atomic<int> ok_runs{0};
    tare_status last = TARE_OK;
    std::string last_message;
    std::thread user([&] {
      for (;;) {
        started = true;
        last = tare_session_run(s);
        if (last != TARE_OK) break;
        ok_runs++;
      }
      last_message = tare_last_error();
    });
    while (!started.load()) std::this_thread::yield();
    tare_session_destroy(s);
    user.join();
    CHECK(last == TARE_ERROR_INVALID_ARGUMENT);
    CHECK(last_message == "session used after tare_session_destroy (or not a handle Tare returned)");
    tare_model_destroy(m);
    check_validation();
  }
}
