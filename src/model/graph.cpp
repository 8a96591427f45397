// Graph IR helpers: dtype/op names, TFLite window arithmetic and shape inference.
#include "model/graph.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"

namespace tare {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::I32: return 4;
    case DType::U8: return 1;
    case DType::I8: return 1;
    case DType::I64: return 8;
    case DType::I16: return 2;
    case DType::Bool: return 1;
  }
  fail(TARE_ERROR_INTERNAL, "dtype_size: unknown dtype " + std::to_string((int)t));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "FLOAT32";
    case DType::F16: return "FLOAT16";
    case DType::I32: return "INT32";
    case DType::U8: return "UINT8";
    case DType::I8: return "INT8";
    case DType::I64: return "INT64";
    case DType::I16: return "INT16";
    case DType::Bool: return "BOOL";
  }
  return "UNKNOWN";
}

const char* op_name(OpType t) {
  switch (t) {
    case OpType::Conv2D: return "CONV_2D";
    case OpType::DepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case OpType::FullyConnected: return "FULLY_CONNECTED";
    case OpType::Add: return "ADD";
    case OpType::Mul: return "MUL";
    case OpType::AveragePool2D: return "AVERAGE_POOL_2D";
    case OpType::MaxPool2D: return "MAX_POOL_2D";
    case OpType::Mean: return "MEAN";
    case OpType::Concatenation: return "CONCATENATION";
    case OpType::Reshape: return "RESHAPE";
    case OpType::Squeeze: return "SQUEEZE";
    case OpType::Pad: return "PAD";
    case OpType::Softmax: return "SOFTMAX";
    case OpType::Logistic: return "LOGISTIC";
    case OpType::Relu: return "RELU";
    case OpType::Relu6: return "RELU6";
    case OpType::HardSwish: return "HARD_SWISH";
    case OpType::ResizeBilinear: return "RESIZE_BILINEAR";
    case OpType::Dequantize: return "DEQUANTIZE";
    case OpType::Quantize: return "QUANTIZE";
    case OpType::FakeQuant: return "FAKE_QUANT";
  }
  return "UNKNOWN";
}

int conv_out_size(int in, int filter, int stride, int dilation, Padding padding) {
  if (stride < 1 || dilation < 1 || filter < 1 || in < 0) return 0;
  int64_t eff = (int64_t)(filter - 1) * dilation + 1;
  int64_t out;
  if (padding == Padding::Same) {
    out = ((int64_t)in + stride - 1) / stride;
  } else {
    int64_t num = (int64_t)in - eff + stride;
    out = num <= 0 ? 0 : num / stride;
  }
  return (int)out;
}

int conv_pad_before(int in, int filter, int stride, int dilation, Padding padding) {
  if (padding == Padding::Valid) return 0;
  int out = conv_out_size(in, filter, stride, dilation, padding);
  int64_t eff = (int64_t)(filter - 1) * dilation + 1;
  int64_t total = (int64_t)(out - 1) * stride + eff - in;
  if (total < 0) total = 0;
  return (int)(total / 2);
}

std::string shape_str(const std::vector<int>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); i++) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

namespace {

// Largest element count any tensor may have (keeps every later size computation far from overflow).
constexpr int64_t kMaxElements = int64_t(1) << 40;

class OpShape {
 public:
  OpShape(Graph& g, const Op& op, size_t pos) : g_(g), op_(op), pos_(pos) {}

  [[noreturn]] void err(const std::string& msg) const {
    int idx = op_.source_index >= 0 ? op_.source_index : (int)pos_;
    fail(TARE_ERROR_INVALID_MODEL, "operator " + std::to_string(idx) + " (" + op_name(op_.type) + "): " + msg);
  }

  void need_inputs(size_t lo, size_t hi) const {
    if (op_.inputs.size() < lo || op_.inputs.size() > hi) {
      err("expects " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
          " inputs, has " + std::to_string(op_.inputs.size()));
    }
    for (size_t i = 0; i < op_.inputs.size(); i++) {
      int t = op_.inputs[i];
      if (t == -1 && i >= lo) continue;  // omitted optional input
      if (t < 0 || (size_t)t >= g_.tensors.size()) err("input " + std::to_string(i) + " is not a valid tensor");
    }
    if (op_.outputs.size() != 1) err("expects 1 output, has " + std::to_string(op_.outputs.size()));
    if (op_.outputs[0] < 0 || (size_t)op_.outputs[0] >= g_.tensors.size()) err("output is not a valid tensor");
  }

  const std::vector<int>& in(size_t i) const { return g_.tensors[op_.inputs[i]].shape; }
  bool has(size_t i) const { return i < op_.inputs.size() && op_.inputs[i] >= 0; }

  void need_rank(size_t i, size_t rank, const char* what) const {
    if (in(i).size() != rank) {
      err(std::string(what) + " must have rank " + std::to_string(rank) + ", has shape " + shape_str(in(i)));
    }
  }

  void set_out(std::vector<int> s) const {
    int64_t n = 1;
    for (int d : s) {
      if (d < 0) err("negative output dimension in " + shape_str(s));
      if (d > 0 && n > kMaxElements / d) err("output shape " + shape_str(s) + " is too large");
      n *= d;
    }
    g_.tensors[op_.outputs[0]].shape = std::move(s);
  }

  void run() {
    const OpParams& p = op_.params;
    switch (op_.type) {
      case OpType::Conv2D:
      case OpType::DepthwiseConv2D: {
        need_inputs(2, 3);
        need_rank(0, 4, "input");
        need_rank(1, 4, "filter");
        const auto& x = in(0);
        const auto& f = in(1);
        if (p.stride_h < 1 || p.stride_w < 1) err("strides must be >= 1");
        if (p.dilation_h < 1 || p.dilation_w < 1) err("dilations must be >= 1");
        if (f[1] < 1 || f[2] < 1) err("empty filter " + shape_str(f));
        int cout = f[3];
        if (op_.type == OpType::Conv2D) {
          if (f[0] < 1) err("filter " + shape_str(f) + " has no output channels");
          if (f[3] != x[3]) {
            err("filter " + shape_str(f) + " expects " + std::to_string(f[3]) + " input channels, input has " +
                shape_str(x));
          }
          cout = f[0];
        } else {
          if (f[0] != 1) err("depthwise filter " + shape_str(f) + " must have dimension 0 equal to 1");
          if (p.depth_multiplier < 1 || (int64_t)x[3] * p.depth_multiplier != f[3]) {
            err("depthwise filter " + shape_str(f) + " does not match input " + shape_str(x) +
                " with depth multiplier " + std::to_string(p.depth_multiplier));
          }
        }
        if (has(2) && g_.tensors[op_.inputs[2]].elements() != cout) {
          err("bias shape " + shape_str(in(2)) + " does not match " + std::to_string(cout) + " output channels");
        }
        int oh = conv_out_size(x[1], f[1], p.stride_h, p.dilation_h, p.padding);
        int ow = conv_out_size(x[2], f[2], p.stride_w, p.dilation_w, p.padding);
        if (oh < 1 || ow < 1) err("filter " + shape_str(f) + " does not fit input " + shape_str(x));
        set_out({x[0], oh, ow, cout});
        return;
      }
      case OpType::FullyConnected: {
        need_inputs(2, 3);
        need_rank(1, 2, "weights");
        const auto& x = in(0);
        const auto& w = in(1);
        int units = w[0], depth = w[1];
        if (depth < 1) err("weights " + shape_str(w) + " have no input features");
        if (x.empty()) err("input must have rank >= 1");
        int64_t n = g_.tensors[op_.inputs[0]].elements();
        if (has(2) && g_.tensors[op_.inputs[2]].elements() != units) {
          err("bias shape " + shape_str(in(2)) + " does not match " + std::to_string(units) + " units");
        }
        if (p.keep_num_dims) {
          if (x.back() != depth) err("input " + shape_str(x) + " does not match weights " + shape_str(w));
          std::vector<int> o = x;
          o.back() = units;
          set_out(o);
        } else {
          if (n % depth != 0) err("input " + shape_str(x) + " is not a multiple of weights " + shape_str(w));
          if (n / depth > INT32_MAX) err("input " + shape_str(x) + " is too large");
          set_out({(int)(n / depth), units});
        }
        return;
      }
      case OpType::Add:
      case OpType::Mul: {
        need_inputs(2, 2);
        const auto& a = in(0);
        const auto& b = in(1);
        size_t r = std::max(a.size(), b.size());
        std::vector<int> o(r);
        for (size_t i = 0; i < r; i++) {
          int da = i + a.size() >= r ? a[i + a.size() - r] : 1;
          int db = i + b.size() >= r ? b[i + b.size() - r] : 1;
          if (da != db && da != 1 && db != 1) {
            err("shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
          }
          o[i] = da == 1 ? db : da;
        }
        set_out(o);
        return;
      }
      case OpType::AveragePool2D:
      case OpType::MaxPool2D: {
        need_inputs(1, 1);
        need_rank(0, 4, "input");
        const auto& x = in(0);
        if (p.stride_h < 1 || p.stride_w < 1) err("strides must be >= 1");
        if (p.filter_h < 1 || p.filter_w < 1) err("filter size must be >= 1");
        int oh = conv_out_size(x[1], p.filter_h, p.stride_h, 1, p.padding);
        int ow = conv_out_size(x[2], p.filter_w, p.stride_w, 1, p.padding);
        if (oh < 1 || ow < 1) err("pool window does not fit input " + shape_str(x));
        set_out({x[0], oh, ow, x[3]});
        return;
      }
      case OpType::Mean: {
        need_inputs(1, 2);
        const auto& x = in(0);
        std::vector<int> o;
        for (int a : p.axes) {
          if (a < 0 || (size_t)a >= x.size()) err("axis " + std::to_string(a) + " out of range for " + shape_str(x));
        }
        for (size_t i = 0; i < x.size(); i++) {
          bool reduced = std::find(p.axes.begin(), p.axes.end(), (int)i) != p.axes.end();
          if (!reduced) o.push_back(x[i]);
          else if (p.keep_dims) o.push_back(1);
        }
        set_out(o);
        return;
      }
      case OpType::Concatenation: {
        if (op_.inputs.empty()) err("expects at least 1 input");
        need_inputs(op_.inputs.size(), op_.inputs.size());
        const auto& x0 = in(0);
        if (p.axis < 0 || (size_t)p.axis >= x0.size()) err("axis " + std::to_string(p.axis) + " out of range");
        std::vector<int> o = x0;
        int64_t sum = 0;
        for (size_t i = 0; i < op_.inputs.size(); i++) {
          const auto& xi = in(i);
          if (xi.size() != x0.size()) err("inputs " + shape_str(x0) + " and " + shape_str(xi) + " differ in rank");
          for (size_t d = 0; d < xi.size(); d++) {
            if ((int)d != p.axis && xi[d] != x0[d]) {
              err("inputs " + shape_str(x0) + " and " + shape_str(xi) + " differ outside axis " +
                  std::to_string(p.axis));
            }
          }
          sum += xi[p.axis];
        }
        if (sum > INT32_MAX) err("concatenated dimension too large");
        o[p.axis] = (int)sum;
        set_out(o);
        return;
      }
      case OpType::Reshape: {
        need_inputs(1, 2);
        int64_t n = g_.tensors[op_.inputs[0]].elements();
        std::vector<int> o = p.new_shape;
        int unknown = -1;
        int64_t known = 1;
        for (size_t i = 0; i < o.size(); i++) {
          if (o[i] == -1) {
            if (unknown >= 0) err("new shape " + shape_str(o) + " has more than one -1");
            unknown = (int)i;
          } else if (o[i] < 0) {
            err("new shape " + shape_str(o) + " has a negative dimension");
          } else {
            if (o[i] > 0 && known > kMaxElements / o[i]) err("new shape " + shape_str(o) + " is too large");
            known *= o[i];
          }
        }
        if (unknown >= 0) {
          if (known == 0 || n % known != 0) err("cannot reshape " + shape_str(in(0)) + " to " + shape_str(o));
          if (n / known > INT32_MAX) err("cannot reshape " + shape_str(in(0)) + " to " + shape_str(o));
          o[unknown] = (int)(n / known);
        } else if (known != n) {
          err("cannot reshape " + shape_str(in(0)) + " to " + shape_str(o));
        }
        set_out(o);
        return;
      }
      case OpType::Squeeze: {
        need_inputs(1, 1);
        const auto& x = in(0);
        std::vector<int> o;
        for (int a : p.axes) {
          if (a < 0 || (size_t)a >= x.size()) err("axis " + std::to_string(a) + " out of range for " + shape_str(x));
          if (x[a] != 1) err("cannot squeeze dimension " + std::to_string(a) + " of " + shape_str(x));
        }
        for (size_t i = 0; i < x.size(); i++) {
          bool sq = p.axes.empty() ? x[i] == 1 : std::find(p.axes.begin(), p.axes.end(), (int)i) != p.axes.end();
          if (!sq) o.push_back(x[i]);
        }
        set_out(o);
        return;
      }
      case OpType::Pad: {
        need_inputs(1, 3);
        const auto& x = in(0);
        if (p.paddings.size() != x.size()) {
          err(std::to_string(p.paddings.size()) + " paddings for input " + shape_str(x));
        }
        std::vector<int> o = x;
        for (size_t i = 0; i < x.size(); i++) {
          if (p.paddings[i].first < 0 || p.paddings[i].second < 0) err("negative padding");
          int64_t d = (int64_t)x[i] + p.paddings[i].first + p.paddings[i].second;
          if (d > INT32_MAX) err("padded dimension too large");
          o[i] = (int)d;
        }
        set_out(o);
        return;
      }
      case OpType::Softmax:
        need_inputs(1, 1);
        if (in(0).empty()) err("input must have rank >= 1");
        set_out(in(0));
        return;
      case OpType::Logistic:
      case OpType::Relu:
      case OpType::Relu6:
      case OpType::HardSwish:
      case OpType::Dequantize:
      case OpType::Quantize:
        need_inputs(1, 1);
        set_out(in(0));
        return;
      case OpType::FakeQuant:
        need_inputs(1, 1);
        if (!(p.fq_scale > 0) || !std::isnormal(p.fq_scale)) err("scale must be a positive normal float");
        if (p.fq_qmin > p.fq_qmax) err("empty quantization range");
        if (p.fq_qmin < -(1 << 24) || p.fq_qmax > (1 << 24)) err("quantization range beyond [-2^24, 2^24]");
        if (p.fq_zero_point < p.fq_qmin || p.fq_zero_point > p.fq_qmax) err("zero point outside the range");
        set_out(in(0));
        return;
      case OpType::ResizeBilinear: {
        need_inputs(1, 2);
        need_rank(0, 4, "input");
        const auto& x = in(0);
        if (p.new_height < 1 || p.new_width < 1) {
          err("output size " + std::to_string(p.new_height) + "x" + std::to_string(p.new_width) + " is invalid");
        }
        set_out({x[0], p.new_height, p.new_width, x[3]});
        return;
      }
    }
    err("unknown operator type");
  }

 private:
  Graph& g_;
  const Op& op_;
  size_t pos_;
};

}  // namespace

void infer_shapes(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); i++) OpShape(g, g.ops[i], i).run();
}

Graph with_batch(const Graph& g, int batch) {
  if (batch < 1) fail(TARE_ERROR_INVALID_ARGUMENT, "batch must be >= 1, got " + std::to_string(batch));
  Graph r = g;
  if (g.inputs.empty()) return r;
  int in0 = g.inputs[0];
  if (in0 < 0 || (size_t)in0 >= g.tensors.size() || g.tensors[in0].shape.empty()) {
    fail(TARE_ERROR_INVALID_ARGUMENT, "the graph's first input has no batch dimension");
  }
  int old_batch = g.tensors[in0].shape[0];
  for (int t : g.inputs) {
    if (t < 0 || (size_t)t >= g.tensors.size() || g.tensors[t].shape.empty()) {
      fail(TARE_ERROR_INVALID_ARGUMENT, "a graph input has no batch dimension");
    }
    r.tensors[t].shape[0] = batch;
  }
  // A RESHAPE whose requested shape spells the batch out (e.g. [1, 1001]) keeps following it.
  for (Op& op : r.ops) {
    if (op.type != OpType::Reshape || op.params.new_shape.empty() || op.params.new_shape[0] != old_batch) continue;
    if (op.inputs.empty() || op.outputs.empty() || op.inputs[0] < 0 || op.outputs[0] < 0) continue;
    if ((size_t)op.inputs[0] >= g.tensors.size() || (size_t)op.outputs[0] >= g.tensors.size()) continue;
    const auto& is = g.tensors[op.inputs[0]].shape;
    const auto& os = g.tensors[op.outputs[0]].shape;
    if (!is.empty() && !os.empty() && is[0] == old_batch && os[0] == old_batch) op.params.new_shape[0] = batch;
  }
  infer_shapes(r);
  return r;
}

}  // namespace tare
