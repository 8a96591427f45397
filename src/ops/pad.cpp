// PAD with zeros or PADV2's value, any dimension of a rank <= 4 tensor, channels included (shaders/pad.comp).
#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;

// PADV2's value (a constant scalar, input 2); 0 without one.
float pad_value(const Graph& g, const Op& op, const std::string& where) {
  if (op.inputs.size() < 3 || op.inputs[2] < 0) return 0.0f;
  const Tensor& v = g.tensors[(size_t)op.inputs[2]];
  TARE_CHECK(v.is_const && v.dtype == DType::F32 && v.data.size() == 4, TARE_ERROR_UNSUPPORTED,
             where + "the pad value must be a float32 constant scalar");
  float f;
  std::memcpy(&f, v.data.data(), 4);
  return f;
}

}  // namespace

KernelPtr make_pad(BuildContext& b, const Op& op) {
  const std::string where = op_where(op);
  const PadGeometry pg = pad_geometry(b, op, where);
  const Shape4 &is = pg.is, &os = pg.os;
  const int* before = pg.before;
  const int tile = std::max(1, std::min(4, os.w));
  const int owt = x_tiles(os.w, tile);
  const int64_t total = (int64_t)os.n * os.h * owt * os.c4();
  TARE_CHECK(os.rows() > 0 && total < (int64_t)INT32_MAX - kLocal && os.padded_elements() < INT32_MAX,
             TARE_ERROR_UNSUPPORTED, where + "tensor too large or empty");
  const struct {
    int32_t v[15];
    float value;
  } pc{{is.n, is.h, is.w, is.c, is.c4(), os.h, os.w, os.c, os.c4(), before[0], before[1], before[2], before[3], owt,
        (int32_t)total},
       pad_value(b.graph(), op, where)};
  auto p = b.pipeline("pad", {(uint32_t)tile, before[3] % 4 == 0 ? 1u : 0u}, sizeof(pc), 2, kLocal);
  return make_dispatch(std::move(p), {Binding::t(op.inputs[0]), Binding::t(op.outputs[0])}, pc, grid_xy(total, kLocal));
}

}  // namespace tare::ops
