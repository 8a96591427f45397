// Shared helpers of the test suite.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data_files.h"
#include "vk/context.h"

namespace tare::test {

// A helper program (node, python) is not under test: a sanitizer run's preloaded runtime (scripts/sanitize.sh sets
// LD_PRELOAD) must not reach it.  `program` is already quoted for the shell.
inline std::string without_preload(const std::string& program) {
  const char* preload = std::getenv("LD_PRELOAD");
  return (preload && *preload) ? "env -u LD_PRELOAD " + program : program;
}

// The data folder: $TARE_DATA, else the build-time default (../shared/data beside the checkout).
std::string data_dir();
// True if the data folder holds `relative`.  Otherwise: prints a visible "SKIPPED (no data): ..." line and returns
// false, unless TARE_REQUIRE_DATA=1, in which case the current test fails.
bool have_data(const std::string& relative);
std::string data_path(const std::string& relative);
std::vector<uint8_t> read_file(const std::string& path);
std::vector<float> read_floats(const std::string& path);

// The shared Vulkan context of the test process (validation on when TARE_VALIDATION=1, as ctest sets it).
// Returns nullptr (after printing why) when no Vulkan device exists.
std::shared_ptr<vk::Context> gpu();

// Fails the current test if the validation layer reported anything since the last check.  (Every test case is
// also checked when it ends: a message there makes the whole run fail.)
void check_validation();
// Test cases during which the validation layer spoke (so far).
int validation_failures();

// The reference cases of ref/index.json (TFLite's own outputs for the shared models).
struct RefOutput {
  std::string file, name;
};
struct RefCase {
  std::string model_file, input_file, kind, name;
  std::vector<RefOutput> outputs;
};
std::vector<RefCase> parse_ref_index(const std::string& json);
// The cases of one model ("mobilenet_v1_0.25_224.tflite"); empty (after have_data's note) when data is missing.
std::vector<RefCase> ref_cases(const std::string& model);
// The input tensors of a model's reference cases whose name starts with `prefix` ("img": the real images; "": all),
// in index order; empty when the data is missing.
std::vector<std::vector<float>> ref_inputs(const std::string& model, const std::string& prefix = "");
// Calibration's input callback over images held in memory (they must outlive it).
inline auto fill_from(const std::vector<std::vector<float>>& images) {
  return [&images](uint32_t i, float* dst) { std::copy(images[i].begin(), images[i].end(), dst); };
}

// max |a-b| / max(|b|) over all elements (b is the reference); 0 if both are all zero.
double max_rel_error(const std::vector<float>& a, const std::vector<float>& b);
double max_abs_error(const std::vector<float>& a, const std::vector<float>& b);
size_t argmax(const std::vector<float>& v);

}  // namespace tare::test
