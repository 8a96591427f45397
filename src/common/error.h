// Internal error type.  Inside the library, failures throw tare::Error; the C API (src/api) catches every
// exception and turns it into a tare_status plus a message.
#pragma once

#include <stdexcept>
#include <string>

#include "tare/tare.h"

namespace tare {

class Error : public std::runtime_error {
 public:
  Error(tare_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  tare_status status() const { return status_; }

 private:
  tare_status status_;
};

[[noreturn]] inline void fail(tare_status status, const std::string& message) { throw Error(status, message); }

#define TARE_CHECK(cond, status, msg) \
  do { \
    if (!(cond)) ::tare::fail((status), (msg)); \
  } while (0)

}  // namespace tare
