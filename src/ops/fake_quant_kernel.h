// FAKE_QUANT's dispatch parameters (shaders/fake_quant.comp), shared by the op's kernel (fake_quant.cpp) and IBC's
// rerun of a corrected layer (src/calib/layer_runner.cpp), which adds a per-channel shift first in the same pass.
#pragma once

#include <cstdint>
#include <vector>

#include "model/graph.h"
#include "ops/op_common.h"
#include "vk/context.h"

namespace tare::ops {

struct FakeQuantSetup {
  int32_t push[9] = {};       // total vec4 groups, C, C4, scale bits, zero point, qmin, qmax, activation keys
  std::vector<int32_t> keys;  // the level table (keys[q - qmin]: smallest order key reaching q); one 0 without
  bool table = false, act = false;
};

// Checks the parameters (TARE_ERROR_INVALID_MODEL) and sets up a FAKE_QUANT over a tensor of shape `s`.
FakeQuantSetup fake_quant_setup(const OpParams& p, const Shape4& s, const std::string& where);

// A FAKE_QUANT of float32 NHWC4 `src` into `dst` with shift[c] (one vec4 per channel group, padding lanes 0) added
// to every value first, outside an operator kernel; `keys` holds setup.keys.
Dispatch fake_quant_shifted_dispatch(vk::Context& ctx, const FakeQuantSetup& setup, const vk::BufferRange& src,
                                     const vk::BufferRange& keys, const vk::BufferRange& dst,
                                     const vk::BufferRange& shift);

}  // namespace tare::ops
