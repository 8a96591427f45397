// Graph utilities: operator statistics (MACs) for reports and `tare info`, unused-tensor removal.
#include "model/graph.h"
#include "model/op_desc.h"

namespace tare {

int64_t op_macs(const Graph& g, const Op& op) {
  if (op.outputs.empty() || op.inputs.size() < 2 || op.inputs[1] < 0) return 0;
  const auto macs = op_desc(op.type).macs;
  return macs ? macs(g, op) : 0;
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
