// `tare quantize`: calibrate a float model on images on the GPU and write an int8 .tflite (the paper's scheme).
#include "cli.h"

namespace tare_cli {
namespace {

int run_quantize(const Args& a) {
  const std::string& path = a.positional[0];
  const std::string out_path = a.get("--out");
  if (out_path.empty()) throw UsageError("`tare quantize` needs --out OUT.tflite; see `tare quantize --help`");
  check_output_file("--out", out_path);
  tare_quantize_options o;
  tare_quantize_options_init(&o);
  o.per_channel = a.flag("--per-channel");
  o.bias_16bit = a.flag("--bias-16bit");
  o.drop_dead_channels = !a.flag("--keep-dead-channels");
  if (a.flag("--round-even")) o.rounding = TARE_ROUND_NEAREST_EVEN;
  o.calibration_batch = (uint32_t)parse_int(a.get("--batch"), "--batch", 1, 1024);
  if (a.flag("--int8-io") && a.flag("--uint8-io")) throw UsageError("--int8-io and --uint8-io exclude each other");
  if (a.flag("--int8-io")) o.input_type = o.output_type = TARE_DTYPE_INT8;
  if (a.flag("--uint8-io")) o.input_type = o.output_type = TARE_DTYPE_UINT8;
  const std::string ranges = set_ranges(a, o);
  o.progress = progress_callback;
  uint32_t count = (uint32_t)parse_int(a.get("--count"), "--count", 1, 1000000);
  ImageFeed feed;
  feed.opt = image_options(a);
  feed.files = list_images("--images", a.get("--images"));
  count = std::min<uint32_t>(count, (uint32_t)feed.files.size());

  auto t0 = std::chrono::steady_clock::now();
  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path);
  require_float_model(model.get(), path, "tare quantize");
  feed.input = image_input(model.get());
  tare_quantize_report rep;
  tare_quantize_report_init(&rep);
  tare_model* q = nullptr;
  text("calibrating %s on %u images of %s (%s weights, %s ranges)\n", path.c_str(), count, a.get("--images").c_str(),
       o.per_channel ? "per-channel" : "per-tensor", ranges.c_str());
  check(tare_quantize(model.get(), count, feed_image, &feed, &o, &q, &rep), "quantizing");
  ModelPtr qm(q);
  text("quantized: %u weight tensors, %u activation ranges, %u dead channels dropped; calibration %.0f ms\n",
       rep.quantized_weights, rep.activations, rep.dead_channels, rep.calibration_ms);
  check(tare_model_export_file(qm.get(), out_path.c_str()), "exporting");
  text("wrote %s\n", out_path.c_str());
  if (g_json) {
    Json doc = Json::object();
    doc["model"] = path;
    doc["device"] = gpu.device().name;
    doc["images"] = a.get("--images");
    doc["count"] = count;
    doc["per_channel"] = o.per_channel != 0;
    doc["ranges"] = ranges;
    if (o.ranges == TARE_RANGES_PERCENTILE) doc["percentile"] = o.percentile;
    doc["io_dtype"] = dtype_name(o.input_type);
    doc["quantized_weights"] = rep.quantized_weights;
    doc["activations"] = rep.activations;
    doc["dead_channels"] = rep.dead_channels;
    doc["calibration_ms"] = rep.calibration_ms;
    doc["total_ms"] = ms_since(t0);
    doc["out"] = out_path;
    print_json(doc);
  }
  return 0;
}

}  // namespace

const Command& quantize_command() {
  static const Command c{
      {"tare quantize", "MODEL --images DIR --out OUT.tflite [options]",
       "calibrate a float model on the GPU and write an int8 .tflite (the paper's scheme)", "", 1, 1,
       opt::with_gpu({opt::images("folder of JPEG/PNG calibration images"),
                      {"--out", "OUT.tflite", "the int8 model written (checked before the work starts)", ""},
                      opt::count(),
                      opt::per_channel(),
                      opt::bias_16bit(),
                      {"--keep-dead-channels", "", "do not drop constant channels", ""},
                      {"--round-even", "",
                       "round weights half to even (default: half away from zero, as TFLite's "
                       "converter)",
                       ""},
                      {"--int8-io", "", "int8 model inputs and outputs (default float32 with QUANTIZE/DEQUANTIZE)", ""},
                      {"--uint8-io", "", "uint8 model inputs and outputs", ""},
                      opt::ranges(),
                      opt::percentile(),
                      opt::batch(),
                      opt::mean(),
                      opt::std_dev(),
                      opt::crop()})},
      run_quantize};
  return c;
}

}  // namespace tare_cli
