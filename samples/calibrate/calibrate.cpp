// calibrate: the whole 8-bit workflow through Tare's public C API, as an application would write it.
//
//   float model + a folder of images
//     -> tare_equalize         (cross-layer equalization, RELU6 kept; by default with per-tensor weights)
//     -> tare_quantize         (calibration on the GPU: INT8 weights, 8-bit activations)
//     -> tare_correct_bias     (IBC: iterative bias correction)            [--method ibc or ibc+bft]
//     -> tare_fine_tune_bias   (BFT: bias fine-tuning by distillation)     [--method bft or ibc+bft]
//     -> evaluation on held-out images against the float model (top-1 agreement; accuracy with --labels)
//     -> tare_model_export_file (a standard int8 .tflite)
//
// The images are split in order (sorted by name): the first --count are used to quantize (and the first
// --ibc-images / --bft-images of them to correct), the next --eval are held out for the evaluation.  The flags are
// those of `tare calibrate`, parsed from one option table (samples/common/cli_options.h).  Images are decoded and preprocessed by image/ (central crop
// 87.5 %, Pillow-exact bilinear resize, pixel / 127.5 - 1): the MobileNet convention.
//
// Only <tare/tare.h> is used from Tare (linked against libtare.so).
#include <tare/tare.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "calib_options.h"
#include "cli_options.h"
#include "image.h"
#include "tare_handles.h"

namespace {

using tare_samples::UsageError;
namespace calib_opt = tare_samples::calib_opt;

// Any failing Tare call becomes an exception carrying its status and message.
void check(tare_status s, const char* what) {
  if (s != TARE_OK)
    throw std::runtime_error(std::string(what) + ": " + tare_status_string(s) + ": " + tare_last_error());
}

// Owning handles (samples/common/tare_handles.h).
using tare_samples::ContextPtr;
using tare_samples::ModelPtr;
using tare_samples::SessionPtr;

// ---- progress bar ---------------------------------------------------------------------------------------------

class ProgressBar {
 public:
  // Draws "stage [#####.....] done/total extra" on stderr, rewriting the line; ends it when done == total.
  void update(const std::string& stage, uint64_t done, uint64_t total, const std::string& extra = "") {
    if (stage != stage_) {
      if (!stage_.empty() && open_) std::fputc('\n', stderr);
      stage_ = stage;
      start_ = std::chrono::steady_clock::now();
    }
    const int width = 32;
    int filled = total ? static_cast<int>(done * width / total) : width;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%-10s [%s%s] %llu/%llu %5.1f s %s", stage.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), s, extra.c_str());
    open_ = done < total;
    if (!open_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  std::string stage_;
  bool open_ = false;
  std::chrono::steady_clock::time_point start_;
};

ProgressBar g_bar;

int on_progress(void*, const char* stage, uint32_t done, uint32_t total) {
  g_bar.update(stage, done, total);
  return 0;  // non-zero would cancel
}

int on_loss(void*, uint32_t mini_epoch, uint32_t total, double loss) {
  char extra[64];
  std::snprintf(extra, sizeof extra, "loss %.5f", loss);
  g_bar.update("bft", mini_epoch, total, extra);  // mini_epoch counts from 1
  return 0;
}

// ---- images ---------------------------------------------------------------------------------------------------

std::vector<std::string> list_images(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && tare::image::is_image_file(e.path().string())) files.push_back(e.path().string());
  if (ec) throw std::runtime_error("cannot list '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// The input callback handed to tare_quantize / tare_correct_bias / tare_fine_tune_bias: image `index` of `files`.
struct Feed {
  const std::vector<std::string>* files;
  int height;
  int width;
};

tare_status feed(void* user, uint32_t index, void* dst, size_t size) {
  const Feed* f = static_cast<const Feed*>(user);
  try {
    std::vector<float> v = tare::image::to_float(tare::image::preprocess_rgb(f->files->at(index), f->width, f->height));
    if (v.size() * sizeof(float) != size) return TARE_ERROR_INVALID_ARGUMENT;
    std::memcpy(dst, v.data(), size);
    return TARE_OK;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ncalibrate: %s\n", e.what());
    return TARE_ERROR_IO;
  }
}

// labels.csv: "filename,class_index,..." (a header line is skipped); keyed by file name.
std::map<std::string, int> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  std::map<std::string, int> out;
  std::string line;
  while (std::getline(f, line)) {
    size_t c = line.find(',');
    if (c == std::string::npos) continue;
    char* end = nullptr;
    long label = std::strtol(line.c_str() + c + 1, &end, 10);
    if (end == line.c_str() + c + 1) continue;  // the header, or a malformed line
    out[std::filesystem::path(line.substr(0, c)).filename().string()] = static_cast<int>(label);
  }
  return out;
}

// ---- evaluation -----------------------------------------------------------------------------------------------

// A session over a classifier with a float input, returning the index of the best score of one image.
class Classifier {
 public:
  explicit Classifier(tare_model* model) {
    tare_session* s = nullptr;
    check(tare_session_create(model, nullptr, &s), "creating a session");
    session_.reset(s);
    tare_tensor_info_init(&in_);
    tare_tensor_info_init(&out_);
    check(tare_session_input_info(s, 0, &in_), "reading the input info");
    check(tare_session_output_info(s, 0, &out_), "reading the output info");
    if (in_.dtype != TARE_DTYPE_FLOAT32) throw std::runtime_error("the model's input is not float32");
    bytes_.resize(out_.byte_size);
  }
  int top1(const std::vector<float>& input) {
    check(tare_session_set_input(session_.get(), 0, input.data(), input.size() * sizeof(float)), "setting input");
    check(tare_session_run(session_.get()), "running");
    check(tare_session_get_output(session_.get(), 0, bytes_.data(), bytes_.size()), "reading the output");
    size_t n = out_.dtype == TARE_DTYPE_FLOAT32 ? bytes_.size() / 4 : bytes_.size();
    int best = 0;
    for (size_t i = 1; i < n; i++)
      if (value(i) > value(static_cast<size_t>(best))) best = static_cast<int>(i);
    return best;
  }

 private:
  double value(size_t i) const {
    switch (out_.dtype) {
      case TARE_DTYPE_FLOAT32: {
        float f;
        std::memcpy(&f, bytes_.data() + 4 * i, 4);
        return f;
      }
      case TARE_DTYPE_UINT8:
        return out_.scale * (static_cast<double>(bytes_[i]) - static_cast<double>(out_.zero_point));
      case TARE_DTYPE_INT8:
        return out_.scale *
               (static_cast<double>(static_cast<int8_t>(bytes_[i])) - static_cast<double>(out_.zero_point));
      default: throw std::runtime_error("unsupported output type");
    }
  }
  SessionPtr session_;
  tare_tensor_info in_;
  tare_tensor_info out_;
  std::vector<uint8_t> bytes_;
};

struct Row {
  std::string name;
  Classifier classifier;
  uint32_t agree = 0;    // top-1 equal to the float model's
  uint32_t correct = 0;  // top-1 equal to the label
};

// ---- command line ---------------------------------------------------------------------------------------------

struct Options {
  std::string model, images, out, labels;
  uint32_t count = 64, ibc = 0, guard = 0, bft = 0, bft_epochs = 16, bft_batch = 16, eval = 100;
  bool per_channel = false;
  bool equalize = false;
  tare_quantize_options quantize;  // the activation ranges (--ranges, --percentile); the rest is set by run()
  std::string ranges;              // their method's name
};

// The subset of `tare calibrate`'s options this sample understands, with the same names and defaults.
const tare_samples::CommandSpec& command() {
  static const tare_samples::CommandSpec spec{
      "calibrate",
      "FLOAT_MODEL.tflite --images DIR --out OUT.tflite [options]",
      "quantize -> IBC -> BFT -> evaluate on held-out images -> export, through Tare's C API",
      "",
      1,
      1,
      {calib_opt::images("folder of JPEG/PNG images, used in name order"),
       {"--out", "OUT.tflite", "the model written", ""},
       calib_opt::method(),
       calib_opt::count(),
       calib_opt::ibc_images(),
       calib_opt::ibc_guard(),
       calib_opt::ibc_guard_images(),
       calib_opt::bft_images(),
       calib_opt::bft_epochs(),
       calib_opt::bft_batch(),
       calib_opt::per_channel(),
       calib_opt::ranges(),
       calib_opt::percentile(),
       calib_opt::equalize(),
       calib_opt::no_equalize(),
       calib_opt::eval("100"),
       calib_opt::labels()}};
  return spec;
}

uint32_t parse_count(const tare_samples::Args& a, const std::string& flag) {
  const std::string text = a.get(flag);
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0 || v > 1000000)
    throw UsageError(flag + " needs a count, got '" + text + "'");
  return static_cast<uint32_t>(v);
}

// Returns false when --help was asked for (and printed).
bool parse(int argc, char** argv, Options& o) {
  tare_samples::Args a = tare_samples::parse_args(command(), argc, argv, 1);
  if (a.help) {
    std::fputs(tare_samples::help_text(command()).c_str(), stdout);
    return false;
  }
  o.model = a.positional[0];
  o.images = a.get("--images");
  o.out = a.get("--out");
  o.labels = a.get("--labels");
  const std::string method = a.get("--method");
  if (method != "none" && method != "ibc" && method != "bft" && method != "ibc+bft")
    throw UsageError("--method must be none, ibc, bft or ibc+bft");
  o.count = parse_count(a, "--count");
  if (method == "ibc" || method == "ibc+bft") o.ibc = parse_count(a, "--ibc-images");
  if (method == "bft" || method == "ibc+bft") o.bft = parse_count(a, "--bft-images");
  o.bft_epochs = parse_count(a, "--bft-epochs");
  o.bft_batch = parse_count(a, "--bft-batch");
  o.eval = parse_count(a, "--eval");
  o.per_channel = a.flag("--per-channel");
  tare_quantize_options_init(&o.quantize);
  o.ranges = calib_opt::set_ranges(a, o.quantize);
  o.equalize = calib_opt::equalize(a);
  if (o.images.empty() || o.out.empty()) throw UsageError("--images and --out are needed; see `calibrate --help`");
  if (o.count == 0) throw UsageError("--count must be at least 1");
  if (method != "none" && o.ibc == 0 && o.bft == 0) throw UsageError("--ibc-images / --bft-images must be > 0");
  o.ibc = std::min(o.ibc, o.count);  // both stages use calibration images
  // IBC's guard validates on the calibration images after IBC's (the --eval images come after --count).
  if (o.ibc && calib_opt::ibc_guard_on(a)) {
    o.guard = std::min(parse_count(a, "--ibc-guard-images"), o.count - o.ibc);
    if (o.guard == 0 && (a.has("--ibc-guard") || a.has("--ibc-guard-images")))  // on by default: IBC unguarded
      throw UsageError("--ibc-guard needs calibration images after the --ibc-images (or --ibc-guard off)");
  }
  o.bft = std::min(o.bft, o.count);
  if (o.bft && (o.bft_epochs == 0 || o.bft_batch == 0)) throw UsageError("--bft-epochs and --bft-batch must be > 0");
  return true;
}

int run(const Options& o) {
  std::vector<std::string> files = list_images(o.images);
  if (files.size() < o.count)
    throw std::runtime_error("'" + o.images + "' has " + std::to_string(files.size()) + " images; --count needs " +
                             std::to_string(o.count));
  std::vector<std::string> held_out(files.begin() + o.count,
                                    files.begin() + std::min<size_t>(files.size(), size_t{o.count} + o.eval));

  tare_context* c = nullptr;
  check(tare_context_create(nullptr, &c), "creating the Vulkan context");
  ContextPtr ctx(c);
  tare_device_info dev;
  tare_device_info_init(&dev);
  check(tare_context_get_device_info(ctx.get(), &dev), "reading the device info");
  std::printf("tare %s on %s\n", tare_version(), dev.name);

  tare_model* m = nullptr;
  check(tare_model_load_file(ctx.get(), o.model.c_str(), &m), "loading the model");
  ModelPtr float_model(m);
  tare_tensor_info in;
  tare_tensor_info_init(&in);
  check(tare_model_input_info(float_model.get(), 0, &in), "reading the input info");
  if (in.dtype != TARE_DTYPE_FLOAT32 || in.rank != 4 || in.shape[3] != 3)
    throw std::runtime_error("the model's input is not a float image [N, H, W, 3]");
  Feed calib_feed{&files, in.shape[1], in.shape[2]};

  // 0. Equalize: the equalized model is the float model of every later stage (it computes the same function).
  ModelPtr equalized;
  tare_model* float_ref = float_model.get();
  if (o.equalize) {
    tare_equalize_report er;
    tare_equalize_report_init(&er);
    check(tare_equalize(float_model.get(), nullptr, &m, &er), "equalizing");
    equalized.reset(m);
    float_ref = m;
    std::printf("equalized %u layer pairs (%u RELU6 kept by an added MINIMUM)\n", er.pairs, er.relu6_clipped);
  }

  // 1. Quantize.
  tare_quantize_options qo = o.quantize;
  qo.per_channel = o.per_channel ? 1 : 0;
  qo.progress = on_progress;
  tare_quantize_report qr;
  tare_quantize_report_init(&qr);
  std::printf("quantizing on %u images (%s weights, %s activation ranges)\n", o.count,
              o.per_channel ? "per-channel" : "per-tensor", o.ranges.c_str());
  check(tare_quantize(float_ref, o.count, feed, &calib_feed, &qo, &m, &qr), "quantizing");
  ModelPtr quantized(m);
  std::printf("  %u weight tensors, %u activation ranges, %u dead channels, %.0f ms\n", qr.quantized_weights,
              qr.activations, qr.dead_channels, qr.calibration_ms);

  // 2. Iterative bias correction.
  ModelPtr corrected;
  tare_model* current = quantized.get();
  if (o.ibc > 0) {
    tare_ibc_options io;
    tare_ibc_options_init(&io);
    io.progress = on_progress;
    tare_ibc_report ir;
    tare_ibc_report_init(&ir);
    io.guard = o.guard ? 1 : 0;
    io.guard_images = (int32_t)o.guard;
    if (o.guard) std::printf("IBC on %u images, guarded on the next %u\n", o.ibc, o.guard);
    else std::printf("IBC on %u images, unguarded\n", o.ibc);
    check(tare_correct_bias(float_ref, current, o.ibc + o.guard, feed, &calib_feed, &io, &m, &ir, nullptr), "IBC");
    corrected.reset(m);
    current = m;
    std::printf("  %u layers corrected, %u values clamped, %.0f ms\n", ir.layers, ir.clamped, ir.wall_ms);
    if (ir.guard_images)
      std::printf("  guard: IBC %s (mean SQNR gain over the outputs %+.2f dB on %u held-out images)\n",
                  ir.kept_basic ? "rejected, the basic biases kept" : "kept", ir.guard_gain_db, ir.guard_images);
  }

  // 3. Bias fine-tuning.
  ModelPtr tuned;
  if (o.bft > 0) {
    tare_bft_options bo;
    tare_bft_options_init(&bo);
    bo.mini_epochs_per_rate = o.bft_epochs;
    bo.batch = o.bft_batch;
    bo.on_loss = on_loss;
    tare_bft_report br;
    tare_bft_report_init(&br);
    std::printf("BFT on %u images, %u rates x %u mini-epochs\n", o.bft, bo.rate_count, bo.mini_epochs_per_rate);
    check(tare_fine_tune_bias(float_ref, current, o.bft, feed, &calib_feed, &bo, &m, &br), "BFT");
    tuned.reset(m);
    current = m;
    std::printf("  %u layers, batch %u, loss %.5f -> %.5f, %.0f ms\n", br.layers, br.batch, br.initial_loss,
                br.final_loss, br.wall_ms);
  }

  // 4. Evaluate on held-out images against the float model.
  if (held_out.empty()) {
    std::printf("no held-out images left after the %u calibration images: evaluation skipped\n", o.count);
  } else {
    std::map<std::string, int> labels;
    if (!o.labels.empty()) labels = read_labels(o.labels);
    std::vector<Row> rows;
    rows.push_back({"float", Classifier(float_model.get())});
    rows.push_back({"quantized", Classifier(quantized.get())});
    if (corrected) rows.push_back({"+IBC", Classifier(corrected.get())});
    if (tuned) rows.push_back({corrected ? "+IBC+BFT" : "+BFT", Classifier(tuned.get())});
    uint32_t labeled = 0;
    for (size_t i = 0; i < held_out.size(); i++) {
      std::vector<float> x =
          tare::image::to_float(tare::image::preprocess_rgb(held_out[i], calib_feed.width, calib_feed.height));
      auto it = labels.find(std::filesystem::path(held_out[i]).filename().string());
      int label = it == labels.end() ? -1 : it->second;
      labeled += label >= 0;
      int reference = -1;
      for (Row& r : rows) {
        int t = r.classifier.top1(x);
        if (reference < 0) reference = t;
        r.agree += t == reference;
        r.correct += t == label;
      }
      g_bar.update("evaluate", i + 1, held_out.size());
    }
    std::printf("held-out images: %zu%s\n", held_out.size(),
                labels.empty() ? "" : (", " + std::to_string(labeled) + " labeled").c_str());
    std::printf("  %-10s %18s%s\n", "model", "top-1 = float's", labeled ? "   top-1 accuracy" : "");
    for (const Row& r : rows) {
      std::printf("  %-10s %17.1f%%", r.name.c_str(), 100.0 * r.agree / held_out.size());
      if (labeled) std::printf("   %14.1f%%", 100.0 * r.correct / labeled);
      std::printf("\n");
    }
  }

  // 5. Export.
  check(tare_model_export_file(current, o.out.c_str()), "exporting");
  std::printf("wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o;
    return parse(argc, argv, o) ? run(o) : 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "calibrate: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ncalibrate: %s\n", e.what());
    return 1;
  }
}
