// Owning handles over the public C API for the C++ samples (the `tare` tool, calibrate): std::unique_ptr with the
// matching tare_X_destroy.
#pragma once

#include <tare/tare.h>

#include <memory>

namespace tare_samples {

struct HandleDeleter {
  void operator()(tare_context* c) const { tare_context_destroy(c); }
  void operator()(tare_model* m) const { tare_model_destroy(m); }
  void operator()(tare_session* s) const { tare_session_destroy(s); }
  void operator()(tare_diagnostics* d) const { tare_diagnostics_destroy(d); }
};
using ContextPtr = std::unique_ptr<tare_context, HandleDeleter>;
using ModelPtr = std::unique_ptr<tare_model, HandleDeleter>;
using SessionPtr = std::unique_ptr<tare_session, HandleDeleter>;
using DiagnosticsPtr = std::unique_ptr<tare_diagnostics, HandleDeleter>;

}  // namespace tare_samples
