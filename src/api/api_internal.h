// Internals shared by the C ABI's source files (src/api): the handle structs and the exception guard.
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "api/handles.h"
#include "common/error.h"
#include "engine/session.h"
#include "model/graph.h"
#include "tare/tare.h"
#include "vk/context.h"

struct tare_context_s {
  std::shared_ptr<tare::vk::Context> ctx;
};

struct tare_model_s {
  std::shared_ptr<tare::vk::Context> ctx;
  std::shared_ptr<const tare::Graph> graph;
  std::string name;  // file name when loaded from a file
};

struct tare_session_s {
  std::shared_ptr<const tare::Graph> graph;  // keeps the model's graph alive
  std::unique_ptr<tare::Session> session;
  std::vector<std::string> profile_names;
  std::vector<double> profile_ms;
};

namespace tare::api {

// Records the thread's last error message and returns `st`; never throws (out of memory: a fixed message).
tare_status set_error(tare_status st, const char* msg);
tare_status set_error(tare_status st, const std::string& msg);

template <typename F>
tare_status guarded(F&& f) {
  try {
    f();
    return TARE_OK;
  } catch (const tare::Error& e) {
    return set_error(e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return set_error(TARE_ERROR_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception& e) {
    return set_error(TARE_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return set_error(TARE_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

#define TARE_ARG(cond, msg) TARE_CHECK(cond, TARE_ERROR_INVALID_ARGUMENT, msg)

// An enum a C caller passed (a field or a parameter), checked to be one of the `count` values 0..count-1 before it
// is used as the enum type: C lets any int through, and loading an out-of-range value as a C++ enum is undefined.
// So the bytes are read as the integer they are.
template <typename E>
E checked_enum(const E& value, int count, const char* what) {
  static_assert(std::is_enum_v<E> && sizeof(E) == sizeof(int32_t), "a C enum");
  int32_t raw;
  std::memcpy(&raw, &value, sizeof raw);
  TARE_ARG(raw >= 0 && raw < count, std::string(what) + " = " + std::to_string(raw) + " is not a valid value");
  return static_cast<E>(raw);
}

// Copies `size` bytes of a struct the caller declared with `struct_size` into ours (zero-filling what it lacks).
template <typename T>
T read_options(const T* in, const T& defaults) {
  T out = defaults;
  if (!in) return out;
  TARE_ARG(in->struct_size >= sizeof(size_t), "options struct_size is not set (call the *_init function)");
  size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
  std::memcpy(static_cast<void*>(&out), in, n);
  out.struct_size = sizeof(T);
  return out;
}

// The body of every tare_X_init_sized: a zeroed T (padding included) gets its defaults from `set_defaults`, and
// min(size, sizeof(T)) bytes of it are copied into the caller's struct, with struct_size = that count.  Nothing past
// them is touched, so a caller compiled against an older, smaller T is safe.  NULL, or a size that cannot hold
// struct_size: nothing is written.
template <typename T, typename F>
void init_sized(T* out, size_t size, F&& set_defaults) {
  if (!out || size < sizeof(size_t)) return;
  T value;
  std::memset(static_cast<void*>(&value), 0, sizeof(T));
  set_defaults(value);
  size_t n = size < sizeof(T) ? size : sizeof(T);
  value.struct_size = n;
  std::memcpy(static_cast<void*>(out), &value, n);
}

// Writes our struct into the caller's, limited to the caller's struct_size.
template <typename T>
void write_out(T* out, T value) {
  size_t n = out->struct_size;
  TARE_ARG(n >= sizeof(size_t), "output struct_size is not set (call the *_init function)");
  value.struct_size = n;
  std::memcpy(static_cast<void*>(out), &value, n < sizeof(T) ? n : sizeof(T));
}

}  // namespace tare::api
