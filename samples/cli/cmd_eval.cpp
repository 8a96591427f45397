// `tare eval`: top-1 / top-5 accuracy of a classifier on labeled images; with a reference model, the paired
// agreement and difference.  Without labels (or with --fidelity): how closely the model keeps the reference's
// outputs (fidelity.h).
#include <algorithm>
#include <cmath>

#include "blazeface.h"
#include "cli.h"
#include "fidelity.h"

namespace tare_cli {
namespace {

// Every output of a session run on one float image, as doubles (dequantized).
std::vector<std::vector<double>> run_outputs(tare_session* s, const std::vector<tare_tensor_info>& outs,
                                             const std::vector<float>& pixels) {
  check(tare_session_set_input(s, 0, pixels.data(), pixels.size() * 4), "setting the input");
  check(tare_session_run(s), "running");
  std::vector<std::vector<double>> r;
  for (uint32_t k = 0; k < outs.size(); k++) {
    std::vector<uint8_t> bytes(outs[k].byte_size);
    check(tare_session_get_output(s, k, bytes.data(), bytes.size()), "reading an output");
    r.push_back(output_values(outs[k], bytes));
  }
  return r;
}

// BlazeFace short range (a [1, 128, 128, 3] input, outputs [1, 896, 16] boxes and [1, 896, 1] scores): the indices
// of the two outputs, or -1.
std::pair<int, int> blazeface_outputs(const tare_tensor_info& in, const std::vector<tare_tensor_info>& outs) {
  int reg = -1, cls = -1;
  for (size_t i = 0; i < outs.size(); i++) {
    const tare_tensor_info& t = outs[i];
    if (t.rank != 3 || t.shape[0] != 1 || t.shape[1] != 896) continue;
    if (t.shape[2] == 16) reg = (int)i;
    if (t.shape[2] == 1) cls = (int)i;
  }
  if (in.rank != 4 || in.shape[1] != 128 || in.shape[2] != 128 || reg < 0 || cls < 0) return {-1, -1};
  return {reg, cls};
}

std::vector<Detection> faces(const std::vector<std::vector<double>>& out, std::pair<int, int> idx) {
  const std::vector<float> reg(out[idx.first].begin(), out[idx.first].end());
  const std::vector<float> cls(out[idx.second].begin(), out[idx.second].end());
  return decode_blazeface(reg.data(), cls.data(), 896, 128, 0.5f);
}

// --fidelity: every output of MODEL against --reference's over the images of DIR (name order), no labels needed.
int run_fidelity(const Args& a) {
  const std::string& path = a.positional[0];
  if (!a.has("--reference")) throw UsageError("--fidelity needs --reference FLOAT_MODEL");
  std::vector<std::string> files = list_images("--images", a.get("--images"));
  const size_t skip = (size_t)parse_int(a.get("--skip"), "--skip", 0, 1 << 30);
  const size_t limit = (size_t)parse_int(a.get("--limit"), "--limit", 0, 1 << 30);
  if (skip >= files.size()) throw UsageError("--skip leaves no image");
  files.erase(files.begin(), files.begin() + (std::ptrdiff_t)skip);
  if (limit && files.size() > limit) files.resize(limit);
  const auto opt = image_options(a);
  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path), ref = load_model(gpu.get(), a.get("--reference"));
  tare_tensor_info in = image_input(model.get()), rin = image_input(ref.get());
  if (in.dtype != TARE_DTYPE_FLOAT32 || rin.dtype != TARE_DTYPE_FLOAT32)
    throw Failure("`tare eval --fidelity` needs two models with a float32 input");
  if (in.shape[1] != rin.shape[1] || in.shape[2] != rin.shape[2])
    throw Failure("the model and the reference take images of different sizes");
  SessionPtr s = make_session(model.get(), a.flag("--fp16"), false), rs = make_session(ref.get(), false, false);
  const uint32_t no = output_count(model.get());
  if (no != output_count(ref.get())) throw Failure("the model and the reference have different numbers of outputs");
  const auto outs = session_tensors(s.get(), false, no), routs = session_tensors(rs.get(), false, no);
  for (uint32_t k = 0; k < no; k++)
    if (output_values(outs[k], std::vector<uint8_t>(outs[k].byte_size)).size() !=
        output_values(routs[k], std::vector<uint8_t>(routs[k].byte_size)).size())
      throw Failure(std::string("output ") + std::to_string(k) + " ('" + outs[k].name +
                    "') has a different size in the reference, or is not numeric");
  const auto face_idx = blazeface_outputs(in, outs), rface_idx = blazeface_outputs(rin, routs);
  const bool detector = face_idx.first >= 0 && rface_idx.first >= 0;
  std::vector<FidelitySums> sums(no);
  DetectionAgreement det;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < files.size(); i++) {
    const std::vector<float> pixels =
        tare::image::to_float(tare::image::preprocess_rgb(files[i], in.shape[2], in.shape[1], opt), opt.norm);
    const auto q = run_outputs(s.get(), outs, pixels), x = run_outputs(rs.get(), routs, pixels);
    for (uint32_t k = 0; k < no; k++) sums[k].add(x[k].data(), q[k].data(), x[k].size());
    if (detector) det.add(faces(x, rface_idx), faces(q, face_idx), 0.5);
    progress().update("fidelity", i + 1, files.size());
  }
  const double secs = ms_since(t0) / 1000;
  text("model      %s\nreference  %s\nimages     %zu (skipped the first %zu)   %.1f s\n", path.c_str(),
       a.get("--reference").c_str(), files.size(), skip, secs);
  Json list = Json::array();
  for (uint32_t k = 0; k < no; k++) {
    const FidelitySums& f = sums[k];
    text("output %u  %-40s SQNR %6.2f dB   max |error| %.4g   mean |error| %.4g   (%llu values)\n", k, outs[k].name,
         f.sqnr_db(), f.max_abs_error, f.mean_abs_error(), (unsigned long long)f.values);
    Json j = Json::object();
    j["name"] = std::string(outs[k].name);
    j["values"] = f.values;
    j["sqnr_db"] = f.sqnr_db();
    j["max_abs_error"] = f.max_abs_error;
    j["mean_abs_error"] = f.mean_abs_error();
    list.push(std::move(j));
  }
  Json dj = nullptr;
  if (detector) {
    text(
        "BlazeFace  boxes with score >= 0.5 matched at IoU >= 0.5: %llu of the reference's %llu, of this model's "
        "%llu: precision %.3f  recall %.3f  F1 %.3f\n",
        (unsigned long long)det.matched, (unsigned long long)det.reference, (unsigned long long)det.compared,
        det.precision(), det.recall(), det.f1());
    dj = Json::object();
    dj["reference_boxes"] = det.reference;
    dj["boxes"] = det.compared;
    dj["matched"] = det.matched;
    dj["precision"] = det.precision();
    dj["recall"] = det.recall();
    dj["f1"] = det.f1();
  }
  if (g_json) {
    Json doc = Json::object();
    doc["model"] = path;
    doc["device"] = gpu.device().name;
    doc["reference"] = a.get("--reference");
    doc["images"] = files.size();
    doc["skipped"] = skip;
    doc["seconds"] = secs;
    doc["outputs"] = std::move(list);
    doc["detections"] = std::move(dj);
    print_json(doc);
  }
  return 0;
}

int run_eval(const Args& a) {
  const std::string& path = a.positional[0];
  if (a.flag("--fidelity") || (!a.has("--labels") && a.has("--reference"))) return run_fidelity(a);
  if (!a.has("--images") || !a.has("--labels"))
    throw UsageError(
        "`tare eval` needs --images DIR and --labels CSV (or --reference FLOAT_MODEL: fidelity); see "
        "`tare eval --help`");
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
  if (in.dtype != TARE_DTYPE_FLOAT32 && in.dtype != TARE_DTYPE_UINT8 && in.dtype != TARE_DTYPE_INT8)
    throw Failure("`tare eval` needs a model with a float32, uint8 or int8 image input");
  if (ref && image_input(ref.get()).dtype != TARE_DTYPE_FLOAT32)
    throw Failure("`tare eval --reference` needs a reference with a float32 input");
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
    const tare::image::Image img = tare::image::preprocess_rgb(it.path, in.shape[2], in.shape[1], opt);
    const std::vector<float> pixels = tare::image::to_float(img, opt.norm);
    auto t = in.dtype == TARE_DTYPE_FLOAT32 ? top_k(classify(s.get(), out, pixels), 5)
                                            : top_k(classify(s.get(), out, image_input_bytes(img, in, opt.norm)), 5);
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
      {"tare eval", "MODEL --images DIR (--labels CSV | --reference FLOAT_MODEL) [options]",
       "top-1/top-5 accuracy on labeled images; with a reference, paired agreement and difference",
       "Without --labels (or with --fidelity), --reference measures per output the SQNR in dB (10 log10 of sum x^2 "
       "over sum (x - q)^2, x the reference's values, over every value of every image) and the max and mean "
       "absolute error; for BlazeFace also the boxes with score >= 0.5 matched at IoU >= 0.5.",
       1, 1,
       opt::with_gpu({opt::images("folder of the labeled images"),
                      {"--labels", "CSV",
                       "one line per image: file,class_index (e.g. images/labels.csv; a header line is skipped)", ""},
                      {"--reference", "FLOAT_MODEL", "also run this model and compare top-1 image by image", ""},
                      {"--fidelity", "", "compare every output with --reference's (the default without --labels)", ""},
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
