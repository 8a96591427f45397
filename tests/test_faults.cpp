// Fault injection (docs/hardening.md, "Fault injection"): the Nth Vulkan allocation or the Nth host allocation
// fails, swept over N, for session creation + a run, quantization, IBC and BFT through the C API; a fence wait that
// times out or reports a lost device.  Every failure must be a status with a message (never INTERNAL), nothing may
// leak (LeakSanitizer: scripts/sanitize.sh faults), and the context must still run the model as before.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "api/api_internal.h"
#include "calib_harness.h"
#include "data_files.h"
#include "model/tflite_export.h"
#include "ref/reference.h"
#include "tare/tare.h"
#include "test_util.h"
#include "vk/context.h"
#include "vk/fault.h"

using namespace tare;
using namespace tare::test;

// ---- the host hook: operator new of this binary throws std::bad_alloc on the Nth call after arming -------------
//
// Only calls made by this binary's own code (Tare is linked in statically) on the arming thread are counted: the
// validation layer and the driver (LLVM) are C++ too, and a bad_alloc thrown inside them would test them, not Tare.
extern "C" char __executable_start, etext;  // the linker's bounds of this binary's code

namespace {

thread_local bool t_host_armed = false, t_host_sticky = false, t_host_failed_nothrow = false;
thread_local uint64_t t_host_count = 0, t_host_fail_at = 0;

// nullptr where the call was a nothrow one that is to fail; throws std::bad_alloc where a throwing one is.
void* counted_new(size_t n, const void* caller, bool nothrow) {
  if (t_host_armed && caller >= &__executable_start && caller < &etext &&
      (++t_host_count == t_host_fail_at || (t_host_sticky && t_host_count > t_host_fail_at && t_host_fail_at))) {
    if (!nothrow) throw std::bad_alloc();
    t_host_failed_nothrow = true;
    return nullptr;
  }
  void* p = std::malloc(n ? n : 1);
  if (!p && !nothrow) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t n) { return counted_new(n, __builtin_return_address(0), false); }
void* operator new[](size_t n) { return counted_new(n, __builtin_return_address(0), false); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n, __builtin_return_address(0), true);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n, __builtin_return_address(0), true);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// Host: the Nth allocation fails; HostSticky: the Nth and every later one (memory that stays exhausted).
enum class Fault { Vulkan, Host, HostSticky };

std::string fault_name(Fault f) { return f == Fault::Vulkan ? "Vulkan" : f == Fault::Host ? "host" : "host (sticky)"; }

void arm(Fault f, uint64_t fail_at) {
  if (f == Fault::Vulkan) {
    vk::fault::arm(vk::fault::Point::Allocation, fail_at);
  } else {
    t_host_count = 0;
    t_host_fail_at = fail_at;
    t_host_sticky = f == Fault::HostSticky;
    t_host_failed_nothrow = false;
    t_host_armed = true;
  }
}

uint64_t disarm(Fault f) {
  if (f == Fault::Vulkan) return vk::fault::disarm();
  t_host_armed = false;
  return t_host_count;
}

// At most TARE_FAULT_PASSES passes per operation and kind of fault (N then steps over the points); unset or 0:
// every point (about 90 s in all on lavapipe, the Release build).
uint64_t max_passes() {
  const char* v = std::getenv("TARE_FAULT_PASSES");
  return v && *v ? std::strtoull(v, nullptr, 10) : 0;
}

constexpr int kSize = 8, kChannels = 3, kClasses = 5, kImages = 2;

// A small classifier (conv, depthwise, conv, mean, FC, softmax), its images and its float reference output, as C API
// handles on one context.
struct Fixture {
  tare_context* ctx = nullptr;
  tare_model* model = nullptr;
  tare_model* quantized = nullptr;
  Images images;
  std::vector<float> flat_images, expected;
  std::vector<uint8_t> model_bytes;
  std::vector<float> scratch = std::vector<float>(kClasses);  // outputs of runs under a fault

  explicit Fixture(bool quantize = true, uint32_t fence_timeout_ms = 0) {
    std::mt19937 rng(11);
    Graph g = classifier(kSize, kSize, kChannels, 4, 8, kClasses, rng);
    images = random_images(kImages, kSize * kSize * kChannels, rng, -0.2f, 1.0f);
    for (const auto& im : images) flat_images.insert(flat_images.end(), im.begin(), im.end());
    expected = ref::run(g, {images[0]})[g.outputs[0]];
    tare_context_options o;
    tare_context_options_init(&o);
    o.fence_timeout_ms = fence_timeout_ms;
    REQUIRE(tare_context_create(&o, &ctx) == TARE_OK);
    model_bytes = export_tflite(g);
    REQUIRE(tare_model_load_memory(ctx, model_bytes.data(), model_bytes.size(), &model) == TARE_OK);
    if (quantize)
      REQUIRE(tare_quantize_array(model, flat_images.data(), kImages, nullptr, &quantized, nullptr) == TARE_OK);
  }
  ~Fixture() {
    tare_model_destroy(quantized);
    tare_model_destroy(model);
    tare_context_destroy(ctx);
  }
};

// One image through a new session of `model`: TARE_OK and `out` filled, or the first failure.  Allocates nothing
// itself (the host hook counts the library's allocations only).
tare_status run_once(tare_model* model, const float* image, std::vector<float>& out) {
  tare_session* s = nullptr;
  tare_status st = tare_session_create(model, nullptr, &s);
  if (st == TARE_OK) st = tare_session_set_input(s, 0, image, kSize * kSize * kChannels * sizeof(float));
  if (st == TARE_OK) st = tare_session_run(s);
  if (st == TARE_OK) st = tare_session_get_output(s, 0, out.data(), out.size() * sizeof(float));
  tare_session_destroy(s);
  return st;
}

tare_status context_once(Fixture&) {
  tare_context* c = nullptr;
  tare_status st = tare_context_create(nullptr, &c);
  tare_context_destroy(c);
  return st;
}

tare_status load_once(Fixture& f) {
  tare_model* m = nullptr;
  tare_status st = tare_model_load_memory(f.ctx, f.model_bytes.data(), f.model_bytes.size(), &m);
  tare_model_destroy(m);
  return st;
}

tare_status session_once(Fixture& f) { return run_once(f.model, f.images[0].data(), f.scratch); }

tare_status quantize_once(Fixture& f) {
  tare_model* q = nullptr;
  tare_status st = tare_quantize_array(f.model, f.flat_images.data(), kImages, nullptr, &q, nullptr);
  tare_model_destroy(q);
  return st;
}

tare_status ibc_once(Fixture& f) {
  tare_model* c = nullptr;
  tare_status st = tare_correct_bias_array(f.model, f.quantized, f.flat_images.data(), kImages, nullptr, &c, nullptr,
                                           nullptr);
  tare_model_destroy(c);
  return st;
}

// BFT's tiny schedule: one rate, two mini-epochs of both images in batches of one (4 steps).
tare_status bft_once(Fixture& f) {
  tare_bft_options o;
  tare_bft_options_init(&o);
  o.rate_count = 1;
  o.mini_epochs_per_rate = 2;
  o.batch = 1;
  auto feed = [](void* user, uint32_t i, void* dst, size_t size) -> tare_status {
    const float* src = static_cast<Fixture*>(user)->flat_images.data() + size_t(i) * kSize * kSize * kChannels;
    std::memcpy(dst, src, size);
    return TARE_OK;
  };
  tare_model* t = nullptr;
  tare_status st = tare_fine_tune_bias(f.model, f.quantized, kImages, feed, &f, &o, &t, nullptr);
  tare_model_destroy(t);
  return st;
}

struct SweepResult {
  uint64_t points = 0, passes = 0, absorbed = 0, unreached = 0;
  std::map<std::string, int> statuses;
};

// Counts the allocation points of `op` (an unarmed pass), then fails each one in turn (every step-th when there are
// more than max_passes()): each failure must be a status other than INTERNAL with a message, and afterwards the same
// context must still run the model to the same output as before the sweep.
bool verbose() { return std::getenv("TARE_FAULT_VERBOSE") != nullptr; }

template <typename Op>
SweepResult sweep(Fixture& f, Fault kind, const std::string& name, Op&& op) {
  std::vector<float> before(kClasses), after(kClasses);
  REQUIRE(run_once(f.model, f.images[0].data(), before) == TARE_OK);
  CHECK(max_abs_error(before, f.expected) < 1e-5);
  SweepResult r;
  REQUIRE(op(f) == TARE_OK);  // a first run compiles the pipelines the context then keeps: not counted below
  arm(kind, 0);
  tare_status counted = op(f);
  r.points = disarm(kind);
  REQUIRE(counted == TARE_OK);
  if (kind != Fault::Vulkan) REQUIRE(r.points > 0);  // loading a model makes no Vulkan call
  uint64_t step = max_passes() ? std::max<uint64_t>(1, (r.points + max_passes() - 1) / max_passes()) : 1;
  for (uint64_t n = 1; n <= r.points; n += step) {
    arm(kind, n);
    tare_status st = op(f);
    disarm(kind);
    r.passes++;
    std::string message = tare_last_error();
    INFO(name << ": " << fault_name(kind) << " allocation " << n << " of " << r.points << " failed -> "
              << std::string(tare_status_string(st)) << " '" << message << "'");
    if (verbose()) MESSAGE(name << " " << n << ": " << std::string(tare_status_string(st)) << " '" << message << "'");
    if (st == TARE_OK && kind != Fault::Vulkan && t_host_failed_nothrow) {
      r.absorbed++;  // a nothrow new that returned NULL, and its caller's fallback (std::stable_sort's buffer)
    } else if (st == TARE_OK) {
      r.unreached++;
      MESSAGE(name << " allocation " << n << " failed, yet the call succeeded");
    } else {
      r.statuses[tare_status_string(st)]++;
      CHECK(st != TARE_ERROR_INTERNAL);
      CHECK(!message.empty());
    }
    std::fill(after.begin(), after.end(), -1.0f);
    REQUIRE(run_once(f.model, f.images[0].data(), after) == TARE_OK);
    REQUIRE(after == before);
  }
  std::string seen;
  for (const auto& [s, k] : r.statuses) seen += " " + s + " x" + std::to_string(k);
  MESSAGE(name << ": " << fault_name(kind) << " allocation points " << r.points << ", passes " << r.passes << " (step "
               << step << "), absorbed by a fallback " << r.absorbed << ";" << seen);
  CHECK(r.unreached == 0);
  uint64_t validation = 0;
  CHECK(tare_context_validation_messages(f.ctx, &validation) == TARE_OK);
  CHECK(validation == 0);
  return r;
}

void sweep_both(const std::string& name, tare_status (*op)(Fixture&)) {
  if (!gpu()) return;
  Fixture f;
  for (Fault kind : {Fault::Vulkan, Fault::Host, Fault::HostSticky}) {
    auto t0 = std::chrono::steady_clock::now();
    sweep(f, kind, name, op);
    MESSAGE(name << " sweep: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  }
}

// Vulkan allocation failures of a first session on a new context, so that pipeline creation (shader modules,
// layouts, pipelines: cached by the context afterwards) is among the points; a new context for every pass.
void sweep_first_session() {
  if (!gpu()) return;
  uint64_t points = 0;
  {
    Fixture f(false);
    arm(Fault::Vulkan, 0);
    tare_status st = session_once(f);
    points = disarm(Fault::Vulkan);
    REQUIRE(st == TARE_OK);
  }
  uint64_t step = max_passes() ? std::max<uint64_t>(1, (points + max_passes() - 1) / max_passes()) : 1;
  std::map<std::string, int> statuses;
  for (uint64_t n = 1; n <= points; n += step) {
    Fixture f(false);
    arm(Fault::Vulkan, n);
    tare_status st = session_once(f);
    disarm(Fault::Vulkan);
    std::string message = tare_last_error();
    INFO("first session: Vulkan allocation " << n << " of " << points << " failed -> "
                                             << std::string(tare_status_string(st)) << " '" << message << "'");
    statuses[tare_status_string(st)]++;
    CHECK(st != TARE_OK);
    CHECK(st != TARE_ERROR_INTERNAL);
    CHECK(!message.empty());
    REQUIRE(session_once(f) == TARE_OK);
    CHECK(max_abs_error(f.scratch, f.expected) < 1e-5);
    uint64_t validation = 0;
    CHECK(tare_context_validation_messages(f.ctx, &validation) == TARE_OK);
    CHECK(validation == 0);
  }
  std::string seen;
  for (const auto& [s, k] : statuses) seen += " " + s + " x" + std::to_string(k);
  MESSAGE("first session on a new context: Vulkan allocation points " << points << " (pipelines included), step "
                                                                      << step << ";" << seen);
}

// A fence wait mid-way through `op` reports `result` (VK_TIMEOUT or VK_ERROR_DEVICE_LOST): the call fails with
// `expected`, later calls on the context with TARE_ERROR_DEVICE_LOST, and every handle is destroyed without a hang.
void lose_device(const std::string& name, tare_status (*op)(Fixture&), VkResult result, tare_status expected) {
  if (!gpu()) return;
  uint64_t waits = 0;
  {
    Fixture f;
    vk::fault::arm(vk::fault::Point::FenceWait, 0);
    REQUIRE(op(f) == TARE_OK);
    waits = vk::fault::disarm();
  }
  REQUIRE(waits > 0);
  const uint64_t midway = (waits + 1) / 2;
  INFO(name << ": fence wait " << midway << " of " << waits << " reports " << vk::result_name(result));
  auto f = std::make_unique<Fixture>();
  tare_session* earlier = nullptr;  // a session made before the loss
  REQUIRE(tare_session_create(f->model, nullptr, &earlier) == TARE_OK);
  vk::fault::arm(vk::fault::Point::FenceWait, midway, result);
  tare_status st = op(*f);
  vk::fault::disarm();
  std::string message = tare_last_error();
  MESSAGE(name << ": " << std::string(tare_status_string(st)) << " '" << message << "'");
  CHECK(st == expected);
  CHECK(!message.empty());
  // Later calls: a clear DEVICE_LOST, whatever they try.
  CHECK(tare_session_run(earlier) == TARE_ERROR_DEVICE_LOST);
  CHECK(std::string(tare_last_error()).find("lost") != std::string::npos);
  CHECK(session_once(*f) == TARE_ERROR_DEVICE_LOST);
  CHECK(op(*f) == TARE_ERROR_DEVICE_LOST);
  CHECK(quantize_once(*f) == TARE_ERROR_DEVICE_LOST);
  uint64_t validation = 0;
  CHECK(tare_context_validation_messages(f->ctx, &validation) == TARE_OK);
  CHECK(validation == 0);
  // Destroyed in an unusual order (the context first), each at once.
  auto t0 = std::chrono::steady_clock::now();
  tare_context_destroy(f->ctx);
  f->ctx = nullptr;
  tare_session_destroy(earlier);
  f.reset();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(name << ": every handle destroyed in " << seconds * 1e3 << " ms");
  CHECK(seconds < 5);
}

}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("a fence wait that times out or loses the device: TIMEOUT / DEVICE_LOST, then DEVICE_LOST, destroyable") {
    for (VkResult result : {VK_TIMEOUT, VK_ERROR_DEVICE_LOST}) {
      tare_status expected = result == VK_TIMEOUT ? TARE_ERROR_TIMEOUT : TARE_ERROR_DEVICE_LOST;
      lose_device("session run", session_once, result, expected);
      lose_device("IBC", ibc_once, result, expected);
      lose_device("BFT", bft_once, result, expected);
    }
  }
  TEST_CASE("fence_timeout_ms: a bound the run stays within changes nothing; statuses have names") {
    if (!gpu()) return;
    Fixture f(false, 20000);
    REQUIRE(session_once(f) == TARE_OK);
    CHECK(max_abs_error(f.scratch, f.expected) < 1e-5);
    CHECK(std::string(tare_status_string(TARE_ERROR_TIMEOUT)) == "TARE_ERROR_TIMEOUT");
    CHECK(std::string(tare_status_string(TARE_ERROR_DEVICE_LOST)) == "TARE_ERROR_DEVICE_LOST");
  }
  TEST_CASE("a real timeout: the work outlives the wait; every handle is destroyed while the GPU still runs it") {
    if (!gpu()) return;
#if defined(__SANITIZE_ADDRESS__)
    MESSAGE("skipped under AddressSanitizer: the abandoned device's objects are leaked on purpose");
    return;
#endif
    // MobileNet-v2 at batch 4 runs for a second or more on lavapipe: far past a 1 ms bound, and past the one more
    // bound destruction waits, so the context gives up on the submission while lavapipe still runs it.  Freeing
    // its buffers then crashed the process; now they are leaked.
    const auto bytes = data::read_bytes(data::data_dir() + "/models/mobilenet_v2_1.0_224_float.tflite");
    if (!bytes) {
      MESSAGE("skipped: no shared data");
      return;
    }
    tare_context* ctx = nullptr;
    REQUIRE(tare_context_create(nullptr, &ctx) == TARE_OK);
    tare_model* model = nullptr;
    REQUIRE(tare_model_load_memory(ctx, bytes->data(), bytes->size(), &model) == TARE_OK);
    tare_session_options so;
    tare_session_options_init(&so);
    so.batch = 4;
    tare_session* s = nullptr;
    REQUIRE(tare_session_create(model, &so, &s) == TARE_OK);
    REQUIRE(tare_session_run(s) == TARE_OK);  // lavapipe compiles at the first dispatch: not under the 1 ms bound
    ctx->ctx->set_fence_timeout_ms(1);
    CHECK(tare_session_run(s) == TARE_ERROR_TIMEOUT);
    CHECK(std::string(tare_last_error()).find("fence timeout") != std::string::npos);
    CHECK(tare_session_run(s) == TARE_ERROR_DEVICE_LOST);
    tare_session_destroy(s);
    tare_model_destroy(model);
    tare_context_destroy(ctx);
    // A new context works.
    Fixture f(false);
    REQUIRE(session_once(f) == TARE_OK);
    CHECK(max_abs_error(f.scratch, f.expected) < 1e-5);
  }
  TEST_CASE("Vulkan allocation failures in a new context's first session (pipeline creation included)") {
    sweep_first_session();
  }
  TEST_CASE("host allocation failures in context creation: a status, and the other context still runs") {
    sweep_both("context", context_once);
  }
  TEST_CASE("allocation failures in model loading: a status, and the context still runs") {
    sweep_both("load", load_once);
  }
  TEST_CASE("allocation failures in session creation and a run: a status, and the context still runs") {
    sweep_both("session", session_once);
  }
  TEST_CASE("allocation failures in quantization: a status, and the context still runs") {
    sweep_both("quantize", quantize_once);
  }
  TEST_CASE("allocation failures in IBC: a status, and the context still runs") { sweep_both("ibc", ibc_once); }
  TEST_CASE("allocation failures in BFT: a status, and the context still runs") { sweep_both("bft", bft_once); }
}
