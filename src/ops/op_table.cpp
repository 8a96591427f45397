// The descriptor table: one entry per line of model/op_list.h, each defined in its op's descriptor file.
#include <array>

#include "common/error.h"
#include "model/op_desc.h"
#include "ops/op_def.h"
#include "tflite_schema_generated.h"

namespace tare {

namespace {

const std::array<const OpDesc*, kOpTypeCount> kTable = {
#define TARE_OP_ENTRY(T) &ops::k##T,
    TARE_OPS(TARE_OP_ENTRY)
#undef TARE_OP_ENTRY
};

// Builtin code -> descriptor, built once (descriptors are constant-initialised before any call).
const std::array<const OpDesc*, (size_t)tflite::BuiltinOperator::MAX + 1>& builtin_index() {
  static const auto index = [] {
    std::array<const OpDesc*, (size_t)tflite::BuiltinOperator::MAX + 1> r{};
    for (const OpDesc* d : kTable) {
      for (int code : {d->builtin, d->builtin_alt})
        if (code >= 0 && (size_t)code < r.size()) r[(size_t)code] = d;
    }
    return r;
  }();
  return index;
}

}  // namespace

const OpDesc& op_desc(OpType t) {
  const int i = (int)t;
  TARE_CHECK(i >= 0 && i < kOpTypeCount, TARE_ERROR_INTERNAL, "unknown op type " + std::to_string(i));
  const OpDesc& d = *kTable[(size_t)i];
  TARE_CHECK(d.type == t, TARE_ERROR_INTERNAL, std::string("op table out of order at ") + d.name);
  return d;
}

const OpDesc* op_desc_for_builtin(int code) {
  const auto& index = builtin_index();
  return code >= 0 && (size_t)code < index.size() ? index[(size_t)code] : nullptr;
}

const OpDesc* op_desc_for_custom(const std::string& custom_code) {
  for (const OpDesc* d : kTable)
    if (d->custom && custom_code == d->custom) return d;
  return nullptr;
}

std::span<const OpDesc* const> op_descs() { return {kTable.data(), kTable.size()}; }

}  // namespace tare
