#include "quant/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

#include "common/error.h"
#include "model/op_desc.h"

namespace tare::quant {

namespace {

std::string where(const Op& op) {
  return "operator " + std::to_string(op.source_index) + " (" + op_name(op.type) + "): ";
}

std::vector<float> floats_of(const Tensor& t) {
  TARE_CHECK(t.is_const && t.dtype == DType::F32, TARE_ERROR_UNSUPPORTED,
             "tensor '" + t.name + "' must be a float32 constant to be quantized");
  std::vector<float> v((size_t)t.elements());
  std::memcpy(v.data(), t.data.data(), v.size() * 4);
  return v;
}

void set_floats(Tensor& t, const std::vector<float>& v) {
  t.data.resize(v.size() * 4);
  std::memcpy(t.data.data(), v.data(), t.data.size());
}

float round_weight(float x, WeightRounding r) {
  return r == WeightRounding::NearestEven ? std::nearbyint(x) : std::round(x);
}

// Number of slices and the stride layout of `axis` in `shape`.
void axis_layout(const std::vector<int>& shape, int axis, int64_t& outer, int& n, int64_t& inner) {
  outer = 1;
  inner = 1;
  n = shape[axis];
  for (int i = 0; i < axis; i++) outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); i++) inner *= shape[i];
}

int add_tensor(Graph& g, Tensor t) {
  g.tensors.push_back(std::move(t));
  return (int)g.tensors.size() - 1;
}

// MINIMUM / MAXIMUM of one activation and one constant: the output stays within the constant's bound.
bool clips_to_constant(const Graph& g, const Op& op) {
  if ((op.type != OpType::Minimum && op.type != OpType::Maximum) || op.inputs.size() != 2) return false;
  const bool c0 = g.tensors[op.inputs[0]].is_const, c1 = g.tensors[op.inputs[1]].is_const;
  return c0 != c1;
}

}  // namespace

void activation_params(float min, float max, float& scale, int32_t& zero_point) {
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  if (!(max - min > 1e-12f)) max = min + 1e-12f;  // a constant-zero tensor: any scale represents it
  scale = (max - min) / 255.0f;
  double zp = -128.0 - (double)min / scale;
  zero_point = (int32_t)std::max(-128.0, std::min(127.0, std::round(zp)));
}

std::vector<float> quantize_weights(const std::vector<float>& w, const std::vector<int>& shape, int axis,
                                    bool per_channel, WeightRounding rounding, std::vector<int8_t>& q) {
  int64_t outer, inner;
  int n;
  axis_layout(shape, axis, outer, n, inner);
  std::vector<float> amax(per_channel ? n : 1, 0.0f);
  for (int64_t o = 0; o < outer; o++)
    for (int c = 0; c < n; c++)
      for (int64_t i = 0; i < inner; i++) {
        float a = std::fabs(w[(o * n + c) * inner + i]);
        float& m = amax[per_channel ? c : 0];
        m = std::max(m, a);
      }
  // An all-zero channel (a dead channel dropped above, or zero weights in the model) could take any scale; it takes
  // the largest of its tensor's, so that its requantization multiplier stays within the layer's others: one
  // multiplier of 1/4 or more sends the whole layer's kernel to its general requantization (bench/README.md).
  const float widest = *std::max_element(amax.begin(), amax.end());
  std::vector<float> scales(amax.size());
  for (size_t c = 0; c < amax.size(); c++) scales[c] = (amax[c] > 0 ? amax[c] : widest > 0 ? widest : 127.0f) / 127.0f;
  q.resize(w.size());
  for (int64_t o = 0; o < outer; o++)
    for (int c = 0; c < n; c++)
      for (int64_t i = 0; i < inner; i++) {
        size_t k = (size_t)((o * n + c) * inner + i);
        float v = round_weight(w[k] / scales[per_channel ? c : 0], rounding);
        q[k] = (int8_t)std::max(-127.0f, std::min(127.0f, v));
      }
  return scales;
}

Graph quantize_graph(const Graph& gin, const Stats& stats, const QuantizeOptions& o, QuantizeReport* rep) {
  QuantizeReport local;
  QuantizeReport& r = rep ? *rep : local;
  Graph g = gin;
  TARE_CHECK(stats.size() == g.tensors.size(), TARE_ERROR_INVALID_ARGUMENT,
             "calibration statistics do not match the graph");
  for (int t : g.inputs)
    TARE_CHECK(g.tensors[t].dtype == DType::F32, TARE_ERROR_UNSUPPORTED, "the model is not a float model");
  // Weight tensors used by several ops are duplicated so each op owns its copy.
  {
    std::map<int, int> owner;
    for (Op& op : g.ops) {
      if (!is_weighted(op.type)) continue;
      for (size_t k = 1; k < op.inputs.size() && k < 3; k++) {
        int t = op.inputs[k];
        if (t < 0) continue;
        if (owner.count(t)) op.inputs[k] = add_tensor(g, g.tensors[t]);
        else owner[t] = 1;
      }
    }
  }

  // 1. Dead channels: constant over the whole calibration batch.  The output channel's weights are zeroed and its
  //    bias set to the constant, which reproduces it exactly through any clamping activation.
  if (o.drop_dead_channels) {
    for (Op& op : g.ops) {
      if (!is_weighted(op.type)) continue;
      const ChannelStats& st = stats[op.outputs[0]];
      // One value per channel (a 1x1 output calibrated on one image) says nothing about constancy.
      if (!st.seen() || st.count < 2) continue;
      Tensor& wt = g.tensors[op.inputs[1]];
      if (!wt.is_const || wt.dtype != DType::F32) continue;
      std::vector<float> w = floats_of(wt);
      int axis = op_traits(op.type).weights->out_axis;
      int64_t outer, inner;
      int n;
      axis_layout(wt.shape, axis, outer, n, inner);
      if (n != (int)st.min.size()) continue;
      if (op.inputs.size() < 3 || op.inputs[2] < 0) {  // give it a bias
        Tensor b;
        b.name = wt.name + "_bias";
        b.shape = {n};
        b.is_const = true;
        set_floats(b, std::vector<float>(n, 0.0f));
        if (op.inputs.size() < 3) op.inputs.resize(3, -1);
        op.inputs[2] = add_tensor(g, std::move(b));
      }
      Tensor& bt = g.tensors[op.inputs[2]];
      std::vector<float> bias = floats_of(bt);
      std::vector<float> w2 = floats_of(g.tensors[op.inputs[1]]);
      bool changed = false;
      for (int c = 0; c < n; c++) {
        if (st.min[c] != st.max[c]) continue;
        for (int64_t a = 0; a < outer; a++)
          for (int64_t i = 0; i < inner; i++) w2[(a * n + c) * inner + i] = 0.0f;
        bias[c] = st.min[c];
        changed = true;
        r.dead_channels++;
      }
      if (changed) {
        set_floats(g.tensors[op.inputs[1]], w2);
        set_floats(g.tensors[op.inputs[2]], bias);
      }
      (void)w;
    }
  }

  // 2. Activation ranges, in topological order so that ops which keep their input's parameters can copy them.
  std::vector<char> has_q(g.tensors.size(), 0);
  auto set_act = [&](int t, float scale, int32_t zp) {
    Tensor& x = g.tensors[t];
    x.dtype = DType::I8;
    x.quant.scale = {scale};
    x.quant.zero_point = {zp};
    x.quant.axis = 0;
    has_q[t] = 1;
    r.activations++;
  };
  std::vector<int> producer_of(g.tensors.size(), -1);  // g.ops stays as it is until the requantization below
  for (size_t i = 0; i < g.ops.size(); i++)
    for (int t : g.ops[i].outputs) producer_of[(size_t)t] = (int)i;
  // A tensor's float range: a constant's values, else its calibration range.  The output of an op that keeps its
  // input's parameters (RESHAPE, SQUEEZE, ...) may have no statistics of its own (the session can run it as a view
  // of its input, with no pass over its values): its input's range is the one its parameters come from.
  std::function<void(int, const std::string&, float&, float&)> range_of =
      [&](int t, const std::string& ctx, float& mn, float& mx) {
    const Tensor& x = g.tensors[t];
    if (x.is_const && x.dtype == DType::F32) {
      std::vector<float> v = floats_of(x);
      mn = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
      mx = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
      return;
    }
    const int producer = producer_of[(size_t)t];
    if (!stats[t].seen() && producer >= 0 &&
        op_traits(g.ops[(size_t)producer].type).output_quant == OutputQuant::SameAsInput)
      return range_of(g.ops[(size_t)producer].inputs[0], ctx, mn, mx);
    const ChannelStats& st = stats[t];
    TARE_CHECK(st.seen(), TARE_ERROR_INVALID_ARGUMENT, ctx + "no calibration range for tensor '" + x.name + "'");
    if (st.has_range) {  // chosen by a range method (quant/ranges.h)
      mn = st.range_min;
      mx = st.range_max;
      return;
    }
    mn = *std::min_element(st.min.begin(), st.min.end());
    mx = *std::max_element(st.max.begin(), st.max.end());
  };
  auto from_stats = [&](int t, const std::string& ctx) {
    float mn, mx;
    range_of(t, ctx, mn, mx);
    float scale;
    int32_t zp;
    activation_params(mn, mx, scale, zp);
    set_act(t, scale, zp);
  };
  for (int t : g.inputs) from_stats(t, "graph input: ");
  for (const Op& op : g.ops) {
    for (int out : op.outputs) {
      if (g.tensors[out].dtype != DType::F32) continue;
      switch (op_traits(op.type).output_quant) {
        case OutputQuant::Probability: set_act(out, 1.0f / 256.0f, -128); break;
        case OutputQuant::SignedUnit: set_act(out, 1.0f / 128.0f, 0); break;
        case OutputQuant::LogProbability: set_act(out, 16.0f / 256.0f, 127); break;
        case OutputQuant::SameAsInput: {
          const Tensor& in = g.tensors[op.inputs[0]];
          TARE_CHECK(has_q[op.inputs[0]], TARE_ERROR_UNSUPPORTED, where(op) + "input is not quantized");
          set_act(out, in.quant.scale[0], (int32_t)in.quant.zero_point[0]);
          break;
        }
        case OutputQuant::SharedWithInputs: {
          // The union of the inputs' and the output's ranges, so that no operand is clipped.  A MINIMUM (MAXIMUM)
          // with a constant bound takes its output's range and the bound's low (high) end only: x and the bound may
          // saturate above (below) it, where the other operand wins anyway (cross-layer equalization's per-channel
          // RELU6 clip, quant/equalize.h, whose bound of a barely used channel can be far above every value).
          const bool bounded = clips_to_constant(g, op);
          float mn, mx;
          range_of(out, where(op), mn, mx);
          for (int t : op.inputs) {
            if (t < 0 || (bounded && !g.tensors[t].is_const)) continue;
            float a, b;
            range_of(t, where(op), a, b);
            if (bounded) (op.type == OpType::Minimum ? b : a) = op.type == OpType::Minimum ? a : b;
            mn = std::min(mn, a);
            mx = std::max(mx, b);
          }
          float scale;
          int32_t zp;
          activation_params(mn, mx, scale, zp);
          set_act(out, scale, zp);
          break;
        }
        case OutputQuant::Observed: from_stats(out, where(op));
      }
    }
  }
  // Inputs of such ops that carry other parameters are requantized by an inserted QUANTIZE (int8 -> int8), as
  // TFLite's converter does: the producer keeps its own range, which its other consumers may need.
  // The bounded input of a MINIMUM / MAXIMUM, if it has no other reader and its producer chooses its own range, takes
  // the shared parameters directly instead (the producer saturates where the bound would clip anyway).
  {
    std::vector<int> readers(g.tensors.size(), 0);
    for (const Op& op : g.ops)
      for (int t : op.inputs)
        if (t >= 0) readers[t]++;
    for (int t : g.outputs) readers[t]++;
    std::vector<Op> ops;
    ops.reserve(g.ops.size());
    for (Op& op : g.ops) {
      if (op_traits(op.type).output_quant == OutputQuant::SharedWithInputs) {
        const QuantParams shared = g.tensors[op.outputs[0]].quant;
        const bool bounded = clips_to_constant(g, op);
        for (int& t : op.inputs) {
          if (t < 0 || g.tensors[t].is_const) continue;
          const QuantParams& q = g.tensors[t].quant;
          if (q.scale == shared.scale && q.zero_point == shared.zero_point) continue;
          if (bounded && readers[t] == 1 && producer_of[t] >= 0 &&
              op_traits(g.ops[producer_of[t]].type).output_quant == OutputQuant::Observed) {
            g.tensors[t].quant = shared;
            continue;
          }
          Tensor rq = g.tensors[t];
          rq.name += "_requantized";
          rq.quant = shared;
          Op requant;
          requant.type = OpType::Quantize;
          requant.inputs = {t};
          t = add_tensor(g, std::move(rq));
          requant.outputs = {t};
          requant.source_index = -1;
          ops.push_back(requant);
        }
      }
      ops.push_back(std::move(op));
    }
    g.ops = std::move(ops);
  }

  // 3. Weights and biases.
  for (Op& op : g.ops) {
    if (is_weighted(op.type)) {
      if (op.inputs.size() < 3 || op.inputs[2] < 0) {  // TFLite's int8 kernels require a bias: a zero one
        const int channels = weighted_out_channels(g, op);
        Tensor b;
        b.name = g.tensors[op.outputs[0]].name + "_bias";
        b.shape = {channels};
        b.is_const = true;
        b.data.assign((size_t)channels * sizeof(float), 0);
        op.inputs.resize(3, -1);
        op.inputs[2] = add_tensor(g, std::move(b));
      }
      Tensor& wt = g.tensors[op.inputs[1]];
      TARE_CHECK(wt.is_const && wt.dtype == DType::F32, TARE_ERROR_UNSUPPORTED,
                 where(op) + "weights must be float32 constants");
      const WeightLayout& layout = *op_traits(op.type).weights;
      const int axis = layout.out_axis;
      const bool per_channel = o.per_channel && layout.per_channel_ok;
      std::vector<int8_t> q;
      std::vector<float> scales = quantize_weights(floats_of(wt), wt.shape, axis, per_channel, o.rounding, q);
      wt.dtype = DType::I8;
      wt.data.assign(reinterpret_cast<const uint8_t*>(q.data()), reinterpret_cast<const uint8_t*>(q.data()) + q.size());
      wt.quant.scale = scales;
      wt.quant.zero_point.assign(scales.size(), 0);
      wt.quant.axis = per_channel ? axis : 0;
      r.quantized_weights++;
      const float in_scale = g.tensors[op.inputs[0]].quant.scale.at(0);
      if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        Tensor& bt = g.tensors[op.inputs[2]];
        std::vector<float> b = floats_of(bt);
        std::vector<int32_t> qb(b.size());
        std::vector<float> bscales(scales.size());
        const double lim = o.bias_16bit ? 32767.0 : 2147483647.0;
        for (size_t c = 0; c < b.size(); c++) {
          double s = (double)in_scale * scales[per_channel ? c : 0];
          double v = std::round((double)b[c] / s);
          qb[c] = (int32_t)std::max(-lim - 1, std::min(lim, v));
        }
        for (size_t c = 0; c < scales.size(); c++) bscales[c] = in_scale * scales[c];
        bt.dtype = DType::I32;
        bt.data.assign(reinterpret_cast<const uint8_t*>(qb.data()),
                       reinterpret_cast<const uint8_t*>(qb.data()) + qb.size() * 4);
        bt.quant.scale = bscales;
        bt.quant.zero_point.assign(bscales.size(), 0);
        bt.quant.axis = 0;
      }
      continue;
    }
    // Float constants feeding other ops (e.g. an ADD operand): asymmetric int8 over their own range.
    for (size_t k = 0; k < op.inputs.size(); k++) {
      int t = op.inputs[k];
      if (t < 0) continue;
      Tensor& c = g.tensors[t];
      if (!c.is_const || c.dtype != DType::F32) continue;
      const OutputQuant oq = op_traits(op.type).output_quant;
      // SameAsInput ops copy a constant as stored (PADV2's value): it takes the output's parameters.
      if (!op_traits(op.type).constant_operands && oq != OutputQuant::SameAsInput)
        fail(TARE_ERROR_UNSUPPORTED, where(op) + "float constant input cannot be quantized");
      std::vector<float> v = floats_of(c);
      float mn = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
      float mx = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
      float scale;
      int32_t zp;
      activation_params(mn, mx, scale, zp);
      if (oq == OutputQuant::SharedWithInputs || oq == OutputQuant::SameAsInput) {  // the op's output parameters
        const Tensor& y = g.tensors[op.outputs[0]];
        scale = y.quant.scale.at(0);
        zp = (int32_t)y.quant.zero_point.at(0);
      }
      std::vector<uint8_t> q(v.size());
      for (size_t i = 0; i < v.size(); i++)
        q[i] = (uint8_t)(int8_t)std::max(-128.0f, std::min(127.0f, std::round(v[i] / scale) + zp));
      c.dtype = DType::I8;
      c.data = q;
      c.quant.scale = {scale};
      c.quant.zero_point = {zp};
    }
  }

  // 4. Graph edges: QUANTIZE after float (or uint8) inputs, DEQUANTIZE (or QUANTIZE to uint8) before outputs.
  std::vector<Op> prologue, epilogue;
  for (int& in : g.inputs) {
    if (o.input_type == DType::I8) continue;
    Tensor edge = g.tensors[in];
    g.tensors[in].name += o.input_type == DType::U8 ? "_int8" : "_quantized";
    if (o.input_type == DType::F32) {
      edge.dtype = DType::F32;
      edge.quant = {};
    } else {
      edge.dtype = DType::U8;
      edge.quant.zero_point = {edge.quant.zero_point[0] + 128};
    }
    int e = add_tensor(g, std::move(edge));
    Op q;
    q.type = OpType::Quantize;
    q.inputs = {e};
    q.outputs = {in};
    q.source_index = -1;
    prologue.push_back(q);
    in = e;
  }
  for (int& out : g.outputs) {
    if (o.output_type == DType::I8) continue;
    Tensor edge = g.tensors[out];
    g.tensors[out].name += o.output_type == DType::U8 ? "_int8" : "_quantized";
    Op q;
    if (o.output_type == DType::F32) {
      edge.dtype = DType::F32;
      edge.quant = {};
      q.type = OpType::Dequantize;
    } else {
      edge.dtype = DType::U8;
      edge.quant.zero_point = {edge.quant.zero_point[0] + 128};
      q.type = OpType::Quantize;
    }
    int e = add_tensor(g, std::move(edge));
    q.inputs = {out};
    q.outputs = {e};
    q.source_index = -1;
    epilogue.push_back(q);
    out = e;
  }
  g.ops.insert(g.ops.begin(), prologue.begin(), prologue.end());
  g.ops.insert(g.ops.end(), epilogue.begin(), epilogue.end());
  for (size_t i = 0; i < g.ops.size(); i++) g.ops[i].source_index = (int)i;
  remove_unused_tensors(g);
  for (const Tensor& t : g.tensors)
    TARE_CHECK(t.is_const || t.dtype != DType::F32 ||
                   std::find(g.inputs.begin(), g.inputs.end(), &t - g.tensors.data()) != g.inputs.end() ||
                   std::find(g.outputs.begin(), g.outputs.end(), &t - g.tensors.data()) != g.outputs.end(),
               TARE_ERROR_INTERNAL, "tensor '" + t.name + "' was left in float");
  infer_shapes(g);
  if (r.dead_channels) r.notes.push_back(std::to_string(r.dead_channels) + " dead (constant) channels dropped");
  return g;
}

}  // namespace tare::quant
