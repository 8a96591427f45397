#include "api/handles.h"

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/api_internal.h"
#include "common/error.h"

namespace tare::api::handles {

namespace {

const char* kind_name(HandleKind kind) {
  switch (kind) {
    case HandleKind::Context: return "context";
    case HandleKind::Model: return "model";
    case HandleKind::Session: return "session";
    case HandleKind::Diagnostics: return "diagnostics";
  }
  return "handle";
}

struct Entry {
  HandleKind kind;
  unsigned users = 0;      // calls using the handle now (a session: at most one)
  bool destroyed = false;  // destroyed while in use: retired by the last call's release
};

// Shells of retired handles: 4096 of them hold a few hundred KiB at most.  A fixed ring, so that retiring a handle
// never allocates (an allocation failure there would have nowhere to go, and the fault-injection sweeps need every
// pass to allocate the same way).
constexpr size_t kQuarantine = 4096;

struct Shell {
  void* handle = nullptr;
  void (*free_shell)(void*) = nullptr;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<const void*, Entry> live;
  std::array<Shell, kQuarantine> quarantine;  // a ring; `next` is the oldest slot once it has wrapped
  size_t next = 0;
  ~Registry() {
    for (Shell& s : quarantine)
      if (s.handle) s.free_shell(s.handle);
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string after_destroy(HandleKind kind) {
  const std::string k = kind_name(kind);
  return k + " used after tare_" + k + "_destroy (or not a handle Tare returned)";
}

}  // namespace

void add(const void* handle, HandleKind kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live[handle] = Entry{kind};
}

void acquire(const void* handle, HandleKind kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.live.find(handle);
  TARE_ARG(it != r.live.end() && !it->second.destroyed, after_destroy(kind));
  TARE_ARG(it->second.kind == kind,
           std::string("a ") + kind_name(it->second.kind) + " handle passed as a " + kind_name(kind));
  TARE_ARG(kind != HandleKind::Session || it->second.users == 0,
           "session used from two threads at once (a session runs one call at a time; use one session per thread)");
  it->second.users++;
}

bool release(const void* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.live.find(handle);
  if (it == r.live.end()) return false;
  if (--it->second.users > 0 || !it->second.destroyed) return false;
  r.live.erase(it);
  return true;
}

bool destroy(const void* handle, HandleKind kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.live.find(handle);
  if (it == r.live.end() || it->second.destroyed || it->second.kind != kind) {
    const std::string k = kind_name(kind);
    set_error(TARE_ERROR_INVALID_ARGUMENT,
              "tare_" + k + "_destroy: " + k + " already destroyed (or not a handle Tare returned); ignored");
    return false;
  }
  if (it->second.users > 0) {  // another thread's call is using it: that call retires it when it ends
    it->second.destroyed = true;
    return false;
  }
  r.live.erase(it);
  return true;
}

void quarantine(void* handle, void (*free_shell)(void*)) noexcept {
  Shell oldest;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    oldest = r.quarantine[r.next];
    r.quarantine[r.next] = Shell{handle, free_shell};
    r.next = (r.next + 1) % kQuarantine;
  }
  if (oldest.handle) oldest.free_shell(oldest.handle);
}

}  // namespace tare::api::handles
