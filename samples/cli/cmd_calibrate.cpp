// `tare calibrate`: quantize, correct the biases (IBC) and/or fine-tune them (BFT), optionally after cross-layer
// equalization; evaluate each stage on held-out images; export; write the report (HTML/CSV from the library,
// bft_loss.*, summary.json).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli.h"
#include "diagnostics.h"

namespace tare_cli {
namespace {

// BFT losses per mini-epoch, shown as progress and kept for the report.
struct LossLog {
  std::vector<double> loss;
};

int on_loss(void* user, uint32_t done, uint32_t total, double loss) {
  static_cast<LossLog*>(user)->loss.push_back(loss);
  char extra[48];
  std::snprintf(extra, sizeof(extra), "loss %.5f", loss);
  progress().update("bft", done, total, extra);
  return 0;
}

// A tick step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over `span`.
double nice_step(double span, int ticks) {
  if (!(span > 0)) return 1;
  const double raw = span / ticks, p = std::pow(10.0, std::floor(std::log10(raw))), f = raw / p;
  return p * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
}

std::string html_text(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

// bft_loss.csv and bft_loss.html in `dir`: the mean distillation loss of every mini-epoch (x = 1..N) after the loss
// of the first step before any update (x = 0), with a mark where the learning rate changes.
void write_loss_report(const std::string& dir, const std::vector<double>& loss, double initial,
                       const std::vector<float>& rates, uint32_t per_rate, const std::string& what) {
  std::filesystem::create_directories(dir);
  auto rate_of = [&](size_t mini_epoch) {  // mini_epoch >= 1
    return rates[std::min(rates.size() - 1, per_rate ? (mini_epoch - 1) / per_rate : 0)];
  };
  {
    std::ofstream f(dir + "/bft_loss.csv");
    f << "mini_epoch,loss,rate\n0," << initial << ",\n";
    for (size_t i = 0; i < loss.size(); i++) f << i + 1 << "," << loss[i] << "," << rate_of(i + 1) << "\n";
    if (!f) throw Failure("cannot write " + dir + "/bft_loss.csv");
  }
  std::vector<double> v = {initial};
  v.insert(v.end(), loss.begin(), loss.end());
  double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  const double ystep = nice_step(hi > lo ? hi - lo : std::max(std::fabs(hi), 1e-6), 5);
  lo = std::floor(lo / ystep) * ystep;
  hi = std::max(std::ceil(hi / ystep) * ystep, lo + ystep);
  const size_t n = loss.size();  // x runs 0..n
  const double W = 760, H = 380, L = 80, R = 20, T = 40, B = 50, PW = W - L - R, PH = H - T - B;
  auto px = [&](double x) { return L + PW * x / double(std::max<size_t>(1, n)); };
  auto py = [&](double y) { return T + PH * (hi - y) / (hi - lo); };
  char buf[64];
  auto num = [&](double x) {
    std::snprintf(buf, sizeof(buf), "%.1f", x);
    return std::string(buf);
  };
  auto label = [&](double x) {
    std::snprintf(buf, sizeof(buf), "%.4g", x);
    return std::string(buf);
  };
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bias fine-tuning loss</title>\n"
       "<style>body{font-family:sans-serif;margin:16px;color:#222}h1{font-size:20px}svg{border:1px solid #ddd}"
       "svg text{font-size:11px;fill:#222}text.lbl{font-size:12px}.grid{stroke:#e4e4e4}.axis{stroke:#444}"
       ".loss{fill:none;stroke:#2ca02c;stroke-width:2}.pt{fill:#2ca02c}.init{fill:#d62728}"
       ".rate{stroke:#9467bd;stroke-dasharray:4 3}text.rate{fill:#9467bd;stroke:none}</style></head><body>\n"
       "<h1>Bias fine-tuning: distillation loss per mini-epoch</h1>\n<p>" +
       html_text(what) + "</p>\n";
  o += "<svg id=\"loss\" width=\"" + num(W) + "\" height=\"" + num(H) + "\" viewBox=\"0 0 " + num(W) + " " + num(H) +
       "\" data-mini-epochs=\"" + std::to_string(n) + "\">\n";
  for (double y = lo; y <= hi + ystep / 2; y += ystep) {
    o += "<line class=\"grid\" x1=\"" + num(L) + "\" x2=\"" + num(L + PW) + "\" y1=\"" + num(py(y)) + "\" y2=\"" +
         num(py(y)) + "\"/><text x=\"" + num(L - 6) + "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" +
         label(std::fabs(y) < ystep * 1e-6 ? 0.0 : y) + "</text>\n";
  }
  const size_t xstep = std::max<size_t>(1, (size_t)nice_step(double(std::max<size_t>(n, 1)), 10));
  for (size_t x = 0; x <= n; x += xstep)
    o += "<line class=\"axis\" x1=\"" + num(px(x)) + "\" x2=\"" + num(px(x)) + "\" y1=\"" + num(T + PH) + "\" y2=\"" +
         num(T + PH + 4) + "\"/><text class=\"xtick\" x=\"" + num(px(x)) + "\" y=\"" + num(T + PH + 16) +
         "\" text-anchor=\"middle\">" + std::to_string(x) + "</text>\n";
  o += "<line class=\"axis\" x1=\"" + num(L) + "\" x2=\"" + num(L) + "\" y1=\"" + num(T) + "\" y2=\"" + num(T + PH) +
       "\"/><line class=\"axis\" x1=\"" + num(L) + "\" x2=\"" + num(L + PW) + "\" y1=\"" + num(T + PH) + "\" y2=\"" +
       num(T + PH) + "\"/>\n";
  o += "<text class=\"lbl\" x=\"" + num(L + PW / 2) + "\" y=\"" + num(H - 10) +
       "\" text-anchor=\"middle\">mini-epoch (0: first step, before any update)</text>\n";
  o += "<text class=\"lbl\" transform=\"translate(16 " + num(T + PH / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">distillation loss (mean over the mini-epoch's steps)</text>\n";
  // Learning-rate marks: the first phase's rate at the start, a dashed line before each later phase.
  if (!rates.empty() && n)
    o += "<text class=\"rate\" x=\"" + num(px(0) + 4) + "\" y=\"" + num(T + 12) + "\">lr " + label(rates[0]) +
         "</text>\n";
  for (size_t e = 1; e < n; e++)
    if (rate_of(e + 1) != rate_of(e)) {
      const double x = px(double(e) + 0.5);
      o += "<line class=\"rate\" x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(T) + "\" y2=\"" +
           num(T + PH) + "\"/><text class=\"rate\" x=\"" + num(x + 4) + "\" y=\"" + num(T + 12) + "\">lr " +
           label(rate_of(e + 1)) + "</text>\n";
    }
  o += "<polyline class=\"loss\" points=\"";
  for (size_t i = 0; i <= n; i++) o += num(px(i)) + "," + num(py(v[i])) + " ";
  o += "\"/>\n";
  for (size_t i = 1; i <= n; i++)
    o += "<circle class=\"pt\" cx=\"" + num(px(i)) + "\" cy=\"" + num(py(v[i])) + "\" r=\"2.5\"><title>mini-epoch " +
         std::to_string(i) + ", lr " + label(rate_of(i)) + ": " + label(v[i]) + "</title></circle>\n";
  o += "<circle class=\"init\" cx=\"" + num(px(0)) + "\" cy=\"" + num(py(initial)) +
       "\" r=\"4\"><title>first step, before any update: " + label(initial) + "</title></circle>\n";
  // Legend, above the plot.
  const double ly = 18;
  o += "<line class=\"loss\" x1=\"" + num(L) + "\" x2=\"" + num(L + 20) + "\" y1=\"" + num(ly) + "\" y2=\"" + num(ly) +
       "\"/><text x=\"" + num(L + 24) + "\" y=\"" + num(ly + 4) + "\">mean loss of a mini-epoch</text>\n";
  o += "<circle class=\"init\" cx=\"" + num(L + 210) + "\" cy=\"" + num(ly) + "\" r=\"4\"/><text x=\"" + num(L + 218) +
       "\" y=\"" + num(ly + 4) + "\">initial loss " + label(initial) + "</text>\n";
  o += "<line class=\"rate\" x1=\"" + num(L + 390) + "\" x2=\"" + num(L + 410) + "\" y1=\"" + num(ly) + "\" y2=\"" +
       num(ly) + "\"/><text class=\"rate\" x=\"" + num(L + 414) + "\" y=\"" + num(ly + 4) +
       "\">learning-rate change</text>\n";
  o += "</svg>\n<p>No validation loss: bias fine-tuning measures the loss on its training images only.</p>\n"
       "</body></html>\n";
  std::ofstream f(dir + "/bft_loss.html");
  f << o;
  if (!f) throw Failure("cannot write " + dir + "/bft_loss.html");
}

// One model of the pipeline, evaluated on the held-out images.
struct Stage {
  std::string name;  // "float", "equalized", "quantized", "ibc", "bft"
  tare_model* model;
  size_t agree = 0, correct = 0;
  std::vector<int> top1;  // per held-out image, so that runs can be compared image by image
};

// Top-1 of every stage on `held_out`, compared with the first stage (the float model) and the labels if any.
Json evaluate_stages(std::vector<Stage>& stages, const ImageFeed& feed, const std::vector<std::string>& held_out,
                     const std::vector<LabeledImage>& labels, size_t& labeled) {
  std::vector<SessionPtr> sessions;
  std::vector<tare_tensor_info> outs;
  for (const Stage& s : stages) {
    sessions.push_back(make_session(s.model, false, false));
    outs.push_back(session_tensors(sessions.back().get(), false, 1)[0]);
  }
  labeled = 0;
  Json image_labels = Json::array();
  for (size_t i = 0; i < held_out.size(); i++) {
    const std::string name = std::filesystem::path(held_out[i]).filename().string();
    auto it = std::find_if(labels.begin(), labels.end(), [&](const LabeledImage& l) {
      return std::filesystem::path(l.path).filename().string() == name;
    });
    const int label = it == labels.end() ? -1 : it->label;
    labeled += label >= 0;
    image_labels.push(label);
    std::vector<float> x = tare::image::to_float(tare::image::preprocess_rgb(held_out[i], feed.input.shape[2],
                                                                             feed.input.shape[1], feed.opt),
                                                 feed.opt.norm);
    int reference = -1;
    for (size_t k = 0; k < stages.size(); k++) {
      const int t = top_k(classify(sessions[k].get(), outs[k], x), 1)[0];
      if (k == 0) reference = t;
      stages[k].top1.push_back(t);
      stages[k].agree += t == reference;
      stages[k].correct += t == label;
    }
    progress().update("evaluate", i + 1, held_out.size());
  }
  Json j = Json::object();
  j["images"] = held_out.size();
  j["labeled"] = labeled;
  j["labels"] = std::move(image_labels);
  Json list = Json::array();
  text("held-out    %zu images%s\n", held_out.size(),
       labels.empty() ? "" : (", " + std::to_string(labeled) + " labeled").c_str());
  for (const Stage& s : stages) {
    const double agree = double(s.agree) / double(held_out.size());
    text("  %-10s top-1 = float's %6.1f%%", s.name.c_str(), 100 * agree);
    Json e = Json::object();
    e["stage"] = s.name;
    e["top1_agreement"] = agree;
    e["top1_accuracy"] = nullptr;
    if (labeled) {
      e["top1_accuracy"] = double(s.correct) / double(labeled);
      text("   top-1 accuracy %6.1f%%", 100.0 * double(s.correct) / double(labeled));
    }
    text("\n");
    Json classes = Json::array();
    for (int t : s.top1) classes.push(t);
    e["top1"] = std::move(classes);
    list.push(std::move(e));
  }
  j["stages"] = std::move(list);
  return j;
}

// report.html's settings table: what ran, on what, with which schedule.
void note_settings(tare_diagnostics* d, const std::vector<std::pair<std::string, std::string>>& settings) {
  for (const auto& [key, value] : settings)
    check(tare_diagnostics_note(d, "settings", key.c_str(), value.c_str()), "writing the report");
}

// report.html's accuracy table: every evaluated stage's top-1 agreement with float and accuracy (with labels).
void note_accuracy(tare_diagnostics* d, const std::vector<Stage>& stages, size_t images, size_t labeled) {
  for (const Stage& s : stages) {
    char value[128];
    const int n = std::snprintf(value, sizeof(value), "top-1 = float's %.1f%%",
                                100.0 * double(s.agree) / double(images));
    if (labeled)
      std::snprintf(value + n, sizeof(value) - n, "; top-1 accuracy %.1f%% (%zu of %zu labeled)",
                    100.0 * double(s.correct) / double(labeled), s.correct, labeled);
    check(tare_diagnostics_note(d, "accuracy", s.name.c_str(), value), "writing the report");
  }
}

std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

int run_calibrate(const Args& a) {
  const std::string& path = a.positional[0];
  const std::string out_path = a.get("--out"), report = a.get("--report");
  if (out_path.empty()) throw UsageError("`tare calibrate` needs --out OUT.tflite; see `tare calibrate --help`");
  const std::string method = a.get("--method");
  if (method != "float" && method != "none" && method != "ibc" && method != "bft" && method != "ibc+bft")
    throw UsageError("--method must be none, ibc, bft or ibc+bft (or float: no quantization, e.g. with --equalize)");
  const bool do_ibc = method == "ibc" || method == "ibc+bft", do_bft = method == "bft" || method == "ibc+bft";
  // Nothing quantized (--method float): equalize only when asked to.
  const bool equalize = tare_samples::calib_opt::equalize(a) && (method != "float" || a.flag("--equalize"));
  if (a.flag("--replace-relu6") && !equalize)
    throw UsageError("--replace-relu6 changes how equalization treats RELU6, and equalization is off");
  if (!report.empty() && !do_ibc && !do_bft)
    throw UsageError("--report needs --method ibc, bft or ibc+bft (use `tare analyze` for a quantized model alone)");
  // Everything that can be checked is checked before the long work.
  check_output_file("--out", out_path);
  if (!report.empty()) check_output_dir("--report", report);
  uint32_t count = (uint32_t)parse_int(a.get("--count"), "--count", 1, 1000000);
  uint32_t ibc_images = (uint32_t)parse_int(a.get("--ibc-images"), "--ibc-images", 1, 4096);
  uint32_t bft_images = (uint32_t)parse_int(a.get("--bft-images"), "--bft-images", 1, 1000000);
  const uint32_t eval_images = (uint32_t)parse_int(a.get("--eval"), "--eval", 0, 1000000);
  {
    tare_quantize_options ranges_checked;  // --ranges and --percentile, checked before the work
    set_ranges(a, ranges_checked);
  }
  const tare_ibc_heads ibc_heads = parse_ibc_heads(a);
  const bool ibc_guard = tare_samples::calib_opt::ibc_guard_on(a);
  uint32_t guard_images = (uint32_t)parse_int(a.get("--ibc-guard-images"), "--ibc-guard-images", 1, 4096);
  tare_bft_options bo;
  tare_bft_options_init(&bo);
  bo.mini_epochs_per_rate = (uint32_t)parse_int(a.get("--bft-epochs"), "--bft-epochs", 0, 100000);
  bo.batch = (uint32_t)parse_int(a.get("--bft-batch"), "--bft-batch", 1, 4096);
  bo.images_per_mini_epoch = (uint32_t)parse_int(a.get("--bft-images-per-epoch"), "--bft-images-per-epoch", 0, 1 << 30);
  if (a.has("--bft-rates")) {  // comma-separated learning rates, one phase each
    std::string list = a.get("--bft-rates");
    bo.rate_count = 0;
    for (size_t pos = 0; pos <= list.size();) {
      size_t comma = std::min(list.find(',', pos), list.size());
      if (bo.rate_count == 8) throw UsageError("--bft-rates takes at most 8 rates");
      bo.rates[bo.rate_count++] = (float)parse_double(list.substr(pos, comma - pos), "--bft-rates");
      pos = comma + 1;
    }
  }
  ImageFeed feed;
  feed.opt = image_options(a);
  feed.files = list_images("--images", a.get("--images"));
  const uint32_t files = (uint32_t)feed.files.size();
  count = std::min(count, files);
  ibc_images = std::min(ibc_images, files);
  // The guard's validation images are the calibration images right after the IBC images (never the --eval ones,
  // which follow every image a stage used).
  guard_images = do_ibc && ibc_guard ? std::min(guard_images, count > ibc_images ? count - ibc_images : 0u) : 0;
  // None left: an error when the guard was asked for, a warning when it is on by default (a small folder).
  const bool guard_asked = a.has("--ibc-guard") || a.has("--ibc-guard-images");
  const std::string no_guard_images =
      "--ibc-guard validates IBC on the calibration images after the --ibc-images, "
      "and --count " +
      std::to_string(count) + " leaves none after " + std::to_string(ibc_images);
  if (do_ibc && ibc_guard && guard_images == 0 && guard_asked)
    throw Failure(no_guard_images + " (more --count, fewer --ibc-images, or --ibc-guard off)");
  bft_images = std::min(bft_images, files);
  // Held-out images for --eval: after every image a stage used.
  const uint32_t used = std::max({count, do_ibc ? ibc_images + guard_images : 0u, do_bft ? bft_images : 0u});
  std::vector<std::string> held_out;
  if (eval_images > 0) {
    if (used >= files)
      throw Failure("--eval: '" + a.get("--images") + "' has " + std::to_string(files) + " images and the first " +
                    std::to_string(used) + " are used to calibrate; none is left to evaluate on");
    held_out.assign(feed.files.begin() + used, feed.files.begin() + std::min(files, used + eval_images));
  }
  std::vector<LabeledImage> labels;
  if (a.has("--labels")) {
    if (!eval_images) throw UsageError("--labels needs --eval N (the held-out images to measure the accuracy on)");
    labels = read_labeled(a.get("--labels"), a.get("--images"));
  }

  const auto t0 = std::chrono::steady_clock::now();
  Gpu gpu(a);
  ModelPtr float_model = load_model(gpu.get(), path);
  require_float_model(float_model.get(), path, "tare calibrate");
  feed.input = image_input(float_model.get());
  text("model       %s\n", path.c_str());

  Json doc = Json::object();
  doc["model"] = path;
  doc["device"] = gpu.device().name;
  Json settings = Json::object();
  settings["method"] = method;
  settings["images"] = a.get("--images");
  settings["image_count"] = files;
  settings["count"] = count;
  settings["per_channel"] = a.flag("--per-channel");
  settings["ranges"] = a.get("--ranges");
  settings["percentile"] = a.get("--ranges") == "percentile" ? Json(parse_double(a.get("--percentile"), "--percentile"))
                                                             : Json(nullptr);
  settings["bias_16bit"] = a.flag("--bias-16bit");
  settings["equalize"] = equalize;
  settings["ibc_images"] = do_ibc ? Json(ibc_images) : Json(nullptr);
  settings["pre_activation"] = a.flag("--pre-activation");
  settings["ibc_heads"] = a.get("--ibc-heads");
  settings["ibc_guard_images"] = do_ibc ? Json(guard_images) : Json(nullptr);
  settings["bft_images"] = do_bft ? Json(bft_images) : Json(nullptr);
  settings["eval_images"] = held_out.size();
  settings["mean"] = parse_double(a.get("--mean"), "--mean");
  settings["std"] = parse_double(a.get("--std"), "--std");
  settings["crop"] = feed.opt.crop_fraction;
  Json timings = Json::object();
  Json stages_run = Json::array();
  std::vector<std::pair<std::string, std::string>> report_settings = {
      {"model", path},
      {"method", method},
      {"weights", a.flag("--per-channel") ? "int8 per-channel" : "int8 per-tensor"},
      {"biases", a.flag("--bias-16bit") ? "int32, clamped to 16 bits" : "int32"},
      {"images",
       a.get("--images") + " (" + std::to_string(files) + " found; " + std::to_string(count) + " calibrate the ranges" +
           (do_ibc || do_bft ? ", the first " + std::to_string(ibc_images) + " are the report's" : std::string()) +
           ")"},
      {"preprocessing",
       "mean " + a.get("--mean") + ", std " + a.get("--std") + ", central crop " + fmt_number(feed.opt.crop_fraction)},
      {"device", gpu.device().name},
      {"Tare", tare_version()}};

  ModelPtr equalized;
  tare_model* reference = float_model.get();
  if (equalize) {
    auto te = std::chrono::steady_clock::now();
    tare_equalize_options eo;
    tare_equalize_options_init(&eo);
    eo.replace_relu6 = a.flag("--replace-relu6");
    tare_equalize_report er;
    tare_equalize_report_init(&er);
    tare_model* e = nullptr;
    check(tare_equalize(float_model.get(), &eo, &e, &er), "equalizing");
    equalized.reset(e);
    reference = e;
    timings["equalize_ms"] = ms_since(te);
    stages_run.push("equalized");
    text(
        "equalized   %u layer pairs in %u sweeps, %u RELU6 kept by an added MINIMUM, %u replaced by RELU (the float "
        "reference from here)\n",
        er.pairs, er.iterations, er.relu6_clipped, er.relu6_replaced);
    if (er.relu6_replaced > 0)
      text("warning     RELU6 -> RELU changes the float model (compare the 'float' and 'equalized' stages' top-1)\n");
    report_settings.push_back({"equalization", std::to_string(er.pairs) + " layer pairs, " +
                                                   std::to_string(er.iterations) + " sweeps, " +
                                                   std::to_string(er.relu6_clipped) + " RELU6 kept by a MINIMUM, " +
                                                   std::to_string(er.relu6_replaced) + " RELU6 replaced by RELU"});
  }
  std::vector<Stage> stages = {{"float", float_model.get()}};
  if (equalized) stages.push_back({"equalized", equalized.get()});
  tare_model* result = reference;
  ModelPtr basic, ibc, bft;
  DiagnosticsPtr diag;
  LossLog losses;
  tare_bft_report brep;
  tare_bft_report_init(&brep);
  if (method != "float") {
    tare_quantize_report qrep;
    basic = quantize_on_images(reference, feed, count, a, qrep);
    timings["quantize_ms"] = qrep.calibration_ms;
    stages_run.push("quantized");
    stages.push_back({"quantized", basic.get()});
    result = basic.get();
    Json q = Json::object();
    q["quantized_weights"] = qrep.quantized_weights;
    q["activations"] = qrep.activations;
    q["dead_channels"] = qrep.dead_channels;
    doc["quantization"] = std::move(q);
  }
  if (do_ibc && ibc_guard && guard_images == 0) text("warning     %s: IBC runs unguarded\n", no_guard_images.c_str());
  if (do_ibc) {
    tare_ibc_options o;
    tare_ibc_options_init(&o);
    o.pre_activation = a.flag("--pre-activation");
    o.bias_16bit = a.flag("--bias-16bit");
    o.batch = (uint32_t)parse_int(a.get("--ibc-batch"), "--ibc-batch", 0, 4096);
    o.heads = ibc_heads;
    o.guard = ibc_guard && guard_images > 0 ? 1 : 0;
    o.guard_images = (int32_t)guard_images;
    o.progress = progress_callback;
    tare_ibc_report rep;
    tare_ibc_report_init(&rep);
    tare_model* c = nullptr;
    tare_diagnostics* d = nullptr;
    check(tare_correct_bias(reference, basic.get(), ibc_images + guard_images, feed_image, &feed, &o, &c, &rep, &d),
          "correcting the biases");
    ibc.reset(c);
    diag.reset(d);
    result = c;
    stages_run.push("ibc");
    stages.push_back({"ibc", c});
    timings["ibc_ms"] = rep.wall_ms;
    const tare_error_point point = o.pre_activation ? TARE_POINT_PRE_ACTIVATION : TARE_POINT_POST_ACTIVATION;
    text("IBC         %u layers corrected (%s) on %u images in %.0f ms%s%s\n", rep.layers,
         o.pre_activation ? "pre-activation" : "post-activation", rep.images, rep.wall_ms,
         rep.kept ? (", " + std::to_string(rep.kept) + " raw output heads kept").c_str() : "",
         rep.clamped ? (", " + std::to_string(rep.clamped) + " bias values clamped").c_str() : "");
    const double before = mean_mas(d, point, TARE_STAGE_BEFORE), after = mean_mas(d, point, TARE_STAGE_AFTER);
    text("MAS         mean over layers of the RMS over channels, on the IBC images: %.3e -> %.3e\n", before, after);
    print_layers(d, point);
    if (rep.guard_images)
      text(
          "IBC guard   %s: mean SQNR gain over the outputs %+.2f dB on %u held-out images (basic %.2f dB, IBC %.2f "
          "dB) in %.0f ms%s\n",
          rep.kept_basic ? "rejected" : "kept", rep.guard_gain_db, rep.guard_images, rep.guard_sqnr_basic_db,
          rep.guard_sqnr_ibc_db, rep.guard_ms, rep.kept_basic ? "; the basic biases are kept" : "");
    Json j = Json::object();
    j["layers"] = rep.layers;
    j["images"] = rep.images;
    j["clamped"] = rep.clamped;
    j["kept_heads"] = rep.kept;
    j["point"] = o.pre_activation ? "pre_activation" : "post_activation";
    j["mean_mas_before"] = before;
    j["mean_mas_after"] = after;
    if (rep.guard_images) {
      Json g = Json::object();
      g["images"] = rep.guard_images;
      g["kept_basic"] = rep.kept_basic != 0;
      g["gain_db"] = rep.guard_gain_db;
      g["sqnr_basic_db"] = rep.guard_sqnr_basic_db;
      g["sqnr_ibc_db"] = rep.guard_sqnr_ibc_db;
      g["ms"] = rep.guard_ms;
      j["guard"] = std::move(g);
      timings["ibc_guard_ms"] = rep.guard_ms;
    }
    doc["ibc"] = std::move(j);
    report_settings.push_back({"IBC", std::to_string(rep.layers) + " layers, " + std::to_string(rep.images) +
                                          " images, " + (o.pre_activation ? "pre" : "post") + "-activation mean"});
    if (rep.guard_images)
      report_settings.push_back(
          {"IBC guard", std::string(rep.kept_basic ? "rejected IBC (basic biases kept)" : "kept IBC") + ", " +
                            fmt_number(rep.guard_gain_db) + " dB mean SQNR gain on " +
                            std::to_string(rep.guard_images) + " held-out images"});
  }
  // The report and the layers' JSON measure every stage on the IBC images (the first --ibc-images).
  const bool measure = !report.empty() || g_json;
  tare_analyze_options ao;
  tare_analyze_options_init(&ao);
  ao.progress = progress_callback;
  if (do_bft && !diag && measure) {
    tare_diagnostics* d = nullptr;
    check(tare_analyze(reference, basic.get(), nullptr, ibc_images, feed_image, &feed, &ao, &d),
          "measuring the quantized model");
    diag.reset(d);
  }
  if (do_bft) {
    bo.bias_16bit = a.flag("--bias-16bit");
    bo.on_loss = on_loss;
    bo.user_data = &losses;
    std::string rates;
    Json rj = Json::array();
    for (uint32_t i = 0; i < bo.rate_count; i++) {
      rates += (i ? "," : "") + fmt_number(bo.rates[i]);
      rj.push(bo.rates[i]);
    }
    text("BFT         %u images, %u x %u mini-epochs (rates %s), batch %u\n", bft_images, bo.rate_count,
         bo.mini_epochs_per_rate, rates.c_str(), bo.batch);
    tare_model* c = nullptr;
    check(tare_fine_tune_bias(reference, result, bft_images, feed_image, &feed, &bo, &c, &brep),
          "fine-tuning the biases");
    bft.reset(c);
    result = c;
    stages_run.push("bft");
    stages.push_back({"bft", c});
    timings["bft_ms"] = brep.wall_ms;
    text(
        "BFT         %u layers, batch %u, mean loss of the first / last mini-epoch %.5f / %.5f (first step %.5f) in "
        "%.1f s (%.0f MiB of device memory)\n",
        brep.layers, brep.batch, losses.loss.empty() ? brep.initial_loss : losses.loss.front(), brep.final_loss,
        brep.initial_loss, brep.wall_ms / 1000, brep.training_bytes / 1048576.0);
    Json j = Json::object();
    j["layers"] = brep.layers;
    j["batch"] = brep.batch;
    j["rates"] = std::move(rj);
    j["mini_epochs_per_rate"] = bo.mini_epochs_per_rate;
    j["initial_loss"] = brep.initial_loss;
    j["final_loss"] = brep.final_loss;
    Json lj = Json::array();
    for (double l : losses.loss) lj.push(l);
    j["losses"] = std::move(lj);
    j["training_bytes"] = brep.training_bytes;
    if (brep.validation_images)
      text("BFT         validation on the last %u: loss %.5f at the start, %.5f kept (mini-epoch %d)\n",
           brep.validation_images, brep.initial_validation_loss, brep.best_validation_loss, brep.best_mini_epoch);
    j["validation_images"] = brep.validation_images;
    j["best_mini_epoch"] = brep.best_mini_epoch;
    j["initial_validation_loss"] = brep.initial_validation_loss;
    j["best_validation_loss"] = brep.best_validation_loss;
    doc["bft"] = std::move(j);
    report_settings.push_back(
        {"BFT", std::to_string(bft_images) + " images, rates " + rates + ", " +
                    std::to_string(bo.mini_epochs_per_rate) + " mini-epochs each, batch " + std::to_string(brep.batch) +
                    ", " + (bo.images_per_mini_epoch ? std::to_string(bo.images_per_mini_epoch) : std::string("all")) +
                    " images per mini-epoch"});
    if (diag && measure)
      check(tare_diagnostics_measure(diag.get(), TARE_STAGE_BFT, reference, c, ibc_images, feed_image, &feed, &ao),
            "measuring the fine-tuned model");
  }
  if (equalized && diag && measure) {
    // The equalization's effect: the original model quantized alone, against its own float model.
    tare_quantize_report qrep;
    ModelPtr unequalized = quantize_on_images(float_model.get(), feed, count, a, qrep);
    check(tare_diagnostics_measure(diag.get(), TARE_STAGE_UNEQUALIZED, float_model.get(), unequalized.get(), ibc_images,
                                   feed_image, &feed, &ao),
          "measuring the model quantized without equalization");
    text("            (the model quantized without equalization, for the report)\n");
  }
  if (diag) note_settings(diag.get(), report_settings);
  check(tare_model_export_file(result, out_path.c_str()), "exporting");
  text("wrote       %s%s\n", out_path.c_str(), method == "float" ? " (float)" : "");
  if (!held_out.empty()) {
    auto tv = std::chrono::steady_clock::now();
    size_t labeled = 0;
    doc["accuracy"] = evaluate_stages(stages, feed, held_out, labels, labeled);
    timings["eval_ms"] = ms_since(tv);
    if (diag) note_accuracy(diag.get(), stages, held_out.size(), labeled);
  } else {
    doc["accuracy"] = nullptr;
  }
  timings["total_ms"] = ms_since(t0);
  text("total       %.1f s\n", ms_since(t0) / 1000);
  doc["settings"] = std::move(settings);
  doc["stages"] = std::move(stages_run);
  doc["timings"] = std::move(timings);
  doc["layers"] = diag ? layers_json(diag.get()) : Json(nullptr);
  doc["stage_errors"] = diag ? stage_errors_json(diag.get()) : Json(nullptr);
  doc["out"] = out_path;
  doc["report"] = report.empty() ? Json(nullptr) : Json(report);
  if (!report.empty()) {
    std::filesystem::create_directories(report);
    if (diag) {
      check(tare_diagnostics_write(diag.get(), report.c_str()), "writing the report");
      text("report      %s/report.html, errors.csv, summary.csv\n", report.c_str());
    }
    if (do_bft) {
      write_loss_report(report, losses.loss, brep.initial_loss, std::vector<float>(bo.rates, bo.rates + bo.rate_count),
                        bo.mini_epochs_per_rate,
                        path + ", method " + method + ", " + std::to_string(bft_images) + " images, batch " +
                            std::to_string(brep.batch));
      text("report      %s/bft_loss.html, bft_loss.csv\n", report.c_str());
    }
    std::ofstream f(report + "/summary.json");
    f << doc.dump() << "\n";
    if (!f) throw Failure("cannot write " + report + "/summary.json");
    text("report      %s/summary.json\n", report.c_str());
  }
  if (g_json) print_json(doc);
  return 0;
}

}  // namespace

const Command& calibrate_command() {
  static const Command c{
      {"tare calibrate", "MODEL --images DIR --out OUT.tflite [options]",
       "quantize, correct the biases (IBC) and/or fine-tune them (BFT), evaluate, export",
       "Images are used in name order: the first --count calibrate the ranges, the first --ibc-images correct the "
       "biases (the next --ibc-guard-images validate them), the first --bft-images fine-tune them; --eval N measures "
       "every stage on the N images after those.",
       1, 1,
       opt::with_gpu(
           {opt::images("folder of JPEG/PNG images"),
            {"--out", "OUT.tflite", "the model written (checked before the work starts)", ""},
            {"--method", "M",
             "none (basic quantization), ibc (iterative bias correction), bft (bias fine-tuning), ibc+bft, or float "
             "(no quantization; with --equalize: the equalized model)",
             "ibc"},
            opt::count(),
            tare_samples::calib_opt::ibc_images(),
            tare_samples::calib_opt::ibc_batch(),
            tare_samples::calib_opt::ibc_heads(),
            tare_samples::calib_opt::ibc_guard(),
            tare_samples::calib_opt::ibc_guard_images(),
            {"--pre-activation", "", "correct the mean before the fused activation (default: after it)", ""},
            tare_samples::calib_opt::bft_images(),
            tare_samples::calib_opt::bft_epochs(),
            tare_samples::calib_opt::bft_batch(),
            {"--bft-rates", "LIST", "learning rates, comma-separated, one phase each", "1e-3,1e-4,1e-5,1e-6"},
            {"--bft-images-per-epoch", "N", "images per mini-epoch (0: all BFT images)", "0"},
            tare_samples::calib_opt::equalize(),
            tare_samples::calib_opt::no_equalize(),
            {"--replace-relu6", "", "with equalization: RELU6 becomes RELU (default: kept exactly by an added MINIMUM)",
             ""},
            tare_samples::calib_opt::eval("0"),
            tare_samples::calib_opt::labels(),
            {"--report", "DIR",
             "write report.html, errors.csv, summary.csv (every stage on the IBC images), bft_loss.html/.csv (BFT) and "
             "summary.json there",
             ""},
            opt::per_channel(),
            opt::bias_16bit(),
            opt::ranges(),
            opt::percentile(),
            opt::batch(),
            opt::mean(),
            opt::std_dev(),
            opt::crop()})},
      run_calibrate};
  return c;
}

}  // namespace tare_cli
