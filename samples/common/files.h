// File checks shared by the C++ samples: a file's size is known (and checked) before it is read whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace tare_samples {

// The size of the regular file at `path`; false with `error` set when it is missing, unreadable or not a regular
// file (a directory, a device).
inline bool regular_file_size(const std::string& path, uint64_t* size, std::string* error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  if (!std::filesystem::is_regular_file(status)) {
    *error = "'" + path + "' is not a regular file";
    return false;
  }
  *size = std::filesystem::file_size(path, ec);
  if (ec) {
    *error = "cannot read '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace tare_samples
