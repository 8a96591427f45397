// Helpers shared by the backward kernels of the weighted ops (grad_conv2d.cpp, grad_depthwise_conv2d.cpp,
// grad_fully_connected.cpp); defined in grad_conv2d.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/kernel.h"
#include "ops/ste_fold.h"

namespace tare::ops {

// float32 session, input/weights/optional bias/1 output, non-constant float32 input, fused activation NONE (else
// TARE_ERROR_UNSUPPORTED "split fused activations first").
void check_grad_weighted(BuildContext& b, const Op& op, const std::string& where);

// dx[m][ic] += sum over oc of dy[m][oc] * W[oc][ic] over `rows` rows of NHWC4 tensors (shaders/grad_conv2d_1x1.comp):
// `wt` holds the transposed weights, vec4 [(ic4*oc4s + oc4)*4 + lane] = W[oc4*4+lane][ic4*4 .. +3]; dy is the
// tensor whose gradient is read; `dx` says which gradient is written and how (grad_target, ops/ste_fold.h).
KernelPtr make_grad_gemm(BuildContext& b, const std::vector<float>& wt, int64_t rows, int ic4s, int oc4s, int dy,
                         const GradTarget& dx);

}  // namespace tare::ops
