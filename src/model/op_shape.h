// What a descriptor's shape inference (OpDesc::infer) gets: the operator, its input shapes and checks whose
// failures name the operator (TARE_ERROR_INVALID_MODEL).
#pragma once

#include <string>
#include <vector>

#include "model/graph.h"

namespace tare {

class ShapeContext {
 public:
  ShapeContext(Graph& g, const Op& op, size_t pos) : g_(g), op_(op), pos_(pos) {}

  const Graph& graph() const { return g_; }
  const Op& op() const { return op_; }
  const OpParams& params() const { return op_.params; }

  // "operator N (NAME): msg", INVALID_MODEL.
  [[noreturn]] void err(const std::string& msg) const;
  // lo..hi inputs (those at positions >= lo may be omitted, -1), each a valid tensor; exactly `outputs` outputs
  // (SPLIT, UNPACK: several), each a valid tensor.
  void need_inputs(size_t lo, size_t hi, size_t outputs = 1) const;
  void need_rank(size_t i, size_t rank, const char* what) const;

  const std::vector<int>& in(size_t i) const { return g_.tensors[op_.inputs[i]].shape; }
  const Tensor& input(size_t i) const { return g_.tensors[op_.inputs[i]]; }
  bool has(size_t i) const { return i < op_.inputs.size() && op_.inputs[i] >= 0; }

  // Sets output k's shape (checked: no negative dimension, not too large).
  void set_out(std::vector<int> s) const { set_out(0, std::move(s)); }
  void set_out(size_t k, std::vector<int> s) const;

  // The largest element count a tensor may have (keeps every later size computation far from overflow).
  static constexpr int64_t kMaxElements = int64_t(1) << 40;

 private:
  Graph& g_;
  const Op& op_;
  size_t pos_;
};

// Shared rules of several ops: the output is input 0's shape (element-wise unary ops); the numpy-style broadcast
// of inputs 0 and 1.
void infer_same_shape(ShapeContext& s);
void infer_broadcast(ShapeContext& s);

}  // namespace tare
