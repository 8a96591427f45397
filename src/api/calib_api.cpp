// The C ABI of bias correction, bias fine-tuning, equalization and error analysis (tare.h, "bias correction and
// quantization-error analysis" and "bias fine-tuning and cross-layer equalization").
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "api/api_internal.h"
#include "calib/bft.h"
#include "calib/ibc.h"
#include "calib/ibc_guard.h"
#include "quant/equalize.h"

struct tare_diagnostics_s {
  tare::calib::Diagnostics d;
};

using namespace tare::api;

namespace {

size_t per_image(const tare::Graph& g) {
  TARE_ARG(g.inputs.size() == 1, "bias correction supports models with one input");
  const tare::Tensor& t = g.tensors[g.inputs[0]];
  TARE_ARG(t.dtype == tare::DType::F32 && !t.shape.empty() && t.shape[0] > 0, "the float model's input is not float32");
  return (size_t)(t.elements() / t.shape[0]);
}

tare::calib::ImageFn callback_images(tare_input_fn inputs, void* user, size_t n) {
  return [inputs, user, n](uint32_t i, float* dst) {
    tare_status st = inputs(user, i, dst, n * 4);
    if (st != TARE_OK) tare::fail(st, "the input callback failed on input " + std::to_string(i));
  };
}

void correct_impl(tare_model* float_model, tare_model* quantized, uint32_t count, const tare::calib::ImageFn& images,
                  const tare_ibc_options* options, tare_model** out, tare_ibc_report* report,
                  tare_diagnostics** diagnostics) {
  tare_ibc_options defaults;
  tare_ibc_options_init(&defaults);
  tare_ibc_options o = read_options(options, defaults);
  const tare_ibc_heads heads = checked_enum(o.heads, 2, "heads");
  tare::calib::IbcOptions io;
  io.pre_activation = o.pre_activation != 0;
  io.bias_16bit = o.bias_16bit != 0;
  io.batch = o.batch;
  io.keep_heads = heads == TARE_IBC_HEADS_KEEP;
  io.diagnostics = diagnostics != nullptr;
  TARE_ARG(float_model->ctx == quantized->ctx, "the two models belong to different contexts");
  auto progress = [&](uint32_t done, uint32_t total) {
    return !o.progress || o.progress(o.user_data, "ibc", done, total) == 0;
  };
  TARE_ARG(o.guard == 0 || o.guard == 1, "guard = " + std::to_string(o.guard) + " is not 0 (off) or 1 (on)");
  TARE_ARG(o.guard_images >= -1, "guard_images must be -1 (automatic), 0 or a count");
  tare::calib::IbcGuardOptions go;
  go.enabled = o.guard != 0;
  go.validation_images = o.guard_images;
  tare::calib::GuardedIbcResult guarded = tare::calib::guarded_bias_correction(float_model->ctx, *float_model->graph,
                                                                               *quantized->graph, count, images, io, go,
                                                                               progress);
  tare::calib::IbcResult& r = guarded.ibc;
  const tare::calib::IbcGuardReport& g = guarded.guard;
  auto m = std::make_unique<tare_model_s>();
  m->ctx = quantized->ctx;
  m->name = quantized->name;
  m->graph = std::make_shared<const tare::Graph>(std::move(r.corrected));
  std::unique_ptr<tare_diagnostics_s> d;
  if (diagnostics) {
    d = std::make_unique<tare_diagnostics_s>();
    d->d = std::move(r.diagnostics);
    d->d.model = quantized->name;
  }
  if (report) {
    tare_ibc_report rep;
    tare_ibc_report_init(&rep);
    rep.layers = (uint32_t)r.layers;
    rep.images = count - g.images;
    rep.clamped = (uint32_t)r.clamped;
    rep.wall_ms = r.wall_ms + g.wall_ms;
    rep.kept = (uint32_t)r.kept;
    rep.guard_images = g.images;
    rep.kept_basic = g.kept_basic ? 1 : 0;
    rep.guard_gain_db = g.images ? g.mean_gain_db : NAN;
    rep.guard_sqnr_basic_db = rep.guard_sqnr_ibc_db = g.images ? 0.0 : NAN;
    for (const tare::calib::OutputComparison& c : g.outputs) {
      rep.guard_sqnr_basic_db += c.sqnr_basic_db() / (double)g.outputs.size();
      rep.guard_sqnr_ibc_db += c.sqnr_ibc_db() / (double)g.outputs.size();
    }
    rep.guard_ms = g.wall_ms;
    write_out(report, rep);
  }
  *out = publish(std::move(m));
  if (diagnostics) *diagnostics = publish(std::move(d));
}

const tare::calib::LayerDiagnostics& layer_of(const tare_diagnostics* d, uint32_t layer) {
  TARE_ARG(d, "diagnostics is NULL");
  TARE_ARG(layer < d->d.layers.size(), "layer " + std::to_string(layer) + " out of range");
  return d->d.layers[layer];
}

const tare::calib::ErrorSums& sums_of(const tare_diagnostics* d, uint32_t layer, const tare_error_point& point_arg,
                                      const tare_error_stage& stage_arg) {
  const tare_error_point point = checked_enum(point_arg, 2, "point");
  const tare_error_stage stage = checked_enum(stage_arg, tare::calib::kErrorStages, "stage");
  const tare::calib::LayerDiagnostics& L = layer_of(d, layer);
  const tare::calib::StageErrors& s = L.stage(tare::calib::ErrorStage(stage));
  TARE_ARG(!s.empty(), std::string("the layer has no \"") + tare::calib::stage_name(tare::calib::ErrorStage(stage)) +
                           "\" measurement");
  return point == TARE_POINT_PRE_ACTIVATION ? s.pre : s.post;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) tare::fail(TARE_ERROR_IO, "cannot write '" + p.string() + "'");
  f.write(text.data(), (std::streamsize)text.size());
  if (!f) tare::fail(TARE_ERROR_IO, "cannot write '" + p.string() + "'");
}

}  // namespace

extern "C" {

TARE_API void tare_ibc_options_init_sized(tare_ibc_options* o, size_t size) {
  init_sized(o, size, [](tare_ibc_options& d) {
    d.guard = 1;
    d.guard_images = -1;
  });
}

TARE_API void tare_ibc_report_init_sized(tare_ibc_report* r, size_t size) {
  init_sized(r, size, [](tare_ibc_report&) {});
}

TARE_API void tare_analyze_options_init_sized(tare_analyze_options* o, size_t size) {
  init_sized(o, size, [](tare_analyze_options& d) { d.batch = 8; });
}

TARE_API tare_status tare_correct_bias(tare_model* float_model, tare_model* quantized, uint32_t count,
                                       tare_input_fn inputs, void* user, const tare_ibc_options* options,
                                       tare_model** out, tare_ibc_report* report, tare_diagnostics** diagnostics) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    if (diagnostics) *diagnostics = nullptr;
    const HandleUse use_float_model(float_model), use_quantized(quantized);
    TARE_ARG(float_model && quantized, "model is NULL");
    TARE_ARG(inputs, "inputs callback is NULL");
    const size_t n = per_image(*float_model->graph);
    correct_impl(float_model, quantized, count, callback_images(inputs, user, n), options, out, report, diagnostics);
  });
}

TARE_API tare_status tare_correct_bias_array(tare_model* float_model, tare_model* quantized, const float* data,
                                             uint32_t count, const tare_ibc_options* options, tare_model** out,
                                             tare_ibc_report* report, tare_diagnostics** diagnostics) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    if (diagnostics) *diagnostics = nullptr;
    const HandleUse use_float_model(float_model), use_quantized(quantized);
    TARE_ARG(float_model && quantized, "model is NULL");
    TARE_ARG(data, "inputs is NULL");
    const size_t n = per_image(*float_model->graph);
    correct_impl(
        float_model, quantized, count, [&](uint32_t i, float* dst) { std::memcpy(dst, data + (size_t)i * n, n * 4); },
        options, out, report, diagnostics);
  });
}

TARE_API tare_status tare_analyze(tare_model* float_model, tare_model* quantized, tare_model* corrected, uint32_t count,
                                  tare_input_fn inputs, void* user, const tare_analyze_options* options,
                                  tare_diagnostics** out) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_float_model(float_model), use_quantized(quantized), use_corrected(corrected);
    TARE_ARG(float_model && quantized, "model is NULL");
    TARE_ARG(inputs, "inputs callback is NULL");
    TARE_ARG(float_model->ctx == quantized->ctx && (!corrected || corrected->ctx == quantized->ctx),
             "the models belong to different contexts");
    tare_analyze_options defaults;
    tare_analyze_options_init(&defaults);
    tare_analyze_options o = read_options(options, defaults);
    const size_t n = per_image(*float_model->graph);
    const tare::calib::ImageFn images = callback_images(inputs, user, n);
    const uint32_t total = corrected ? 2 * count : count;
    uint32_t base = 0;
    auto progress = [&](uint32_t done, uint32_t) {
      return !o.progress || o.progress(o.user_data, "analyze", base + done, total) == 0;
    };
    const int batch = (int)std::max<uint32_t>(1, o.batch);
    auto d = std::make_unique<tare_diagnostics_s>();
    d->d = tare::calib::analyze(float_model->ctx, *float_model->graph, *quantized->graph, count, images, batch,
                                progress);
    if (corrected) {
      base = count;
      tare::calib::merge_after(d->d, tare::calib::analyze(float_model->ctx, *float_model->graph, *corrected->graph,
                                                          count, images, batch, progress));
    }
    d->d.model = quantized->name;
    *out = publish(std::move(d));
  });
}

TARE_API tare_status tare_diagnostics_layer_count(const tare_diagnostics* d, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(d && count, "NULL argument");
    *count = (uint32_t)d->d.layers.size();
  });
}

TARE_API tare_status tare_diagnostics_layer(const tare_diagnostics* d, uint32_t layer, tare_layer_info* info) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(info, "info is NULL");
    const tare::calib::LayerDiagnostics& L = layer_of(d, layer);
    tare_layer_info i;
    std::memset(&i, 0, sizeof(i));
    i.struct_size = sizeof(i);
    i.name = L.name.c_str();
    i.op = L.op.c_str();
    i.activation = L.activation.c_str();
    i.op_index = L.op_index;
    i.channels = (uint32_t)L.channels;
    i.has_after = L.after.empty() ? 0 : 1;
    for (int s = 0; s < tare::calib::kErrorStages; s++)
      if (!L.stage(tare::calib::ErrorStage(s)).empty()) i.stages |= 1u << s;
    write_out(info, i);
  });
}

TARE_API tare_status tare_diagnostics_channel(const tare_diagnostics* d, uint32_t layer, uint32_t channel,
                                              tare_error_point point, tare_error_stage stage, tare_error_stats* stats) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(stats, "stats is NULL");
    const tare::calib::ErrorSums& s = sums_of(d, layer, point, stage);
    TARE_ARG(channel < s.size(), "channel " + std::to_string(channel) + " out of range");
    const tare::calib::ChannelError& c = s[channel];
    tare_error_stats r;
    std::memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.mas = c.mas();
    r.mssr = c.mssr();
    r.rqnsr = c.rqnsr();
    r.mean_share = c.mean_share();
    r.mas_abs_max = std::fabs(r.mas);
    r.count = c.count;
    write_out(stats, r);
  });
}

TARE_API tare_status tare_diagnostics_summary(const tare_diagnostics* d, uint32_t layer, tare_error_point point,
                                              tare_error_stage stage, tare_error_stats* stats) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(stats, "stats is NULL");
    const tare::calib::ErrorSums& s = sums_of(d, layer, point, stage);
    const tare::calib::ErrorSummary m = tare::calib::summarize(s);
    tare_error_stats r;
    std::memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.mas = m.mas_rms;
    r.mssr = m.mssr_rms;
    r.rqnsr = m.rqnsr_rms;
    r.mean_share = m.mean_share;
    r.mas_abs_max = m.mas_abs_max;
    r.count = s.empty() ? 0 : s[0].count;
    write_out(stats, r);
  });
}

TARE_API tare_status tare_diagnostics_measure(tare_diagnostics* d, tare_error_stage stage_arg, tare_model* float_model,
                                              tare_model* model, uint32_t count, tare_input_fn inputs, void* user,
                                              const tare_analyze_options* options) {
  return guarded([&] {
    const HandleUse use_d(d);
    const HandleUse use_float_model(float_model), use_model(model);
    TARE_ARG(d, "diagnostics is NULL");
    const tare_error_stage stage = checked_enum(stage_arg, tare::calib::kErrorStages, "stage");
    TARE_ARG(float_model && model, "model is NULL");
    TARE_ARG(inputs, "inputs callback is NULL");
    TARE_ARG(float_model->ctx == model->ctx, "the models belong to different contexts");
    tare_analyze_options defaults;
    tare_analyze_options_init(&defaults);
    tare_analyze_options o = read_options(options, defaults);
    auto progress = [&](uint32_t done, uint32_t total) {
      return !o.progress || o.progress(o.user_data, "analyze", done, total) == 0;
    };
    const size_t n = per_image(*float_model->graph);
    tare::calib::merge_stage(d->d, tare::calib::ErrorStage(stage),
                             tare::calib::analyze(float_model->ctx, *float_model->graph, *model->graph, count,
                                                  callback_images(inputs, user, n), (int)std::max<uint32_t>(1, o.batch),
                                                  progress));
  });
}

TARE_API tare_status tare_diagnostics_note(tare_diagnostics* d, const char* section, const char* key,
                                           const char* value) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(d && section && key && value, "NULL argument");
    TARE_ARG(*section, "the section is empty");
    d->d.notes.push_back({section, key, value});
  });
}

TARE_API tare_status tare_diagnostics_write(const tare_diagnostics* d, const char* directory) {
  return guarded([&] {
    const HandleUse use_d(d);
    TARE_ARG(d && directory, "NULL argument");
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) tare::fail(TARE_ERROR_IO, std::string("cannot create '") + directory + "': " + ec.message());
    const std::filesystem::path dir(directory);
    write_text(dir / "errors.csv", tare::calib::diagnostics_csv(d->d));
    write_text(dir / "summary.csv", tare::calib::diagnostics_summary_csv(d->d));
    write_text(dir / "report.html", tare::calib::diagnostics_html(d->d));
  });
}

TARE_API void tare_diagnostics_destroy(tare_diagnostics* d) { destroy_handle(d); }

}  // extern "C"

// ---- bias fine-tuning and equalization ---------------------------------------------------------------------------

extern "C" {

TARE_API void tare_bft_options_init_sized(tare_bft_options* o, size_t size) {
  init_sized(o, size, [](tare_bft_options& d) {
    d.rate_count = 4;
    d.rates[0] = 1e-3f;
    d.rates[1] = 1e-4f;
    d.rates[2] = 1e-5f;
    d.rates[3] = 1e-6f;
    d.mini_epochs_per_rate = 16;
    d.batch = 16;
    d.seed = 1;
    d.validation_images = -1;
  });
}

TARE_API void tare_bft_report_init_sized(tare_bft_report* r, size_t size) {
  init_sized(r, size, [](tare_bft_report&) {});
}

TARE_API tare_status tare_fine_tune_bias(tare_model* float_model, tare_model* quantized, uint32_t count,
                                         tare_input_fn inputs, void* user, const tare_bft_options* options,
                                         tare_model** out, tare_bft_report* report) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_float_model(float_model), use_quantized(quantized);
    TARE_ARG(float_model && quantized, "model is NULL");
    TARE_ARG(inputs, "inputs callback is NULL");
    TARE_ARG(float_model->ctx == quantized->ctx, "the two models belong to different contexts");
    tare_bft_options defaults;
    tare_bft_options_init(&defaults);
    tare_bft_options o = read_options(options, defaults);
    TARE_ARG(o.rate_count >= 1 && o.rate_count <= 8, "rate_count must be in [1, 8]");
    TARE_ARG(o.batch >= 1, "batch must be >= 1");
    tare::calib::BftOptions bo;
    bo.rates.assign(o.rates, o.rates + o.rate_count);
    bo.mini_epochs.assign(o.rate_count, (int)o.mini_epochs_per_rate);
    bo.images_per_mini_epoch = o.images_per_mini_epoch;
    bo.batch = (int)o.batch;
    bo.memory_budget = o.memory_budget;
    bo.bias_16bit = o.bias_16bit != 0;
    bo.seed = o.seed;
    TARE_ARG(o.validation_images >= -1, "validation_images must be -1 (automatic), 0 or a count");
    bo.validation_images = o.validation_images;
    const size_t n = per_image(*float_model->graph);
    auto progress = [&](uint32_t done, uint32_t total, double loss) {
      return !o.on_loss || o.on_loss(o.user_data, done, total, loss) == 0;
    };
    tare::calib::BftResult r = tare::calib::bias_fine_tuning(float_model->ctx, *float_model->graph, *quantized->graph,
                                                             count, callback_images(inputs, user, n), bo, progress);
    auto m = std::make_unique<tare_model_s>();
    m->ctx = quantized->ctx;
    m->name = quantized->name;
    m->graph = std::make_shared<const tare::Graph>(std::move(r.corrected));
    if (report) {
      tare_bft_report rep;
      tare_bft_report_init(&rep);
      rep.layers = (uint32_t)r.layers;
      rep.batch = (uint32_t)r.batch;
      rep.mini_epochs = (uint32_t)r.loss.size();
      rep.clamped = (uint32_t)r.clamped;
      rep.initial_loss = r.initial_loss;
      rep.final_loss = r.loss.empty() ? r.initial_loss : r.loss.back();
      rep.training_bytes = r.training_bytes;
      rep.wall_ms = r.wall_ms;
      rep.validation_images = r.validation_images;
      rep.best_mini_epoch = r.best_mini_epoch;
      rep.initial_validation_loss = r.validation_loss.empty() ? NAN : r.validation_loss.front();
      rep.best_validation_loss = r.validation_loss.empty() ? NAN : r.validation_loss.at((size_t)r.best_mini_epoch);
      write_out(report, rep);
    }
    *out = publish(std::move(m));
  });
}

TARE_API void tare_equalize_options_init_sized(tare_equalize_options* o, size_t size) {
  init_sized(o, size, [](tare_equalize_options& d) {
    d.replace_relu6 = 0;
    d.max_iterations = 500;
  });
}

TARE_API void tare_equalize_report_init_sized(tare_equalize_report* r, size_t size) {
  init_sized(r, size, [](tare_equalize_report&) {});
}

TARE_API tare_status tare_equalize(tare_model* float_model, const tare_equalize_options* options, tare_model** out,
                                   tare_equalize_report* report) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_float_model(float_model);
    TARE_ARG(float_model, "model is NULL");
    tare_equalize_options defaults;
    tare_equalize_options_init(&defaults);
    tare_equalize_options o = read_options(options, defaults);
    tare::quant::EqualizeOptions eo;
    eo.replace_relu6 = o.replace_relu6 != 0;
    eo.max_iterations = (int)o.max_iterations;
    tare::quant::EqualizeReport er;
    auto m = std::make_unique<tare_model_s>();
    m->ctx = float_model->ctx;
    m->name = float_model->name;
    m->graph = std::make_shared<const tare::Graph>(tare::quant::equalize_graph(*float_model->graph, eo, &er));
    if (report) {
      tare_equalize_report rep;
      tare_equalize_report_init(&rep);
      rep.pairs = (uint32_t)er.pairs;
      rep.iterations = (uint32_t)er.iterations;
      rep.relu6_replaced = (uint32_t)er.relu6_replaced;
      rep.relu6_clipped = (uint32_t)er.relu6_clipped;
      write_out(report, rep);
    }
    *out = publish(std::move(m));
  });
}

}  // extern "C"
