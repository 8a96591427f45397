// FAKE_QUANT's backward folded into the backward kernel of the operator that reads its output (training).  Where a
// FAKE_QUANT's output has that one reader and its input no reader but the FAKE_QUANT, the reader's backward kernel
// writes the FAKE_QUANT's input gradient itself, masked by the straight-through estimator (shaders/ste_mask.glsl):
// the output's gradient is never written, the FAKE_QUANT's backward records nothing
// (BuildContext::claim_fake_quant_fold).  Defined in grad_fake_quant.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "ops/kernel.h"

namespace tare::ops {

// A FAKE_QUANT's clamp range and fused activation range as order keys (ste_mask.glsl's push values).
struct SteKeys {
  int32_t key_lo = 0, key_hi = 0, act_lo = 0, act_hi = 0;
};

// Checks `fq`'s parameters (TARE_ERROR_INVALID_MODEL); `act`: whether a fused activation applies.
SteKeys ste_keys(const Op& fq, const std::string& where, bool& act);

// What the backward kernel of `op` writes for its input `slot` (kernels whose shader has the MASK and ACCUM
// specialization constants and the masked tensor's binding).
struct GradTarget {
  int tensor = -1;     // whose gradient: op.inputs[slot], or the folded FAKE_QUANT's input
  uint32_t mask = 0;   // MASK: 0 none, 1 the clamp range, 2 the clamp range and a fused activation
  bool store = false;  // ACCUM = !store (BuildContext::claim_grad_store)
  SteKeys keys;        // with a mask: the FAKE_QUANT's; `tensor`'s forward values decide the mask
};
GradTarget grad_target(BuildContext& b, const Op& op, int slot);

}  // namespace tare::ops
