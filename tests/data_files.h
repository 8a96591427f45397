// The shared data folder (models, images, TFLite's reference tensors) and its raw files, for the tests and the
// benchmarks.  Header-only, without doctest: the tests add their checks around it (test_util.h).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#ifndef TARE_DEFAULT_DATA
#define TARE_DEFAULT_DATA "../shared/data"
#endif

namespace tare::data {

// $TARE_DATA, else the build-time default (../shared/data beside the checkout).
inline std::string data_dir() {
  const char* env = std::getenv("TARE_DATA");
  return env && *env ? env : TARE_DEFAULT_DATA;
}

// The bytes of a file; nullopt when it cannot be opened.
inline std::optional<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A raw tensor file (float32, native byte order, no header: the .bin files of ref/); nullopt when it cannot be
// opened.  Trailing bytes short of a whole float are ignored.
inline std::optional<std::vector<float>> read_floats(const std::string& path) {
  std::optional<std::vector<uint8_t>> bytes = read_bytes(path);
  if (!bytes) return std::nullopt;
  std::vector<float> v(bytes->size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), bytes->data(), v.size() * sizeof(float));
  return v;
}

}  // namespace tare::data
