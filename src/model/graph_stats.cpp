// Operator statistics (MACs) for reports and `tare info`.
#include "model/graph.h"

namespace tare {

int64_t op_macs(const Graph& g, const Op& op) {
  if (op.outputs.empty() || op.inputs.size() < 2 || op.inputs[1] < 0) return 0;
  const Tensor& out = g.tensors[op.outputs[0]];
  const Tensor& w = g.tensors[op.inputs[1]];
  switch (op.type) {
    case OpType::Conv2D:  // weights [Cout, KH, KW, Cin]: each output element takes KH*KW*Cin MACs
      return w.shape.size() == 4 ? out.elements() * w.shape[1] * w.shape[2] * w.shape[3] : 0;
    case OpType::DepthwiseConv2D:  // weights [1, KH, KW, C]
      return w.shape.size() == 4 ? out.elements() * w.shape[1] * w.shape[2] : 0;
    case OpType::FullyConnected:  // weights [units, in]
      return w.shape.size() == 2 ? out.elements() * w.shape[1] : 0;
    default: return 0;
  }
}

}  // namespace tare
