// Model import (TFLite -> Graph IR) and shape inference.
//
// Real models are checked against the facts in ../shared/data/README.md; damaged models must throw tare::Error
// (never crash); hand-built graphs check the shape arithmetic against hand-computed values.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>

#include "common/error.h"
#include "common/fp16.h"
#include "model/graph.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "ref/reference.h"
#include "test_util.h"
#include "tflite_oracle.h"
#include "tflite_schema_generated.h"

namespace tare {
namespace {

Graph load_model(const std::string& rel) {
  auto bytes = test::read_file(test::data_path(rel));
  return import_tflite(bytes.data(), bytes.size());
}

std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> m;
  for (const Op& op : g.ops) m[op_name(op.type)]++;
  return m;
}

// Imports and returns the status (TARE_OK on success).  Anything other than tare::Error escaping fails the test.
tare_status try_import(const std::vector<uint8_t>& bytes, std::string* message = nullptr) {
  try {
    import_tflite(bytes.data(), bytes.size());
    return TARE_OK;
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.status();
  } catch (const std::exception& e) {
    FAIL("non-tare exception: " << e.what());
    return TARE_ERROR_INTERNAL;
  }
}

const char* kAllModels[] = {
    "models/mobilenet_v1_0.25_224.tflite",      "models/mobilenet_v1_0.25_224_quant.tflite",
    "models/mobilenet_v2_1.0_224_float.tflite", "models/mobilenet_v2_1.0_224_qat_float.tflite",
    "models/mobilenet_v2_1.0_224_quant.tflite", "models/tf2_mobilenet_v2_1.0_224_ptq.tflite",
    "models/face_detection_short_range.tflite", "models/tflm/hello_world_float.tflite",
    "models/tflm/hello_world_int8.tflite",      "models/tflm/micro_speech_quantized.tflite",
    "models/tflm/person_detect_fixed.tflite",   "models/tflm/simple_add_model.tflite",
};

// ---- a tiny model builder for hand-made (and deliberately broken) files --------------------------------------------

struct TSpec {
  std::vector<int> shape;
  tflite::TensorType type = tflite::TensorType::FLOAT32;
  uint32_t buffer = 0;
  std::string name;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int qdim = 0;
};

struct BSpec {
  std::vector<uint8_t> data;
  bool external = false;        // store the data after the FlatBuffer (Buffer.offset / size)
  uint64_t external_extra = 0;  // added to the offset (to point outside the file)
};

struct OSpec {
  uint32_t opcode = 0;
  std::vector<int> inputs, outputs;
  bool conv_options = false;  // Conv2DOptions{SAME, stride 1}
  std::vector<uint8_t> custom_options;
  int while_cond = -1, while_body = -1;  // WhileOptions' subgraphs (when >= 0)
};

struct MSpec {
  std::vector<TSpec> tensors;
  std::vector<BSpec> buffers;
  std::vector<std::pair<int32_t, std::string>> opcodes;  // builtin code, custom code
  std::vector<OSpec> ops;
  std::vector<int> inputs, outputs;
  int subgraphs = 1;
};

std::vector<uint8_t> floats_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<uint8_t> build_once(const MSpec& m, uint64_t external_offset) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tflite::Buffer>> bufs;
  for (const BSpec& b : m.buffers) {
    if (b.external) {
      bufs.push_back(tflite::CreateBuffer(fbb, 0, external_offset + b.external_extra, b.data.size()));
    } else {
      bufs.push_back(tflite::CreateBufferDirect(fbb, b.data.empty() ? nullptr : &b.data));
    }
  }
  std::vector<flatbuffers::Offset<tflite::Tensor>> ts;
  for (const TSpec& t : m.tensors) {
    flatbuffers::Offset<tflite::QuantizationParameters> q = 0;
    if (!t.scale.empty() || !t.zero_point.empty()) {
      q = tflite::CreateQuantizationParametersDirect(fbb, nullptr, nullptr, &t.scale, &t.zero_point,
                                                     tflite::QuantizationDetails::NONE, 0, t.qdim);
    }
    ts.push_back(tflite::CreateTensorDirect(fbb, &t.shape, t.type, t.buffer, t.name.c_str(), q));
  }
  std::vector<flatbuffers::Offset<tflite::Operator>> ops;
  for (const OSpec& o : m.ops) {
    flatbuffers::Offset<void> opt = 0;
    auto type = tflite::BuiltinOptions::NONE;
    if (o.conv_options) {
      opt = tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1).Union();
      type = tflite::BuiltinOptions::Conv2DOptions;
    }
    if (o.while_cond >= 0) {
      opt = tflite::CreateWhileOptions(fbb, o.while_cond, o.while_body).Union();
      type = tflite::BuiltinOptions::WhileOptions;
    }
    ops.push_back(tflite::CreateOperatorDirect(fbb, o.opcode, &o.inputs, &o.outputs, type, opt,
                                               o.custom_options.empty() ? nullptr : &o.custom_options));
  }
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes;
  for (const auto& [code, custom] : m.opcodes) {
    codes.push_back(tflite::CreateOperatorCodeDirect(fbb, (int8_t)std::min(code, 127),
                                                     custom.empty() ? nullptr : custom.c_str(), 1,
                                                     (tflite::BuiltinOperator)code));
  }
  std::vector<flatbuffers::Offset<tflite::SubGraph>> sgs;
  auto tv = fbb.CreateVector(ts);
  auto ov = fbb.CreateVector(ops);
  auto iv = fbb.CreateVector(m.inputs);
  auto outv = fbb.CreateVector(m.outputs);
  for (int i = 0; i < m.subgraphs; i++) sgs.push_back(tflite::CreateSubGraph(fbb, tv, iv, outv, ov));
  auto model = tflite::CreateModel(fbb, 3, fbb.CreateVector(codes), fbb.CreateVector(sgs), fbb.CreateString("test"),
                                   fbb.CreateVector(bufs));
  tflite::FinishModelBuffer(fbb, model);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

std::vector<uint8_t> build(const MSpec& m) {
  bool external = false;
  for (const BSpec& b : m.buffers) external = external || b.external;
  if (!external) return build_once(m, 0);
  // External data goes after the FlatBuffer; the offset field's size does not depend on its value.
  size_t size = build_once(m, uint64_t(1) << 40).size();
  uint64_t base = (size + 15) / 16 * 16;
  std::vector<uint8_t> file = build_once(m, base);
  REQUIRE(file.size() == size);
  file.resize(base);
  for (const BSpec& b : m.buffers) {
    if (b.external) file.insert(file.end(), b.data.begin(), b.data.end());
  }
  return file;
}

// input [1,4,4,2] -> CONV_2D (1x1, 3 filters, bias) -> output [1,4,4,3]
MSpec conv_model() {
  MSpec m;
  std::vector<float> w = {1, 2, 3, 4, 5, 6};
  m.tensors = {{{1, 4, 4, 2}, tflite::TensorType::FLOAT32, 0, "input"},
               {{3, 1, 1, 2}, tflite::TensorType::FLOAT32, 1, "filter"},
               {{3}, tflite::TensorType::FLOAT32, 2, "bias"},
               {{1, 4, 4, 3}, tflite::TensorType::FLOAT32, 0, "output"}};
  m.buffers = {{}, {floats_bytes(w)}, {floats_bytes({0.5f, -1, 2})}};
  m.opcodes = {{(int32_t)tflite::BuiltinOperator::CONV_2D, ""}};
  m.ops = {{0, {0, 1, 2}, {3}, true}};
  m.inputs = {0};
  m.outputs = {3};
  return m;
}

// TfLiteTransposeConvParams as MediaPipe's converter stores it: int32 padding (1 SAME, 2 VALID), stride_w, stride_h.
std::vector<uint8_t> tconv_params_bytes(std::vector<int32_t> fields) {
  std::vector<uint8_t> b(fields.size() * 4);
  std::memcpy(b.data(), fields.data(), b.size());
  return b;
}

// input [1,H,W,2] -> CUSTOM Convolution2DTransposeBias (3 filters of 3x3, bias, stride 2) -> output [1,OH,OW,3]
MSpec mediapipe_tconv_model(int h, int w, int padding, int oh, int ow) {
  MSpec m;
  std::vector<float> wt(3 * 3 * 3 * 2);
  for (size_t i = 0; i < wt.size(); i++) wt[i] = (float)((int)(i * 7 % 11) - 5) * 0.25f;
  m.tensors = {{{1, h, w, 2}, tflite::TensorType::FLOAT32, 0, "input"},
               {{3, 3, 3, 2}, tflite::TensorType::FLOAT32, 1, "filter"},
               {{3}, tflite::TensorType::FLOAT32, 2, "bias"},
               {{1, oh, ow, 3}, tflite::TensorType::FLOAT32, 0, "output"}};
  m.buffers = {{}, {floats_bytes(wt)}, {floats_bytes({0.5f, -1, 2})}};
  m.opcodes = {{(int32_t)tflite::BuiltinOperator::CUSTOM, "Convolution2DTransposeBias"}};
  m.ops = {{0, {0, 1, 2}, {3}, false, tconv_params_bytes({padding, 2, 2})}};
  m.inputs = {0};
  m.outputs = {3};
  return m;
}

// MediaPipe's kernel (transpose_conv_bias.cc) written out: the output starts at the bias, every input element is
// scattered through the OHWI filter; SAME pads max(0, k - (in - 1) % s - 1) in total, half of it at the top / left.
std::vector<float> mediapipe_tconv(const Graph& g, const std::vector<float>& x, int stride, bool same) {
  const std::vector<int>&is = g.tensors[0].shape, &ws = g.tensors[1].shape, &os = g.tensors[3].shape;
  const float *w = g.tensors[1].f32(), *bias = g.tensors[2].f32();
  const int pad_t = same ? std::max(0, ws[1] - (is[1] - 1) % stride - 1) / 2 : 0;
  const int pad_l = same ? std::max(0, ws[2] - (is[2] - 1) % stride - 1) / 2 : 0;
  std::vector<float> y((size_t)os[1] * os[2] * os[3]);
  for (size_t i = 0; i < y.size(); i++) y[i] = bias[i % os[3]];
  for (int iy = 0; iy < is[1]; iy++)
    for (int ix = 0; ix < is[2]; ix++)
      for (int ic = 0; ic < is[3]; ic++)
        for (int ky = 0; ky < ws[1]; ky++)
          for (int kx = 0; kx < ws[2]; kx++)
            for (int oc = 0; oc < os[3]; oc++) {
              const int oy = iy * stride - pad_t + ky, ox = ix * stride - pad_l + kx;
              if (oy < 0 || oy >= os[1] || ox < 0 || ox >= os[2]) continue;
              y[((size_t)oy * os[2] + ox) * os[3] + oc] += x[((size_t)iy * is[2] + ix) * is[3] + ic] *
                                                           w[(((size_t)oc * ws[1] + ky) * ws[2] + kx) * ws[3] + ic];
            }
  return y;
}

// input [2,3] -> ADD(input, input) -> t1 -> ADD(t1, t1) -> output t2
MSpec add_chain_model() {
  MSpec m;
  m.tensors = {{{2, 3}, tflite::TensorType::FLOAT32, 0, "input"},
               {{2, 3}, tflite::TensorType::FLOAT32, 0, "t1"},
               {{2, 3}, tflite::TensorType::FLOAT32, 0, "output"}};
  m.buffers = {{}};
  m.opcodes = {{(int32_t)tflite::BuiltinOperator::ADD, ""}};
  m.ops = {{0, {0, 0}, {1}}, {0, {1, 1}, {2}}};
  m.inputs = {0};
  m.outputs = {2};
  return m;
}

void expect_status(const MSpec& m, tare_status want, const std::string& needle) {
  std::string msg;
  tare_status s = try_import(build(m), &msg);
  CHECK_MESSAGE(s == want, "status " << s << ": " << msg);
  if (!needle.empty()) CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg);
}

// ---- hand-built graphs for shape inference -----------------------------------------------------------------------

int add_tensor(Graph& g, std::vector<int> shape, bool is_const = false) {
  Tensor t;
  t.shape = std::move(shape);
  t.is_const = is_const;
  g.tensors.push_back(t);
  return (int)g.tensors.size() - 1;
}

// One op with the given input shapes; returns the inferred output shape.
std::vector<int> infer_one(OpType type, const std::vector<std::vector<int>>& ins, const OpParams& p = {}) {
  Graph g;
  Op op;
  op.type = type;
  op.params = p;
  for (const auto& s : ins) op.inputs.push_back(add_tensor(g, s));
  op.outputs.push_back(add_tensor(g, {}));
  g.inputs = {op.inputs[0]};
  g.outputs = op.outputs;
  g.ops.push_back(op);
  infer_shapes(g);
  return g.tensors[g.ops[0].outputs[0]].shape;
}

tare_status infer_status(OpType type, const std::vector<std::vector<int>>& ins, const OpParams& p = {},
                         std::string* msg = nullptr) {
  try {
    infer_one(type, ins, p);
    return TARE_OK;
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
}

using Shape = std::vector<int>;

}  // namespace

TEST_SUITE("model") {
  TEST_CASE("real models import with the documented structure") {
    if (!test::have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    for (const char* rel : kAllModels) {
      CAPTURE(rel);
      if (!test::have_data(rel)) continue;
      Graph g;
      REQUIRE_NOTHROW(g = load_model(rel));
      CHECK(!g.ops.empty());
      CHECK(!g.inputs.empty());
      CHECK(!g.outputs.empty());
      // Ops are in topological order: every input is constant, a graph input, or written earlier.
      std::vector<bool> ready(g.tensors.size(), false);
      for (int t : g.inputs) ready[t] = true;
      for (size_t i = 0; i < g.tensors.size(); i++) ready[i] = ready[i] || g.tensors[i].is_const;
      for (const Op& op : g.ops) {
        for (int t : op.inputs) {
          if (t >= 0) CHECK(ready[t]);
        }
        for (int t : op.outputs) ready[t] = true;
      }
      for (const Tensor& t : g.tensors) {
        if (t.is_const) CHECK(t.data.size() == t.bytes());
      }
    }
  }

  TEST_CASE("mobilenet_v1_0.25_224: ops, weights layout, I/O") {
    if (!test::have_data("models/mobilenet_v1_0.25_224.tflite")) return;
    Graph g = load_model("models/mobilenet_v1_0.25_224.tflite");
    auto c = op_counts(g);
    CHECK(c["CONV_2D"] == 15);
    CHECK(c["DEPTHWISE_CONV_2D"] == 13);
    CHECK(c["AVERAGE_POOL_2D"] == 1);
    CHECK(c["SQUEEZE"] == 1);
    CHECK(c["SOFTMAX"] == 1);
    CHECK(g.ops.size() == 31);
    REQUIRE(g.inputs.size() == 1);
    REQUIRE(g.outputs.size() == 1);
    const Tensor& in = g.tensors[g.inputs[0]];
    CHECK(in.name == "input");
    CHECK(in.dtype == DType::F32);
    CHECK(in.shape == Shape{1, 224, 224, 3});
    CHECK(g.tensors[g.outputs[0]].shape == Shape{1, 1001});
    // First layer: 3x3 conv, stride 2, 8 filters (width 0.25 of 32), weights [Cout,KH,KW,Cin].
    const Op& conv0 = g.ops[0];
    REQUIRE(conv0.type == OpType::Conv2D);
    CHECK(conv0.params.stride_h == 2);
    CHECK(conv0.params.stride_w == 2);
    CHECK(conv0.params.padding == Padding::Same);
    CHECK(conv0.params.activation == Activation::Relu6);
    CHECK(g.tensors[conv0.inputs[1]].shape == Shape{8, 3, 3, 3});
    CHECK(g.tensors[conv0.inputs[1]].is_const);
    CHECK(g.tensors[conv0.outputs[0]].shape == Shape{1, 112, 112, 8});
    const Op& dw0 = g.ops[1];
    REQUIRE(dw0.type == OpType::DepthwiseConv2D);
    CHECK(g.tensors[dw0.inputs[1]].shape == Shape{1, 3, 3, 8});
    CHECK(dw0.params.depth_multiplier == 1);
    // The global pool is 7x7 VALID.
    for (const Op& op : g.ops) {
      if (op.type == OpType::AveragePool2D) {
        CHECK(op.params.filter_h == 7);
        CHECK(op.params.filter_w == 7);
        CHECK(g.tensors[op.outputs[0]].shape == Shape{1, 1, 1, 256});
      }
      if (op.type == OpType::Squeeze) CHECK(g.tensors[op.outputs[0]].shape == Shape{1, 1001});
    }
    // Batch change: every activation follows.
    Graph g4 = with_batch(g, 4);
    CHECK(g4.tensors[g4.inputs[0]].shape == Shape{4, 224, 224, 3});
    CHECK(g4.tensors[g4.outputs[0]].shape == Shape{4, 1001});
  }

  TEST_CASE("mobilenet_v2 float: ops, I/O, batch") {
    if (!test::have_data("models/mobilenet_v2_1.0_224_float.tflite")) return;
    Graph g = load_model("models/mobilenet_v2_1.0_224_float.tflite");
    auto c = op_counts(g);
    CHECK(c["CONV_2D"] == 36);
    CHECK(c["DEPTHWISE_CONV_2D"] == 17);
    CHECK(c["ADD"] == 10);
    CHECK(c["MEAN"] == 1);
    CHECK(c["RESHAPE"] == 1);
    CHECK(c["SOFTMAX"] == 1);
    CHECK(g.ops.size() == 66);
    CHECK(g.tensors[g.inputs[0]].name == "input");
    CHECK(g.tensors[g.inputs[0]].shape == Shape{1, 224, 224, 3});
    CHECK(g.tensors[g.outputs[0]].name == "Identity");
    CHECK(g.tensors[g.outputs[0]].shape == Shape{1, 1001});
    for (const Op& op : g.ops) {
      if (op.type == OpType::Mean) {
        CHECK(op.params.axes == std::vector<int>{1, 2});
        CHECK(g.tensors[op.outputs[0]].shape.back() == 1280);
      }
    }
    Graph g3 = with_batch(g, 3);
    CHECK(g3.tensors[g3.outputs[0]].shape == Shape{3, 1001});
    CHECK_THROWS_AS(with_batch(g, 0), Error);
  }

  TEST_CASE("quantized models keep their quantization parameters") {
    if (!test::have_data("models/mobilenet_v2_1.0_224_quant.tflite")) return;
    {
      Graph g = load_model("models/mobilenet_v2_1.0_224_quant.tflite");
      const Tensor& in = g.tensors[g.inputs[0]];
      CHECK(in.dtype == DType::U8);
      REQUIRE(in.quant.quantized());
      CHECK(in.quant.scale.size() == 1);
      CHECK(in.quant.scale[0] == doctest::Approx(1.0 / 128).epsilon(1e-6));  // README: (q-128)/128
      CHECK(in.quant.zero_point[0] == 128);
      CHECK(g.tensors[g.outputs[0]].name == "output");
      CHECK(g.tensors[g.outputs[0]].dtype == DType::U8);
      auto c = op_counts(g);
      CHECK(c["CONV_2D"] == 36);
      CHECK(c["DEPTHWISE_CONV_2D"] == 17);
      CHECK(c["ADD"] == 10);
    }
    if (test::have_data("models/tf2_mobilenet_v2_1.0_224_ptq.tflite")) {
      Graph g = load_model("models/tf2_mobilenet_v2_1.0_224_ptq.tflite");
      CHECK(g.tensors[g.inputs[0]].dtype == DType::U8);
      CHECK(g.tensors[g.outputs[0]].dtype == DType::U8);
      CHECK(op_counts(g)["QUANTIZE"] == 2);  // uint8 I/O through QUANTIZE
      // int8 per-channel conv weights: one scale per output channel along dimension 0.
      int per_channel = 0;
      for (const Op& op : g.ops) {
        if (op.type != OpType::Conv2D) continue;
        const Tensor& w = g.tensors[op.inputs[1]];
        CHECK(w.dtype == DType::I8);
        if (w.quant.scale.size() > 1) {
          CHECK(w.quant.axis == 0);
          CHECK((int)w.quant.scale.size() == w.shape[0]);
          per_channel++;
        }
      }
      CHECK(per_channel == 36);
    }
    if (test::have_data("models/tflm/person_detect_fixed.tflite")) {
      Graph g = load_model("models/tflm/person_detect_fixed.tflite");
      CHECK(g.tensors[g.inputs[0]].shape == Shape{1, 96, 96, 1});
      CHECK(g.tensors[g.inputs[0]].dtype == DType::I8);
    }
    if (test::have_data("models/tflm/simple_add_model.tflite")) {
      Graph g = load_model("models/tflm/simple_add_model.tflite");
      CHECK(g.inputs.size() == 2);
      CHECK(op_counts(g)["ADD"] == 1);
    }
  }

  TEST_CASE("face_detection: float16 weights are folded into float32 constants") {
    const char* rel = "models/face_detection_short_range.tflite";
    if (!test::have_data(rel)) return;
    auto bytes = test::read_file(test::data_path(rel));
    Graph g = import_tflite(bytes.data(), bytes.size());
    CHECK(op_counts(g)["DEQUANTIZE"] == 0);
    REQUIRE(g.inputs.size() == 1);
    CHECK(g.tensors[g.inputs[0]].shape == Shape{1, 128, 128, 3});
    REQUIRE(g.outputs.size() == 2);
    CHECK(g.tensors[g.outputs[0]].name == "regressors");
    CHECK(g.tensors[g.outputs[0]].shape == Shape{1, 896, 16});
    CHECK(g.tensors[g.outputs[1]].name == "classificators");
    CHECK(g.tensors[g.outputs[1]].shape == Shape{1, 896, 1});
    // Independently walk the file: every DEQUANTIZE of a float16 constant must have become a float32 constant
    // holding half_to_float of the source bits.
    auto model = tflite::GetModel(bytes.data());
    auto sg = model->subgraphs()->Get(0);
    int folded = 0;
    for (auto op : *sg->operators()) {
      auto code = model->operator_codes()->Get(op->opcode_index());
      int32_t b = std::max<int32_t>(code->deprecated_builtin_code(), (int32_t)code->builtin_code());
      if (b != (int32_t)tflite::BuiltinOperator::DEQUANTIZE) continue;
      auto src = sg->tensors()->Get(op->inputs()->Get(0));
      if (src->type() != tflite::TensorType::FLOAT16) continue;
      auto data = model->buffers()->Get(src->buffer())->data();
      REQUIRE(data);
      const Tensor& dst = g.tensors[op->outputs()->Get(0)];
      REQUIRE(dst.is_const);
      REQUIRE(dst.dtype == DType::F32);
      REQUIRE(dst.data.size() == data->size() * 2);
      for (size_t k = 0; k < data->size() / 2; k++) {
        uint16_t h = (uint16_t)(data->Get(2 * k) | (data->Get(2 * k + 1) << 8));
        float want = half_to_float(h);
        float got;
        std::memcpy(&got, dst.data.data() + 4 * k, 4);
        if (got != want) {
          FAIL_CHECK("weight mismatch at element " << k);
          break;
        }
      }
      folded++;
    }
    CHECK(folded > 20);
    // The folded weights feed the convolutions directly.
    for (const Op& op : g.ops) {
      if (op.type == OpType::Conv2D || op.type == OpType::DepthwiseConv2D) {
        CHECK(g.tensors[op.inputs[1]].is_const);
        CHECK(g.tensors[op.inputs[1]].dtype == DType::F32);
      }
    }
  }

  TEST_CASE("selfie_segmentation: MediaPipe's custom op imports as TRANSPOSE_CONV") {
    const char* rel = "models/selfie_segmentation.tflite";
    if (!test::have_data(rel)) return;
    const std::vector<uint8_t> bytes = test::read_file(test::data_path(rel));
    Graph g = import_tflite(bytes.data(), bytes.size());
    int tconv = 0;
    for (const Op& op : g.ops) {
      if (op.type != OpType::TransposeConv) continue;
      tconv++;
      INFO("operator ", op.source_index);
      REQUIRE(op.inputs.size() == 3);
      CHECK(g.tensors[op.inputs[1]].is_const);
      CHECK(g.tensors[op.inputs[2]].is_const);
      const std::vector<int>&x = g.tensors[op.inputs[0]].shape, &y = g.tensors[op.outputs[0]].shape;
      CHECK(y[1] == x[1] * op.params.stride_h);  // the file's output shape, checked at import
      CHECK(op.params.activation == Activation::None);
    }
    CHECK(tconv == 1);  // operator 244, the mask's last upsampling
  }

  TEST_CASE("MediaPipe Convolution2DTransposeBias: options, MediaPipe's output size and arithmetic, export") {
    // SAME on an odd input (MediaPipe pads 2 of 3 taps: output 2*(3-1)+3-2 = 5), SAME on an even one (4 -> 8),
    // VALID (3 -> 7).
    struct C {
      int h, padding, out;
    };
    for (const C& c : {C{3, 1, 5}, C{4, 1, 8}, C{3, 2, 7}}) {
      INFO("input ", c.h, " padding ", c.padding);
      auto bytes = build(mediapipe_tconv_model(c.h, c.h, c.padding, c.out, c.out));
      Graph g = import_tflite(bytes.data(), bytes.size());
      REQUIRE(g.ops.size() == 1);
      const Op& op = g.ops[0];
      CHECK(op.type == OpType::TransposeConv);
      CHECK(op.inputs == std::vector<int>{0, 1, 2});
      CHECK((op.params.stride_h == 2 && op.params.stride_w == 2));
      CHECK(op.params.padding == (c.padding == 1 ? Padding::Same : Padding::Valid));
      std::vector<float> x((size_t)c.h * c.h * 2);
      for (size_t i = 0; i < x.size(); i++) x[i] = (float)((int)(i * 5 % 9) - 4) * 0.5f;
      const std::vector<float> want = mediapipe_tconv(g, x, 2, c.padding == 1);
      const std::vector<float> got = ref::run(g, {x})[3];
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < want.size(); i++) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
      // Export writes the builtin (with its output_shape and bias); it imports back to the same op.
      const std::vector<uint8_t> out = export_tflite(g);
      auto m = tflite::GetModel(out.data());
      REQUIRE(m->operator_codes()->size() == 1);
      CHECK(m->operator_codes()->Get(0)->builtin_code() == tflite::BuiltinOperator::TRANSPOSE_CONV);
      CHECK(m->operator_codes()->Get(0)->version() == 3);
      CHECK(m->subgraphs()->Get(0)->operators()->Get(0)->inputs()->size() == 4);
      Graph back = import_tflite(out.data(), out.size());
      REQUIRE(back.ops.size() == 1);
      const std::vector<float> again = ref::run(back, {x})[back.ops[0].outputs[0]];
      CHECK(again == got);
    }
    // A 16-byte TfLiteTransposeConvParams (newer headers append the fused activation): none is accepted.
    {
      MSpec m = mediapipe_tconv_model(3, 3, 1, 5, 5);
      m.ops[0].custom_options = tconv_params_bytes({1, 2, 2, 0});
      auto bytes = build(m);
      CHECK(import_tflite(bytes.data(), bytes.size()).ops[0].type == OpType::TransposeConv);
    }
  }

  TEST_CASE("MediaPipe Convolution2DTransposeBias: malformed options and unknown custom ops are clear errors") {
    struct Bad {
      std::vector<uint8_t> options;
      tare_status status;
      const char* needle;
      const char* op = "CUSTOM Convolution2DTransposeBias";  // how the message names the operator
    };
    const Bad bad[] = {
        {{}, TARE_ERROR_INVALID_MODEL, "(12 or 16 bytes), got 0"},
        {tconv_params_bytes({1, 2}), TARE_ERROR_INVALID_MODEL, "(12 or 16 bytes), got 8"},
        {tconv_params_bytes({1, 2, 2, 0, 0}), TARE_ERROR_INVALID_MODEL, "got 20"},
        {tconv_params_bytes({0, 2, 2}), TARE_ERROR_INVALID_MODEL, "padding 0 is not SAME or VALID"},
        {tconv_params_bytes({3, 2, 2}), TARE_ERROR_INVALID_MODEL, "padding 3"},
        {tconv_params_bytes({1, 0, 2}), TARE_ERROR_INVALID_MODEL, "strides 2,0 out of range"},
        {tconv_params_bytes({1, 2, -1}), TARE_ERROR_INVALID_MODEL, "out of range"},
        {tconv_params_bytes({1, 2, 2, 1}), TARE_ERROR_UNSUPPORTED, "fused activation 1"},
        // Options valid, but the file's output shape is not MediaPipe's (5x5 for SAME on 3x3).
        {tconv_params_bytes({2, 2, 2}), TARE_ERROR_INVALID_MODEL, "output tensor 3 ('output') has shape [1,5,5,3]",
         "operator 0 (TRANSPOSE_CONV)"},
    };
    for (const Bad& b : bad) {
      MSpec m = mediapipe_tconv_model(3, 3, 1, 5, 5);
      m.ops[0].custom_options = b.options;
      INFO(b.needle);
      expect_status(m, b.status, b.needle);
      expect_status(m, b.status, b.op);
    }
    {
      MSpec m = mediapipe_tconv_model(3, 3, 1, 5, 5);
      m.ops[0].inputs = {0, 1};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "Convolution2DTransposeBias");
    }
    {
      MSpec m = mediapipe_tconv_model(3, 3, 1, 5, 5);
      m.opcodes[0].second = "MaxPoolingWithArgmax2D";
      expect_status(m, TARE_ERROR_UNSUPPORTED, "CUSTOM op 'MaxPoolingWithArgmax2D' is a MediaPipe custom op");
    }
  }

  TEST_CASE("extra subgraphs: subgraph 0 is the model, as TFLite runs it") {
    MSpec one = conv_model();
    MSpec three = conv_model();
    three.subgraphs = 3;
    const std::vector<uint8_t> file1 = build(one), file3 = build(three);
    Graph g1 = import_tflite(file1.data(), file1.size());
    Graph g3 = import_tflite(file3.data(), file3.size());
    REQUIRE(g3.ops.size() == g1.ops.size());
    CHECK(g3.ops[0].type == OpType::Conv2D);
    CHECK(g3.inputs == g1.inputs);
    CHECK(g3.outputs == g1.outputs);
    CHECK(g3.tensors[1].data == g1.tensors[1].data);
    // TFLite itself accepts the unreferenced subgraphs and gives subgraph 0's result.
    if (!test::tflite_available()) return;
    const std::string path =
        (std::filesystem::temp_directory_path() / ("tare_subgraphs_" + std::to_string(::getpid()) + ".tflite"))
            .string();
    std::vector<float> x(32);
    for (size_t i = 0; i < x.size(); i++) x[i] = 0.25f * (float)i - 3.f;
    std::vector<std::vector<uint8_t>> outs;
    for (const auto* file : {&file1, &file3}) {
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(file->data()), file->size());
      test::TfliteRun run = test::run_tflite_full(path, {floats_bytes(x)});
      REQUIRE_MESSAGE(run.ok, run.log);
      outs.push_back(run.outputs.at(0));
    }
    std::filesystem::remove(path);
    CHECK(outs[0] == outs[1]);
  }

  TEST_CASE("refused with a message: control flow, 16x8 quantization, MediaPipe's custom ops") {
    {
      // A WHILE in subgraph 0 calling subgraphs 1 and 2.
      MSpec m = add_chain_model();
      m.subgraphs = 3;
      m.opcodes.push_back({(int32_t)tflite::BuiltinOperator::WHILE, ""});
      m.ops[1] = {1, {1}, {2}, false, {}, 1, 2};
      expect_status(m, TARE_ERROR_UNSUPPORTED,
                    "operator 1 (WHILE) is control flow calling subgraph 1, 2; the model has 3 subgraph(s) and Tare "
                    "runs only subgraph 0, without control flow");
    }
    for (auto code :
         {tflite::BuiltinOperator::IF, tflite::BuiltinOperator::CALL_ONCE, tflite::BuiltinOperator::STABLEHLO_WHILE}) {
      MSpec m = add_chain_model();
      m.subgraphs = 2;
      m.opcodes = {{(int32_t)code, ""}};
      expect_status(m, TARE_ERROR_UNSUPPORTED,
                    std::string("operator 0 (") + tflite::EnumNameBuiltinOperator(code) + ") is control flow");
    }
    {
      // 16x8: int16 activations with int8 weights and int64 bias.
      MSpec m = conv_model();
      m.tensors[0].type = tflite::TensorType::INT16;
      m.tensors[0].scale = {0.001f};
      m.tensors[0].zero_point = {0};
      expect_status(m, TARE_ERROR_UNSUPPORTED,
                    "tensor 0 ('input') is quantized INT16: 16x8 quantization (int16 activations, int8 weights) is not "
                    "supported");
    }
    for (const char* op : {"MaxPoolingWithArgmax2D", "MaxUnpooling2D", "TransformLandmarks", "TransformTensorBilinear",
                           "Landmarks2TransformMatrix"}) {
      MSpec m = conv_model();
      m.opcodes = {{(int32_t)tflite::BuiltinOperator::CUSTOM, op}};
      m.ops[0].conv_options = false;
      expect_status(m, TARE_ERROR_UNSUPPORTED,
                    std::string("operator 0: CUSTOM op '") + op +
                        "' is a MediaPipe custom op (mediapipe/util/tflite/operations) that Tare does not run");
    }
  }

  TEST_CASE("empty, tiny, foreign and random input is an invalid model") {
    std::string msg;
    CHECK(try_import({}, &msg) == TARE_ERROR_INVALID_MODEL);
    CHECK_THROWS_AS(import_tflite(nullptr, 100), Error);
    CHECK(try_import({1, 2, 3}) == TARE_ERROR_INVALID_MODEL);
    CHECK(try_import(std::vector<uint8_t>(64, 0)) == TARE_ERROR_INVALID_MODEL);
    std::mt19937 rng(1234);
    for (int i = 0; i < 200; i++) {
      std::vector<uint8_t> b(8 + rng() % 4096);
      for (auto& x : b) x = (uint8_t)rng();
      if (i % 2) std::memcpy(b.data() + 4, "TFL3", 4);  // get past the identifier check
      CHECK(try_import(b, &msg) == TARE_ERROR_INVALID_MODEL);
    }
  }

  TEST_CASE("truncated models are invalid") {
    const char* models[] = {"models/mobilenet_v1_0.25_224.tflite", "models/face_detection_short_range.tflite",
                            "models/tflm/hello_world_float.tflite", "models/tflm/micro_speech_quantized.tflite"};
    for (const char* rel : models) {
      if (!test::have_data(rel)) continue;
      auto full = test::read_file(test::data_path(rel));
      for (int k = 0; k < 37; k++) {
        size_t len = full.size() * k / 37;
        std::vector<uint8_t> cut(full.begin(), full.begin() + len);
        std::string msg;
        CAPTURE(rel);
        CAPTURE(len);
        CHECK(try_import(cut, &msg) == TARE_ERROR_INVALID_MODEL);
      }
    }
  }

  TEST_CASE("corrupted models throw tare::Error or import, never crash") {
    const char* models[] = {"models/tflm/hello_world_float.tflite", "models/tflm/simple_add_model.tflite",
                            "models/tflm/micro_speech_quantized.tflite", "models/tflm/hello_world_int8.tflite",
                            "models/face_detection_short_range.tflite"};
    std::mt19937 rng(42);
    int runs = 0, failed = 0;
    for (const char* rel : models) {
      if (!test::have_data(rel)) continue;
      auto orig = test::read_file(test::data_path(rel));
      // The big model's FlatBuffer structure is outside its weights; aim at its first and last 16 KiB.
      size_t span = std::min<size_t>(orig.size(), 16384);
      for (int i = 0; i < 120; i++) {
        auto b = orig;
        int flips = 1 + (int)(rng() % 3);
        for (int f = 0; f < flips; f++) {
          size_t pos = rng() % span;
          if (rng() % 2) pos = b.size() - 1 - pos;
          switch (rng() % 3) {
            case 0: b[pos] ^= (uint8_t)(1u << (rng() % 8)); break;
            case 1: b[pos] = (uint8_t)rng(); break;
            default: b[pos] = (rng() % 2) ? 0xff : 0x00; break;
          }
        }
        tare_status s = try_import(b);
        runs++;
        if (s != TARE_OK) {
          failed++;
          CHECK((s == TARE_ERROR_INVALID_MODEL || s == TARE_ERROR_UNSUPPORTED));
        }
      }
    }
    MESSAGE(runs << " corrupted models, " << failed << " rejected");
    if (runs) CHECK(failed > runs / 10);
  }

  TEST_CASE("hand-built model: valid forms") {
    // Plain.
    {
      auto bytes = build(conv_model());
      Graph g = import_tflite(bytes.data(), bytes.size());
      REQUIRE(g.ops.size() == 1);
      CHECK(g.ops[0].type == OpType::Conv2D);
      CHECK(g.tensors[1].is_const);
      CHECK(g.tensors[1].f32()[5] == 6.0f);
      CHECK(g.tensors[2].f32()[1] == -1.0f);
      CHECK(g.description == "test");
      // Unaligned input bytes work too.
      std::vector<uint8_t> shifted(bytes.size() + 1);
      std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
      Graph g2 = import_tflite(shifted.data() + 1, bytes.size());
      CHECK(g2.tensors[1].f32()[5] == 6.0f);
    }
    // Weights stored outside the FlatBuffer (Buffer.offset / size).
    {
      MSpec m = conv_model();
      m.buffers[1].external = true;
      auto bytes = build(m);
      Graph g = import_tflite(bytes.data(), bytes.size());
      CHECK(g.tensors[1].is_const);
      CHECK(g.tensors[1].f32()[0] == 1.0f);
      CHECK(g.tensors[1].f32()[5] == 6.0f);
    }
    // Optional bias omitted with -1.
    {
      MSpec m = conv_model();
      m.ops[0].inputs = {0, 1, -1};
      auto bytes = build(m);
      Graph g = import_tflite(bytes.data(), bytes.size());
      CHECK(g.ops[0].inputs[2] == -1);
    }
    // Operators stored out of order are sorted.
    {
      MSpec m = add_chain_model();
      std::swap(m.ops[0], m.ops[1]);
      auto bytes = build(m);
      Graph g = import_tflite(bytes.data(), bytes.size());
      REQUIRE(g.ops.size() == 2);
      CHECK(g.ops[0].outputs[0] == 1);
      CHECK(g.ops[1].outputs[0] == 2);
      CHECK(g.ops[0].source_index == 1);
    }
  }

  TEST_CASE("hand-built model: broken files are rejected with a message") {
    {
      MSpec m = conv_model();
      m.tensors[1].buffer = 99;
      expect_status(m, TARE_ERROR_INVALID_MODEL, "buffer index 99 out of range");
    }
    {
      MSpec m = conv_model();
      m.buffers[1].data.resize(20);
      expect_status(m, TARE_ERROR_INVALID_MODEL, "constant data has 20 bytes");
    }
    {
      MSpec m = conv_model();
      m.buffers[1].external = true;
      m.buffers[1].external_extra = 1000;
      expect_status(m, TARE_ERROR_INVALID_MODEL, "outside");
    }
    {
      MSpec m = conv_model();
      m.ops[0].inputs = {0, 7, 2};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "operator 0 (CONV_2D): input tensor index 7 out of range");
    }
    {
      MSpec m = conv_model();
      m.ops[0].inputs = {0, -1, 2};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "required input 1 is missing");
    }
    {
      MSpec m = conv_model();
      m.ops[0].inputs = {0};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "operator 0 (CONV_2D): expects 2 to 3 inputs");
    }
    {
      MSpec m = conv_model();
      m.ops[0].opcode = 5;
      expect_status(m, TARE_ERROR_INVALID_MODEL, "opcode index 5 out of range");
    }
    {
      MSpec m = conv_model();
      m.tensors[3].shape = {1, 4, 4, 4};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "operator 0 (CONV_2D): output");
    }
    {
      MSpec m = conv_model();
      m.tensors[0].shape = {1, 4, 4, 5};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "operator 0 (CONV_2D)");
    }
    {
      MSpec m = conv_model();
      m.tensors[0].shape = {1, -4, 4, 2};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "negative");
    }
    {
      MSpec m = conv_model();
      m.tensors[2].scale = {0.5f, 0.25f};
      m.tensors[2].zero_point = {0, 0, 0};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "zero points");
    }
    {
      MSpec m = conv_model();
      m.tensors[2].scale = {0.5f, 0.25f};
      m.tensors[2].zero_point = {0, 0};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "per-channel");
    }
    {
      MSpec m = conv_model();
      m.inputs = {12};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "graph input");
    }
    {
      MSpec m = conv_model();
      m.inputs = {0, 1};
      expect_status(m, TARE_ERROR_INVALID_MODEL, "graph input 1 is tensor 1 ('filter'), a constant");
    }
    {
      MSpec m = add_chain_model();
      m.ops[0].inputs = {0, 2};  // reads the second op's output: a cycle
      expect_status(m, TARE_ERROR_INVALID_MODEL, "cycle");
    }
    {
      MSpec m = add_chain_model();
      m.ops[1].outputs = {1};  // written twice
      expect_status(m, TARE_ERROR_INVALID_MODEL, "already written");
    }
    {
      MSpec m = conv_model();
      m.opcodes = {{(int32_t)tflite::BuiltinOperator::CUSTOM, "TFLite_Detection_PostProcess"}};
      m.ops[0].conv_options = false;
      expect_status(m, TARE_ERROR_UNSUPPORTED, "operator 0: CUSTOM op 'TFLite_Detection_PostProcess' is not supported");
    }
    {
      MSpec m = conv_model();
      m.opcodes = {{(int32_t)tflite::BuiltinOperator::SVDF, ""}};
      m.ops[0].conv_options = false;
      expect_status(m, TARE_ERROR_UNSUPPORTED, "operator 0: builtin op SVDF (27) is not supported");
    }
    {
      MSpec m = conv_model();
      m.opcodes = {{(int32_t)tflite::BuiltinOperator::GELU, ""}};  // code > 127: only in builtin_code
      m.ops[0].conv_options = false;
      expect_status(m, TARE_ERROR_UNSUPPORTED, "GELU (150)");
    }
    {
      MSpec m = conv_model();
      m.tensors[0].type = tflite::TensorType::STRING;
      expect_status(m, TARE_ERROR_UNSUPPORTED, "STRING");
    }
  }

  TEST_CASE("hand-built model: quantization parameters out of range are invalid, naming the tensor") {
    // Zero points must fit the tensor's type (the kernels compute in 32 bits), scales must be finite and > 0.
    struct Case {
      tflite::TensorType type;
      float scale;
      int64_t zero_point;
      const char* needle;
    };
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const Case cases[] = {
        {tflite::TensorType::INT8, 0.5f, -2147483648LL,
         "zero point 0 is -2147483648, outside INT8's range [-128, 127]"},
        {tflite::TensorType::INT8, 0.5f, int64_t(1) << 40, "zero point 0 is 1099511627776, outside INT8"},
        {tflite::TensorType::INT8, 0.5f, 128, "outside INT8's range"},
        {tflite::TensorType::UINT8, 0.5f, -1, "outside UINT8's range [0, 255]"},
        {tflite::TensorType::UINT8, 0.5f, 256, "outside UINT8's range"},
        {tflite::TensorType::INT32, 0.5f, int64_t(1) << 40, "outside INT32's range"},
        {tflite::TensorType::FLOAT32, 0.5f, int64_t(1) << 40, "outside FLOAT32's range"},
        {tflite::TensorType::INT8, 0.0f, 0, "quantization scale 0 is 0 (must be finite and > 0)"},
        {tflite::TensorType::INT8, -0.5f, 0, "quantization scale 0 is -0.5"},
        {tflite::TensorType::INT8, nan, 0, "must be finite and > 0"},
        {tflite::TensorType::INT8, inf, 0, "quantization scale 0 is inf"},
    };
    for (const Case& c : cases) {
      MSpec m = conv_model();
      m.tensors[0].type = c.type;
      m.tensors[0].scale = {c.scale};
      m.tensors[0].zero_point = {c.zero_point};
      CAPTURE(c.needle);
      expect_status(m, TARE_ERROR_INVALID_MODEL, "tensor 0 ('input')");
      expect_status(m, TARE_ERROR_INVALID_MODEL, c.needle);
    }
    // The limits themselves are valid.
    for (int64_t z : {-128, 127}) {
      MSpec m = conv_model();
      m.tensors[0].type = tflite::TensorType::INT8;
      m.tensors[0].scale = {0.5f};
      m.tensors[0].zero_point = {z};
      std::string msg;
      CHECK_MESSAGE(try_import(build(m), &msg) != TARE_ERROR_INVALID_MODEL, msg);
    }
  }

  TEST_CASE("window arithmetic") {
    // SAME: ceil(in / stride).  VALID: ceil((in - (k-1)*d) / stride).
    CHECK(conv_out_size(224, 3, 2, 1, Padding::Same) == 112);
    CHECK(conv_out_size(225, 3, 2, 1, Padding::Same) == 113);
    CHECK(conv_out_size(224, 3, 2, 1, Padding::Valid) == 111);
    CHECK(conv_out_size(7, 7, 2, 1, Padding::Valid) == 1);
    CHECK(conv_out_size(10, 3, 1, 2, Padding::Valid) == 6);
    CHECK(conv_out_size(10, 3, 1, 2, Padding::Same) == 10);
    CHECK(conv_out_size(3, 5, 1, 1, Padding::Valid) == 0);
    // Padding before = floor(total / 2), total = (out-1)*stride + (k-1)*d + 1 - in.
    CHECK(conv_pad_before(224, 3, 2, 1, Padding::Same) == 0);  // total 1
    CHECK(conv_pad_before(225, 3, 2, 1, Padding::Same) == 1);  // total 2
    CHECK(conv_pad_before(112, 3, 1, 1, Padding::Same) == 1);  // total 2
    CHECK(conv_pad_before(10, 3, 1, 2, Padding::Same) == 2);   // total 4
    CHECK(conv_pad_before(224, 3, 2, 1, Padding::Valid) == 0);
  }

  TEST_CASE("shape inference: convolutions and pools") {
    OpParams p;
    p.stride_h = p.stride_w = 2;
    CHECK(infer_one(OpType::Conv2D, {{1, 224, 224, 3}, {32, 3, 3, 3}, {32}}, p) == Shape{1, 112, 112, 32});
    p.padding = Padding::Valid;
    CHECK(infer_one(OpType::Conv2D, {{2, 224, 224, 3}, {32, 3, 3, 3}}, p) == Shape{2, 111, 111, 32});
    OpParams d;
    d.padding = Padding::Valid;
    d.dilation_h = d.dilation_w = 2;
    CHECK(infer_one(OpType::Conv2D, {{1, 10, 12, 4}, {8, 3, 3, 4}}, d) == Shape{1, 6, 8, 8});
    OpParams dw;
    dw.depth_multiplier = 2;
    CHECK(infer_one(OpType::DepthwiseConv2D, {{1, 9, 9, 4}, {1, 3, 3, 8}, {8}}, dw) == Shape{1, 9, 9, 8});
    std::string msg;
    CHECK(infer_status(OpType::Conv2D, {{1, 8, 8, 3}, {16, 3, 3, 4}}, {}, &msg) == TARE_ERROR_INVALID_MODEL);
    CHECK_MESSAGE(msg.find("operator 0 (CONV_2D)") == 0, msg);
    CHECK(infer_status(OpType::Conv2D, {{1, 8, 8, 3}, {16, 3, 3, 3}, {15}}) == TARE_ERROR_INVALID_MODEL);
    CHECK(infer_status(OpType::DepthwiseConv2D, {{1, 8, 8, 3}, {1, 3, 3, 8}}, dw) == TARE_ERROR_INVALID_MODEL);
    OpParams pool;
    pool.padding = Padding::Valid;
    pool.filter_h = pool.filter_w = 7;
    pool.stride_h = pool.stride_w = 2;
    CHECK(infer_one(OpType::AveragePool2D, {{1, 7, 7, 256}}, pool) == Shape{1, 1, 1, 256});
    pool.padding = Padding::Same;
    pool.filter_h = pool.filter_w = 2;
    CHECK(infer_one(OpType::MaxPool2D, {{1, 15, 15, 8}}, pool) == Shape{1, 8, 8, 8});
  }

  TEST_CASE("shape inference: elementwise, reductions, reshapes") {
    CHECK(infer_one(OpType::Add, {{1, 4, 4, 3}, {3}}) == Shape{1, 4, 4, 3});
    CHECK(infer_one(OpType::Mul, {{2, 1, 3}, {1, 5, 1}}) == Shape{2, 5, 3});
    CHECK(infer_one(OpType::Add, {{}, {2, 2}}) == Shape{2, 2});
    std::string msg;
    CHECK(infer_status(OpType::Add, {{2, 3}, {4}}, {}, &msg) == TARE_ERROR_INVALID_MODEL);
    CHECK_MESSAGE(msg.find("operator 0 (ADD)") == 0, msg);

    OpParams mean;
    mean.axes = {1, 2};
    mean.keep_dims = true;
    CHECK(infer_one(OpType::Mean, {{1, 7, 7, 1280}, {2}}, mean) == Shape{1, 1, 1, 1280});
    mean.keep_dims = false;
    CHECK(infer_one(OpType::Mean, {{1, 7, 7, 1280}, {2}}, mean) == Shape{1, 1280});

    OpParams cat;
    cat.axis = 3;
    CHECK(infer_one(OpType::Concatenation, {{1, 8, 8, 3}, {1, 8, 8, 5}, {1, 8, 8, 1}}, cat) == Shape{1, 8, 8, 9});
    cat.axis = 1;
    CHECK(infer_one(OpType::Concatenation, {{1, 512, 16}, {1, 384, 16}}, cat) == Shape{1, 896, 16});
    CHECK(infer_status(OpType::Concatenation, {{1, 8, 8, 3}, {1, 8, 7, 5}}, cat) == TARE_ERROR_INVALID_MODEL);

    OpParams fc;
    CHECK(infer_one(OpType::FullyConnected, {{1, 1, 1, 1024}, {1001, 1024}, {1001}}, fc) == Shape{1, 1001});
    CHECK(infer_one(OpType::FullyConnected, {{4, 32}, {10, 32}}, fc) == Shape{4, 10});
    CHECK(infer_one(OpType::FullyConnected, {{6, 16}, {8, 32}}, fc) == Shape{3, 8});
    fc.keep_num_dims = true;
    CHECK(infer_one(OpType::FullyConnected, {{2, 5, 16}, {8, 16}}, fc) == Shape{2, 5, 8});
    CHECK(infer_status(OpType::FullyConnected, {{2, 5, 16}, {8, 32}}, fc) == TARE_ERROR_INVALID_MODEL);

    OpParams rs;
    rs.new_shape = {1, -1};
    CHECK(infer_one(OpType::Reshape, {{1, 1, 1, 1001}}, rs) == Shape{1, 1001});
    rs.new_shape = {-1, 16};
    CHECK(infer_one(OpType::Reshape, {{1, 16, 16, 32}}, rs) == Shape{512, 16});
    rs.new_shape = {3, 5};
    CHECK(infer_status(OpType::Reshape, {{4, 4}}, rs) == TARE_ERROR_INVALID_MODEL);

    OpParams sq;
    sq.axes = {1, 2};
    CHECK(infer_one(OpType::Squeeze, {{1, 1, 1, 1001}}, sq) == Shape{1, 1001});
    CHECK(infer_one(OpType::Squeeze, {{1, 1, 3, 1}}) == Shape{3});
    CHECK(infer_status(OpType::Squeeze, {{1, 2, 1}}, sq) == TARE_ERROR_INVALID_MODEL);

    OpParams pad;
    pad.paddings = {{0, 0}, {1, 2}, {0, 1}, {0, 0}};
    CHECK(infer_one(OpType::Pad, {{1, 5, 5, 3}, {4, 2}}, pad) == Shape{1, 8, 6, 3});

    OpParams rz;
    rz.new_height = 64;
    rz.new_width = 32;
    CHECK(infer_one(OpType::ResizeBilinear, {{1, 16, 16, 3}, {2}}, rz) == Shape{1, 64, 32, 3});

    CHECK(infer_one(OpType::Softmax, {{2, 10}}) == Shape{2, 10});
    CHECK(infer_one(OpType::HardSwish, {{1, 3, 3, 2}}) == Shape{1, 3, 3, 2});
  }

  TEST_CASE("schema: the options tables and sparse tensors have the official field ids") {
    // Field i of a table has vtable offset 4 + 2 * i (a union field takes two ids: type, then value).  The expected
    // values follow the field order of TFLite's schema.fbs.
    static_assert(tflite::StridedSliceOptions::VT_BEGIN_MASK == 4);
    static_assert(tflite::StridedSliceOptions::VT_SHRINK_AXIS_MASK == 12);
    static_assert(tflite::StridedSliceOptions::VT_OFFSET == 14);
    static_assert(tflite::TransposeConvOptions::VT_STRIDE_H == 8);
    static_assert(tflite::TransposeConvOptions::VT_FUSED_ACTIVATION_FUNCTION == 10);
    static_assert(tflite::TransposeConvOptions::VT_QUANTIZED_BIAS_TYPE == 12);
    static_assert(tflite::MirrorPadOptions::VT_MODE == 4);
    static_assert(tflite::GatherOptions::VT_BATCH_DIMS == 6);
    static_assert(tflite::SubOptions::VT_POT_SCALE_INT16 == 6);
    static_assert(tflite::CastOptions::VT_OUT_DATA_TYPE == 6);
    static_assert(tflite::PackOptions::VT_AXIS == 6);
    static_assert(tflite::UnpackOptions::VT_AXIS == 6);
    static_assert(tflite::ResizeNearestNeighborOptions::VT_HALF_PIXEL_CENTERS == 6);
    static_assert(tflite::BatchMatMulOptions::VT_ASYMMETRIC_QUANTIZE_INPUTS == 8);
    static_assert(tflite::Conv3DOptions::VT_DILATION_H_FACTOR == 18);
    static_assert(tflite::Tensor::VT_SPARSITY == 16);
    static_assert(tflite::Tensor::VT_VARIANT_TENSORS == 22);
    static_assert(tflite::SparsityParameters::VT_DIM_METADATA == 8);
    static_assert(tflite::DimensionMetadata::VT_ARRAY_SEGMENTS == 10);
    static_assert(tflite::DimensionMetadata::VT_ARRAY_INDICES == 14);
    // Union type values (the position in the official union, NONE = 0) and operator codes of the format.
    static_assert((int)tflite::BuiltinOptions::TransposeConvOptions == 49);
    static_assert((int)tflite::BuiltinOptions::MirrorPadOptions == 77);
    static_assert((int)tflite::BuiltinOptions::HardSwishOptions == 91);
    static_assert((int)tflite::BuiltinOptions::DepthToSpaceOptions == 94);
    static_assert((int)tflite::BuiltinOptions::BatchMatMulOptions == 101);
    static_assert((int)tflite::BuiltinOptions::GeluOptions == 116);
    static_assert((int)tflite::BuiltinOptions::RightShiftOptions == 126);
    static_assert((int)tflite::SparseIndexVector::Uint8Vector == 3);
    static_assert((int)tflite::BuiltinOperator::GELU == 150);
    static_assert((int)tflite::BuiltinOperator::STABLEHLO_COMPOSITE == 206);
    static_assert((int)tflite::TensorType::BFLOAT16 == 18);

    // Write options and a sparse constant with the builder, read them back through the verifier and accessors.
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<tflite::Operator>> ops;
    const std::vector<int> io = {0};
    ops.push_back(tflite::CreateOperatorDirect(fbb, 0, &io, &io, tflite::BuiltinOptions::StridedSliceOptions,
                                               tflite::CreateStridedSliceOptions(fbb, 1, 2, 0, 4, 8, true).Union()));
    ops.push_back(tflite::CreateOperatorDirect(fbb, 0, &io, &io, tflite::BuiltinOptions::TransposeConvOptions,
                                               tflite::CreateTransposeConvOptions(fbb, tflite::Padding::VALID, 2, 3,
                                                                                  tflite::ActivationFunctionType::RELU6,
                                                                                  tflite::TensorType::INT64)
                                                   .Union()));
    ops.push_back(
        tflite::CreateOperatorDirect(fbb, 0, &io, &io, tflite::BuiltinOptions::MirrorPadOptions,
                                     tflite::CreateMirrorPadOptions(fbb, tflite::MirrorPadMode::SYMMETRIC).Union()));
    ops.push_back(tflite::CreateOperatorDirect(fbb, 0, &io, &io, tflite::BuiltinOptions::GatherOptions,
                                               tflite::CreateGatherOptions(fbb, -1, 1).Union()));
    // A 2x3 matrix in CSR: rows dense, columns sparse with (uint8) indices.
    const std::vector<int> order = {0, 1};
    const std::vector<uint8_t> segments = {0, 1, 3}, indices = {2, 0, 1};
    std::vector<flatbuffers::Offset<tflite::DimensionMetadata>> dims = {
        tflite::CreateDimensionMetadata(fbb, tflite::DimensionType::DENSE, 2),
        tflite::CreateDimensionMetadata(fbb, tflite::DimensionType::SPARSE_CSR, 0,
                                        tflite::SparseIndexVector::Uint8Vector,
                                        tflite::CreateUint8VectorDirect(fbb, &segments).Union(),
                                        tflite::SparseIndexVector::Uint8Vector,
                                        tflite::CreateUint8VectorDirect(fbb, &indices).Union())};
    auto sparsity = tflite::CreateSparsityParametersDirect(fbb, &order, nullptr, &dims);
    const std::vector<int> shape = {2, 3};
    std::vector<flatbuffers::Offset<tflite::Tensor>> ts = {
        tflite::CreateTensorDirect(fbb, &shape, tflite::TensorType::FLOAT32, 1, "w", 0, false, sparsity)};
    std::vector<flatbuffers::Offset<tflite::SubGraph>> sgs = {tflite::CreateSubGraphDirect(fbb, &ts, &io, &io, &ops)};
    std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes = {
        tflite::CreateOperatorCode(fbb, (int8_t)tflite::BuiltinOperator::STRIDED_SLICE, 0, 1,
                                   tflite::BuiltinOperator::STRIDED_SLICE)};
    const std::vector<uint8_t> values = floats_bytes({1, 2, 3});
    std::vector<flatbuffers::Offset<tflite::Buffer>> bufs = {tflite::CreateBuffer(fbb),
                                                             tflite::CreateBufferDirect(fbb, &values)};
    tflite::FinishModelBuffer(fbb, tflite::CreateModelDirect(fbb, 3, &codes, &sgs, "schema", &bufs));

    flatbuffers::Verifier verifier(fbb.GetBufferPointer(), fbb.GetSize());
    REQUIRE(tflite::VerifyModelBuffer(verifier));
    const tflite::Model* model = tflite::GetModel(fbb.GetBufferPointer());
    auto sg = model->subgraphs()->Get(0);
    REQUIRE(sg->operators()->size() == 4);

    auto ss = sg->operators()->Get(0)->builtin_options_as_StridedSliceOptions();
    REQUIRE(ss);
    CHECK(ss->begin_mask() == 1);
    CHECK(ss->end_mask() == 2);
    CHECK(ss->ellipsis_mask() == 0);
    CHECK(ss->new_axis_mask() == 4);
    CHECK(ss->shrink_axis_mask() == 8);
    CHECK(ss->offset());

    auto tc = sg->operators()->Get(1)->builtin_options_as_TransposeConvOptions();
    REQUIRE(tc);
    CHECK(tc->padding() == tflite::Padding::VALID);
    CHECK(tc->stride_w() == 2);
    CHECK(tc->stride_h() == 3);
    CHECK(tc->fused_activation_function() == tflite::ActivationFunctionType::RELU6);
    CHECK(tc->quantized_bias_type() == tflite::TensorType::INT64);

    auto mp = sg->operators()->Get(2)->builtin_options_as_MirrorPadOptions();
    REQUIRE(mp);
    CHECK(mp->mode() == tflite::MirrorPadMode::SYMMETRIC);

    auto ga = sg->operators()->Get(3)->builtin_options_as_GatherOptions();
    REQUIRE(ga);
    CHECK(ga->axis() == -1);
    CHECK(ga->batch_dims() == 1);

    auto sp = sg->tensors()->Get(0)->sparsity();
    REQUIRE(sp);
    REQUIRE(sp->traversal_order()->size() == 2);
    CHECK(sp->block_map() == nullptr);
    REQUIRE(sp->dim_metadata()->size() == 2);
    CHECK(sp->dim_metadata()->Get(0)->format() == tflite::DimensionType::DENSE);
    CHECK(sp->dim_metadata()->Get(0)->dense_size() == 2);
    auto csr = sp->dim_metadata()->Get(1);
    CHECK(csr->format() == tflite::DimensionType::SPARSE_CSR);
    REQUIRE(csr->array_segments_as_Uint8Vector());
    REQUIRE(csr->array_indices_as_Uint8Vector());
    CHECK(csr->array_segments_as_Uint8Vector()->values()->Get(2) == 3);
    CHECK(csr->array_indices_as_Uint8Vector()->values()->Get(0) == 2);
    CHECK(csr->array_indices_as_Int32Vector() == nullptr);
  }

  TEST_CASE("dtype and op names") {
    CHECK(dtype_size(DType::F32) == 4);
    CHECK(dtype_size(DType::F16) == 2);
    CHECK(dtype_size(DType::I64) == 8);
    CHECK(dtype_size(DType::I8) == 1);
    CHECK(std::string(dtype_name(DType::U8)) == "UINT8");
    CHECK(std::string(op_name(OpType::DepthwiseConv2D)) == "DEPTHWISE_CONV_2D");
    CHECK(std::string(op_name(OpType::ResizeBilinear)) == "RESIZE_BILINEAR");
  }

}  // TEST_SUITE

}  // namespace tare
