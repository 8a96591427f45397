#include "model/constants.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/fp16.h"

namespace tare {

namespace {

template <typename T>
T load(const uint8_t* p, int64_t i) {
  T v;
  std::memcpy(&v, p + i * (int64_t)sizeof(T), sizeof(T));
  return v;
}

int64_t raw_int(const Tensor& t, int64_t i) {
  const uint8_t* p = t.data.data();
  switch (t.dtype) {
    case DType::I8: return load<int8_t>(p, i);
    case DType::U8: return load<uint8_t>(p, i);
    case DType::I16: return load<int16_t>(p, i);
    case DType::I32: return load<int32_t>(p, i);
    case DType::I64: return load<int64_t>(p, i);
    case DType::Bool: return load<uint8_t>(p, i) ? 1 : 0;
    default: return 0;
  }
}

}  // namespace

std::vector<float> constant_to_float(const Tensor& t) {
  const std::string what = "constant '" + t.name + "'";
  TARE_CHECK(t.is_const, TARE_ERROR_INTERNAL, "tensor '" + t.name + "' is not constant");
  const int64_t n = t.elements();
  TARE_CHECK(n >= 0 && t.data.size() == (size_t)n * dtype_size(t.dtype), TARE_ERROR_INVALID_MODEL,
             what + ": data does not match its shape");
  std::vector<float> v((size_t)n);
  const uint8_t* p = t.data.data();
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(v.data(), p, (size_t)n * 4);
      return v;
    case DType::F16:
      for (int64_t i = 0; i < n; i++) v[i] = half_to_float(load<uint16_t>(p, i));
      return v;
    default: break;
  }
  const QuantParams& q = t.quant;
  if (!q.quantized()) {
    for (int64_t i = 0; i < n; i++) v[i] = (float)raw_int(t, i);
    return v;
  }
  TARE_CHECK(q.zero_point.empty() || q.zero_point.size() == q.scale.size(), TARE_ERROR_INVALID_MODEL,
             what + ": mismatched scale and zero point counts");
  int64_t inner = std::max<int64_t>(n, 1), channels = 1;  // one scale: one run of every value
  if (q.scale.size() > 1) {
    inner = 1;
    TARE_CHECK(q.axis >= 0 && q.axis < (int)t.shape.size() && (size_t)t.shape[q.axis] == q.scale.size(),
               TARE_ERROR_INVALID_MODEL,
               what + ": " + std::to_string(q.scale.size()) + " scales do not match axis " + std::to_string(q.axis));
    for (size_t d = (size_t)q.axis + 1; d < t.shape.size(); d++) inner *= t.shape[d];
    channels = t.shape[q.axis];
  }
  // Runs of `inner` values share a channel: its scale and zero point are looked up once per run, not per value (a
  // model's weights are dequantized for every IBC and BFT session).
  for (int64_t start = 0, c = 0; start < n; start += inner, c = c + 1 == channels ? 0 : c + 1) {
    const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[(size_t)c];
    const double scale = q.scale[(size_t)c];
    const int64_t end = std::min(n, start + inner);
    // One rounding: the double product is exact for 8-bit values (and within 2^-53 for int32 biases).
    for (int64_t i = start; i < end; i++) v[i] = (float)((double)(raw_int(t, i) - zp) * scale);
  }
  return v;
}

}  // namespace tare
