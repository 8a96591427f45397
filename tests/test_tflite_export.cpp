// .tflite export: export -> import round trips and TFLite runs of the exported files.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
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

// First difference between two op parameter sets ("" when equal).
std::string params_diff(const OpParams& a, const OpParams& b) {
#define TARE_CMP(f) \
  if (!(a.f == b.f)) return #f;
  TARE_CMP(padding) TARE_CMP(stride_h) TARE_CMP(stride_w) TARE_CMP(dilation_h) TARE_CMP(dilation_w)
  TARE_CMP(filter_h) TARE_CMP(filter_w) TARE_CMP(depth_multiplier) TARE_CMP(activation) TARE_CMP(keep_num_dims)
  TARE_CMP(axis) TARE_CMP(axes) TARE_CMP(keep_dims) TARE_CMP(align_corners) TARE_CMP(half_pixel_centers)
  TARE_CMP(new_height) TARE_CMP(new_width) TARE_CMP(new_shape) TARE_CMP(paddings)
#undef TARE_CMP
  if (std::memcmp(&a.beta, &b.beta, sizeof(float)) != 0) return "beta";
  return "";
}

// First difference between two graphs ("" when equal); the description and source_index are not compared.
std::string graph_diff(const Graph& a, const Graph& b) {
  if (a.tensors.size() != b.tensors.size()) {
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
  bool quantized;  // outputs must be bit-exact (float ones: within 1e-6)
};

const ModelCase kModels[] = {
    {"models/mobilenet_v1_0.25_224.tflite", false},
    {"models/mobilenet_v2_1.0_224_float.tflite", false},
    {"models/mobilenet_v2_1.0_224_qat_float.tflite", false},
    {"models/face_detection_short_range.tflite", false},
    {"models/selfie_segmentation.tflite", false},
    {"models/tflm/hello_world_float.tflite", false},
    {"models/mobilenet_v1_0.25_224_quant.tflite", true},
    {"models/mobilenet_v2_1.0_224_quant.tflite", true},
    {"models/tf2_mobilenet_v2_1.0_224_ptq.tflite", true},
    {"models/tflm/person_detect_fixed.tflite", true},
    {"models/tflm/micro_speech_quantized.tflite", true},
    {"models/tflm/hello_world_int8.tflite", true},
    {"models/tflm/simple_add_model.tflite", true},
};

}  // namespace

TEST_SUITE("tflite") {
  TEST_CASE("export: round trip and TFLite run of every shared model") {
    const bool oracle = tflite_available();
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
        MESSAGE(mc.file << ": not importable, skipped (" << e.what() << ")");
        continue;
      }
      // Export -> import gives the same graph; exporting that again gives the same bytes.
      const std::vector<uint8_t> exported = export_tflite(g);
      Graph back;
      REQUIRE_NOTHROW(back = import_bytes(exported));
      CHECK(back.description == "Tare");
      const std::string diff = graph_diff(g, back);
      CHECK_MESSAGE(diff.empty(), mc.file << ": " << diff);
      CHECK(export_tflite(back) == exported);

      // Operator versions as TFLite's converter wrote them.
      const auto vo = op_versions(original), ve = op_versions(exported);
      REQUIRE(ve.size() == g.ops.size());
      int version_diffs = 0;
      for (size_t i = 0; i < g.ops.size(); i++) {
        const auto& o = vo.at((size_t)g.ops[i].source_index);
        if (o.first == ve[i].first && o.second != ve[i].second) {
          version_diffs++;
          MESSAGE(mc.file << ": op " << i << " " << op_name(g.ops[i].type) << " version " << ve[i].second
                          << ", the original has " << o.second);
        }
      }
      CHECK(version_diffs == 0);

      if (!oracle) continue;
      TempFile tmp(exported);
      double worst = 0;
      size_t bytes = 0;
      for (uint32_t seed = 1; seed <= 2; seed++) {
        const auto inputs = random_inputs(g, seed);
        const auto want = run_tflite(data_path(mc.file), inputs);
        const auto got = run_tflite(tmp.path, inputs);
        REQUIRE(got.size() == want.size());
        for (size_t k = 0; k < got.size(); k++) {
          REQUIRE(got[k].size() == want[k].size());
          bytes += got[k].size();
          if (mc.quantized || g.tensors[g.outputs[k]].dtype != DType::F32) {
            CHECK_MESSAGE(got[k] == want[k], mc.file << ": output " << k << " is not bit-exact");
          } else {
            std::vector<float> a(got[k].size() / 4), b(a.size());
            std::memcpy(a.data(), got[k].data(), got[k].size());
            std::memcpy(b.data(), want[k].data(), want[k].size());
            const double e = max_rel_error(a, b);
            worst = std::max(worst, e);
            CHECK_MESSAGE(e <= 1e-6, mc.file << ": output " << k << " differs by " << e);
          }
        }
      }
      MESSAGE(mc.file << ": " << g.ops.size() << " ops, " << original.size() << " -> " << exported.size()
                      << " bytes; TFLite outputs (" << bytes << " bytes, 2 random inputs) "
                      << (worst == 0 ? "bit-identical" : "max rel diff " + std::to_string(worst)));
    }
  }
}
