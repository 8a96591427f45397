// PLACEHOLDER (to be replaced by the real kernel before commit)
#include "common/error.h"
#include "ops/kernel.h"
namespace tare::ops {
KernelPtr make_quantize(BuildContext&, const Op& op) {
  fail(TARE_ERROR_UNSUPPORTED, std::string(op_name(op.type)) + ": 8-bit GPU kernel not written yet");
}
}  // namespace tare::ops
