// Graph utilities: operator statistics (MACs) for reports and `tare info`, unused-tensor removal.
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

std::vector<int> remove_unused_tensors(Graph& g) {
  std::vector<char> used(g.tensors.size(), 0);
  for (const Op& op : g.ops) {
    for (int t : op.inputs)
      if (t >= 0) used[t] = 1;
    for (int t : op.outputs) used[t] = 1;
  }
  for (int t : g.inputs) used[t] = 1;
  for (int t : g.outputs) used[t] = 1;
  std::vector<int> remap(g.tensors.size(), -1);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < g.tensors.size(); t++) {
    if (!used[t]) continue;
    remap[t] = (int)kept.size();
    kept.push_back(std::move(g.tensors[t]));
  }
  g.tensors = std::move(kept);
  for (Op& op : g.ops) {
    for (int& t : op.inputs)
      if (t >= 0) t = remap[t];
    for (int& t : op.outputs) t = remap[t];
  }
  for (int& t : g.inputs) t = remap[t];
  for (int& t : g.outputs) t = remap[t];
  return remap;
}

}  // namespace tare
