#include "calib/ibc_heads.h"

#include <algorithm>

namespace tare::calib {

namespace {

// Ops that move or retype values without mixing them: a head read through them is still read raw.
bool is_layout(OpType t) {
  return t == OpType::Reshape || t == OpType::Squeeze || t == OpType::Concatenation || t == OpType::Quantize ||
         t == OpType::Dequantize;
}

bool reads(const Op& op, int tensor) {
  return std::find(op.inputs.begin(), op.inputs.end(), tensor) != op.inputs.end();
}

}  // namespace

bool is_raw_head(const Graph& g, int op) {
  std::vector<int> todo = {g.ops.at((size_t)op).outputs.at(0)};
  std::vector<bool> seen(g.tensors.size(), false);
  bool reaches_output = false;
  while (!todo.empty()) {
    const int t = todo.back();
    todo.pop_back();
    if (seen[(size_t)t]) continue;
    seen[(size_t)t] = true;
    reaches_output |= std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
    for (const Op& reader : g.ops) {
      if (!reads(reader, t)) continue;
      if (!is_layout(reader.type)) return false;
      todo.insert(todo.end(), reader.outputs.begin(), reader.outputs.end());
    }
  }
  return reaches_output;
}

std::vector<bool> layers_to_correct(const Graph& q, const std::vector<Layer>& layers, bool keep_heads) {
  std::vector<bool> r(layers.size(), true);
  if (keep_heads)
    for (size_t l = 0; l < layers.size(); l++) r[l] = !is_raw_head(q, layers[l].q_op);
  return r;
}

}  // namespace tare::calib
