// Shared pieces of the `tare` command-line tool: errors, option tables common to several commands, output (text or
// JSON), progress, the Vulkan context with its on-disk pipeline cache, and the image feeds.  Only the public C API
// (tare/tare.h) and the image helpers of image/ (tare_image) are used.
#pragma once

#include <tare/tare.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "calib_options.h"
#include "cli_options.h"
#include "image.h"
#include "json.h"
#include "tare_handles.h"

namespace tare_cli {

using tare_samples::Args;
using tare_samples::CommandSpec;
using tare_samples::ContextPtr;
using tare_samples::DiagnosticsPtr;
using tare_samples::ModelPtr;
using tare_samples::OptionSpec;
using tare_samples::SessionPtr;
using tare_samples::UsageError;

// A failure reported by the library or the file system (exit status 1).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(tare_status st, const char* what);

// One command: its option table and what it does.
struct Command {
  CommandSpec spec;
  int (*run)(const Args&);
};
const Command& devices_command();
const Command& ops_command();
const Command& info_command();
const Command& run_command();
const Command& bench_command();
const Command& quantize_command();
const Command& eval_command();
const Command& calibrate_command();
const Command& analyze_command();

// ---- option tables shared by several commands ---------------------------------------------------------------------

namespace opt {
OptionSpec device();
OptionSpec validation();
OptionSpec fp16();
OptionSpec json();
OptionSpec no_cache();
OptionSpec images(const std::string& help);
OptionSpec mean();
OptionSpec std_dev();
OptionSpec crop();
OptionSpec count();
OptionSpec per_channel();
OptionSpec bias_16bit();
OptionSpec batch();
OptionSpec ranges();
OptionSpec percentile();
// --device, --validation, --no-cache (every command that creates a Vulkan context) and --json.
std::vector<OptionSpec> gpu();
// A command's own options followed by gpu().
std::vector<OptionSpec> with_gpu(std::vector<OptionSpec> own);
}  // namespace opt

// ---- output ---------------------------------------------------------------------------------------------------------

// True when the command prints one JSON document instead of text (set by main from --json).
extern bool g_json;
// printf to stdout in text mode; nothing in JSON mode (stdout then holds the JSON document only).
void text(const char* format, ...) __attribute__((format(printf, 1, 2)));
void print_json(const Json& j);

// Progress on stderr: a rewritten bar with an ETA on a terminal, plain lines (every 10 %) otherwise.
class Progress {
 public:
  void update(const std::string& stage, uint64_t done, uint64_t total, const std::string& extra = "");

 private:
  std::string stage_;
  int last_decile_ = -1;
  bool open_ = false;
  std::chrono::steady_clock::time_point start_;
};
Progress& progress();
int progress_callback(void*, const char* stage, uint32_t done, uint32_t total);

// ---- parsing and formatting -----------------------------------------------------------------------------------------

long parse_int(const std::string& s, const char* what, long lo, long hi);
using tare_samples::parse_double;
using tare_samples::calib_opt::set_ranges;
// --ibc-heads keep|correct.
tare_ibc_heads parse_ibc_heads(const Args& a);
const char* dtype_name(tare_dtype d);
std::string shape_string(const tare_tensor_info& t);
Json shape_json(const tare_tensor_info& t);
Json tensor_json(const tare_tensor_info& t);
std::string bytes_string(uint64_t b);
double ms_since(std::chrono::steady_clock::time_point t0);
double median(std::vector<double> v);

// ---- files ----------------------------------------------------------------------------------------------------------

std::vector<uint8_t> read_binary(const std::string& path);
void write_binary(const std::string& path, const void* data, size_t size);
// Checks, before any long work, that a file can be written at `path` by trying it; leaves nothing behind.
void check_output_file(const std::string& option, const std::string& path);
// Same for a folder that will be created (with its parents) if missing: created and written to, then removed.
void check_output_dir(const std::string& option, const std::string& path);
// JPEG/PNG files of a folder, sorted by name; a clear error when it is missing or has none.
std::vector<std::string> list_images(const std::string& option, const std::string& dir);

// ---- library objects ------------------------------------------------------------------------------------------------

// A Vulkan context that reuses compiled pipelines from the on-disk cache ($XDG_CACHE_HOME/tare or ~/.cache/tare)
// unless --no-cache, and stores them back when it is destroyed.
class Gpu {
 public:
  explicit Gpu(const Args& a);
  ~Gpu();
  Gpu(const Gpu&) = delete;
  Gpu& operator=(const Gpu&) = delete;
  tare_context* get() const { return ctx_.get(); }
  const std::string& cache_path() const { return cache_path_; }  // empty with --no-cache
  size_t cache_bytes_loaded() const { return loaded_; }
  tare_device_info device() const;

 private:
  ContextPtr ctx_;
  std::string cache_path_;
  size_t loaded_ = 0;
};

ModelPtr load_model(tare_context* ctx, const std::string& path);
SessionPtr make_session(tare_model* model, bool fp16, bool profiling, int batch = 0);  // batch 0: the model's
std::vector<tare_tensor_info> session_tensors(tare_session* s, bool inputs, uint32_t count);
uint32_t input_count(tare_model* m);
uint32_t output_count(tare_model* m);
std::vector<uint8_t> synthetic_input(const tare_tensor_info& t, uint32_t seed);
// Output values as doubles (dequantized when quantized); empty when the dtype is not numeric here.
std::vector<double> output_values(const tare_tensor_info& t, const std::vector<uint8_t>& bytes);
// Tensors produced by the model's operators, counted by dtype ("float32": 60, "int8": 3): what the graph computes in.
std::vector<std::pair<std::string, uint32_t>> activation_dtypes(tare_model* m);
// Refuses a model whose weights or activations are already 8-bit: quantize/calibrate/analyze need a float model.
void require_float_model(tare_model* m, const std::string& path, const std::string& program);

// ---- images -----------------------------------------------------------------------------------------------------------

tare::image::PreprocessOptions image_options(const Args& a);
// The model's input 0 as an image [N, H, W, 3].
tare_tensor_info image_input(tare_model* model);

struct ImageFeed {
  std::vector<std::string> files;
  tare_tensor_info input;
  tare::image::PreprocessOptions opt;
  uint32_t offset = 0;  // image `index` of a callback is files[offset + index]
};
// tare_input_callback over an ImageFeed (float32 pixels).
tare_status feed_image(void* user, uint32_t index, void* dst, size_t size);

struct LabeledImage {
  std::string path;
  int label;
};
// labels CSV: "file,class_index,..." (file relative to the CSV's folder, or found in `images_dir`).
std::vector<LabeledImage> read_labeled(const std::string& csv, const std::string& images_dir);
std::vector<int> top_k(const std::vector<double>& v, int k);
// Scores of one float image through a session (input 0, output 0).
std::vector<double> classify(tare_session* s, const tare_tensor_info& out, const std::vector<float>& pixels);
// The same with the input's bytes (image_input_bytes for an 8-bit input).
std::vector<double> classify(tare_session* s, const tare_tensor_info& out, const std::vector<uint8_t>& input);
// An image as the bytes of input tensor t: float32 normalized by `norm`, uint8 the pixels, int8 the pixels - 128 (how
// 8-bit image models such as the QAT MobileNets take pixels: scale about 1/128 around the middle value).
std::vector<uint8_t> image_input_bytes(const tare::image::Image& img, const tare_tensor_info& t,
                                       const tare::image::Normalization& norm);

}  // namespace tare_cli
