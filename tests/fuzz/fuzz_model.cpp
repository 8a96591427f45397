// libFuzzer target: TFLite model bytes -> load, verify, session on the Vulkan device (lavapipe), one run when small.
// See docs/hardening.md.
#include <cstdio>

#include "fuzz_targets.h"

namespace {

// Never destroyed: the Vulkan driver stays loaded until the process ends, so that LeakSanitizer's report at exit
// can name the modules of what it finds (a driver unloaded by vkDestroyInstance leaves "<unknown module>").
std::shared_ptr<tare::vk::Context>& g_ctx = *new std::shared_ptr<tare::vk::Context>;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  try {
    g_ctx = std::make_shared<tare::vk::Context>(tare::vk::ContextOptions{});
  } catch (const tare::Error& e) {
    std::fprintf(stderr, "fuzz_model: no Vulkan device (%s): fuzzing the importer only\n", e.what());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tare::fuzz::model_one(data, size, g_ctx);
  return 0;
}
