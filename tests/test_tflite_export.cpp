// .tflite export: export -> import round trips and TFLite runs of the exported files.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/fixed_point.h"
#include "model/op_desc.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "op_harness.h"
#include "q8_harness.h"
#include "ref/int_reference.h"
#include "test_util.h"
#include "tflite_oracle.h"
#include "tflite_schema_generated.h"

using namespace tare;
using namespace tare::test;

namespace {

template <typename T>
std::string str(const std::vector<T>& v) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < v.size(); i++) o << (i ? "," : "") << v[i];
  o << "]";
  return o.str();
}

// First difference between two graphs ("" when equal); the description and source_index are not compared.
// `b` may hold more tensors than `a`, after a's: constants no op reads (parameters that the exporter writes as
// tensors, such as TRANSPOSE_CONV's output shape, which the importer keeps in the op's params).
std::string graph_diff(const Graph& a, const Graph& b) {
  std::vector<bool> read(b.tensors.size(), false);
  for (const Op& op : b.ops)
    for (int t : op.inputs)
      if (t >= 0) read[(size_t)t] = true;
  for (size_t i = a.tensors.size(); i < b.tensors.size(); i++)
    if (!b.tensors[i].is_const || read[i])
      return "extra tensor " + std::to_string(i) + " ('" + b.tensors[i].name + "')";
  if (a.tensors.size() > b.tensors.size()) {
    return "tensor count " + std::to_string(a.tensors.size()) + " vs " + std::to_string(b.tensors.size());
  }
  for (size_t i = 0; i < a.tensors.size(); i++) {
    const Tensor &x = a.tensors[i], &y = b.tensors[i];
    const std::string t = "tensor " + std::to_string(i) + " ('" + x.name + "'): ";
    if (x.name != y.name) return t + "name '" + y.name + "'";
    if (x.dtype != y.dtype) return t + "dtype";
    if (x.shape != y.shape) return t + "shape " + str(x.shape) + " vs " + str(y.shape);
    if (x.quant.scale.size() != y.quant.scale.size() ||
        (!x.quant.scale.empty() &&
         std::memcmp(x.quant.scale.data(), y.quant.scale.data(), 4 * x.quant.scale.size()) != 0)) {
      return t + "quantization scales";
    }
    if (x.quant.zero_point != y.quant.zero_point) return t + "zero points";
    if (x.quant.axis != y.quant.axis) return t + "quantized dimension";
    if (x.is_const != y.is_const) return t + "constness";
    if (x.data != y.data) return t + "constant bytes";
  }
  if (a.inputs != b.inputs) return "graph inputs " + str(a.inputs) + " vs " + str(b.inputs);
  if (a.outputs != b.outputs) return "graph outputs " + str(a.outputs) + " vs " + str(b.outputs);
  if (a.ops.size() != b.ops.size()) {
    return "op count " + std::to_string(a.ops.size()) + " vs " + std::to_string(b.ops.size());
  }
  for (size_t i = 0; i < a.ops.size(); i++) {
    const Op &x = a.ops[i], &y = b.ops[i];
    const std::string o = "op " + std::to_string(i) + " (" + op_name(x.type) + "): ";
    if (x.type != y.type) return o + "type " + op_name(y.type);
    if (x.inputs != y.inputs) return o + "inputs " + str(x.inputs) + " vs " + str(y.inputs);
    if (x.outputs != y.outputs) return o + "outputs " + str(x.outputs) + " vs " + str(y.outputs);
    const std::string p = params_diff(x.params, y.params);
    if (!p.empty()) return o + "params." + p;
  }
  return "";
}

Graph import_bytes(const std::vector<uint8_t>& b) { return import_tflite(b.data(), b.size()); }

// A temporary file removed at scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::vector<uint8_t>& bytes) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tare_export_XXXXXX.tflite").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const int fd = mkstemps(buf.data(), 7);
    REQUIRE(fd >= 0);
    close(fd);
    path = buf.data();
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), (std::streamsize)bytes.size());
    REQUIRE(f.good());
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// Deterministic random bytes for every graph input: floats uniform in [-1,1], integers over their whole range.
std::vector<std::vector<uint8_t>> random_inputs(const Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> r;
  for (int t : g.inputs) {
    const Tensor& x = g.tensors[t];
    std::vector<uint8_t> b(x.bytes());
    if (x.dtype == DType::F32) {
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (size_t i = 0; i < b.size() / 4; i++) {
        const float f = u(rng);
        std::memcpy(b.data() + 4 * i, &f, 4);
      }
    } else {
      for (auto& v : b) v = (uint8_t)(rng() >> 24);
    }
    r.push_back(std::move(b));
  }
  return r;
}

// (builtin code, version) of every operator of a .tflite file, in file order.
std::vector<std::pair<int, int>> op_versions(const std::vector<uint8_t>& file) {
  std::vector<std::pair<int, int>> r;
  const tflite::Model* m = tflite::GetModel(file.data());
  const auto* codes = m->operator_codes();
  const auto* ops = m->subgraphs()->Get(0)->operators();
  for (flatbuffers::uoffset_t i = 0; ops && i < ops->size(); i++) {
    const auto* c = codes->Get(ops->Get(i)->opcode_index());
    r.emplace_back(std::max<int>(c->deprecated_builtin_code(), (int)c->builtin_code()), c->version());
  }
  return r;
}

struct ModelCase {
  const char* file;
  bool quantized;              // outputs must be bit-exact (float ones: within 1e-6)
  bool versions_match = true;  // the file's operator versions follow TFLite's versioning rules
  // The original has a MediaPipe custom op: LiteRT.js runs it (XNNPACK: float outputs within 1e-4), TFLite the export.
  bool litert_original = false;
};

const ModelCase kModels[] = {
    {"models/mobilenet_v1_0.25_224.tflite", false},
    {"models/mobilenet_v2_1.0_224_float.tflite", false},
    {"models/mobilenet_v2_1.0_224_qat_float.tflite", false},
    {"models/face_detection_short_range.tflite", false},
    // Its RESIZE_BILINEAR ops (half_pixel_centers) say version 1 (an older converter); TFLite's rule gives 3.
    {"models/selfie_segmentation.tflite", false, false, true},
    {"models/tflm/hello_world_float.tflite", false},
    {"models/mobilenet_v1_0.25_224_quant.tflite", true},
    {"models/mobilenet_v2_1.0_224_quant.tflite", true},
    {"models/tf2_mobilenet_v2_1.0_224_ptq.tflite", true},
    // Its 1x1 int8 CONV_2D ops say version 2 (an older converter); TFLite's rule for int8 CONV_2D gives 3.
    {"models/tflm/person_detect_fixed.tflite", true, false},
    {"models/tflm/micro_speech_quantized.tflite", true},
    {"models/tflm/hello_world_int8.tflite", true},
    {"models/tflm/simple_add_model.tflite", true},
};

}  // namespace

TEST_SUITE("tflite") {
  TEST_CASE("export: round trip and TFLite run of every shared model") {
    const bool oracle = tflite_available();
    std::set<std::string> seen_ops;
    for (const ModelCase& mc : kModels) {
      if (!have_data(mc.file)) continue;
      const std::string file = mc.file;
      CAPTURE(file);
      const std::vector<uint8_t> original = read_file(data_path(mc.file));
      Graph g;
      try {
        g = import_bytes(original);
      } catch (const Error& e) {
        REQUIRE(e.status() == TARE_ERROR_UNSUPPORTED);
        MESSAGE((file + ": not importable, skipped (" + std::string(e.what()) + ")"));
        continue;
      }
      // Export -> import gives the same graph; exporting that again gives the same bytes.
      const std::vector<uint8_t> exported = export_tflite(g);
      Graph back;
      REQUIRE_NOTHROW(back = import_bytes(exported));
      CHECK(back.description == "Tare");
      const std::string diff = graph_diff(g, back);
      CHECK_MESSAGE(diff.empty(), (file + ": " + diff));
      if (back.tensors.size() > g.tensors.size()) MESSAGE(("extra tensor: " + back.tensors[g.tensors.size()].name));
      CHECK(export_tflite(back) == exported);

      // Operator versions as TFLite's converter wrote them.
      const auto vo = op_versions(original), ve = op_versions(exported);
      REQUIRE(ve.size() == g.ops.size());
      int version_diffs = 0;
      for (size_t i = 0; i < g.ops.size(); i++) {
        const auto& o = vo.at((size_t)g.ops[i].source_index);
        if (o.first == ve[i].first && o.second != ve[i].second) {
          version_diffs++;
          MESSAGE(file << ": op " << i << " " << std::string(op_name(g.ops[i].type)) << " version " << ve[i].second
                       << ", the original has " << o.second);
        }
      }
      if (mc.versions_match) CHECK(version_diffs == 0);
      for (const Op& op : g.ops) seen_ops.insert(op_name(op.type));

      if (!oracle) continue;
      TempFile tmp(exported);
      double worst = 0;
      size_t bytes = 0;
      for (uint32_t seed = 1; seed <= 2; seed++) {
        const auto inputs = random_inputs(g, seed);
        TfliteOptions original_runner;
        original_runner.litert = mc.litert_original;
        if (mc.litert_original && !litert_missing_reason().empty()) break;
        const auto want = run_tflite(data_path(mc.file), inputs, original_runner);
        const auto got = run_tflite(tmp.path, inputs);
        REQUIRE(got.size() == want.size());
        for (size_t k = 0; k < got.size(); k++) {
          REQUIRE(got[k].size() == want[k].size());
          bytes += got[k].size();
          if (mc.quantized || g.tensors[g.outputs[k]].dtype != DType::F32) {
            CHECK_MESSAGE(got[k] == want[k], file << ": output " << k << " is not bit-exact");
          } else {
            std::vector<float> a(got[k].size() / 4), b(a.size());
            std::memcpy(a.data(), got[k].data(), got[k].size());
            std::memcpy(b.data(), want[k].data(), want[k].size());
            const double e = max_rel_error(a, b);
            worst = std::max(worst, e);
            CHECK_MESSAGE(e <= (mc.litert_original ? 1e-4 : 1e-6), file << ": output " << k << " differs by " << e);
          }
        }
      }
      MESSAGE(file << ": " << g.ops.size() << " ops, " << original.size() << " -> " << exported.size()
                   << " bytes; TFLite outputs (" << bytes << " bytes, 2 random inputs) "
                   << (worst == 0 ? "bit-identical" : "max rel diff " + std::to_string(worst)));
    }
    std::string ops;
    for (const auto& n : seen_ops) ops += " " + n;
    MESSAGE(("op types covered by the models:" + ops));
  }
}

namespace {

int add_tensor(Graph& g, const std::string& name, DType dtype, std::vector<int> shape = {}) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  g.tensors.push_back(std::move(t));
  return (int)g.tensors.size() - 1;
}

int add_op(Graph& g, OpType type, std::vector<int> inputs, const std::string& out_name, DType dtype = DType::F32,
           OpParams params = {}) {
  Op op;
  op.type = type;
  op.inputs = std::move(inputs);
  op.params = std::move(params);
  op.outputs = {add_tensor(g, out_name, dtype)};
  g.ops.push_back(op);
  g.outputs.push_back(op.outputs[0]);
  return op.outputs[0];
}

std::vector<float> floats_of(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

}  // namespace

TEST_SUITE("tflite") {
  TEST_CASE("export: a synthetic graph of the remaining ops, parameter tensors re-created, runs in TFLite") {
    // x: [1,2,2,2] float.  Ops whose parameters live only in OpParams (MEAN, PAD, RESIZE_BILINEAR without their
    // parameter inputs; RESHAPE without a shape input) make the exporter write the tensors the format needs.
    Graph g;
    const int x = add_tensor(g, "x", DType::F32, {1, 2, 2, 2});
    g.inputs = {x};
    const std::vector<float> xv = {-3.5f, 0.25f, 1.5f, -0.75f, 2.0f, 6.5f, -1.25f, 0.5f};  // NHWC
    OpParams none;
    add_op(g, OpType::Mul, {x, x}, "mul");
    add_op(g, OpType::Logistic, {x}, "logistic");
    add_op(g, OpType::HardSwish, {x}, "hard_swish");
    add_op(g, OpType::Relu6, {x}, "relu6");
    OpParams sm;
    sm.beta = 0.5f;
    add_op(g, OpType::Softmax, {x}, "softmax", DType::F32, sm);
    OpParams cat;
    cat.axis = 3;
    add_op(g, OpType::Concatenation, {x, x}, "concat", DType::F32, cat);
    OpParams mp;
    mp.padding = Padding::Valid;
    mp.stride_h = mp.stride_w = 2;
    mp.filter_h = mp.filter_w = 2;
    add_op(g, OpType::MaxPool2D, {x}, "max_pool", DType::F32, mp);
    OpParams mean;
    mean.axes = {1, 2};
    mean.keep_dims = true;
    add_op(g, OpType::Mean, {x}, "mean", DType::F32, mean);
    OpParams pad;
    pad.paddings = {{0, 0}, {1, 0}, {0, 1}, {0, 0}};
    add_op(g, OpType::Pad, {x}, "pad", DType::F32, pad);
    OpParams rs;
    rs.new_height = rs.new_width = 4;
    rs.half_pixel_centers = true;
    add_op(g, OpType::ResizeBilinear, {x}, "resize", DType::F32, rs);
    OpParams reshape;
    reshape.new_shape = {1, -1};
    add_op(g, OpType::Reshape, {x}, "reshape", DType::F32, reshape);
    // int8: QUANTIZE (scale 0.05, zero point -3) and back.
    OpParams q;
    const int xq = add_op(g, OpType::Quantize, {x}, "x_q", DType::I8, q);
    g.tensors[xq].quant.scale = {0.05f};
    g.tensors[xq].quant.zero_point = {-3};
    add_op(g, OpType::Dequantize, {xq}, "x_dq");
    REQUIRE_NOTHROW(infer_shapes(g));
    const size_t n_tensors = g.tensors.size();

    const std::vector<uint8_t> file = export_tflite(g);
    Graph back;
    REQUIRE_NOTHROW(back = import_bytes(file));
    // MEAN, PAD and RESIZE_BILINEAR gained their constant inputs; the rest is unchanged.
    REQUIRE(back.tensors.size() == n_tensors + 3);
    REQUIRE(back.ops.size() == g.ops.size());
    for (size_t i = 0; i < g.ops.size(); i++) {
      CAPTURE(i);
      const std::string d = params_diff(g.ops[i].params, back.ops[i].params);
      CHECK_MESSAGE(d.empty(), d);
      CHECK(back.ops[i].outputs == g.ops[i].outputs);
      const size_t extra = (g.ops[i].type == OpType::Mean || g.ops[i].type == OpType::Pad ||
                            g.ops[i].type == OpType::ResizeBilinear)
                               ? 1
                               : 0;
      CHECK(back.ops[i].inputs.size() == g.ops[i].inputs.size() + extra);
      if (extra) {
        const Tensor& t = back.tensors[back.ops[i].inputs[1]];
        CHECK(t.is_const);
        CHECK(t.dtype == DType::I32);
      }
    }
    CHECK(back.tensors[xq].quant.scale == std::vector<float>{0.05f});
    CHECK(back.tensors[xq].quant.zero_point == std::vector<int64_t>{-3});
    // A second export of the re-imported graph reuses those tensors.
    CHECK(export_tflite(back).size() == file.size());

    if (!tflite_available()) return;
    TempFile tmp(file);
    std::vector<uint8_t> in(xv.size() * 4);
    std::memcpy(in.data(), xv.data(), in.size());
    const auto out = run_tflite(tmp.path, {in});
    REQUIRE(out.size() == g.outputs.size());
    auto at = [&](int h, int w, int c) { return (double)xv[(h * 2 + w) * 2 + c]; };
    auto check = [&](size_t k, const std::vector<double>& want, double tol) {
      CAPTURE(k);
      const std::vector<float> got = floats_of(out[k]);
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < want.size(); i++) {
        CAPTURE(i);
        CHECK(std::fabs(got[i] - want[i]) <= tol * std::max(1.0, std::fabs(want[i])));
      }
    };
    std::vector<double> mul, logistic, hswish, relu6;
    for (float v : xv) {
      mul.push_back((double)v * v);
      logistic.push_back(1.0 / (1.0 + std::exp(-(double)v)));
      hswish.push_back(v * std::min(6.0, std::max(0.0, v + 3.0)) / 6.0);
      relu6.push_back(std::min(6.0, std::max(0.0, (double)v)));
    }
    check(0, mul, 1e-6);
    check(1, logistic, 1e-6);
    check(2, hswish, 1e-6);
    check(3, relu6, 0);
    std::vector<double> softmax;
    for (int p = 0; p < 4; p++) {
      const double a = std::exp(0.5 * xv[2 * p]), b = std::exp(0.5 * xv[2 * p + 1]);
      softmax.push_back(a / (a + b));
      softmax.push_back(b / (a + b));
    }
    check(4, softmax, 1e-6);
    std::vector<double> concat;
    for (int p = 0; p < 4; p++) {
      for (int r = 0; r < 2; r++) {
        concat.push_back(xv[2 * p]);
        concat.push_back(xv[2 * p + 1]);
      }
    }
    check(5, concat, 0);
    std::vector<double> maxp(2, -1e30), meanv(2, 0);
    for (int p = 0; p < 4; p++) {
      for (int c = 0; c < 2; c++) {
        maxp[c] = std::max(maxp[c], (double)xv[2 * p + c]);
        meanv[c] += xv[2 * p + c] / 4.0;
      }
    }
    check(6, maxp, 0);
    check(7, meanv, 1e-6);
    std::vector<double> padv;
    for (int h = 0; h < 3; h++) {
      for (int w = 0; w < 3; w++) {
        for (int c = 0; c < 2; c++) padv.push_back(h >= 1 && w <= 1 ? at(h - 1, w, c) : 0.0);
      }
    }
    check(8, padv, 0);
    std::vector<double> resize;  // half-pixel centres: source = (dst + 0.5) * 2/4 - 0.5, clamped
    for (int h = 0; h < 4; h++) {
      for (int w = 0; w < 4; w++) {
        for (int c = 0; c < 2; c++) {
          const double sy = std::max(0.0, (h + 0.5) * 0.5 - 0.5), sx = std::max(0.0, (w + 0.5) * 0.5 - 0.5);
          const int y0 = (int)sy, x0 = (int)sx, y1 = std::min(y0 + 1, 1), x1 = std::min(x0 + 1, 1);
          const double fy = sy - y0, fx = sx - x0;
          resize.push_back((1 - fy) * ((1 - fx) * at(y0, x0, c) + fx * at(y0, x1, c)) +
                           fy * ((1 - fx) * at(y1, x0, c) + fx * at(y1, x1, c)));
        }
      }
    }
    check(9, resize, 1e-6);
    check(10, std::vector<double>(xv.begin(), xv.end()), 0);
    // QUANTIZE: round(x / 0.05) - 3, clamped to int8 (no value lies on a rounding tie); DEQUANTIZE: (q + 3) * 0.05.
    std::vector<double> deq;
    REQUIRE(out[11].size() == xv.size());
    for (size_t i = 0; i < xv.size(); i++) {
      const int q_want = (int)std::min(127.0, std::max(-128.0, std::round(xv[i] / 0.05) - 3));
      CHECK((int)(int8_t)out[11][i] == q_want);
      deq.push_back((q_want + 3) * (double)0.05f);
    }
    check(12, deq, 1e-6);
  }

  // TFLite's CONCATENATION refuses any fused activation (concatenation.cc, Prepare), for every type: the exporter
  // writes CONCATENATION (activation NONE) into a new tensor of the output's quantization, then RELU / RELU6 /
  // RELU_N1_TO_1; the importer fuses the pair back.  TFLite runs the file and matches Tare's GPU and references.
  TEST_CASE("export: CONCATENATION with a fused activation becomes CONCATENATION + activation, which TFLite runs") {
    struct C {
      Activation act;
      DType dtype;
      int zp;
    };
    // Zero points that put the clamp inside the 8-bit range (RELU6 at zp + 120, RELU_N1_TO_1 at zp -/+ 20).
    const std::vector<C> cases = {{Activation::Relu, DType::I8, 10},     {Activation::Relu6, DType::I8, -100},
                                  {Activation::ReluN1To1, DType::I8, 3}, {Activation::Relu, DType::U8, 140},
                                  {Activation::Relu6, DType::U8, 30},    {Activation::Relu, DType::F32, 0},
                                  {Activation::Relu6, DType::F32, 0}};
    const int act_codes[] = {0, (int)tflite::BuiltinOperator::RELU, (int)tflite::BuiltinOperator::RELU_N1_TO_1,
                             (int)tflite::BuiltinOperator::RELU6};
    for (const C& c : cases) {
      CAPTURE((int)c.act);
      CAPTURE((int)c.dtype);
      const bool q8 = c.dtype != DType::F32;
      Q8Builder b;
      OpParams p;
      p.axis = 3;
      p.activation = c.act;
      const float scale = 0.05f;
      int x, y;
      if (q8) {
        x = b.q8_input({1, 3, 4, 5}, scale, c.zp, c.dtype);
        y = b.q8_input({1, 3, 4, 3}, scale, c.zp, c.dtype);
        b.q8_output_op(OpType::Concatenation, {x, y}, {1, 3, 4, 8}, p, scale, c.zp, c.dtype);
      } else {
        x = b.input({1, 3, 4, 5});
        y = b.input({1, 3, 4, 3});
        b.output(b.op(OpType::Concatenation, {x, y}, {1, 3, 4, 8}, p));
      }
      Graph& g = b.g;
      REQUIRE_NOTHROW(infer_shapes(g));
      const std::vector<uint8_t> file = export_tflite(g);

      // The file: CONCATENATION without activation, then the activation reading a tensor of the output's
      // parameters, writing the graph output.
      const auto versions = op_versions(file);
      REQUIRE(versions.size() == 2);
      CHECK(versions[0].first == (int)tflite::BuiltinOperator::CONCATENATION);
      CHECK(versions[1].first == act_codes[(int)c.act]);
      const auto* sg = tflite::GetModel(file.data())->subgraphs()->Get(0);
      const auto* cat = sg->operators()->Get(0);
      REQUIRE(cat->builtin_options_as_ConcatenationOptions());
      CHECK(cat->builtin_options_as_ConcatenationOptions()->fused_activation_function() ==
            tflite::ActivationFunctionType::NONE);
      const int mid = cat->outputs()->Get(0);
      CHECK(sg->operators()->Get(1)->inputs()->Get(0) == mid);
      CHECK(sg->operators()->Get(1)->outputs()->Get(0) == g.outputs[0]);
      if (q8) {
        const auto* mq = sg->tensors()->Get(mid)->quantization();
        REQUIRE(mq);
        CHECK(mq->scale()->Get(0) == scale);
        CHECK(mq->zero_point()->Get(0) == c.zp);
      }

      // Import fuses it back.
      const Graph back = import_bytes(file);
      REQUIRE(back.ops.size() == 1);
      CHECK(back.ops[0].type == OpType::Concatenation);
      CHECK(params_diff(back.ops[0].params, g.ops[0].params).empty());
      CHECK(back.ops[0].outputs == g.ops[0].outputs);

      if (!tflite_available()) continue;
      const auto inputs = random_raw_inputs(g, 5, 8.0f);
      const TfliteRun run = run_tflite_graph(g, inputs);
      REQUIRE_MESSAGE(run.ok, run.log);
      REQUIRE(run.outputs.size() == 1);
      Session s = q8 ? q8_session(gpu(), g, {true, Q8Dot::Default, "packed"}) : Session(gpu(), g, {});
      for (size_t i = 0; i < inputs.size(); i++) s.set_input_bytes(i, inputs[i].data(), inputs[i].size());
      s.run();
      std::vector<uint8_t> tare_gpu(s.output(0).bytes());
      s.get_output_bytes(0, tare_gpu.data(), tare_gpu.size());
      REQUIRE(tare_gpu.size() == run.outputs[0].size());
      // The clamp is active: some outputs sit on its lower bound (and, for RELU6 / RELU_N1_TO_1, its upper one).
      int at_low = 0, at_high = 0;
      if (q8) {
        CHECK(run.outputs[0] == ref::run_int(g, inputs)[0]);
        CHECK(run.outputs[0] == tare_gpu);
        int32_t lo, hi;
        const int32_t qmin = c.dtype == DType::U8 ? 0 : -128, qmax = c.dtype == DType::U8 ? 255 : 127;
        quant::activation_range((int)c.act, scale, c.zp, qmin, qmax, &lo, &hi);
        REQUIRE(lo > qmin);
        for (uint8_t v : run.outputs[0]) {
          const int q = c.dtype == DType::U8 ? (int)v : (int)(int8_t)v;
          at_low += q == lo;
          at_high += q == hi && hi < qmax;
          CHECK(q >= lo);
          CHECK(q <= hi);
        }
      } else {
        const std::vector<float> got = floats_of(run.outputs[0]), mine = floats_of(tare_gpu);
        const float lo = c.act == Activation::ReluN1To1 ? -1.0f : 0.0f, hi = c.act == Activation::Relu ? 1e30f : 6.0f;
        for (size_t i = 0; i < got.size(); i++) {
          CHECK(got[i] == mine[i]);
          at_low += got[i] == lo;
          at_high += got[i] == hi;
        }
      }
      CHECK(at_low > 0);
      if (c.act != Activation::Relu) CHECK(at_high > 0);
    }
  }

  // TFLite's DIV is float32, int32 and uint8 only (div.cc): an int8 DIV is written as a uint8 DIV between QUANTIZE
  // ops (scale kept, zero point + 128; a constant divisor converted in place).  TFLite runs it and gives Tare's int8
  // GPU output and the integer reference bit for bit.
  TEST_CASE("export: an int8 DIV becomes QUANTIZE + uint8 DIV + QUANTIZE, which TFLite runs bit-exactly") {
    for (bool const_divisor : {false, true}) {
      CAPTURE(const_divisor);
      Q8Builder b;
      const int x = b.q8_input({2, 3, 4, 5}, 0.05f, -3);
      const int y = const_divisor ? b.q8_constant({5}, 0.1f, 7) : b.q8_input({1, 3, 1, 5}, 0.1f, 7);
      if (const_divisor)
        for (uint8_t& v : b.g.tensors[y].data) v = v == 0x80 ? 1 : v;  // no divisor byte 0 once in uint8
      OpParams p;
      p.activation = const_divisor ? Activation::Relu6 : Activation::None;
      b.q8_output_op(OpType::Div, {x, y}, {2, 3, 4, 5}, p, 0.04f, 10);
      Graph& g = b.g;
      REQUIRE_NOTHROW(infer_shapes(g));
      const std::vector<uint8_t> file = export_tflite(g);
      const auto versions = op_versions(file);
      const int quantize = (int)tflite::BuiltinOperator::QUANTIZE, div = (int)tflite::BuiltinOperator::DIV;
      std::vector<int> codes;
      for (const auto& [code, version] : versions) codes.push_back(code);
      CHECK(codes == (const_divisor ? std::vector<int>{quantize, div, quantize}
                                    : std::vector<int>{quantize, quantize, div, quantize}));
      const auto* sg = tflite::GetModel(file.data())->subgraphs()->Get(0);
      const auto* d = sg->operators()->Get(const_divisor ? 1 : 2);
      for (flatbuffers::uoffset_t k = 0; k < 2; k++) {
        const auto* t = sg->tensors()->Get(d->inputs()->Get(k));
        CHECK(t->type() == tflite::TensorType::UINT8);
        CHECK(t->quantization()->zero_point()->Get(0) == (k == 0 ? -3 : 7) + 128);
      }
      CHECK(sg->tensors()->Get(d->outputs()->Get(0))->type() == tflite::TensorType::UINT8);
      CHECK(sg->tensors()->Get(g.outputs[0])->type() == tflite::TensorType::INT8);

      if (!tflite_available()) continue;
      std::mt19937 rng(3);
      std::vector<std::vector<uint8_t>> inputs;
      for (int t : g.inputs) {
        inputs.emplace_back((size_t)g.tensors[t].elements());
        for (uint8_t& v : inputs.back()) {
          do v = (uint8_t)(rng() >> 24);
          while (t == y && v == 0x80);  // int8 -128: uint8 byte 0, which TFLite's DIV refuses
        }
      }
      const TfliteRun run = run_tflite_graph(g, inputs);
      REQUIRE_MESSAGE(run.ok, run.log);
      Session s = q8_session(gpu(), g, {true, Q8Dot::Default, "packed"});
      for (size_t i = 0; i < inputs.size(); i++) s.set_input_bytes(i, inputs[i].data(), inputs[i].size());
      s.run();
      std::vector<uint8_t> tare_gpu(s.output(0).bytes());
      s.get_output_bytes(0, tare_gpu.data(), tare_gpu.size());
      CHECK(run.outputs[0] == ref::run_int(g, inputs)[0]);
      CHECK(run.outputs[0] == tare_gpu);
    }
  }

  // RESIZE_BILINEAR: TFLite refuses align_corners with half_pixel_centers (resize_bilinear.cc Prepare); so does
  // shape inference (import included).
  TEST_CASE("shapes: RESIZE_BILINEAR with align_corners and half_pixel_centers is refused, as TFLite refuses it") {
    GraphBuilder b;
    const int x = b.input({1, 3, 3, 2});
    OpParams p;
    p.new_height = p.new_width = 5;
    p.align_corners = p.half_pixel_centers = true;
    b.output(b.op(OpType::ResizeBilinear, {x}, {1, 5, 5, 2}, p));
    try {
      infer_shapes(b.g);
      FAIL("align_corners with half_pixel_centers was accepted");
    } catch (const Error& e) {
      CHECK(e.status() == TARE_ERROR_INVALID_MODEL);
      CHECK(std::string(e.what()).find("exclusive") != std::string::npos);
    }
  }
}

TEST_SUITE("tflite") {
  TEST_CASE("SPLIT, SPLIT_V, UNPACK, PACK: negative axes import normalised and run in TFLite; bad parameters refused") {
    // One int8 graph per op, written with a negative axis (the exporter writes params.axis as it is), imported
    // back: the axis is normalised, the shapes inferred, and TFLite's int8 kernels on the written file agree bit for
    // bit with the integer reference of the imported graph.
    struct Neg {
      OpType type;
      std::vector<std::vector<int>> in;
      int axis;  // negative
      std::vector<int> ints;
      std::vector<std::vector<int>> outs;
      int normalised;
    };
    const std::vector<Neg> cases = {
        {OpType::Split, {{2, 3, 4, 6}}, -1, {3}, {{2, 3, 4, 2}, {2, 3, 4, 2}, {2, 3, 4, 2}}, 3},
        {OpType::Split, {{4, 3, 5}}, -3, {2}, {{2, 3, 5}, {2, 3, 5}}, 0},
        {OpType::SplitV, {{1, 7, 3, 2}}, -3, {2, -1}, {{1, 2, 3, 2}, {1, 5, 3, 2}}, 1},
        {OpType::Unpack, {{2, 3, 5}}, -2, {3}, {{2, 5}, {2, 5}, {2, 5}}, 1},
        {OpType::Pack, {{3, 5}, {3, 5}}, -1, {2}, {{3, 5, 2}}, 2},
        {OpType::Pack, {{3, 5}, {3, 5}, {3, 5}}, -3, {3}, {{3, 3, 5}}, 0},
    };
    for (const Neg& c : cases) {
      CAPTURE(op_name(c.type));
      CAPTURE(c.axis);
      Q8Builder b;
      std::vector<int> xs;
      for (const auto& s : c.in) xs.push_back(b.q8_input(s, 0.1f, 3));
      OpParams p;
      p.axis = c.axis;
      p.ints = c.ints;
      b.q8_output_ops(c.type, xs, c.outs, p, 0.1f, 3);
      const std::vector<uint8_t> file = export_tflite(b.g);  // not shape-inferred: the axis is the file's
      const Graph h = import_tflite(file.data(), file.size());
      REQUIRE(h.ops.size() == 1);
      CHECK(h.ops[0].params.axis == c.normalised);
      REQUIRE(h.outputs.size() == c.outs.size());
      for (size_t k = 0; k < c.outs.size(); k++) CHECK(h.tensors[h.outputs[k]].shape == c.outs[k]);
      const auto inputs = random_raw_inputs(h, 5, 1.0f);
      const auto want = ref::run_int(h, inputs);
      if (!tflite_available()) continue;
      const TfliteRun run = run_tflite_graph(b.g, inputs);
      REQUIRE_MESSAGE(run.ok, run.log);
      REQUIRE(run.outputs.size() == want.size());
      for (size_t k = 0; k < want.size(); k++) CHECK(run.outputs[k] == want[k]);
    }

    // Parameters that do not fit the shapes: INVALID_MODEL naming the operator.
    auto refused = [](OpType t, std::vector<std::vector<int>> in, int axis, std::vector<int> ints,
                      std::vector<std::vector<int>> outs, const char* why) {
      CAPTURE(why);
      GraphBuilder b;
      std::vector<int> xs;
      for (const auto& s : in) xs.push_back(b.input(s));
      OpParams p;
      p.axis = axis;
      p.ints = std::move(ints);
      b.outputs(b.ops(t, xs, outs, p));
      const std::vector<uint8_t> file = export_tflite(b.g);
      try {
        import_tflite(file.data(), file.size());
        FAIL_CHECK("imported");
      } catch (const Error& e) {
        CHECK(e.status() == TARE_ERROR_INVALID_MODEL);
        CHECK(std::string(e.what()).find(op_name(t)) != std::string::npos);
        CHECK(std::string(e.what()).find(why) != std::string::npos);
      }
    };
    refused(OpType::Split, {{1, 5}}, 1, {2}, {{1, 2}, {1, 3}}, "does not divide");
    refused(OpType::Split, {{1, 6}}, 2, {2}, {{1, 3}, {1, 3}}, "out of range");
    refused(OpType::SplitV, {{1, 6}}, 1, {-1, -1}, {{1, 3}, {1, 3}}, "one -1");
    refused(OpType::SplitV, {{1, 6}}, 1, {2, 2}, {{1, 2}, {1, 2}}, "add up to");
    refused(OpType::Unpack, {{2, 3}}, 1, {2}, {{2}, {2}}, "differs from dimension");
    refused(OpType::Pack, {{2, 3}, {2, 4}}, 0, {2}, {{2, 2, 3}}, "differ");

    // PACK of rank-4 inputs: the CPU references run the rank-5 output, the GPU refuses it naming the operator.
    if (auto ctx = gpu()) {
      GraphBuilder b;
      OpParams p;
      p.axis = 0;
      p.ints = {2};
      b.output(b.op(OpType::Pack, {b.input({1, 2, 3, 4}), b.input({1, 2, 3, 4})}, {2, 1, 2, 3, 4}, p));
      infer_shapes(b.g);
      CHECK(ref::run(b.g, {std::vector<float>(24, 1.0f), std::vector<float>(24, 2.0f)})[b.g.outputs[0]].size() == 48);
      try {
        Session s(ctx, b.g, {});
        FAIL_CHECK("the GPU took a rank-5 tensor");
      } catch (const Error& e) {
        CHECK(e.status() == TARE_ERROR_UNSUPPORTED);
        CHECK(std::string(e.what()).find("PACK") != std::string::npos);
      }
    }
  }
}
