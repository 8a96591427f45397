// The backward reference's per-operator context (src/ref/backward.cpp runs it): an operator's forward values,
// its output gradient and the accumulators of its inputs' gradients, with the checks every rule needs.  The rules of
// the ops are members (conv2d, pool, ...) or, for newer ops, free functions in their descriptor files; the op's
// descriptor (OpDesc::ref_grad) names the rule.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "ref/backward.h"
#include "ref/ref_ops.h"

namespace tare::ref {

// dL/dy of an activation's input, given its output y: passes where y is strictly inside the activation's range.
inline bool passes(Activation a, float y) {
  switch (a) {
    case Activation::None: return true;
    case Activation::Relu: return y > 0.0f;
    case Activation::ReluN1To1: return y > -1.0f && y < 1.0f;
    case Activation::Relu6: return y > 0.0f && y < 6.0f;
  }
  return false;
}

class GradContext {
 public:
  GradContext(const Graph& g, const Values& fwd, const BackwardOptions& opt) : g_(g), fwd_(fwd), opt_(opt) {}

  Gradients run(const std::vector<std::pair<int, std::vector<float>>>& seeds);

  const Graph& graph() const { return g_; }
  const Op& op() const { return *op_; }
  // dL/d(output k), as accumulated from the operator's consumers (zeros for an output of a multi-output op that no
  // gradient reached).
  const std::vector<float>& output_grad(size_t k = 0) const { return res_.activations[op_->outputs.at(k)]; }

  // ---- helpers ---------------------------------------------------------------------------------------------------
  [[noreturn]] void fail(tare_status s, const std::string& msg) const {
    std::string w = std::string("backward ") + op_name(op_->type);
    const int index = op_->source_index >= 0 ? op_->source_index : op_index_;
    w += " (operator " + std::to_string(index) + ")";
    tare::fail(s, w + ": " + msg);
  }
  const Tensor& tensor(int t) const {
    if (t < 0 || t >= (int)g_.tensors.size()) fail(TARE_ERROR_INVALID_MODEL, "tensor index out of range");
    return g_.tensors[t];
  }
  int input(size_t i) const {
    if (i >= op_->inputs.size() || op_->inputs[i] < 0) fail(TARE_ERROR_INVALID_MODEL, "missing input");
    return op_->inputs[i];
  }
  bool has_input(size_t i) const { return i < op_->inputs.size() && op_->inputs[i] >= 0; }
  const std::vector<int>& shape(int t) const { return tensor(t).shape; }
  // The forward value of tensor t (checked against its shape).
  const std::vector<float>& value(int t) const {
    const Tensor& ts = tensor(t);
    if (t >= (int)fwd_.size() || (int64_t)fwd_[t].size() != ts.elements())
      fail(TARE_ERROR_INVALID_ARGUMENT,
           "forward value of '" + ts.name + "' " + shape_str(ts.shape) + " is missing or has the wrong size");
    return fwd_[t];
  }
  // The gradient accumulator of tensor t, or null when t needs no gradient (constant, omitted, not needed).
  std::vector<float>* grad(int t) {
    if (t < 0 || t >= (int)g_.tensors.size() || g_.tensors[t].is_const || !needed_[t]) return nullptr;
    std::vector<float>& v = res_.activations[t];
    if (v.empty()) v.assign((size_t)g_.tensors[t].elements(), 0.0f);
    return &v;
  }
  void add_to(std::vector<float>* dst, const std::vector<double>& src) {
    if (!dst) return;
    for (size_t i = 0; i < src.size(); i++) (*dst)[i] += (float)src[i];
  }
  // The output gradient with the fused activation's mask applied.
  std::vector<float> masked_output_grad(Activation a) {
    const int o = op_->outputs[0];
    std::vector<float> gy = res_.activations[o];
    if (a == Activation::None) return gy;
    if ((int)a < 0 || (int)a > 3) fail(TARE_ERROR_UNSUPPORTED, "unknown fused activation");
    const std::vector<float>& y = value(o);
    for (size_t i = 0; i < gy.size(); i++)
      if (!passes(a, y[i])) gy[i] = 0.0f;
    return gy;
  }
  void add_bias_grad(size_t index, int channels, const std::vector<float>& gy) {
    if (!has_input(index)) return;
    const int b = op_->inputs[index];
    if (tensor(b).elements() != channels)
      fail(TARE_ERROR_INVALID_MODEL, "bias has " + std::to_string(tensor(b).elements()) + " values for " +
                                         std::to_string(channels) + " channels");
    std::vector<double> sum((size_t)channels, 0.0);
    const size_t rows = gy.size() / (size_t)channels;
    for (size_t r = 0; r < rows; r++)
      for (int c = 0; c < channels; c++) sum[c] += gy[r * channels + c];
    std::vector<double>& acc = bias_acc_[b];
    for (int c = 0; c < channels; c++) acc[c] += sum[c];
    add_to(grad(b), sum);  // a bias computed by the graph (not a constant) also gets it as an activation gradient
  }

  void require_shape(int t, const std::vector<int>& s) const {
    if (shape(t) != s)
      fail(TARE_ERROR_INVALID_MODEL,
           "tensor '" + tensor(t).name + "' has shape " + shape_str(shape(t)) + ", expected " + shape_str(s));
  }
  void require_rank(int t, size_t rank) const {
    if (shape(t).size() != rank)
      fail(TARE_ERROR_UNSUPPORTED, "tensor '" + tensor(t).name + "' has shape " + shape_str(shape(t)) +
                                       ", expected rank " + std::to_string(rank));
  }

  // ---- rules -----------------------------------------------------------------------------------------------------
  void conv2d();
  void depthwise_conv2d();
  void fully_connected();
  void pool(bool average);
  void mean();
  // y = f(a, b) with numpy broadcasting: da, db are d(y)/d(a), d(y)/d(b); each operand's gradient is summed over
  // the positions it was broadcast to.
  void binary(double (*da)(float a, float b), double (*db)(float a, float b));
  void concatenation();
  void pass_through();  // RESHAPE, SQUEEZE, DEQUANTIZE of float / constant data
  void pad();
  // y = f(x) element by element, f'(x) = derivative(x, y): LOGISTIC, RELU, ...
  void unary(double (*derivative)(float x, float y));
  void softmax();
  void fake_quant();
  void resize_bilinear();

 private:
  void dispatch();

  const Graph& g_;
  const Values& fwd_;
  const BackwardOptions& opt_;
  const Op* op_ = nullptr;
  int op_index_ = -1;
  std::vector<bool> needed_;
  std::map<int, std::vector<double>> bias_acc_;
  Gradients res_;
};

}  // namespace tare::ref
