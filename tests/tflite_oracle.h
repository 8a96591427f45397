// TensorFlow Lite itself as a test oracle: runs a .tflite model in the TFLite interpreter that npm's
// @tensorflow/tfjs-tflite ships compiled to WASM, under Node (tests/tools/tflite/run_tflite.mjs); LiteRT.js
// (@litertjs/core, tests/tools/tflite/run_litert.mjs), a newer runtime with MediaPipe's custom ops, as the float
// reference of models that use them.
//
// Set up once per checkout (CI does the same):   npm ci --prefix tests/tools/tflite
// Node is found as $TARE_NODE, else `node` on the PATH.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "model/graph.h"
#include "model/tflite_export.h"
#include "test_util.h"

namespace tare::test {

inline std::string tflite_tool_dir() { return std::string(TARE_SOURCE_DIR) + "/tests/tools/tflite"; }

inline std::string shell_quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) {
    if (c == '\'') {
      r += "'\\''";
    } else {
      r += c;
    }
  }
  return r + "'";
}

inline std::string node_command() {
  const char* env = std::getenv("TARE_NODE");
  const std::string node = (env && *env) ? shell_quote(env) : std::string("node");
  return without_preload(node);
}

// Why the oracle cannot run ("" when it can); checked once per process.
inline const std::string& tflite_missing_reason() {
  static const std::string reason = [] {
    const std::string dir = tflite_tool_dir();
    if (!std::filesystem::exists(dir + "/node_modules/@tensorflow/tfjs-tflite/wasm/tflite_web_api_cc.wasm")) {
      return "the npm package is not installed (run: npm ci --prefix " + dir + ")";
    }
    if (std::system((node_command() + " --version > /dev/null 2>&1").c_str()) != 0) {
      return std::string("Node.js is not on the PATH (or set TARE_NODE)");
    }
    return std::string();
  }();
  return reason;
}

// True if TFLite can be run.  Otherwise prints a visible "SKIPPED (no TFLite): ..." line and returns false; with
// TARE_REQUIRE_DATA=1 the current test fails instead.
inline bool tflite_available() {
  const std::string& why = tflite_missing_reason();
  if (why.empty()) return true;
  const char* req = std::getenv("TARE_REQUIRE_DATA");
  if (req && std::string(req) == "1") {
    FAIL("TFLite oracle required (TARE_REQUIRE_DATA=1) but unavailable: " << why);
    return false;
  }
  std::printf("SKIPPED (no TFLite): %s\n", why.c_str());
  return false;
}

struct TfliteOptions {
  bool xnnpack = false;  // off: TFLite's builtin kernels (the reference for bit-exact int8 checks)
  int threads = 1;
  // Run LiteRT.js instead (its CPU path: XNNPACK for what it takes; xnnpack and threads do not apply).
  bool litert = false;
};

// Why LiteRT.js cannot run ("" when it can).
inline std::string litert_missing_reason() {
  if (!tflite_missing_reason().empty()) return tflite_missing_reason();
  if (!std::filesystem::exists(tflite_tool_dir() +
                               "/node_modules/@litertjs/core/wasm/litert_wasm_compat_internal.wasm"))
    return "@litertjs/core is not installed (run: npm ci --prefix " + tflite_tool_dir() + ")";
  return "";
}

struct TfliteRun {
  bool ok = false;                            // TFLite ran and wrote its outputs
  std::string log;                            // the tool's stdout and stderr (the error message on failure)
  std::vector<std::vector<uint8_t>> outputs;  // raw bytes of each output, in the model's output order
  std::string json;                           // outputs.json: names, dtypes, shapes of inputs and outputs
};

// Runs the model at `model_path` on `inputs` (raw little-endian bytes of each input tensor, in order).  Call
// tflite_available() first.
inline TfliteRun run_tflite_full(const std::string& model_path, const std::vector<std::vector<uint8_t>>& inputs,
                                 const TfliteOptions& options = {}) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tare_tflite_XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  REQUIRE_MESSAGE(mkdtemp(buf.data()) != nullptr, "cannot create a temporary folder");
  const std::filesystem::path dir(buf.data());
  const char* tool = options.litert ? "/run_litert.mjs" : "/run_tflite.mjs";
  std::string cmd = node_command() + " " + shell_quote(tflite_tool_dir() + tool) + " " + shell_quote(model_path) + " " +
                    shell_quote((dir / "out").string());
  for (size_t i = 0; i < inputs.size(); i++) {
    const std::string path = (dir / ("in" + std::to_string(i) + ".bin")).string();
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(inputs[i].data()), (std::streamsize)inputs[i].size());
    REQUIRE_MESSAGE(f.good(), "cannot write " << path);
    cmd += " " + shell_quote(path);
  }
  if (!options.litert) {
    cmd += " --threads " + std::to_string(options.threads);
    cmd += options.xnnpack ? " --xnnpack" : " --no-xnnpack";
  }
  cmd += " 2>&1";
  std::string log;
  int status = -1;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char chunk[4096];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, p)) > 0) log.append(chunk, n);
    status = pclose(p);
  }
  TfliteRun run;
  run.ok = status == 0;
  run.log = log;
  if (run.ok) {
    for (size_t i = 0;; i++) {
      const auto path = dir / "out" / ("out" + std::to_string(i) + ".bin");
      if (!std::filesystem::exists(path)) break;
      run.outputs.push_back(read_file(path.string()));
    }
    std::ifstream j(dir / "out" / "outputs.json");
    run.json.assign(std::istreambuf_iterator<char>(j), std::istreambuf_iterator<char>());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return run;
}

// As run_tflite_full, returning the outputs; fails the current test (REQUIRE) if TFLite reports an error.
inline std::vector<std::vector<uint8_t>> run_tflite(const std::string& model_path,
                                                    const std::vector<std::vector<uint8_t>>& inputs,
                                                    const TfliteOptions& options = {}) {
  TfliteRun run = run_tflite_full(model_path, inputs, options);
  REQUIRE_MESSAGE(run.ok, "TFLite failed on " << model_path << ":\n" << run.log);
  return std::move(run.outputs);
}

// Runs graph `g` in TFLite: exported (export_tflite) to a temporary file, then run_tflite_full.
inline TfliteRun run_tflite_graph(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs,
                                  const TfliteOptions& options = {}) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tare_graph_" + std::to_string(::getpid()) + ".tflite")).string();
  {
    const std::vector<uint8_t> file = export_tflite(g);
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(file.data()), (std::streamsize)file.size());
    REQUIRE_MESSAGE(f.good(), "cannot write " << path);
  }
  TfliteRun run = run_tflite_full(path, inputs, options);
  std::filesystem::remove(path);
  return run;
}

}  // namespace tare::test
