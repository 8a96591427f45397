// The C API's handle checks (docs/hardening.md, "Concurrency"): every handle the library returns is registered by
// address in a live set; each call that takes a handle looks it up first, so that a destroyed, never-created or
// wrong-kind pointer is refused with TARE_ERROR_INVALID_ARGUMENT instead of being dereferenced, a session used by
// two threads at once is refused, and a handle destroyed while a call uses it is released when that call ends.
// Destroyed handles keep their (emptied) memory in a quarantine for a while, so that a new handle does not get the
// same address at once and a stale pointer still reads as destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "tare/tare.h"

namespace tare::api {

enum class HandleKind { Context, Model, Session, Diagnostics };

constexpr HandleKind handle_kind(const tare_context_s*) { return HandleKind::Context; }
constexpr HandleKind handle_kind(const tare_model_s*) { return HandleKind::Model; }
constexpr HandleKind handle_kind(const tare_session_s*) { return HandleKind::Session; }
constexpr HandleKind handle_kind(const tare_diagnostics_s*) { return HandleKind::Diagnostics; }

namespace handles {

// Registers a new handle (before it is handed to the caller).
void add(const void* handle, HandleKind kind);
// Starts a call's use of `handle`; throws TARE_ERROR_INVALID_ARGUMENT when it is not a live handle of `kind`, or
// when it is a session that another call is using.
void acquire(const void* handle, HandleKind kind);
// Ends it; true when the handle was destroyed meanwhile and the caller must now retire it.
bool release(const void* handle);
// tare_X_destroy: true when the caller must retire the handle now; false when it is in use (the last call using it
// retires it) or was not live (a double destroy: recorded as the thread's last error).
bool destroy(const void* handle, HandleKind kind);
// Keeps a retired handle's memory out of reuse for a while; `free_shell` releases it later.
void quarantine(void* handle, void (*free_shell)(void*)) noexcept;

}  // namespace handles

// Destroys a handle's contents now and quarantines its memory.
template <typename T>
void retire(T* handle) noexcept {
  { T contents = std::move(*handle); }
  handles::quarantine(handle, [](void* p) { delete static_cast<T*>(p); });
}

// Registers a new handle and hands it over.
template <typename T>
T* publish(std::unique_ptr<T> handle) {
  handles::add(handle.get(), handle_kind(handle.get()));
  return handle.release();
}

// One API call's use of a handle (NULL allowed: the call checks it itself).
template <typename T>
class HandleUse {
 public:
  explicit HandleUse(T* handle) : handle_(handle) {
    if (handle_) handles::acquire(handle_, handle_kind(handle_));
  }
  ~HandleUse() {
    if (handle_ && handles::release(handle_)) retire(const_cast<std::remove_const_t<T>*>(handle_));
  }
  HandleUse(const HandleUse&) = delete;
  HandleUse& operator=(const HandleUse&) = delete;

 private:
  T* handle_;
};

// The body of every tare_X_destroy.
template <typename T>
void destroy_handle(T* handle) noexcept {
  if (handle && handles::destroy(handle, handle_kind(handle))) retire(handle);
}

}  // namespace tare::api
