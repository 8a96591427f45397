// A tiny JSON document builder for `tare ... --json`: objects keep their insertion order, strings are UTF-8 passed
// through (control characters, quotes and backslashes escaped), non-finite numbers are written as null.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tare_cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  Json(double d) : v_(d) {}
  Json(float f) : v_(static_cast<double>(f)) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T i) {
    if constexpr (std::is_signed_v<T>) v_ = static_cast<int64_t>(i);
    else v_ = static_cast<uint64_t>(i);
  }
  Json(const char* s) : v_(std::string(s ? s : "")) {}
  Json(std::string s) : v_(std::move(s)) {}

  static Json object() {
    Json j;
    j.v_ = Object{};
    return j;
  }
  static Json array() {
    Json j;
    j.v_ = Array{};
    return j;
  }

  // Object member (added when missing); the value must be an object.
  Json& operator[](const std::string& key);
  // Appends to an array; returns the new element.
  Json& push(Json value);

  std::string dump() const;

 private:
  void write(std::string& out) const;
  std::variant<std::nullptr_t, bool, int64_t, uint64_t, double, std::string, Array, Object> v_;
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(const std::string& s);

}  // namespace tare_cli
