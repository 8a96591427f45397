// FULLY_CONNECTED's kernels, shared with CONV_2D: a 1x1 convolution over fewer pixels than a GEMM tile is a matrix
// product over few rows, which the FC shaders run with lanes over output channels (the GEMM's lanes are pixels:
// over one pixel it would keep 1 lane of a SIMD vector busy).
#pragma once

#include <vector>

#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/q8_conv_common.h"

namespace tare::ops {

// Rows (pixels) below which CONV_2D's 1x1 GEMM runs as a FULLY_CONNECTED kernel: fewer than the fp32 GEMM's 8-pixel
// tile (the 8-bit GEMM's tile is 16 pixels; 8 to 48 pixels were not measured either way).  On lavapipe
// MobileNet-v2's 1280 -> 1001 classifier over 1 pixel takes 12.8 -> 6.7 ms (fp32) and 6.4 -> 3.2 ms (uint8) this
// way, but its 7x7 (49-pixel) layers 2.2-2.5x longer than as a GEMM.
constexpr int64_t kConvFcRows = 8;
constexpr uint32_t kFcLocal = 64;  // workgroup size (x: groups of 4 units)

// Float kernel: weights [units][depth] row-major, bias padded to out4 * 4 (noted as op.inputs[2]'s constant).
KernelPtr make_fc_kernel(BuildContext& b, const Op& op, const FcGeometry& fc, const std::vector<float>& weights,
                         const std::vector<float>& bias);
// 8-bit kernel: the requantization parameters of the op (q8conv::params, with weights [units][depth]).
KernelPtr make_q8_fc_kernel(BuildContext& b, const Op& op, const FcGeometry& fc, const q8conv::Params& qp);

}  // namespace tare::ops
