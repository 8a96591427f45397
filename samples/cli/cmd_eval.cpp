// `tare eval`: top-1 / top-5 accuracy of a classifier on labeled images; with a reference model, the paired
// agreement and difference.
#include <algorithm>

#include "cli.h"

namespace tare_cli {
namespace {

int run_eval(const Args& a) {
  const std::string& path = a.positional[0];
  if (!a.has("--images") || !a.has("--labels"))
    throw UsageError("`tare eval` needs --images DIR and --labels CSV; see `tare eval --help`");
  auto items = read_labeled(a.get("--labels"), a.get("--images"));
  const size_t skip = (size_t)parse_int(a.get("--skip"), "--skip", 0, 1 << 30);
  const size_t limit = (size_t)parse_int(a.get("--limit"), "--limit", 0, 1 << 30);
  if (skip >= items.size()) throw UsageError("--skip leaves no image");
  items.erase(items.begin(), items.begin() + (std::ptrdiff_t)skip);
  if (limit && items.size() > limit) items.resize(limit);
  const auto opt = image_options(a);
  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path);
  ModelPtr ref;
  if (a.has("--reference")) ref = load_model(gpu.get(), a.get("--reference"));
  tare_tensor_info in = image_input(model.get());
  if (in.dtype != TARE_DTYPE_FLOAT32) throw Failure("`tare eval` needs a model with a float32 input");
  SessionPtr s = make_session(model.get(), a.flag("--fp16"), false), rs;
  auto out = session_tensors(s.get(), false, 1)[0];
  tare_tensor_info rout;
  if (ref) {
    rs = make_session(ref.get(), false, false);
    rout = session_tensors(rs.get(), false, 1)[0];
  }
  size_t n = 0, top1 = 0, top5 = 0, rtop1 = 0, agree = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const LabeledImage& it : items) {
    std::vector<float> pixels =
        tare::image::to_float(tare::image::preprocess_rgb(it.path, in.shape[2], in.shape[1], opt), opt.norm);
    auto t = top_k(classify(s.get(), out, pixels), 5);
    n++;
    top1 += t[0] == it.label;
    top5 += std::find(t.begin(), t.end(), it.label) != t.end();
    if (rs) {
      auto r = top_k(classify(rs.get(), rout, pixels), 1);
      rtop1 += r[0] == it.label;
      agree += r[0] == t[0];
    }
    char extra[96];
    std::snprintf(extra, sizeof(extra), "top-1 %.1f%%", 100.0 * top1 / n);
    progress().update("eval", n, items.size(), extra);
  }
  const double secs = ms_since(t0) / 1000;
  text("model      %s\n", path.c_str());
  text("images     %zu (skipped the first %zu)   %.1f s\n", n, skip, secs);
  text("top-1      %.2f%%  (%zu)\n", 100.0 * top1 / n, top1);
  text("top-5      %.2f%%  (%zu)\n", 100.0 * top5 / n, top5);
  if (rs) {
    text("reference  %s: top-1 %.2f%%  (%zu)\n", a.get("--reference").c_str(), 100.0 * rtop1 / n, rtop1);
    text("difference top-1 %+.2f points vs the reference; paired top-1 agreement %.2f%% (%zu of %zu)\n",
         100.0 * ((double)top1 - (double)rtop1) / n, 100.0 * agree / n, agree, n);
  }
  if (g_json) {
    Json doc = Json::object();
    doc["model"] = path;
    doc["device"] = gpu.device().name;
    doc["images"] = n;
    doc["skipped"] = skip;
    doc["seconds"] = secs;
    doc["top1"] = double(top1) / n;
    doc["top5"] = double(top5) / n;
    doc["top1_count"] = top1;
    doc["top5_count"] = top5;
    if (rs) {
      Json r = Json::object();
      r["model"] = a.get("--reference");
      r["top1"] = double(rtop1) / n;
      r["top1_count"] = rtop1;
      r["agreement"] = double(agree) / n;
      r["agreement_count"] = agree;
      doc["reference"] = std::move(r);
    } else {
      doc["reference"] = nullptr;
    }
    print_json(doc);
  }
  return 0;
}

}  // namespace

const Command& eval_command() {
  static const Command c{
      {"tare eval", "MODEL --images DIR --labels CSV [options]",
       "top-1/top-5 accuracy on labeled images; with a reference, paired agreement and difference", "", 1, 1,
       opt::with_gpu({opt::images("folder of the labeled images"),
                      {"--labels", "CSV",
                       "one line per image: file,class_index (e.g. images/labels.csv; a header line is skipped)", ""},
                      {"--reference", "FLOAT_MODEL", "also run this model and compare top-1 image by image", ""},
                      {"--skip", "N", "skip the first N labeled images (e.g. those used for calibration)", "0"},
                      {"--limit", "N", "evaluate at most N images (0: all)", "0"},
                      opt::mean(),
                      opt::std_dev(),
                      opt::crop(),
                      opt::fp16()})},
      run_eval};
  return c;
}

}  // namespace tare_cli
