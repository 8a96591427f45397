#include "diagnostics.h"

namespace tare_cli {

ModelPtr quantize_on_images(tare_model* model, ImageFeed& feed, uint32_t count, const Args& a,
                            tare_quantize_report& report) {
  tare_quantize_options o;
  tare_quantize_options_init(&o);
  o.per_channel = a.flag("--per-channel");
  o.bias_16bit = a.flag("--bias-16bit");
  o.calibration_batch = (uint32_t)parse_int(a.get("--batch"), "--batch", 1, 1024);
  const std::string ranges = set_ranges(a, o);
  o.progress = progress_callback;
  tare_quantize_report_init(&report);
  tare_model* q = nullptr;
  check(tare_quantize(model, count, feed_image, &feed, &o, &q, &report), "quantizing");
  text("quantized   %u weight tensors (%s), %u activation ranges (%s) from %u images, %u dead channels; %.0f ms\n",
       report.quantized_weights, o.per_channel ? "per-channel" : "per-tensor", report.activations, ranges.c_str(),
       count, report.dead_channels, report.calibration_ms);
  return ModelPtr(q);
}

namespace {
tare_error_stats summary(tare_diagnostics* d, uint32_t layer, tare_error_point point, tare_error_stage stage) {
  tare_error_stats s{};
  s.struct_size = sizeof(s);
  check(tare_diagnostics_summary(d, layer, point, stage, &s), "reading the diagnostics");
  return s;
}

tare_layer_info layer_info(tare_diagnostics* d, uint32_t layer) {
  tare_layer_info info{};
  info.struct_size = sizeof(info);
  check(tare_diagnostics_layer(d, layer, &info), "reading the diagnostics");
  return info;
}

uint32_t layer_count(tare_diagnostics* d) {
  uint32_t n = 0;
  check(tare_diagnostics_layer_count(d, &n), "reading the diagnostics");
  return n;
}

// The stages in pipeline order, with their JSON names.
struct StageName {
  tare_error_stage stage;
  const char* json;
};
constexpr StageName kStageNames[] = {{TARE_STAGE_UNEQUALIZED, "unequalized"},
                                     {TARE_STAGE_BEFORE, "before"},
                                     {TARE_STAGE_AFTER, "after"},
                                     {TARE_STAGE_BFT, "bft"}};

Json stats_json(const tare_error_stats& s) {
  Json j = Json::object();
  j["mas_rms"] = s.mas;
  j["mas_abs_max"] = s.mas_abs_max;
  j["mssr_rms"] = s.mssr;
  j["rqnsr_rms"] = s.rqnsr;
  j["mean_share"] = s.mean_share;
  return j;
}
}  // namespace

Json stage_errors_json(tare_diagnostics* d) {
  const uint32_t n = layer_count(d);
  uint32_t measured = 0;
  for (uint32_t l = 0; l < n; l++) measured |= layer_info(d, l).stages;
  Json list = Json::array();
  for (const StageName& s : kStageNames) {
    if (!(measured & (1u << s.stage))) continue;
    double mas = 0, rqnsr = 0;
    for (uint32_t l = 0; l < n; l++) {
      const tare_error_stats e = summary(d, l, TARE_POINT_POST_ACTIVATION, s.stage);
      mas += e.mas;
      rqnsr += e.rqnsr;
    }
    Json j = Json::object();
    j["stage"] = s.json;
    j["mean_mas"] = n ? mas / n : 0.0;
    j["mean_rqnsr"] = n ? rqnsr / n : 0.0;
    list.push(std::move(j));
  }
  return list;
}

double mean_mas(tare_diagnostics* d, tare_error_point point, tare_error_stage stage) {
  const uint32_t n = layer_count(d);
  double sum = 0;
  for (uint32_t l = 0; l < n; l++) sum += summary(d, l, point, stage).mas;
  return n ? sum / n : 0.0;
}

void print_layers(tare_diagnostics* d, tare_error_point point) {
  const uint32_t n = layer_count(d);
  text("  %-4s %-18s %5s %-6s %23s %23s  %s\n", "#", "op", "ch", "act", "MAS rms before->after",
       "rQNSR rms before->after", "output");
  for (uint32_t l = 0; l < n; l++) {
    const tare_layer_info info = layer_info(d, l);
    const tare_error_stats b = summary(d, l, point, TARE_STAGE_BEFORE);
    char mas[48], qn[48];
    if (info.has_after) {
      const tare_error_stats af = summary(d, l, point, TARE_STAGE_AFTER);
      std::snprintf(mas, sizeof(mas), "%.2e -> %.2e", b.mas, af.mas);
      std::snprintf(qn, sizeof(qn), "%.3f -> %.3f", b.rqnsr, af.rqnsr);
    } else {
      std::snprintf(mas, sizeof(mas), "%.2e", b.mas);
      std::snprintf(qn, sizeof(qn), "%.3f", b.rqnsr);
    }
    text("  %-4u %-18s %5u %-6s %23s %23s  %s\n", l, info.op, info.channels, info.activation, mas, qn,
         info.name ? info.name : "");
  }
}

Json layers_json(tare_diagnostics* d) {
  Json list = Json::array();
  const uint32_t n = layer_count(d);
  for (uint32_t l = 0; l < n; l++) {
    const tare_layer_info info = layer_info(d, l);
    Json j = Json::object();
    j["index"] = l;
    j["name"] = info.name ? info.name : "";
    j["op"] = info.op ? info.op : "";
    j["activation"] = info.activation ? info.activation : "";
    j["op_index"] = info.op_index;
    j["channels"] = info.channels;
    for (auto [point, pname] : {std::pair{TARE_POINT_PRE_ACTIVATION, "pre_activation"},
                                std::pair{TARE_POINT_POST_ACTIVATION, "post_activation"}}) {
      Json p = Json::object();
      for (const StageName& s : kStageNames)
        p[s.json] = info.stages & (1u << s.stage) ? stats_json(summary(d, l, point, s.stage)) : Json(nullptr);
      j[pname] = std::move(p);
    }
    list.push(std::move(j));
  }
  return list;
}

}  // namespace tare_cli
