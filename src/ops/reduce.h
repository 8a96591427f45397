// The reduction family's kernels (MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD): reduce.cpp, q8_reduce.cpp,
// grad_mean.cpp, grad_reduce.cpp.  ReduceKind is the shaders' OP specialization constant.
#pragma once

#include "ops/kernel.h"

namespace tare::ops {

enum class ReduceKind : uint32_t { Mean = 0, Sum = 1, Max = 2, Min = 3, Prod = 4 };

KernelPtr make_reduce(BuildContext& b, const Op& op, ReduceKind kind);
KernelPtr make_q8_reduce(BuildContext& b, const Op& op, ReduceKind kind);
// dx += dy / count (MEAN) or dy (SUM).
KernelPtr make_grad_mean_or_sum(BuildContext& b, const Op& op, bool sum);
// MAX / MIN (to the first extreme) and PROD (the product of the others).
KernelPtr make_grad_reduce(BuildContext& b, const Op& op, ReduceKind kind);

}  // namespace tare::ops
