// Sparse constants (TFLite's SparsityParameters): models built here with sparse weights, behind DENSIFY or read
// directly by FULLY_CONNECTED, run on Tare's GPU and in TFLite itself (the WASM oracle) on the same file; corrupt
// encodings are refused with TARE_ERROR_INVALID_MODEL.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "common/error.h"
#include "engine/session.h"
#include "model/tflite_import.h"
#include "test_util.h"
#include "tflite_oracle.h"
#include "tflite_schema_generated.h"

using namespace tare;
using namespace tare::test;
using B = tflite::BuiltinOperator;

namespace {

// ---- a sparse encoder (the format's definition: levels in traversal order, CSR keeps indices with a nonzero) ----

struct SparseLayout {
  std::vector<int> order;       // traversal order over the expanded dimensions
  std::vector<int> block_map;   // blocked dimensions
  std::vector<int> block_size;  // their block sizes
  std::vector<bool> csr;        // per level: SPARSE_CSR (else DENSE)
  tflite::SparseIndexVector index_type = tflite::SparseIndexVector::Int32Vector;
};

struct Encoded {
  std::vector<int> dense_size;                      // per level (DENSE levels)
  std::vector<std::vector<int>> segments, indices;  // per level (CSR levels)
  std::vector<uint8_t> values;
};

Encoded encode(const std::vector<uint8_t>& dense, const std::vector<int>& shape, size_t esize, const SparseLayout& L) {
  const int rank = (int)shape.size(), total = (int)L.order.size();
  std::vector<int> expanded(shape);
  expanded.resize(total);
  for (size_t b = 0; b < L.block_map.size(); b++) {
    expanded[L.block_map[b]] /= L.block_size[b];
    expanded[rank + b] = L.block_size[b];
  }
  Encoded e;
  e.dense_size.assign(total, 0);
  e.segments.assign(total, {0});
  e.indices.assign(total, {});
  std::vector<int> coord(total, 0);
  auto flat = [&] {
    std::vector<int> idx(rank);
    for (int l = 0; l < rank; l++) idx[L.order[l]] = coord[l];
    for (int l = rank; l < total; l++) {
      const int b = L.order[l] - rank;
      idx[L.block_map[b]] = idx[L.block_map[b]] * L.block_size[b] + coord[l];
    }
    size_t f = 0;
    for (int d = 0; d < rank; d++) f = f * shape[d] + idx[d];
    return f;
  };
  auto nonzero = [&](size_t f) {
    for (size_t k = 0; k < esize; k++) {
      if (dense[f * esize + k] != 0) return true;
    }
    return false;
  };
  // Whether any leaf under the current prefix (levels < l fixed) is nonzero.
  std::function<bool(int)> any = [&](int l) -> bool {
    if (l == total) return nonzero(flat());
    for (int i = 0; i < expanded[L.order[l]]; i++) {
      coord[l] = i;
      if (any(l + 1)) return true;
    }
    return false;
  };
  std::function<void(int)> emit = [&](int l) {
    if (l == total) {
      const size_t f = flat();
      e.values.insert(e.values.end(), dense.begin() + f * esize, dense.begin() + (f + 1) * esize);
      return;
    }
    const int n = expanded[L.order[l]];
    e.dense_size[l] = n;
    for (int i = 0; i < n; i++) {
      coord[l] = i;
      if (L.csr[l]) {
        if (!any(l + 1)) continue;
        e.indices[l].push_back(i);
      }
      emit(l + 1);
      coord[l] = i;
    }
    if (L.csr[l]) e.segments[l].push_back((int)e.indices[l].size());
  };
  emit(0);
  return e;
}

// ---- a small model writer ----------------------------------------------------------------------------------------

struct TensorSpec {
  std::string name;
  std::vector<int> shape;
  tflite::TensorType type = tflite::TensorType::FLOAT32;
  std::vector<uint8_t> data;  // constant data (the stored values when sparse)
  const SparseLayout* layout = nullptr;
  Encoded enc;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int qdim = 0;
};

struct OpSpec {
  B code;
  std::vector<int> inputs, outputs;
};

struct ModelSpec {
  std::vector<TensorSpec> tensors;
  std::vector<OpSpec> ops;
  std::vector<int> inputs, outputs;
};

flatbuffers::Offset<void> index_vector(flatbuffers::FlatBufferBuilder& fbb, tflite::SparseIndexVector type,
                                       const std::vector<int>& v) {
  switch (type) {
    case tflite::SparseIndexVector::Uint8Vector: {
      std::vector<uint8_t> u(v.begin(), v.end());
      return tflite::CreateUint8VectorDirect(fbb, &u).Union();
    }
    case tflite::SparseIndexVector::Uint16Vector: {
      std::vector<uint16_t> u(v.begin(), v.end());
      return tflite::CreateUint16VectorDirect(fbb, &u).Union();
    }
    default: return tflite::CreateInt32VectorDirect(fbb, &v).Union();
  }
}

std::vector<uint8_t> write_model(const ModelSpec& m) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tflite::Buffer>> bufs = {tflite::CreateBuffer(fbb)};
  std::vector<flatbuffers::Offset<tflite::Tensor>> ts;
  for (const TensorSpec& t : m.tensors) {
    uint32_t buffer = 0;
    if (!t.data.empty() || t.layout) {
      const std::vector<uint8_t>& bytes = t.layout ? t.enc.values : t.data;
      bufs.push_back(tflite::CreateBufferDirect(fbb, &bytes));
      buffer = (uint32_t)bufs.size() - 1;
    }
    flatbuffers::Offset<tflite::SparsityParameters> sp = 0;
    if (t.layout) {
      std::vector<flatbuffers::Offset<tflite::DimensionMetadata>> dims;
      for (size_t l = 0; l < t.layout->order.size(); l++) {
        if (!t.layout->csr[l]) {
          dims.push_back(tflite::CreateDimensionMetadata(fbb, tflite::DimensionType::DENSE, t.enc.dense_size[l]));
        } else {
          auto seg = index_vector(fbb, t.layout->index_type, t.enc.segments[l]);
          auto idx = index_vector(fbb, t.layout->index_type, t.enc.indices[l]);
          dims.push_back(tflite::CreateDimensionMetadata(fbb, tflite::DimensionType::SPARSE_CSR, 0,
                                                         t.layout->index_type, seg, t.layout->index_type, idx));
        }
      }
      sp = tflite::CreateSparsityParametersDirect(fbb, &t.layout->order,
                                                  t.layout->block_map.empty() ? nullptr : &t.layout->block_map, &dims);
    }
    flatbuffers::Offset<tflite::QuantizationParameters> q = 0;
    if (!t.scale.empty()) {
      q = tflite::CreateQuantizationParametersDirect(fbb, nullptr, nullptr, &t.scale, &t.zero_point,
                                                     tflite::QuantizationDetails::NONE, 0, t.qdim);
    }
    ts.push_back(tflite::CreateTensorDirect(fbb, &t.shape, t.type, buffer, t.name.c_str(), q, false, sp));
  }
  std::vector<B> codes;
  std::vector<flatbuffers::Offset<tflite::Operator>> ops;
  for (const OpSpec& o : m.ops) {
    auto it = std::find(codes.begin(), codes.end(), o.code);
    const uint32_t index = (uint32_t)(it - codes.begin());
    if (it == codes.end()) codes.push_back(o.code);
    auto type = tflite::BuiltinOptions::NONE;
    flatbuffers::Offset<void> opt = 0;
    if (o.code == B::CONV_2D) {
      type = tflite::BuiltinOptions::Conv2DOptions;
      opt = tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1).Union();
    } else if (o.code == B::FULLY_CONNECTED) {
      type = tflite::BuiltinOptions::FullyConnectedOptions;
      opt = tflite::CreateFullyConnectedOptions(fbb).Union();
    } else if (o.code == B::DENSIFY) {
      type = tflite::BuiltinOptions::DensifyOptions;
      opt = tflite::CreateDensifyOptions(fbb).Union();
    }
    ops.push_back(tflite::CreateOperatorDirect(fbb, index, &o.inputs, &o.outputs, type, opt));
  }
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> opcodes;
  for (B c : codes) opcodes.push_back(tflite::CreateOperatorCode(fbb, (int8_t)std::min((int)c, 127), 0, 1, c));
  std::vector<flatbuffers::Offset<tflite::SubGraph>> sgs = {
      tflite::CreateSubGraphDirect(fbb, &ts, &m.inputs, &m.outputs, &ops)};
  tflite::FinishModelBuffer(fbb, tflite::CreateModelDirect(fbb, 3, &opcodes, &sgs, "sparse test", &bufs));
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Weights with about `zero_fraction` zeros; with a block size, whole blocks of `block` along the last axis are
// zero together.
std::vector<float> sparse_weights(size_t n, double zero_fraction, int block, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> val(-1.f, 1.f);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<float> w(n);
  for (size_t i = 0; i < n; i += block) {
    const bool zero = coin(rng) < zero_fraction;
    for (int k = 0; k < block && i + k < n; k++) w[i + k] = zero ? 0.f : val(rng);
  }
  return w;
}

std::vector<float> random_input(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> val(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = val(rng);
  return v;
}

std::string write_temp(const std::vector<uint8_t>& file, const std::string& stem) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tare_sparse_" + stem + "_" + std::to_string(::getpid()) + ".tflite"))
          .string();
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(file.data()), (std::streamsize)file.size());
  REQUIRE(f.good());
  return path;
}

// Runs the model's single input -> single output on Tare's GPU (raw bytes in the tensors' dtypes).
std::vector<uint8_t> run_tare(const std::vector<uint8_t>& file, const std::vector<uint8_t>& input) {
  auto ctx = gpu();
  REQUIRE(ctx);
  Graph g = import_tflite(file.data(), file.size());
  Session s(ctx, g, SessionOptions{});
  s.set_input_bytes(0, input.data(), input.size());
  s.run();
  std::vector<uint8_t> out(s.output(0).bytes());
  s.get_output_bytes(0, out.data(), out.size());
  check_validation();
  return out;
}

std::vector<uint8_t> run_oracle(const std::vector<uint8_t>& file, const std::vector<uint8_t>& input,
                                const std::string& stem) {
  const std::string path = write_temp(file, stem);
  TfliteRun run = run_tflite_full(path, {input});
  std::filesystem::remove(path);
  REQUIRE_MESSAGE(run.ok, "TFLite failed on the sparse model " << stem << ":\n" << run.log);
  REQUIRE(run.outputs.size() == 1);
  return run.outputs[0];
}

std::vector<float> floats_of(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

// float FULLY_CONNECTED [batch, in] x W[out, in]^T + bias, W sparse, read through DENSIFY or directly.
ModelSpec fc_model(int batch, int in, int out, const std::vector<float>& w, const SparseLayout& layout, bool densify) {
  ModelSpec m;
  TensorSpec x{"x", {batch, in}};
  TensorSpec ws{"w_sparse", {out, in}};
  ws.data = bytes_of(w);
  ws.layout = &layout;
  ws.enc = encode(ws.data, ws.shape, 4, layout);
  TensorSpec wd{"w", {out, in}};
  TensorSpec bias{"bias", {out}};
  bias.data = bytes_of(random_input(out, 99));
  TensorSpec y{"y", {batch, out}};
  m.tensors = {x, ws, wd, bias, y};
  if (densify) {
    m.ops = {{B::DENSIFY, {1}, {2}}, {B::FULLY_CONNECTED, {0, 2, 3}, {4}}};
  } else {
    m.ops = {{B::FULLY_CONNECTED, {0, 1, 3}, {4}}};
  }
  m.inputs = {0};
  m.outputs = {4};
  return m;
}

void check_float_against_tflite(const ModelSpec& m, size_t input_elements, const std::string& stem) {
  const std::vector<uint8_t> file = write_model(m);
  const std::vector<uint8_t> input = bytes_of(random_input(input_elements, 7));
  const std::vector<float> got = floats_of(run_tare(file, input));
  const std::vector<float> want = floats_of(run_oracle(file, input, stem));
  REQUIRE(got.size() == want.size());
  const double rel = max_rel_error(got, want);
  MESSAGE(stem << ": max |Tare - TFLite| / max |TFLite| = " << rel);
  CHECK(rel <= 1e-5);
}

// Stored values and the densified constant of tensor `t` agree with the dense weights.
void check_densified(const std::vector<uint8_t>& file, int t, const std::vector<uint8_t>& dense) {
  Graph g = import_tflite(file.data(), file.size());
  REQUIRE(g.tensors[t].is_const);
  CHECK(g.tensors[t].data == dense);
}

}  // namespace

TEST_SUITE("sparse") {
  TEST_CASE("sparse: the encoder's CSR arrays for a small matrix are TFLite's documented example") {
    // schema.fbs's example: a 4x4 matrix [[1,0,2,0],[0,0,0,0],[0,0,3,4],[0,5,0,0]] in CSR.
    const std::vector<float> w = {1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 5, 0, 0};
    SparseLayout csr{{0, 1}, {}, {}, {false, true}};
    Encoded e = encode(bytes_of(w), {4, 4}, 4, csr);
    CHECK(e.segments[1] == std::vector<int>{0, 2, 2, 4, 5});
    CHECK(e.indices[1] == std::vector<int>{0, 2, 2, 3, 1});
    CHECK(floats_of(e.values) == std::vector<float>{1, 2, 3, 4, 5});
  }

  TEST_CASE("sparse: DENSIFY disappears and the constant is dense, for every index width and layout") {
    const std::vector<float> w = sparse_weights(6 * 3 * 3 * 4, 0.7, 1, 5);
    const std::vector<int> shape = {6, 3, 3, 4};
    const std::vector<SparseLayout> layouts = {
        {{0, 1, 2, 3}, {}, {}, {false, false, false, true}, tflite::SparseIndexVector::Uint8Vector},
        {{0, 1, 2, 3}, {}, {}, {false, true, false, true}, tflite::SparseIndexVector::Uint16Vector},
        {{0, 1, 2, 3}, {}, {}, {true, true, true, true}, tflite::SparseIndexVector::Int32Vector},
        {{2, 0, 3, 1}, {}, {}, {false, true, false, true}, tflite::SparseIndexVector::Int32Vector},
        {{0, 1, 2, 3, 4}, {3}, {2}, {false, false, false, true, false}, tflite::SparseIndexVector::Uint8Vector},
    };
    for (size_t k = 0; k < layouts.size(); k++) {
      CAPTURE(k);
      ModelSpec m;
      TensorSpec ws{"w_sparse", shape};
      ws.data = bytes_of(w);
      ws.layout = &layouts[k];
      ws.enc = encode(ws.data, shape, 4, layouts[k]);
      CHECK(ws.enc.values.size() < ws.data.size());
      m.tensors = {{"x", {1, 5, 5, 4}},
                   ws,
                   {"w", shape},
                   {"bias", {6}, tflite::TensorType::FLOAT32, bytes_of(std::vector<float>(6, 0.25f))},
                   {"y", {1, 5, 5, 6}}};
      m.ops = {{B::DENSIFY, {1}, {2}}, {B::CONV_2D, {0, 2, 3}, {4}}};
      m.inputs = {0};
      m.outputs = {4};
      const std::vector<uint8_t> file = write_model(m);
      Graph g = import_tflite(file.data(), file.size());
      REQUIRE(g.ops.size() == 1);
      CHECK(g.ops[0].type == OpType::Conv2D);
      check_densified(file, 1, bytes_of(w));
      check_densified(file, 2, bytes_of(w));
    }
  }

  TEST_CASE("sparse: float FULLY_CONNECTED and CONV_2D with sparse weights match TFLite") {
    if (!gpu() || !tflite_available()) return;
    // Random sparsity, rows dense and columns CSR, through DENSIFY and read directly by FULLY_CONNECTED.
    const std::vector<float> w = sparse_weights(8 * 16, 0.75, 1, 11);
    SparseLayout rows_csr{{0, 1}, {}, {}, {false, true}, tflite::SparseIndexVector::Uint8Vector};
    check_float_against_tflite(fc_model(3, 16, 8, w, rows_csr, true), 3 * 16, "fc_densify_csr");
    check_float_against_tflite(fc_model(3, 16, 8, w, rows_csr, false), 3 * 16, "fc_direct_csr");
    // Block sparsity: 1x4 blocks along the input axis (TFLite's sparse FULLY_CONNECTED kernel reads these).
    const std::vector<float> wb = sparse_weights(8 * 16, 0.6, 4, 12);
    SparseLayout blocks{{0, 1, 2}, {1}, {4}, {false, true, false}, tflite::SparseIndexVector::Uint16Vector};
    check_float_against_tflite(fc_model(2, 16, 8, wb, blocks, true), 2 * 16, "fc_densify_1x4");
    check_float_against_tflite(fc_model(2, 16, 8, wb, blocks, false), 2 * 16, "fc_direct_1x4");
    // A convolution filter, CSR on the kernel rows and input channels, blocks of 2 output channels.
    const std::vector<int> shape = {6, 3, 3, 4};
    const std::vector<float> wc = sparse_weights(6 * 3 * 3 * 4, 0.7, 1, 13);
    SparseLayout conv_layout{
        {0, 1, 2, 3, 4}, {0}, {2}, {false, true, false, true, false}, tflite::SparseIndexVector::Int32Vector};
    ModelSpec m;
    TensorSpec ws{"w_sparse", shape};
    ws.data = bytes_of(wc);
    ws.layout = &conv_layout;
    ws.enc = encode(ws.data, shape, 4, conv_layout);
    m.tensors = {{"x", {1, 5, 5, 4}},
                 ws,
                 {"w", shape},
                 {"bias", {6}, tflite::TensorType::FLOAT32, bytes_of(random_input(6, 3))},
                 {"y", {1, 5, 5, 6}}};
    m.ops = {{B::DENSIFY, {1}, {2}}, {B::CONV_2D, {0, 2, 3}, {4}}};
    m.inputs = {0};
    m.outputs = {4};
    check_float_against_tflite(m, 5 * 5 * 4, "conv_densify_blocks");
  }

  TEST_CASE("sparse: an int8 convolution with sparse per-channel weights is bit-exact with TFLite") {
    if (!gpu() || !tflite_available()) return;
    const std::vector<int> shape = {5, 3, 3, 8};
    std::mt19937 rng(21);
    std::uniform_int_distribution<int> q(-127, 127);
    std::uniform_real_distribution<double> coin(0, 1);
    std::vector<int8_t> w(5 * 3 * 3 * 8);
    for (int8_t& v : w) v = coin(rng) < 0.65 ? 0 : (int8_t)q(rng);
    SparseLayout layout{{0, 1, 2, 3}, {}, {}, {false, false, true, true}, tflite::SparseIndexVector::Uint8Vector};
    ModelSpec m;
    TensorSpec x{"x", {1, 6, 6, 8}, tflite::TensorType::INT8};
    x.scale = {0.02f};
    x.zero_point = {-3};
    TensorSpec ws{"w_sparse", shape, tflite::TensorType::INT8};
    ws.data = bytes_of(w);
    ws.layout = &layout;
    ws.enc = encode(ws.data, shape, 1, layout);
    ws.scale = {0.004f, 0.006f, 0.003f, 0.005f, 0.007f};
    ws.zero_point = {0, 0, 0, 0, 0};
    TensorSpec wd = ws;
    wd.name = "w";
    wd.data.clear();
    wd.layout = nullptr;
    TensorSpec bias{"bias", {5}, tflite::TensorType::INT32, bytes_of(std::vector<int32_t>{100, -250, 40, 0, 900})};
    for (float s : ws.scale) bias.scale.push_back(0.02f * s);
    bias.zero_point.assign(5, 0);
    TensorSpec y{"y", {1, 6, 6, 5}, tflite::TensorType::INT8};
    y.scale = {0.05f};
    y.zero_point = {4};
    m.tensors = {x, ws, wd, bias, y};
    m.ops = {{B::DENSIFY, {1}, {2}}, {B::CONV_2D, {0, 2, 3}, {4}}};
    m.inputs = {0};
    m.outputs = {4};
    const std::vector<uint8_t> file = write_model(m);
    check_densified(file, 2, bytes_of(w));
    std::vector<uint8_t> input(6 * 6 * 8);
    for (uint8_t& v : input) v = (uint8_t)(int8_t)q(rng);
    const std::vector<uint8_t> got = run_tare(file, input);
    const std::vector<uint8_t> want = run_oracle(file, input, "conv_int8");
    REQUIRE(got.size() == want.size());
    size_t differ = 0;
    for (size_t i = 0; i < got.size(); i++) differ += got[i] != want[i];
    CHECK_MESSAGE(differ == 0, differ << " of " << got.size() << " int8 outputs differ from TFLite");
  }

  TEST_CASE("sparse: corrupt encodings are invalid models with a message") {
    const std::vector<float> w = {1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 5, 0, 0};
    SparseLayout csr{{0, 1}, {}, {}, {false, true}, tflite::SparseIndexVector::Int32Vector};
    auto model = [&](const std::function<void(TensorSpec&)>& corrupt) {
      ModelSpec m = fc_model(1, 4, 4, w, csr, true);
      corrupt(m.tensors[1]);
      return write_model(m);
    };
    auto expect = [&](const std::vector<uint8_t>& file, tare_status want, const std::string& needle) {
      std::string msg;
      tare_status got = TARE_OK;
      try {
        import_tflite(file.data(), file.size());
      } catch (const Error& e) {
        got = e.status();
        msg = e.what();
      }
      CHECK_MESSAGE(got == want, "status " << got << ": " << msg);
      CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg);
      CHECK_MESSAGE(msg.find("'w_sparse'") != std::string::npos, msg);
    };
    CHECK_NOTHROW(import_tflite(model([](TensorSpec&) {}).data(), model([](TensorSpec&) {}).size()));
    const auto bad = TARE_ERROR_INVALID_MODEL;
    expect(model([](TensorSpec& t) { t.enc.indices[1][2] = 4; }), bad, "index 2 (4) is outside");
    expect(model([](TensorSpec& t) { t.enc.indices[1][2] = -1; }), bad, "index 2 (-1) is outside");
    expect(model([](TensorSpec& t) { t.enc.segments[1] = {0, 2, 1, 4, 5}; }), bad, "is below the one before it");
    expect(model([](TensorSpec& t) { t.enc.segments[1] = {0, 2, 2, 4}; }), bad, "4 segment entries");
    expect(model([](TensorSpec& t) { t.enc.segments[1] = {0, 2, 2, 4, 4}; }), bad, "not from 0 to the 5 indices");
    expect(model([](TensorSpec& t) { t.enc.segments[1] = {1, 2, 2, 4, 5}; }), bad, "segments run from 1");
    expect(model([](TensorSpec& t) { t.enc.values.resize(16); }), bad, "stores 5 values, the buffer holds 16 bytes");
    expect(model([](TensorSpec& t) { t.enc.dense_size[0] = 5; }), bad, "is dense of size 5, the shape gives 4");
    static const SparseLayout bad_order{{1, 1}, {}, {}, {false, true}};
    expect(model([](TensorSpec& t) { t.layout = &bad_order; }), bad, "not a permutation");
    static const SparseLayout too_short{{0}, {}, {}, {false}};
    expect(model([](TensorSpec& t) { t.layout = &too_short; }), bad, "needs 2 traversal order entries");
    static const SparseLayout bad_block{{0, 1, 2}, {1}, {3}, {false, true, false}};
    expect(model([](TensorSpec& t) {
             t.layout = &bad_block;
             t.enc.dense_size.push_back(3);
             t.enc.segments.push_back({0});
             t.enc.indices.push_back({});
           }),
           bad, "block size 3 does not divide dimension 1 (4)");
    // A huge dense shape behind a few stored values is refused before anything is allocated.
    expect(model([](TensorSpec& t) {
             t.shape = {1 << 20, 1 << 20};
             t.enc.dense_size[0] = 1 << 20;
           }),
           bad, "the dense tensor would take");
    // A sparse tensor that is not a constant.
    {
      ModelSpec m = fc_model(1, 4, 4, w, csr, true);
      m.tensors[1].enc.values.clear();
      m.tensors[1].data.clear();
      std::vector<uint8_t> file = write_model(m);
      std::string msg;
      try {
        import_tflite(file.data(), file.size());
      } catch (const Error& e) {
        msg = e.what();
      }
      // Zero stored values against five indexed positions.
      CHECK_MESSAGE(msg.find("stores 5 values, the buffer holds 0 bytes") != std::string::npos, msg);
    }
  }
}
