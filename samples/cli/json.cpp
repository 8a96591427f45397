#include "json.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace tare_cli {

Json& Json::operator[](const std::string& key) {
  auto* o = std::get_if<Object>(&v_);
  if (!o) throw std::logic_error("Json: member '" + key + "' of a value that is not an object");
  for (auto& [k, v] : *o)
    if (k == key) return v;
  o->emplace_back(key, Json());
  return o->back().second;
}

Json& Json::push(Json value) {
  auto* a = std::get_if<Array>(&v_);
  if (!a) throw std::logic_error("Json: push onto a value that is not an array");
  a->push_back(std::move(value));
  return a->back();
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);  // ASCII, or a byte of a UTF-8 sequence: passed through
        }
    }
  }
  return out + "\"";
}

void Json::write(std::string& out) const {
  char buf[64];
  std::visit(
      [&](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
      out += "null";
    } else if constexpr (std::is_same_v<T, bool>) {
      out += v ? "true" : "false";
    } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
      out += std::to_string(v);
    } else if constexpr (std::is_same_v<T, double>) {
      if (!std::isfinite(v)) {
        out += "null";  // JSON has no NaN or infinity
      } else {
        auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that reads back the same double
        out.append(buf, r.ptr);
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      out += json_quote(v);
    } else if constexpr (std::is_same_v<T, Array>) {
      out += '[';
      for (size_t i = 0; i < v.size(); i++) {
        if (i) out += ", ";
        v[i].write(out);
      }
      out += ']';
    } else {
      out += '{';
      for (size_t i = 0; i < v.size(); i++) {
        if (i) out += ", ";
        out += json_quote(v[i].first);
        out += ": ";
        v[i].second.write(out);
      }
      out += '}';
    }
      },
      v_);
}

std::string Json::dump() const {
  std::string out;
  write(out);
  return out;
}

}  // namespace tare_cli
