#include "quant/equalize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "common/error.h"
#include "model/op_desc.h"

namespace tare::quant {

namespace {

std::string op_str(const Graph& g, int index) {
  const Op& op = g.ops[(size_t)index];
  std::string s = std::string(op_name(op.type)) + " " + std::to_string(op.source_index >= 0 ? op.source_index : index);
  if (!op.outputs.empty() && op.outputs[0] >= 0 && op.outputs[0] < (int)g.tensors.size()) {
    std::string name = g.tensors[(size_t)op.outputs[0]].name;  // converters join names with ';': the first is enough
    name = name.substr(0, std::min(name.find(';'), (size_t)64));
    if (!name.empty()) s += " ('" + name + "')";
  }
  return s;
}

bool valid_tensor(const Graph& g, int t) { return t >= 0 && t < (int)g.tensors.size(); }

// A float32 constant that is not quantized and holds as many bytes as its shape says.
bool float_const(const Graph& g, int t) {
  if (!valid_tensor(g, t)) return false;
  const Tensor& x = g.tensors[(size_t)t];
  return x.is_const && x.dtype == DType::F32 && !x.quant.quantized() && x.data.size() == x.bytes();
}

bool float_activation(const Graph& g, int t) {
  if (!valid_tensor(g, t)) return false;
  const Tensor& x = g.tensors[(size_t)t];
  return !x.is_const && x.dtype == DType::F32 && !x.quant.quantized() && !x.shape.empty();
}

int last_dim(const Graph& g, int t) { return g.tensors[(size_t)t].shape.back(); }

std::vector<double> doubles_of(const Tensor& t) {
  std::vector<float> f((size_t)t.elements());
  std::memcpy(f.data(), t.data.data(), f.size() * 4);
  return std::vector<double>(f.begin(), f.end());
}

// One equalized pair: the first layer's weights (and bias) by output channel, the second's weights by input channel.
struct Pair {
  int first = -1, second = -1;  // op indices
  int channels = 0;
  std::vector<int> first_map;   // output channel of each element of the first layer's weights
  std::vector<int> second_map;  // input channel of each element of the second layer's weights
  bool clip = false;            // RELU6 kept: a MINIMUM with 6 / total follows the first layer
  std::vector<double> total;    // product of this pair's scales over all sweeps, per channel
};

// Output channel of every element of a CONV_2D [Cout,KH,KW,Cin] or DEPTHWISE_CONV_2D [1,KH,KW,C*M] weight tensor.
std::vector<int> output_channel_map(const Op& op, const Tensor& w) {
  const int axis = op_traits(op.type).weights->out_axis;
  int64_t inner = 1;
  for (size_t d = (size_t)axis + 1; d < w.shape.size(); d++) inner *= w.shape[d];
  std::vector<int> m((size_t)w.elements());
  for (int64_t e = 0; e < w.elements(); e++) m[(size_t)e] = (int)((e / inner) % w.shape[(size_t)axis]);
  return m;
}

// Input channel of every element of the second layer's weights, for an input with `channels` channels.
std::vector<int> input_channel_map(const Op& op, const Tensor& w, int channels) {
  const auto input_channel = op_traits(op.type).weights->input_channel;
  std::vector<int> m((size_t)w.elements());
  for (int64_t e = 0; e < w.elements(); e++) m[(size_t)e] = input_channel(w.shape, e, channels);
  return m;
}

class Finder {
 public:
  Finder(const Graph& g, EqualizeReport& r) : g_(g), r_(r) {
    consumers_.resize(g.tensors.size());
    for (size_t i = 0; i < g.ops.size(); i++)
      for (int t : g.ops[i].inputs)
        if (valid_tensor(g, t)) consumers_[(size_t)t].push_back((int)i);
    is_output_.assign(g.tensors.size(), false);
    for (int t : g.outputs)
      if (valid_tensor(g, t)) is_output_[(size_t)t] = true;
  }

  // The pair that starts at op `a`, if there is one (notes why not when a weighted layer is in reach).
  bool find(int a, Pair& p) {
    const Op& op = g_.ops[(size_t)a];
    const WeightLayout* layout = op_traits(op.type).weights;
    if (!layout || !layout->equalizable_first) return false;
    if (op.inputs.size() < 2 || op.outputs.size() != 1) return false;
    const int w = op.inputs[1];
    if (!float_const(g_, w) || (int)g_.tensors[(size_t)w].shape.size() != layout->rank) return false;
    const int channels = g_.tensors[(size_t)w].shape[(size_t)layout->out_axis];
    const int y = op.outputs[0];
    if (!float_activation(g_, y) || last_dim(g_, y) != channels || channels <= 0) return false;
    const int bias = op.inputs.size() > 2 ? op.inputs[2] : -1;
    if (bias >= 0 && (!float_const(g_, bias) || g_.tensors[(size_t)bias].elements() != channels)) return false;

    // Follow the output through channel-wise operators to the next weighted layer.
    int t = y;
    for (;;) {
      if (is_output_[(size_t)t])
        return skip(a, std::string(t == y ? "its output" : "a tensor on the way") + " is a graph output");
      const auto& cons = consumers_[(size_t)t];
      if (cons.empty()) return false;
      if (cons.size() > 1)
        return skip(a, std::string(t == y ? "its output" : "a tensor on the way") + " is read by " +
                           std::to_string(cons.size()) + " operators");
      const Op& next = g_.ops[(size_t)cons[0]];
      if (next.inputs.empty() || next.inputs[0] != t) return false;
      if (is_weighted(next.type)) break;
      std::string why;
      if (!channelwise(next, channels, why)) {
        if (!why.empty()) return skip(a, why);
        return false;
      }
      t = next.outputs[0];
    }
    const int b = consumers_[(size_t)t][0];
    const Op& second = g_.ops[(size_t)b];
    const std::string second_str = op_str(g_, b);
    if (second.inputs.size() < 2 || !float_const(g_, second.inputs[1]))
      return skip(a, second_str + " has no float32 constant weights");
    const Tensor& w2 = g_.tensors[(size_t)second.inputs[1]];
    const std::string mismatch = op_traits(second.type).weights->input_mismatch(w2.shape, channels);
    if (!mismatch.empty()) return skip(a, second_str + mismatch);
    switch (op.params.activation) {
      case Activation::None:
      case Activation::Relu:
      case Activation::Relu6: break;
      case Activation::ReluN1To1: return skip(a, "its RELU_N1_TO_1 does not commute with scaling");
    }
    p.first = a;
    p.second = b;
    p.channels = channels;
    return true;
  }

 private:
  // True if `op` maps each of `channels` channels (the last axis) to the same channel of its output on its own and
  // commutes with positive scaling.  `why` is set when the reason is worth a note.
  bool channelwise(const Op& op, int channels, std::string& why) const {
    if (op.outputs.size() != 1 || !float_activation(g_, op.outputs[0])) return false;
    const int in = op.inputs[0], out = op.outputs[0];
    if (last_dim(g_, in) != channels || last_dim(g_, out) != channels) return false;
    for (size_t k = 1; k < op.inputs.size(); k++)  // the other inputs must be constant parameters
      if (op.inputs[k] >= 0 && (!valid_tensor(g_, op.inputs[k]) || !g_.tensors[(size_t)op.inputs[k]].is_const))
        return false;
    const auto through = op_traits(op.type).equalize_through;
    return through && through(g_, op, why);
  }

  bool skip(int a, const std::string& why) {
    r_.notes.push_back(op_str(g_, a) + " not equalized: " + why);
    return false;
  }

  const Graph& g_;
  EqualizeReport& r_;
  std::vector<std::vector<int>> consumers_;
  std::vector<bool> is_output_;
};

// After each clipping pair's first layer: the layer writes a new '<output>/unclipped' tensor and a MINIMUM with the
// per-channel constant 6 / total writes the original output, so that every reader and name stays as it was.
void add_clips(Graph& g, const std::vector<Pair>& pairs) {
  std::vector<const Pair*> at(g.ops.size(), nullptr);
  for (const Pair& p : pairs)
    if (p.clip) at[(size_t)p.first] = &p;
  std::vector<Op> ops;
  ops.reserve(g.ops.size() + pairs.size());
  for (size_t i = 0; i < g.ops.size(); i++) {
    ops.push_back(g.ops[i]);
    const Pair* p = at[i];
    if (!p) continue;
    const int y = ops.back().outputs[0];
    Tensor unclipped = g.tensors[(size_t)y];
    unclipped.name += "/unclipped";
    Tensor clip;
    clip.name = g.tensors[(size_t)y].name + "/clip";
    clip.shape = {p->channels};
    clip.is_const = true;
    std::vector<float> c((size_t)p->channels);
    for (size_t k = 0; k < c.size(); k++) c[k] = (float)(6.0 / p->total[k]);
    clip.data.resize(c.size() * 4);
    std::memcpy(clip.data.data(), c.data(), clip.data.size());
    g.tensors.push_back(std::move(unclipped));
    ops.back().outputs[0] = (int)g.tensors.size() - 1;
    g.tensors.push_back(std::move(clip));
    Op minimum;
    minimum.type = OpType::Minimum;
    minimum.inputs = {ops.back().outputs[0], (int)g.tensors.size() - 1};
    minimum.outputs = {y};
    ops.push_back(std::move(minimum));
  }
  g.ops = std::move(ops);
}

}  // namespace

Graph equalize_graph(const Graph& g, const EqualizeOptions& o, EqualizeReport* report) {
  TARE_CHECK(o.max_iterations >= 0, TARE_ERROR_INVALID_ARGUMENT, "equalize: max_iterations must be >= 0");
  TARE_CHECK(std::isfinite(o.tolerance) && o.tolerance >= 0, TARE_ERROR_INVALID_ARGUMENT,
             "equalize: tolerance must be a finite number >= 0");
  EqualizeReport local;
  EqualizeReport& r = report ? *report : local;
  r = EqualizeReport{};
  Graph out = g;

  // 1. The pairs.
  std::vector<Pair> pairs;
  {
    Finder f(g, r);
    for (size_t i = 0; i < g.ops.size(); i++) {
      Pair p;
      if (f.find((int)i, p)) pairs.push_back(std::move(p));
    }
  }
  r.pairs = (int)pairs.size();
  if (pairs.empty()) return out;

  // 2. Weight and bias tensors read by anything else are copied, so that the change stays within these operators.
  std::vector<int> uses(out.tensors.size(), 0);
  for (const Op& op : out.ops)
    for (int t : op.inputs)
      if (t >= 0) uses[(size_t)t]++;
  for (int t : out.outputs)
    if (t >= 0) uses[(size_t)t]++;
  for (int t : out.inputs)
    if (t >= 0) uses[(size_t)t]++;
  std::vector<bool> touched(out.ops.size(), false);
  for (const Pair& p : pairs) touched[(size_t)p.first] = touched[(size_t)p.second] = true;
  for (size_t i = 0; i < out.ops.size(); i++) {
    if (!touched[i]) continue;
    for (size_t k = 1; k < out.ops[i].inputs.size() && k <= 2; k++) {
      const int t = out.ops[i].inputs[k];
      if (t < 0 || uses[(size_t)t] <= 1) continue;
      Tensor copy = out.tensors[(size_t)t];
      copy.name += "/equalized_" + std::to_string(i);
      out.tensors.push_back(std::move(copy));
      uses[(size_t)t]--;
      uses.push_back(1);
      out.ops[i].inputs[k] = (int)out.tensors.size() - 1;
      r.notes.push_back("tensor '" + out.tensors[(size_t)t].name + "' is shared: " + op_str(out, (int)i) +
                        " gets its own copy");
    }
  }

  // 3. Working copies in double (one rounding to float at the end), the channel maps, RELU6 -> RELU.
  std::map<int, std::vector<double>> values;
  auto load = [&](int t) -> std::vector<double>& {
    auto it = values.find(t);
    if (it == values.end()) it = values.emplace(t, doubles_of(out.tensors[(size_t)t])).first;
    return it->second;
  };
  for (Pair& p : pairs) {
    Op& a = out.ops[(size_t)p.first];
    const Op& b = out.ops[(size_t)p.second];
    p.first_map = output_channel_map(a, out.tensors[(size_t)a.inputs[1]]);
    p.second_map = input_channel_map(b, out.tensors[(size_t)b.inputs[1]], p.channels);
    load(a.inputs[1]);
    if (a.inputs.size() > 2 && a.inputs[2] >= 0) load(a.inputs[2]);
    load(b.inputs[1]);
    p.total.assign((size_t)p.channels, 1.0);
    if (a.params.activation == Activation::Relu6) {
      a.params.activation = Activation::Relu;
      p.clip = !o.replace_relu6;
      (p.clip ? r.relu6_clipped : r.relu6_replaced)++;
    }
  }
  if (r.relu6_replaced > 0)
    r.notes.push_back("RELU6 replaced by RELU in " + std::to_string(r.relu6_replaced) +
                      " layers: the float network changes where their outputs exceeded 6");

  // 4. Sweeps: s_i = sqrt(r1_i / r2_i), W1[i] /= s_i, b1[i] /= s_i, W2[:, i] *= s_i.
  double change = 0;
  for (int it = 0; it < o.max_iterations; it++) {
    change = 0;
    for (Pair& p : pairs) {
      const Op& a = out.ops[(size_t)p.first];
      const Op& b = out.ops[(size_t)p.second];
      std::vector<double>& w1 = values[a.inputs[1]];
      std::vector<double>& w2 = values[b.inputs[1]];
      std::vector<double> r1((size_t)p.channels, 0.0), r2((size_t)p.channels, 0.0);
      for (size_t e = 0; e < w1.size(); e++)
        r1[(size_t)p.first_map[e]] = std::max(r1[(size_t)p.first_map[e]], std::abs(w1[e]));
      for (size_t e = 0; e < w2.size(); e++)
        r2[(size_t)p.second_map[e]] = std::max(r2[(size_t)p.second_map[e]], std::abs(w2[e]));
      std::vector<double> s((size_t)p.channels, 1.0);
      for (size_t c = 0; c < s.size(); c++) {
        if (r1[c] > 0 && r2[c] > 0 && std::isfinite(r1[c]) && std::isfinite(r2[c])) s[c] = std::sqrt(r1[c] / r2[c]);
        change = std::max(change, std::abs(s[c] - 1.0));
        p.total[c] *= s[c];
      }
      for (size_t e = 0; e < w1.size(); e++) w1[e] /= s[(size_t)p.first_map[e]];
      if (a.inputs.size() > 2 && a.inputs[2] >= 0) {
        std::vector<double>& b1 = values[a.inputs[2]];
        for (size_t c = 0; c < b1.size(); c++) b1[c] /= s[c];
      }
      for (size_t e = 0; e < w2.size(); e++) w2[e] *= s[(size_t)p.second_map[e]];
    }
    r.iterations = it + 1;
    if (change < o.tolerance) break;
  }
  if (r.iterations == o.max_iterations && change >= o.tolerance)
    r.notes.push_back("scales not settled after " + std::to_string(o.max_iterations) + " sweeps (last change " +
                      std::to_string(change) + ")");

  for (auto& [t, v] : values) {
    std::vector<float> f(v.begin(), v.end());
    std::memcpy(out.tensors[(size_t)t].data.data(), f.data(), f.size() * 4);
  }
  add_clips(out, pairs);
  if (r.relu6_clipped > 0)
    r.notes.push_back("RELU6 kept in " + std::to_string(r.relu6_clipped) + " layers as RELU + MINIMUM(6 / scale) (" +
                      std::to_string(r.relu6_clipped) + " MINIMUM ops added)");
  return out;
}

}  // namespace tare::quant
