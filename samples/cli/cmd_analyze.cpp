// `tare analyze`: per-layer, per-channel quantization errors on held-out images, before and after IBC (CSV + HTML
// report from the library).
#include <algorithm>

#include "cli.h"
#include "diagnostics.h"

namespace tare_cli {
namespace {

int run_analyze(const Args& a) {
  const std::string& path = a.positional[0];
  const std::string report = a.get("--report");
  if (report.empty()) throw UsageError("`tare analyze` needs --report DIR; see `tare analyze --help`");
  check_output_dir("--report", report);
  uint32_t count = (uint32_t)parse_int(a.get("--count"), "--count", 1, 1000000);
  uint32_t ibc_images = (uint32_t)parse_int(a.get("--ibc-images"), "--ibc-images", 1, 4096);
  uint32_t analyze_images = (uint32_t)parse_int(a.get("--analyze-images"), "--analyze-images", 1, 1000000);
  ImageFeed feed;
  feed.opt = image_options(a);
  feed.files = list_images("--images", a.get("--images"));
  const uint32_t files = (uint32_t)feed.files.size();
  count = std::min(count, files);
  ibc_images = std::min(ibc_images, files);
  // Held-out images: after those used for calibration and correction, unless --skip says otherwise.
  uint32_t skip = a.has("--quantized") ? ibc_images : std::max(count, ibc_images);
  if (a.has("--skip")) skip = (uint32_t)parse_int(a.get("--skip"), "--skip", 0, 1 << 30);
  if (skip >= files) throw UsageError("no images left for the analysis after skipping " + std::to_string(skip));
  analyze_images = std::min(analyze_images, files - skip);

  const auto t0 = std::chrono::steady_clock::now();
  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path);
  require_float_model(model.get(), path, "tare analyze");
  feed.input = image_input(model.get());
  text("model       %s\n", path.c_str());
  ModelPtr q;
  if (a.has("--quantized")) {
    q = load_model(gpu.get(), a.get("--quantized"));
    text("quantized   %s\n", a.get("--quantized").c_str());
  } else {
    tare_quantize_report qrep;
    q = quantize_on_images(model.get(), feed, count, a, qrep);
  }
  ModelPtr corrected;
  const bool pre = a.flag("--pre-activation");
  if (!a.flag("--no-ibc")) {
    tare_ibc_options o;
    tare_ibc_options_init(&o);
    o.pre_activation = pre;
    o.bias_16bit = a.flag("--bias-16bit");
    o.guard = 0;  // the analysis measures what IBC itself does to the layers, on all of its images
    o.progress = progress_callback;
    tare_model* c = nullptr;
    check(tare_correct_bias(model.get(), q.get(), ibc_images, feed_image, &feed, &o, &c, nullptr, nullptr),
          "correcting the biases");
    corrected.reset(c);
    text("IBC         on the first %u images (%s)\n", ibc_images, pre ? "pre-activation" : "post-activation");
  }
  tare_analyze_options ao;
  tare_analyze_options_init(&ao);
  ao.batch = (uint32_t)parse_int(a.get("--batch"), "--batch", 1, 1024);
  ao.progress = progress_callback;
  ImageFeed window = feed;
  window.offset = skip;
  tare_diagnostics* d = nullptr;
  check(tare_analyze(model.get(), q.get(), corrected.get(), analyze_images, feed_image, &window, &ao, &d), "analyzing");
  DiagnosticsPtr diag(d);
  text("analysis    %u held-out images (%u..%u)\n", analyze_images, skip, skip + analyze_images - 1);
  Json mas = Json::object();
  for (tare_error_point point : {TARE_POINT_PRE_ACTIVATION, TARE_POINT_POST_ACTIVATION}) {
    const char* name = point == TARE_POINT_PRE_ACTIVATION ? "pre-activation" : "post-activation";
    const double before = mean_mas(d, point, TARE_STAGE_BEFORE);
    Json j = Json::object();
    j["before"] = before;
    j["after"] = nullptr;
    if (corrected) {
      const double after = mean_mas(d, point, TARE_STAGE_AFTER);
      j["after"] = after;
      text("MAS         %s, mean over layers of the RMS over channels: %.3e -> %.3e\n", name, before, after);
    } else {
      text("MAS         %s, mean over layers of the RMS over channels: %.3e\n", name, before);
    }
    mas[point == TARE_POINT_PRE_ACTIVATION ? "pre_activation" : "post_activation"] = std::move(j);
  }
  print_layers(d, pre ? TARE_POINT_PRE_ACTIVATION : TARE_POINT_POST_ACTIVATION);
  // report.html's settings table, as `tare calibrate` writes it.
  const std::pair<std::string, std::string> settings[] = {
      {"model", path},
      {"quantized", a.has("--quantized") ? a.get("--quantized")
                                         : std::string(a.flag("--per-channel") ? "here, int8 per-channel"
                                                                               : "here, "
                                                                                 "int8 per-tensor") +
                                               ", ranges from " + std::to_string(count) + " images"},
      {"IBC", corrected ? "on the first " + std::to_string(ibc_images) + " images, " + (pre ? "pre" : "post") +
                              "-activation mean"
                        : std::string("not run (--no-ibc)")},
      {"images",
       a.get("--images") + ": " + std::to_string(analyze_images) + " held-out images from " + std::to_string(skip)},
      {"device", gpu.device().name},
      {"Tare", tare_version()}};
  for (const auto& [key, value] : settings)
    check(tare_diagnostics_note(d, "settings", key.c_str(), value.c_str()), "writing the report");
  check(tare_diagnostics_write(d, report.c_str()), "writing the report");
  text("report      %s/report.html, errors.csv, summary.csv\n", report.c_str());
  if (g_json) {
    Json doc = Json::object();
    doc["model"] = path;
    doc["device"] = gpu.device().name;
    doc["quantized"] = a.has("--quantized") ? Json(a.get("--quantized")) : Json(nullptr);
    doc["ibc"] = corrected != nullptr;
    doc["ibc_images"] = corrected ? Json(ibc_images) : Json(nullptr);
    doc["first_image"] = skip;
    doc["images"] = analyze_images;
    doc["mean_mas"] = std::move(mas);
    doc["layers"] = layers_json(d);
    doc["report"] = report;
    doc["total_ms"] = ms_since(t0);
    print_json(doc);
  }
  return 0;
}

}  // namespace

const Command& analyze_command() {
  static const Command c{
      {"tare analyze", "MODEL --images DIR --report DIR [options]",
       "per-layer, per-channel quantization errors before/after IBC on held-out images (CSV + HTML)", "", 1, 1,
       opt::with_gpu(
           {opt::images("folder of JPEG/PNG images (name order: calibration, correction, then held-out)"),
            {"--report", "DIR", "write errors.csv, summary.csv and report.html there (checked before the work)", ""},
            {"--quantized", "Q.tflite", "analyze this quantized model of MODEL instead of quantizing MODEL", ""},
            {"--no-ibc", "", "no correction: errors of the quantized model alone", ""},
            {"--analyze-images", "N", "held-out images measured", "32"},
            {"--skip", "N", "first held-out image (default: after the images used to quantize and correct)", ""},
            opt::count(),
            tare_samples::calib_opt::ibc_images(),
            {"--pre-activation", "", "correct and show the error before the fused activation (default: after it)", ""},
            opt::per_channel(),
            opt::bias_16bit(),
            opt::ranges(),
            opt::percentile(),
            opt::batch(),
            opt::mean(),
            opt::std_dev(),
            opt::crop()})},
      run_analyze};
  return c;
}

}  // namespace tare_cli
