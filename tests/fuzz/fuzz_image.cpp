// libFuzzer target: image bytes -> JPEG/PNG decoding -> the CLI's preprocessing.  See docs/hardening.md.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tare::fuzz::image_one(data, size);
  return 0;
}
