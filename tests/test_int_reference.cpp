// The integer CPU reference (src/ref/int_reference.h): hand-computed small cases, then the real quantized models
// against TensorFlow Lite's own outputs (tests/tflite_oracle.h, XNNPACK off: TFLite's builtin int8 kernels),
// compared bit for bit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "model/tflite_import.h"
#include "ref/int_reference.h"
#include "test_util.h"
#include "tflite_oracle.h"
#include "tflite_schema_generated.h"

using tare::DType;
using tare::Graph;
using tare::Op;
using tare::OpParams;
using tare::OpType;

namespace {

struct QT {
  DType dtype = DType::I8;
  std::vector<int> shape;
  float scale = 1.0f;
  int zp = 0;
  std::vector<uint8_t> data;  // constant bytes (empty: activation)
};

int add_tensor(Graph& g, const QT& q) {
  tare::Tensor t;
  t.name = "t" + std::to_string(g.tensors.size());
  t.dtype = q.dtype;
  t.shape = q.shape;
  if (q.dtype == DType::I8 || q.dtype == DType::U8) {
    t.quant.scale = {q.scale};
    t.quant.zero_point = {q.zp};
  }
  if (!q.data.empty()) {
    t.is_const = true;
    t.data = q.data;
  }
  g.tensors.push_back(t);
  return (int)g.tensors.size() - 1;
}

// One-op graph; non-constant inputs are graph inputs fed with `feeds` in order.
std::vector<uint8_t> run_one(OpType type, const OpParams& p, const std::vector<QT>& ins, const QT& out,
                             const std::vector<std::vector<uint8_t>>& feeds) {
  Graph g;
  Op op;
  op.type = type;
  op.params = p;
  for (const QT& q : ins) {
    const int t = add_tensor(g, q);
    op.inputs.push_back(t);
    if (q.data.empty()) g.inputs.push_back(t);
  }
  const int o = add_tensor(g, out);
  op.outputs = {o};
  g.outputs = {o};
  g.ops.push_back(op);
  return tare::ref::run_int(g, feeds)[0];
}

std::vector<uint8_t> i8(std::initializer_list<int> v) {
  std::vector<uint8_t> r;
  for (int x : v) r.push_back((uint8_t)(int8_t)x);
  return r;
}

std::vector<int> as_i8(const std::vector<uint8_t>& b) {
  std::vector<int> r;
  for (uint8_t x : b) r.push_back((int8_t)x);
  return r;
}

std::vector<uint8_t> f32(std::initializer_list<float> v) {
  std::vector<uint8_t> r(v.size() * 4);
  std::memcpy(r.data(), std::data(v), r.size());
  return r;
}

std::vector<uint8_t> i32(std::initializer_list<int32_t> v) {
  std::vector<uint8_t> r(v.size() * 4);
  std::memcpy(r.data(), std::data(v), r.size());
  return r;
}

// A copy of the .tflite bytes whose (single) subgraph output is the first output of file operator `op`, so that
// TFLite reports that intermediate tensor.  Returns the tensor's name ("" if the model has not one output).
std::string retarget_output(std::vector<uint8_t>& file, int op) {
  const tflite::Model* m = tflite::GetModel(file.data());
  const tflite::SubGraph* sg = m->subgraphs()->Get(0);
  if (sg->outputs()->size() != 1) return "";
  const int32_t t = sg->operators()->Get(op)->outputs()->Get(0);
  const size_t off = (size_t)(reinterpret_cast<const uint8_t*>(sg->outputs()->data()) - file.data());
  std::memcpy(file.data() + off, &t, 4);
  return sg->tensors()->Get(t)->name()->str();
}

int file_op_count(const std::vector<uint8_t>& file) {
  return (int)tflite::GetModel(file.data())->subgraphs()->Get(0)->operators()->size();
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("int reference: small hand-computed operators") {
    OpParams p;
    SUBCASE("AVERAGE_POOL_2D rounds half away from zero; MAX_POOL_2D") {
      p.filter_h = 1;
      p.filter_w = 2;
      p.stride_h = 1;
      p.stride_w = 2;
      p.padding = tare::Padding::Valid;
      QT in{DType::I8, {1, 1, 4, 1}, 0.5f, 0, {}};
      QT out{DType::I8, {1, 1, 2, 1}, 0.5f, 0, {}};
      CHECK(as_i8(run_one(OpType::AveragePool2D, p, {in}, out, {i8({1, 2, -1, -2})})) == std::vector<int>{2, -2});
      CHECK(as_i8(run_one(OpType::AveragePool2D, p, {in}, out, {i8({1, 1, -3, 2})})) == std::vector<int>{1, -1});
      CHECK(as_i8(run_one(OpType::MaxPool2D, p, {in}, out, {i8({1, 2, -1, -2})})) == std::vector<int>{2, -1});
      p.activation = tare::Activation::Relu;  // clamp at the zero point
      CHECK(as_i8(run_one(OpType::MaxPool2D, p, {in}, out, {i8({1, 2, -1, -2})})) == std::vector<int>{2, 0});
    }
    SUBCASE("QUANTIZE float -> int8 and uint8, DEQUANTIZE") {
      QT fin{DType::F32, {4}, 1.0f, 0, {}};
      QT q8{DType::I8, {4}, 0.5f, -3, {}};
      // x / 0.5 rounded half away from zero, plus -3, clamped
      CHECK(as_i8(run_one(OpType::Quantize, p, {fin}, q8, {f32({1.25f, -1.25f, 100.0f, 0.0f})})) ==
            std::vector<int>{0, -6, 127, -3});
      QT qu{DType::U8, {4}, 0.5f, 128, {}};
      CHECK(run_one(OpType::Quantize, p, {fin}, qu, {f32({1.25f, -1.25f, 100.0f, -100.0f})}) ==
            std::vector<uint8_t>{131, 125, 255, 0});
      QT fout{DType::F32, {4}, 1.0f, 0, {}};
      const std::vector<uint8_t> d = run_one(OpType::Dequantize, p, {q8}, fout, {i8({0, -6, 127, -128})});
      std::vector<float> v(4);
      std::memcpy(v.data(), d.data(), 16);
      CHECK(v == std::vector<float>{1.5f, -1.5f, 65.0f, -62.5f});
    }
    SUBCASE("QUANTIZE requantizes int8 <-> uint8") {
      QT a{DType::I8, {3}, 0.25f, -1, {}};
      QT b{DType::U8, {3}, 0.5f, 127, {}};
      // (q + 1) * 0.25 / 0.5 + 127: 4 -> 2.5 -> 3 (ties away) -> 130; -11 -> -5 -> 122; 127 -> 64 -> 191
      CHECK(run_one(OpType::Quantize, p, {a}, b, {i8({4, -11, 127})}) == std::vector<uint8_t>{130, 122, 191});
      QT c{DType::I8, {3}, 0.5f, -1, {}};  // same scale, zero point shifted by 128: exact
      CHECK(as_i8(run_one(OpType::Quantize, p, {b}, c, {{0, 127, 255}})) == std::vector<int>{-128, -1, 127});
    }
    SUBCASE("FULLY_CONNECTED int8 with bias and RELU") {
      // y = relu(x . w + b) on scales 0.5 (x), 0.25 (w), out 0.5: multiplier 0.25.
      QT x{DType::I8, {1, 3}, 0.5f, 1, {}};
      QT w{DType::I8, {2, 3}, 0.25f, 0, i8({1, 2, 3, -4, 5, -6})};
      QT b{DType::I32, {2}, 0.125f, 0, i32({10, -3})};
      QT y{DType::I8, {1, 2}, 0.5f, -2, {}};
      p.activation = tare::Activation::Relu;
      // x - 1 = (4, -2, 2): dot row0 = 4 - 4 + 6 = 6, +10 = 16 -> 4 -> 2; row1 = -16 - 10 - 12 = -38, -3 = -41
      // -> -10.25 -> -10 -> -12, clamped at the zero point -2.
      CHECK(as_i8(run_one(OpType::FullyConnected, p, {x, w, b}, y, {i8({5, -1, 3})})) == std::vector<int>{2, -2});
    }
    SUBCASE("ADD and MUL with broadcast") {
      QT a{DType::I8, {1, 2, 2}, 0.5f, 0, {}};
      QT b{DType::I8, {2}, 0.25f, 0, {}};
      QT o{DType::I8, {1, 2, 2}, 0.5f, 0, {}};
      // a + b in real units: (1 + 0.25, 2 - 0.5, 3 + 0.25, -4 - 0.5) / 0.5 = 2.5 -> 3, 3, 6.5 -> 7, -9
      CHECK(as_i8(run_one(OpType::Add, p, {a, b}, o, {i8({2, 4, 6, -8}), i8({1, -2})})) ==
            std::vector<int>{3, 3, 7, -9});
      // a * b: (1 * 0.25, 2 * -0.5, 3 * 0.25, -4 * -0.5) / 0.5 = 0.5 -> 1, -2, 1.5 -> 2, 4
      CHECK(as_i8(run_one(OpType::Mul, p, {a, b}, o, {i8({2, 4, 6, -8}), i8({1, -2})})) ==
            std::vector<int>{1, -2, 2, 4});
    }
    SUBCASE("PAD fills with the zero point; RESHAPE copies") {
      p.paddings = {{1, 0}, {0, 2}};
      QT in{DType::I8, {1, 2}, 0.1f, -7, {}};
      QT out{DType::I8, {2, 4}, 0.1f, -7, {}};
      CHECK(as_i8(run_one(OpType::Pad, p, {in}, out, {i8({5, 6})})) == std::vector<int>{-7, -7, -7, -7, 5, 6, -7, -7});
    }
    SUBCASE("BATCH_MATMUL int8; uint8 refused as TFLite refuses it") {
      // (x - 1) = (4, 1) times [[1, 2], [3, 4]]: (7, 12), multiplier 0.5 * 0.25 / 0.5 = 0.25: 1.75 -> 2, 3; zp -2.
      QT x{DType::I8, {1, 2}, 0.5f, 1, {}};
      QT w{DType::I8, {2, 2}, 0.25f, 0, i8({1, 2, 3, 4})};
      QT y{DType::I8, {1, 2}, 0.5f, -2, {}};
      CHECK(as_i8(run_one(OpType::BatchMatmul, p, {x, w}, y, {i8({5, 2})})) == std::vector<int>{0, 1});
      p.ints = {0, 1};  // adj_y: the same weights read transposed, [[1, 3], [2, 4]]: (6, 16) -> 1.5 -> 2, 4
      CHECK(as_i8(run_one(OpType::BatchMatmul, p, {x, w}, y, {i8({5, 2})})) == std::vector<int>{0, 2});
      QT xu{DType::U8, {1, 2}, 0.5f, 128, {}};
      QT wu{DType::U8, {2, 2}, 0.25f, 128, {1, 2, 3, 4}};
      QT yu{DType::U8, {1, 2}, 0.5f, 128, {}};
      CHECK_THROWS_AS(run_one(OpType::BatchMatmul, p, {xu, wu}, yu, {{130, 129}}), tare::Error);
    }
    SUBCASE("L2_NORMALIZATION int8: x / |x| on the 1/128 scale; other output scales refused") {
      QT x{DType::I8, {1, 2}, 0.1f, 0, {}};
      QT y{DType::I8, {1, 2}, 1.0f / 128, 0, {}};
      const std::vector<int> got = as_i8(run_one(OpType::L2Normalization, p, {x}, y, {i8({3, -4})}));
      REQUIRE(got.size() == 2);
      CHECK(std::abs(got[0] - 77) <= 1);   // 0.6 * 128 = 76.8 (fixed-point inverse square root)
      CHECK(std::abs(got[1] + 102) <= 1);  // -0.8 * 128
      QT bad{DType::I8, {1, 2}, 1.0f / 64, 0, {}};
      CHECK_THROWS_AS(run_one(OpType::L2Normalization, p, {x}, bad, {i8({3, -4})}), tare::Error);
    }
    SUBCASE("CAST int8 -> float32 gives the raw values; int32 -> float32 refused") {
      QT x{DType::I8, {3}, 0.5f, 7, {}};
      QT f{DType::F32, {3}, 1.0f, 0, {}};
      const std::vector<uint8_t> d = run_one(OpType::Cast, p, {x}, f, {i8({-128, 0, 127})});
      std::vector<float> v(3);
      std::memcpy(v.data(), d.data(), 12);
      CHECK(v == std::vector<float>{-128.0f, 0.0f, 127.0f});
      QT xi{DType::I32, {3}, 1.0f, 0, {}};
      CHECK_THROWS_AS(run_one(OpType::Cast, p, {xi}, f, {i32({1, 2, 3})}), tare::Error);
    }
    SUBCASE("bad input size is an error, not a crash") {
      QT in{DType::I8, {4}, 0.1f, 0, {}};
      QT out{DType::I8, {4}, 0.1f, 0, {}};
      CHECK_THROWS_AS(run_one(OpType::Reshape, p, {in}, out, {i8({1, 2})}), tare::Error);
    }
  }

  TEST_CASE("int reference: quantized models bit-exact against TFLite") {
    struct ModelCase {
      const char* file;
      const char* images;  // ref folder with in_img*.bin (float [-1, 1]), or nullptr
    };
    const ModelCase models[] = {
        {"models/tflm/hello_world_int8.tflite", nullptr},
        {"models/tflm/micro_speech_quantized.tflite", nullptr},
        {"models/tflm/person_detect_fixed.tflite", nullptr},
        {"models/mobilenet_v1_0.25_224_quant.tflite", "ref/mobilenet_v1_0.25_224"},
        {"models/mobilenet_v2_1.0_224_quant.tflite", "ref/mobilenet_v2_1.0_224_float"},
        {"models/tf2_mobilenet_v2_1.0_224_ptq.tflite", "ref/mobilenet_v2_1.0_224_float"},
    };
    if (!tare::test::tflite_available()) return;
    for (const ModelCase& mc : models) {
      if (!tare::test::have_data(mc.file)) continue;
      const std::string path = tare::test::data_path(mc.file);
      const std::vector<uint8_t> bytes = tare::test::read_file(path);
      const Graph g = tare::import_tflite(bytes.data(), bytes.size());
      std::vector<std::vector<std::vector<uint8_t>>> cases;
      std::vector<std::string> names;
      std::mt19937 rng(1234);
      for (int s = 0; s < 2; s++) {
        std::vector<std::vector<uint8_t>> in;
        for (int t : g.inputs) {
          std::vector<uint8_t> v(g.tensors[t].bytes());
          for (uint8_t& x : v) x = (uint8_t)(rng() & 0xff);
          in.push_back(v);
        }
        cases.push_back(in);
        names.push_back("random" + std::to_string(s));
      }
      if (mc.images) {
        for (int k = 0; k < 2; k++) {
          const std::string img = std::string(mc.images) + "/in_img" + std::to_string(k) + ".bin";
          if (!tare::test::have_data(img)) continue;
          const std::vector<float> f = tare::test::read_floats(tare::test::data_path(img));
          const tare::Tensor& t = g.tensors[g.inputs[0]];
          REQUIRE((int64_t)f.size() == t.elements());
          const float scale = t.quant.scale[0];
          const int zp = (int)t.quant.zero_point[0];
          std::vector<uint8_t> v(f.size());
          for (size_t i = 0; i < f.size(); i++) {
            const int q = (int)std::round(f[i] / scale) + zp;
            v[i] = t.dtype == DType::I8 ? (uint8_t)(int8_t)std::clamp(q, -128, 127) : (uint8_t)std::clamp(q, 0, 255);
          }
          cases.push_back({v});
          names.push_back("image" + std::to_string(k));
        }
      }
      for (size_t c = 0; c < cases.size(); c++) {
        const std::vector<std::vector<uint8_t>> got = tare::ref::run_int(g, cases[c]);
        const std::vector<std::vector<uint8_t>> expect = tare::test::run_tflite(path, cases[c]);
        REQUIRE(got.size() == expect.size());
        for (size_t o = 0; o < got.size(); o++) {
          const tare::Tensor& t = g.tensors[g.outputs[o]];
          REQUIRE(got[o].size() == expect[o].size());
          int max_diff = 0;
          size_t differ = 0;
          for (size_t i = 0; i < got[o].size(); i++) {
            const int a = t.dtype == DType::I8 ? (int8_t)got[o][i] : got[o][i];
            const int b = t.dtype == DType::I8 ? (int8_t)expect[o][i] : expect[o][i];
            if (a != b) {
              differ++;
              max_diff = std::max(max_diff, std::abs(a - b));
            }
          }
          MESSAGE(std::string(mc.file) << " " << names[c] << " output " << o << ": " << differ << " of "
                                       << got[o].size() << " values differ, max difference " << max_diff);
          CHECK(differ == 0);
        }
      }
    }
  }

  TEST_CASE("int reference: intermediate tensors bit-exact against TFLite") {
    // Model outputs alone can hide a rounding difference (a 2-class softmax absorbs it), so every operator's output
    // of the small models, and a sample of the MobileNets', is compared: TFLite reports it after the model's output
    // is retargeted to it.
    struct ModelCase {
      const char* file;
      int step;  // compare every step-th operator (and the last)
    };
    const ModelCase models[] = {
        {"models/tflm/hello_world_int8.tflite", 1},      {"models/tflm/micro_speech_quantized.tflite", 1},
        {"models/tflm/person_detect_fixed.tflite", 1},   {"models/mobilenet_v1_0.25_224_quant.tflite", 4},
        {"models/mobilenet_v2_1.0_224_quant.tflite", 7}, {"models/tf2_mobilenet_v2_1.0_224_ptq.tflite", 7},
    };
    if (!tare::test::tflite_available()) return;
    const std::string tmp =
        (std::filesystem::temp_directory_path() / ("tare_int_ref_retarget_" + std::to_string(getpid()) + ".tflite"))
            .string();
    for (const ModelCase& mc : models) {
      if (!tare::test::have_data(mc.file)) continue;
      const std::vector<uint8_t> bytes = tare::test::read_file(tare::test::data_path(mc.file));
      const Graph g = tare::import_tflite(bytes.data(), bytes.size());
      std::mt19937 rng(99);
      std::vector<std::vector<uint8_t>> in;
      for (int t : g.inputs) {
        std::vector<uint8_t> v(g.tensors[t].bytes());
        for (uint8_t& x : v) x = (uint8_t)(rng() & 0xff);
        in.push_back(v);
      }
      const tare::ref::RawTensors all = tare::ref::run_int_all(g, in);
      const int n = file_op_count(bytes);
      size_t compared = 0, differ = 0;
      for (int op = 0; op < n; op++) {
        if (op % mc.step != 0 && op != n - 1) continue;
        std::vector<uint8_t> copy = bytes;
        const std::string name = retarget_output(copy, op);
        if (name.empty()) break;
        int found = -1;
        for (size_t t = 0; t < g.tensors.size(); t++)
          if (g.tensors[t].name == name) found = found == -1 ? (int)t : -2;
        if (found < 0) continue;  // missing or ambiguous name
        {
          std::ofstream f(tmp, std::ios::binary);
          f.write(reinterpret_cast<const char*>(copy.data()), (std::streamsize)copy.size());
        }
        const std::vector<std::vector<uint8_t>> expect = tare::test::run_tflite(tmp, in);
        REQUIRE(expect.size() == 1);
        REQUIRE(expect[0].size() == all[found].size());
        size_t d = 0;
        for (size_t i = 0; i < expect[0].size(); i++) d += expect[0][i] != all[found][i];
        if (d) MESSAGE(std::string(mc.file) << " operator " << op << " (" << name << "): " << d << " values differ");
        differ += d;
        compared += expect[0].size();
      }
      MESSAGE(std::string(mc.file) << ": " << compared << " intermediate values compared, " << differ << " differ");
      CHECK(compared > 0);
      CHECK(differ == 0);
    }
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
  }
}
