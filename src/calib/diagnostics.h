// Quantization-error diagnostics of the paper's section 3 ("Fighting Quantization Bias With Bias", Finkelstein et
// al. 2019), per layer and per output channel.  With e = x_quant - x_float over every image and spatial position of
// a batch, for each channel:
//   MAS   = E(e)                       mean activation shift
//   MSSR  = E(e) / sqrt(E(x^2))        mean-shift-to-signal ratio (x: the float activation)
//   rQNSR = sqrt(E(e^2) / E(x^2))      root quantization-noise-to-signal ratio
//   share = E(e)^2 / E(e^2)            the mean's share of the error energy
// Sums are folded on the GPU (shaders/channel_diff*.comp); only per-channel sums reach the host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tare::calib {

// Per-channel sums over a batch (fp32 on the device, folded into doubles on the host).
struct ChannelError {
  double sum_e = 0, sum_e2 = 0;  // e = x_quant - x_float
  double sum_x = 0, sum_x2 = 0;  // x = x_float
  double count = 0;              // values per channel (images * positions)

  double mean_e() const { return count > 0 ? sum_e / count : 0.0; }
  double mas() const { return mean_e(); }
  // Ratios are NaN where they are undefined (E(x^2) = 0, or E(e^2) = 0 for the share).
  double mssr() const;
  double rqnsr() const;
  double mean_share() const;
  void add(const ChannelError& o) {
    sum_e += o.sum_e;
    sum_e2 += o.sum_e2;
    sum_x += o.sum_x;
    sum_x2 += o.sum_x2;
    count += o.count;
  }
};

// One measuring point of a layer (its output before or after the fused activation), all channels.
using ErrorSums = std::vector<ChannelError>;

// Summaries over the channels of one measuring point (NaN channels skipped).
struct ErrorSummary {
  double mas_rms = 0;      // sqrt(mean over channels of MAS^2)
  double mas_abs_max = 0;  // max over channels of |MAS|
  double mssr_rms = 0;     // sqrt(mean over channels of MSSR^2)
  double rqnsr_rms = 0;    // sqrt(mean over channels of rQNSR^2)
  double mean_share = 0;   // mean over channels of the mean's share
};
ErrorSummary summarize(const ErrorSums& sums);

// The error of one layer's output at both measuring points.  `pre` is the output of the convolution / fully
// connected product plus bias; `post` is the layer's output after its fused activation and (for the quantized
// network) after rounding to the output's 8-bit grid.  Without a fused activation the two differ only by that
// rounding.
struct StageErrors {
  ErrorSums pre, post;
  bool empty() const { return pre.empty(); }
};

// The stages a layer's errors are measured at, in tare_error_stage's order (the C API's values).
enum class ErrorStage { kBefore = 0, kAfter = 1, kBft = 2, kUnequalized = 3 };
constexpr int kErrorStages = 4;
// CSV names: "before", "after", "bft", "unequalized".
const char* stage_name(ErrorStage s);

struct LayerDiagnostics {
  std::string name;   // the layer's output tensor (in the quantized graph)
  std::string op;     // "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"
  int op_index = -1;  // operator index in the quantized model
  int channels = 0;
  std::string activation;   // fused activation: "NONE", "RELU", "RELU6", "RELU_N1_TO_1"
  StageErrors before;       // the quantized model as given
  StageErrors after;        // after correction (empty if not measured)
  StageErrors bft;          // after bias fine-tuning (empty if not measured)
  StageErrors unequalized;  // with equalization: the original float model, quantized alone, against itself
  StageErrors& stage(ErrorStage s);
  const StageErrors& stage(ErrorStage s) const;
};

// A line of the report's settings or accuracy tables: a section ("settings", "accuracy", ...), a key and a value.
struct ReportNote {
  std::string section, key, value;
};

struct Diagnostics {
  std::string model;  // a label (file name)
  std::string batch;  // what was measured on, e.g. "8 IBC images" or "56 held-out images"
  uint32_t images = 0;
  std::vector<LayerDiagnostics> layers;
  std::vector<ReportNote> notes;  // in the order given; one table per section
};

// CSV: one row per layer, channel and measuring point:
//   layer,name,op,op_index,channel,point,stage,mas,mssr,rqnsr,mean_share,count
// (point: pre|post; stage: before|after|bft|unequalized; undefined ratios as empty fields).
std::string diagnostics_csv(const Diagnostics& d);
// CSV of the per-layer summaries: layer,name,op,point,stage,mas_rms,mas_abs_max,mssr_rms,rqnsr_rms,mean_share
std::string diagnostics_summary_csv(const Diagnostics& d);
// A self-contained HTML page (inline SVG and script, no external resources): the notes (settings, accuracy), the
// per-layer RMS over channels of MAS, MSSR and rQNSR and the mean's share of every measured stage side by side, for
// both measuring points (like the paper's Fig. 3), a per-channel MAS view of any layer (the paper's Fig. 2; drawn by
// the page's script from the embedded data) and a table of every layer.
std::string diagnostics_html(const Diagnostics& d);

}  // namespace tare::calib
