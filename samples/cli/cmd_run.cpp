// `tare run`: one model on given inputs; prints (and saves) the outputs, the cold time of the session's first run
// and, with --runs N, the warm median.
#include <algorithm>
#include <cstring>
#include <optional>

#include "blazeface.h"
#include "cli.h"
#include "files.h"

namespace tare_cli {
namespace {

std::vector<std::string> read_class_names(const std::string& path) {
  std::vector<uint8_t> bytes = read_binary(path);
  std::vector<std::string> labels;
  std::string line;
  for (size_t i = 0; i <= bytes.size(); i++) {
    if (i == bytes.size() || bytes[i] == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (i < bytes.size() || !line.empty()) labels.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(bytes[i]);
    }
  }
  return labels;
}

// OUT.bin -> OUT.<i>.bin
std::string indexed_path(const std::string& path, uint32_t i) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + std::to_string(i);
  return path.substr(0, dot) + "." + std::to_string(i) + path.substr(dot);
}

std::vector<uint8_t> make_input(const std::string& file, const tare_tensor_info& t, const Args& a, uint32_t index) {
  if (!tare::image::is_image_file(file)) {
    uint64_t size = 0;  // checked before reading: a wrong file must not cost its size in memory
    std::string error;
    if (!tare_samples::regular_file_size(file, &size, &error))
      throw Failure("input " + std::to_string(index) + ": " + error);
    if (size != t.byte_size)
      throw Failure("input " + std::to_string(index) + " ('" + t.name + "', " + dtype_name(t.dtype) + " " +
                    shape_string(t) + ") needs " + std::to_string(t.byte_size) + " bytes; '" + file + "' has " +
                    std::to_string(size) + " (and is not a JPEG or PNG image)");
    std::vector<uint8_t> bytes = read_binary(file);
    if (bytes.size() != t.byte_size) throw Failure("input " + std::to_string(index) + ": '" + file + "' changed size");
    return bytes;
  }
  tare::image::PreprocessOptions o = image_options(a);
  bool nhwc = (t.rank == 4 && t.shape[0] == 1 && t.shape[3] == 3) || (t.rank == 3 && t.shape[2] == 3);
  if (!nhwc)
    throw Failure("input " + std::to_string(index) + " has shape " + shape_string(t) +
                  ": an image can only feed a [1, H, W, 3] input");
  int h = t.rank == 4 ? t.shape[1] : t.shape[0], w = t.rank == 4 ? t.shape[2] : t.shape[1];
  return image_input_bytes(tare::image::preprocess_rgb(file, w, h, o), t, o.norm);
}

// MediaPipe BlazeFace short range: float outputs [1, 896, 16] (boxes) and [1, 896, 1] (scores), found by shape.
Json decode_faces(const std::vector<tare_tensor_info>& in, const std::vector<tare_tensor_info>& out,
                  const std::vector<std::vector<uint8_t>>& bytes) {
  int reg = -1, cls = -1;
  for (size_t i = 0; i < out.size(); i++) {
    const tare_tensor_info& t = out[i];
    if (t.dtype != TARE_DTYPE_FLOAT32 || t.rank != 3 || t.shape[0] != 1 || t.shape[1] != 896) continue;
    if (t.shape[2] == 16) reg = static_cast<int>(i);
    if (t.shape[2] == 1) cls = static_cast<int>(i);
  }
  if (reg < 0 || cls < 0 || in.empty() || in[0].rank != 4 || in[0].shape[1] != 128 || in[0].shape[2] != 128)
    throw Failure(
        "--decode blazeface needs BlazeFace short range: a [1, 128, 128, 3] input and float32 outputs [1, 896, 16] "
        "(boxes) and [1, 896, 1] (scores)");
  auto faces = decode_blazeface(reinterpret_cast<const float*>(bytes[reg].data()),
                                reinterpret_cast<const float*>(bytes[cls].data()), 896, in[0].shape[2], 0.5f);
  text("BlazeFace: %zu face(s) with score >= 0.5\n", faces.size());
  Json list = Json::array();
  for (const auto& f : faces) {
    text("  score %.3f  centre (%.3f, %.3f)  size %.3f x %.3f  (fractions of the input image)\n", f.score, f.cx, f.cy,
         f.w, f.h);
    Json j = Json::object();
    j["score"] = f.score;
    j["cx"] = f.cx;
    j["cy"] = f.cy;
    j["w"] = f.w;
    j["h"] = f.h;
    list.push(std::move(j));
  }
  return list;
}

int run_run(const Args& a) {
  const std::string& path = a.positional[0];
  std::vector<std::string> inputs = a.all("--input");
  if (inputs.empty()) throw UsageError("`tare run` needs --input FILE (one per model input); see `tare run --help`");
  const int top = a.has("--top") ? static_cast<int>(parse_int(a.get("--top"), "--top", 0, 1 << 20)) : -1;
  const int runs = static_cast<int>(parse_int(a.get("--runs"), "--runs", 1, 1000000));
  const std::string decode = a.get("--decode");
  if (!decode.empty() && decode != "blazeface") throw UsageError("--decode knows only `blazeface`");
  image_options(a);  // numeric options checked before the (slow) GPU setup
  if (a.has("--output")) check_output_file("--output", a.get("--output"));
  std::vector<std::string> labels;
  if (a.has("--labels")) labels = read_class_names(a.get("--labels"));

  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path);
  const bool fp16 = a.flag("--fp16");
  SessionPtr session = make_session(model.get(), fp16, false);
  uint32_t ni = input_count(model.get()), no = output_count(model.get());
  if (inputs.size() != ni)
    throw UsageError("the model has " + std::to_string(ni) + " input(s); " + std::to_string(inputs.size()) +
                     " --input given");
  auto in_info = session_tensors(session.get(), true, ni);
  auto out_info = session_tensors(session.get(), false, no);
  for (uint32_t i = 0; i < ni; i++) {
    std::vector<uint8_t> bytes = make_input(inputs[i], in_info[i], a, i);
    check(tare_session_set_input(session.get(), i, bytes.data(), bytes.size()), "setting the input");
  }
  std::vector<double> times;
  for (int r = 0; r < runs; r++) {
    auto t0 = std::chrono::steady_clock::now();
    check(tare_session_run(session.get()), "running the model");
    times.push_back(ms_since(t0));
  }
  const double cold = times[0];
  const std::string device = gpu.device().name;
  text("ran %s on %s: %.2f ms cold (the session's first run)", path.c_str(), device.c_str(), cold);
  std::optional<double> warm;
  if (runs > 1) {
    warm = median(std::vector<double>(times.begin() + 1, times.end()));
    text(", %.3f ms warm (median of %d runs)", *warm, runs - 1);
  }
  text("\n");
  Json doc = Json::object();
  doc["model"] = path;
  doc["device"] = device;
  doc["session_precision"] = fp16 ? "fp16" : "fp32";
  doc["pipeline_cache"] = gpu.cache_path().empty() ? Json(nullptr) : Json(gpu.cache_path());
  doc["cold_ms"] = cold;
  doc["warm_median_ms"] = warm ? Json(*warm) : Json(nullptr);
  doc["runs"] = runs;

  std::vector<std::vector<uint8_t>> outputs(no);
  Json out_list = Json::array();
  for (uint32_t i = 0; i < no; i++) {
    std::vector<uint8_t>& bytes = outputs[i];
    const tare_tensor_info& t = out_info[i];
    bytes.resize(t.byte_size);
    check(tare_session_get_output(session.get(), i, bytes.data(), bytes.size()), "reading the output");
    Json oj = tensor_json(t);
    oj["file"] = nullptr;
    if (a.has("--output")) {
      std::string p = no == 1 ? a.get("--output") : indexed_path(a.get("--output"), i);
      write_binary(p, bytes.data(), bytes.size());
      text("output %u (%s %s %s) written to %s\n", i, t.name, dtype_name(t.dtype), shape_string(t).c_str(), p.c_str());
      oj["file"] = p;
    }
    std::vector<double> v = output_values(t, bytes);
    double mn = v.empty() ? 0 : v[0], mx = mn, sum = 0;
    for (double x : v) {
      mn = std::min(mn, x);
      mx = std::max(mx, x);
      sum += x;
    }
    const double mean = v.empty() ? 0 : sum / double(v.size());
    oj["min"] = v.empty() ? Json(nullptr) : Json(mn);
    oj["max"] = v.empty() ? Json(nullptr) : Json(mx);
    oj["mean"] = v.empty() ? Json(nullptr) : Json(mean);
    const bool classifier = i == 0 && t.rank == 2 && t.shape[0] == 1 && t.shape[1] >= 2 && !v.empty();
    const int k = top >= 0 ? top : classifier ? 5 : 0;
    if (i == 0 && k > 0 && !v.empty()) {
      std::vector<int> best = top_k(v, k);
      text("top %zu of output 0 (%s):\n", best.size(), t.name);
      Json tj = Json::array();
      for (int c : best) {
        const char* label = static_cast<size_t>(c) < labels.size() ? labels[c].c_str() : "";
        text("  %5d  %10.6f  %s\n", c, v[c], label);
        Json e = Json::object();
        e["index"] = c;
        e["score"] = v[c];
        e["label"] = static_cast<size_t>(c) < labels.size() ? Json(label) : Json(nullptr);
        tj.push(std::move(e));
      }
      doc["top"] = std::move(tj);
    } else if (!v.empty()) {
      text("output %u %s %s %s: min %g, max %g, mean %g\n", i, t.name, dtype_name(t.dtype), shape_string(t).c_str(), mn,
           mx, mean);
    }
    out_list.push(std::move(oj));
  }
  doc["outputs"] = std::move(out_list);
  if (decode == "blazeface") doc["faces"] = decode_faces(in_info, out_info, outputs);
  if (g_json) print_json(doc);
  return 0;
}

}  // namespace

const Command& run_command() {
  static const Command c{
      {"tare run", "MODEL --input FILE [--input FILE ...] [options]",
       "run a model and print / save its outputs, with the cold (first-run) and warm times",
       "An image input (JPEG/PNG) is decoded to RGB, centrally cropped (--crop), resized to the input's H, W "
       "(Pillow-exact bilinear) and normalized as (pixel - mean) / std for float inputs; uint8 inputs get the pixels, "
       "int8 inputs pixel - 128.  Any other file must hold exactly the input's bytes (little-endian, e.g. float32 "
       "NHWC).",
       1, 1,
       opt::with_gpu(
           {{"--input", "FILE", "one per model input, in order: a JPEG/PNG image or a raw tensor file", "", true},
            opt::mean(),
            opt::std_dev(),
            opt::crop(),
            {"--output", "OUT.bin",
             "write the raw outputs (OUT.bin for a single output; OUT.<i>.bin for output i otherwise)", ""},
            {"--top", "K", "print the K best classes of output 0 (default 5 when output 0 is [1, N])", ""},
            {"--labels", "FILE", "class names, one per line, line 0 = index 0 (e.g. background)", ""},
            {"--runs", "N",
             "runs of the session: the first is cold (pipelines and buffers first used), the median of the "
             "others is the warm time",
             "1"},
            {"--decode", "blazeface", "decode the outputs of MediaPipe BlazeFace (short range) into face boxes", ""},
            opt::fp16()})},
      run_run};
  return c;
}

}  // namespace tare_cli
