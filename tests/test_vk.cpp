// The Vulkan runtime: device probing, buffers, the memory planner, validation-layer plumbing.
#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "engine/planner.h"
#include "test_util.h"
#include "vk/buffer.h"

using namespace tare;
using namespace tare::test;

TEST_SUITE("vk") {
  TEST_CASE("devices are enumerated with their features") {
    auto devs = vk::enumerate_devices();
    REQUIRE(!devs.empty());
    for (auto& d : devs) {
      CHECK(!d.name.empty());
      CHECK(d.subgroup_size >= 1);
      CHECK(d.max_workgroup_invocations >= 128);
    }
  }

  TEST_CASE("context probes lavapipe's features") {
    auto ctx = gpu();
    REQUIRE(ctx);
    const auto& c = ctx->caps();
    MESSAGE("device " << c.name << " subgroup " << c.subgroup_size << " fp16 " << c.fp16_arithmetic << " int8 "
                      << c.int8_storage << " dot " << c.integer_dot_product << " int64 " << c.int64);
    if (c.name.find("llvmpipe") != std::string::npos) {
      // Facts measured on lavapipe (Mesa 22.3): these must be detected.
      CHECK(c.fp16_storage);
      CHECK(c.int8_storage);
      CHECK(c.int64);
      CHECK(c.subgroup_size == 8);
      CHECK(c.timestamps);
    }
  }

  TEST_CASE("a bad device index or name is an error, not a crash") {
    vk::ContextOptions o;
    o.device_index = 999;
    try {
      vk::Context c(o);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.status() == TARE_ERROR_INVALID_ARGUMENT);
    }
    vk::ContextOptions o2;
    o2.device_name = "no-such-gpu-xyz";
    try {
      vk::Context c(o2);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.status() == TARE_ERROR_INVALID_ARGUMENT);
      CHECK(std::string(e.what()).find("no-such-gpu-xyz") != std::string::npos);
    }
  }

  TEST_CASE("buffers round-trip data (device-local and host-visible)") {
    auto ctx = gpu();
    REQUIRE(ctx);
    std::vector<uint32_t> data(1000);
    for (size_t i = 0; i < data.size(); i++) data[i] = (uint32_t)(i * 2654435761u);
    for (auto kind : {vk::MemoryKind::Device, vk::MemoryKind::Upload, vk::MemoryKind::Readback}) {
      vk::Buffer b(ctx, data.size() * 4 + 64, kind);
      b.upload(data.data(), data.size() * 4, 64);
      std::vector<uint32_t> back(data.size());
      b.download(back.data(), back.size() * 4, 64);
      CHECK(back == data);
    }
    vk::Buffer b(ctx, 16, vk::MemoryKind::Device);
    CHECK_THROWS_AS(b.upload(data.data(), 32, 0), Error);
    check_validation();
  }

  TEST_CASE("absurd allocations fail with OUT_OF_MEMORY") {
    auto ctx = gpu();
    REQUIRE(ctx);
    try {
      vk::Buffer b(ctx, (uint64_t)1 << 50, vk::MemoryKind::Device);
      FAIL("a 1 PiB buffer was allocated");
    } catch (const Error& e) {
      CHECK((e.status() == TARE_ERROR_OUT_OF_MEMORY || e.status() == TARE_ERROR_DEVICE));
    }
  }

  TEST_CASE("planner: tensors alive together never overlap, dead ones share") {
    std::vector<PlanItem> items = {{100, 0, 1}, {200, 1, 2}, {100, 2, 3}, {50, 3, 4}, {300, 0, 4}, {10, 4, 4}};
    Plan p = plan_memory(items, 16);
    auto align = [](uint64_t v) { return (v + 15) / 16 * 16; };
    for (size_t i = 0; i < items.size(); i++) {
      CHECK(p.offsets[i] % 16 == 0);
      CHECK(p.offsets[i] + items[i].bytes <= p.total);
      for (size_t j = i + 1; j < items.size(); j++) {
        bool live = !(items[i].last < items[j].first || items[j].last < items[i].first);
        bool overlap = p.offsets[i] < p.offsets[j] + align(items[j].bytes) &&
                       p.offsets[j] < p.offsets[i] + align(items[i].bytes);
        CHECK_FALSE((live && overlap));
      }
    }
    uint64_t sum = 0;
    for (auto& it : items) sum += align(it.bytes);
    CHECK(p.total < sum);
    // Peak live bytes is a lower bound.
    uint64_t peak = 0;
    for (int step = 0; step <= 4; step++) {
      uint64_t live = 0;
      for (auto& it : items)
        if (it.first <= step && step <= it.last) live += align(it.bytes);
      peak = std::max(peak, live);
    }
    CHECK(p.total >= peak);
  }
}
