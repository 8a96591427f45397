// Quantization-error diagnostics: the per-channel ratios, their per-layer summaries and the report writers (CSV and
// a self-contained HTML page with inline SVG plots).  Every writer is deterministic: the same input gives the same
// bytes (numbers are formatted with std::to_chars, which does not depend on the locale).
#include "calib/diagnostics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>

namespace tare::calib {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double ChannelError::mssr() const {
  if (!(count > 0) || !(sum_x2 > 0)) return kNaN;
  return mean_e() / std::sqrt(sum_x2 / count);
}

double ChannelError::rqnsr() const {
  if (!(count > 0) || !(sum_x2 > 0)) return kNaN;
  return std::sqrt(std::max(sum_e2, 0.0) / sum_x2);
}

double ChannelError::mean_share() const {
  if (!(count > 0) || !(sum_e2 > 0)) return kNaN;
  const double m = mean_e();
  // E(e)^2 <= E(e^2) exactly; fp32 sums folded on the device may overshoot by a rounding error.
  return std::min(m * m / (sum_e2 / count), 1.0);
}

const char* stage_name(ErrorStage s) {
  static const char* const kNames[kErrorStages] = {"before", "after", "bft", "unequalized"};
  return kNames[int(s)];
}

StageErrors& LayerDiagnostics::stage(ErrorStage s) {
  return const_cast<StageErrors&>(static_cast<const LayerDiagnostics&>(*this).stage(s));
}

const StageErrors& LayerDiagnostics::stage(ErrorStage s) const {
  switch (s) {
    case ErrorStage::kBefore: return before;
    case ErrorStage::kAfter: return after;
    case ErrorStage::kBft: return bft;
    default: return unequalized;
  }
}

// A metric no channel defines (all channels NaN, e.g. a float output that is zero everywhere) is NaN; an empty
// ErrorSums gives all zeros.  Channels without values (count 0) have no MAS and are skipped as well.
ErrorSummary summarize(const ErrorSums& sums) {
  ErrorSummary s;
  if (sums.empty()) return s;
  double mas2 = 0, mssr2 = 0, rq2 = 0, share = 0, mas_max = 0;
  size_t n_mas = 0, n_mssr = 0, n_rq = 0, n_share = 0;
  for (const ChannelError& c : sums) {
    const double mas = c.count > 0 ? c.mas() : kNaN;
    if (!std::isnan(mas)) {
      mas2 += mas * mas;
      mas_max = std::max(mas_max, std::fabs(mas));
      ++n_mas;
    }
    const double mssr = c.mssr();
    if (!std::isnan(mssr)) {
      mssr2 += mssr * mssr;
      ++n_mssr;
    }
    const double rq = c.rqnsr();
    if (!std::isnan(rq)) {
      rq2 += rq * rq;
      ++n_rq;
    }
    const double sh = c.mean_share();
    if (!std::isnan(sh)) {
      share += sh;
      ++n_share;
    }
  }
  s.mas_rms = n_mas ? std::sqrt(mas2 / double(n_mas)) : kNaN;
  s.mas_abs_max = n_mas ? mas_max : kNaN;
  s.mssr_rms = n_mssr ? std::sqrt(mssr2 / double(n_mssr)) : kNaN;
  s.rqnsr_rms = n_rq ? std::sqrt(rq2 / double(n_rq)) : kNaN;
  s.mean_share = n_share ? share / double(n_share) : kNaN;
  return s;
}

namespace {

// ---- formatting ------------------------------------------------------------------------------------------------

// %.{prec}g in the "C" locale; NaN as an empty string.
std::string fmt_g(double v, int prec = 9) {
  if (std::isnan(v)) return {};
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, prec);
  return std::string(buf, r.ptr);
}

// Fixed-point with `decimals` digits (SVG coordinates).
std::string fmt_f(double v, int decimals = 1) {
  if (!std::isfinite(v)) v = 0;
  if (v == 0) v = 0;  // no "-0.0"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string s(buf, r.ptr);
  if (s == "-0.0" || s == "-0") s.erase(0, 1);
  return s;
}

// A count: an integer when it is one.
std::string fmt_count(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return fmt_f(v, 0);
  return fmt_g(v, 17);
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in HTML text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// ---- CSV -------------------------------------------------------------------------------------------------------

struct PointRef {
  const char* point;
  const char* stage;
  const ErrorSums* sums;
};

// The measuring points of a layer in report order: pre then post, each in stage order (before, after, bft,
// unequalized); the stages not measured are left out.
std::vector<PointRef> layer_points(const LayerDiagnostics& l) {
  std::vector<PointRef> v;
  for (bool pre : {true, false})
    for (int st = 0; st < kErrorStages; ++st) {
      const StageErrors& se = l.stage(ErrorStage(st));
      if (!se.empty()) v.push_back({pre ? "pre" : "post", stage_name(ErrorStage(st)), pre ? &se.pre : &se.post});
    }
  return v;
}

}  // namespace

std::string diagnostics_csv(const Diagnostics& d) {
  std::string out = "layer,name,op,op_index,channel,point,stage,mas,mssr,rqnsr,mean_share,count\n";
  for (size_t li = 0; li < d.layers.size(); ++li) {
    const LayerDiagnostics& l = d.layers[li];
    const std::string prefix = std::to_string(li) + "," + csv_field(l.name) + "," + csv_field(l.op) + "," +
                               std::to_string(l.op_index) + ",";
    for (const PointRef& p : layer_points(l)) {
      for (size_t c = 0; c < p.sums->size(); ++c) {
        const ChannelError& e = (*p.sums)[c];
        out += prefix;
        out += std::to_string(c);
        out += ',';
        out += p.point;
        out += ',';
        out += p.stage;
        out += ',';
        out += e.count > 0 ? fmt_g(e.mas()) : std::string();
        out += ',';
        out += fmt_g(e.mssr());
        out += ',';
        out += fmt_g(e.rqnsr());
        out += ',';
        out += fmt_g(e.mean_share());
        out += ',';
        out += fmt_count(e.count);
        out += '\n';
      }
    }
  }
  return out;
}

std::string diagnostics_summary_csv(const Diagnostics& d) {
  std::string out = "layer,name,op,point,stage,mas_rms,mas_abs_max,mssr_rms,rqnsr_rms,mean_share\n";
  for (size_t li = 0; li < d.layers.size(); ++li) {
    const LayerDiagnostics& l = d.layers[li];
    for (const PointRef& p : layer_points(l)) {
      const ErrorSummary s = summarize(*p.sums);
      out += std::to_string(li) + "," + csv_field(l.name) + "," + csv_field(l.op) + "," + p.point + "," + p.stage;
      for (double v : {s.mas_rms, s.mas_abs_max, s.mssr_rms, s.rqnsr_rms, s.mean_share}) {
        out += ',';
        out += fmt_g(v);
      }
      out += '\n';
    }
  }
  return out;
}

// ---- HTML ------------------------------------------------------------------------------------------------------

namespace {

enum Metric { kMas = 0, kMssr, kRqnsr, kShare, kMetricCount };
enum Point { kPre = 0, kPost, kPointCount };

const char* const kMetricTitle[kMetricCount] = {"MAS (mean activation shift)", "MSSR (mean-shift-to-signal ratio)",
                                                "rQNSR (root noise-to-signal ratio)", "Mean's share of error energy"};
const char* const kMetricAxis[kMetricCount] = {"RMS of |MAS| over channels", "RMS of |MSSR| over channels",
                                               "RMS of rQNSR over channels",
                                               "mean over channels of E(e)\u00b2/E(e\u00b2)"};
const char* const kPointName[kPointCount] = {"pre", "post"};

double metric_of(const ErrorSummary& s, Metric m) {
  switch (m) {
    case kMas: return s.mas_rms;
    case kMssr: return s.mssr_rms;
    case kRqnsr: return s.rqnsr_rms;
    default: return s.mean_share;
  }
}

// A stage as the page shows it: its label, in pipeline order (unequalized, before, after, bft).
struct ShownStage {
  ErrorStage stage;
  std::string label;  // "basic", "equalized", "IBC", "BFT"
  std::string cls;    // CSS class: s0..s3 by ErrorStage
};

std::vector<ShownStage> shown_stages(const Diagnostics& d) {
  bool has[kErrorStages] = {};
  for (const LayerDiagnostics& l : d.layers)
    for (int st = 0; st < kErrorStages; ++st) has[st] = has[st] || !l.stage(ErrorStage(st)).empty();
  const bool equalized = has[int(ErrorStage::kUnequalized)];
  std::vector<ShownStage> v;
  auto add = [&](ErrorStage st, const char* label) {
    if (has[int(st)]) v.push_back({st, label, "s" + std::to_string(int(st))});
  };
  add(ErrorStage::kUnequalized, "basic");
  add(ErrorStage::kBefore, equalized ? "equalized" : "basic");
  add(ErrorStage::kAfter, "IBC");
  add(ErrorStage::kBft, "BFT");
  if (v.empty()) v.push_back({ErrorStage::kBefore, "basic", "s0"});  // no layers: an empty plot still has a legend
  return v;
}

// Summaries of every layer, point and stage (nullopt where not measured), indexed [layer][point][ErrorStage].
struct LayerSummaries {
  std::optional<ErrorSummary> s[kPointCount][kErrorStages];
};

const ErrorSums& sums_of(const LayerDiagnostics& l, Point p, ErrorStage st) {
  const StageErrors& se = l.stage(st);
  return p == kPre ? se.pre : se.post;
}

// Plot geometry (SVG user units).
constexpr double kW = 520, kH = 314;
constexpr double kLeft = 66, kRight = 12, kTop = 44, kBottom = 44;
constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
constexpr int kMaxDecades = 10;

struct YScale {
  bool log = false;
  double lo = 0, hi = 1;  // log: decades (exponents); linear: values
  double y(double v) const {
    double t;
    if (log) {
      t = (std::log10(v) - lo) / (hi - lo);
    } else {
      t = (v - lo) / (hi - lo);
    }
    t = std::clamp(t, 0.0, 1.0);  // values below the lowest decade sit on the axis
    return kTop + kPlotH * (1.0 - t);
  }
};

std::string decade_label(int e) {
  switch (e) {
    case -2: return "0.01";
    case -1: return "0.1";
    case 0: return "1";
    case 1: return "10";
    case 2: return "100";
    default: return "1e" + std::to_string(e);
  }
}

bool usable(double v, bool log) { return std::isfinite(v) && (log ? v > 0 : true); }

void svg_text(std::string& o, double x, double y, const char* anchor, const std::string& escaped,
              const char* cls = "") {
  o += "<text x=\"" + fmt_f(x) + "\" y=\"" + fmt_f(y) + "\" text-anchor=\"" + anchor + "\"";
  if (*cls) o += std::string(" class=\"") + cls + "\"";
  o += ">" + escaped + "</text>\n";
}

void svg_line(std::string& o, double x1, double y1, double x2, double y2, const std::string& cls) {
  o += "<line x1=\"" + fmt_f(x1) + "\" y1=\"" + fmt_f(y1) + "\" x2=\"" + fmt_f(x2) + "\" y2=\"" + fmt_f(y2) +
       "\" class=\"" + cls + "\"/>\n";
}

// A marker of its own shape per stage (circle, square, triangle, diamond: readable without colour); the tooltip
// names the layer and the value.
void svg_marker(std::string& o, const ShownStage& st, double x, double y, const std::string& tip) {
  const std::string cx = fmt_f(x), cy = fmt_f(y);
  std::string open, close;
  switch (st.stage) {
    case ErrorStage::kBefore:
      open = "<circle cx=\"" + cx + "\" cy=\"" + cy + "\" r=\"2.6\"";
      close = "</circle>";
      break;
    case ErrorStage::kAfter:
      open = "<rect x=\"" + fmt_f(x - 2.4) + "\" y=\"" + fmt_f(y - 2.4) + "\" width=\"4.8\" height=\"4.8\"";
      close = "</rect>";
      break;
    case ErrorStage::kBft:
      open = "<path d=\"M" + fmt_f(x) + " " + fmt_f(y - 3.2) + "L" + fmt_f(x + 3) + " " + fmt_f(y + 2.2) + "L" +
             fmt_f(x - 3) + " " + fmt_f(y + 2.2) + "Z\"";
      close = "</path>";
      break;
    default:
      open = "<path d=\"M" + fmt_f(x) + " " + fmt_f(y - 3.2) + "L" + fmt_f(x + 3.2) + " " + cy + "L" + fmt_f(x) + " " +
             fmt_f(y + 3.2) + "L" + fmt_f(x - 3.2) + " " + cy + "Z\"";
      close = "</path>";
  }
  o += open + " class=\"m " + st.cls + "\"><title>" + tip + "</title>" + close + "\n";
}

std::string plot_svg(const Diagnostics& d, const std::vector<LayerSummaries>& sum,
                     const std::vector<ShownStage>& stages, Point p, Metric m) {
  const size_t n = d.layers.size();
  const bool log = m != kShare;
  auto value = [&](size_t i, const ShownStage& st) {
    const auto& s = sum[i].s[p][int(st.stage)];
    return s ? metric_of(*s, m) : kNaN;
  };

  // y range
  YScale ys;
  ys.log = log;
  double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
  for (size_t i = 0; i < n; ++i)
    for (const ShownStage& st : stages) {
      const double v = value(i, st);
      if (!usable(v, log)) continue;
      vmin = std::min(vmin, v);
      vmax = std::max(vmax, v);
    }
  const bool any = vmin <= vmax;
  if (log) {
    if (any) {
      ys.hi = std::ceil(std::log10(vmax) - 1e-9);
      ys.lo = std::floor(std::log10(vmin) + 1e-9);
      if (ys.hi <= ys.lo) ys.hi = ys.lo + 1;
      ys.lo = std::max(ys.lo, ys.hi - kMaxDecades);
    } else {
      ys.lo = -3;
      ys.hi = 0;
    }
  } else {
    ys.lo = 0;
    ys.hi = 1;
  }

  auto xpos = [&](size_t i) { return kLeft + kPlotW * (double(i) + 0.5) / double(std::max<size_t>(n, 1)); };

  std::string o;
  o += "<svg class=\"plot\" width=\"" + fmt_f(kW, 0) + "\" height=\"" + fmt_f(kH, 0) + "\" viewBox=\"0 0 " +
       fmt_f(kW, 0) + " " + fmt_f(kH, 0) + "\" role=\"img\" data-point=\"" + kPointName[p] + "\">\n";
  const std::string title = html_escape(kMetricTitle[m]);
  o += "<title>" + title + "</title>\n";
  svg_text(o, 8, 18, "start", title, "ttl");

  // grid and y ticks
  if (log) {
    const int lo = int(ys.lo), hi = int(ys.hi);
    const int step = (hi - lo + 5) / 6;  // at most ~6 labelled decades
    for (int e = lo; e <= hi; ++e) {
      const double y = ys.y(std::pow(10.0, e));
      svg_line(o, kLeft, y, kLeft + kPlotW, y, "grid");
      if ((e - lo) % step == 0 || e == hi) svg_text(o, kLeft - 5, y + 4, "end", decade_label(e), "tick");
      if (hi - lo <= 4 && e < hi)
        for (int k = 2; k <= 9; ++k) {
          const double ym = ys.y(k * std::pow(10.0, e));
          svg_line(o, kLeft - 3, ym, kLeft, ym, "axis");
        }
    }
  } else {
    for (int k = 0; k <= 5; ++k) {
      const double v = 0.2 * k;
      const double y = ys.y(v);
      svg_line(o, kLeft, y, kLeft + kPlotW, y, "grid");
      svg_text(o, kLeft - 5, y + 4, "end", fmt_f(v, 1), "tick");
    }
  }
  // x ticks: a 1-2-5 step giving at most ~12 labels
  size_t xstep = 1;
  for (size_t base = 1; n / xstep > 12; base *= 10) {
    for (size_t f : {1, 2, 5}) {
      xstep = base * f;
      if (n / xstep <= 12) break;
    }
  }
  for (size_t i = 0; i < n; i += xstep) {
    const double x = xpos(i);
    svg_line(o, x, kTop + kPlotH, x, kTop + kPlotH + 4, "axis");
    svg_text(o, x, kTop + kPlotH + 16, "middle", std::to_string(i), "tick");
  }
  // axes
  svg_line(o, kLeft, kTop, kLeft, kTop + kPlotH, "axis");
  svg_line(o, kLeft, kTop + kPlotH, kLeft + kPlotW, kTop + kPlotH, "axis");
  svg_text(o, kLeft + kPlotW / 2, kH - 8, "middle", "layer index", "lbl");
  o += "<text transform=\"translate(14 " + fmt_f(kTop + kPlotH / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" class=\"lbl\">" + html_escape(kMetricAxis[m]) + (log ? " (log)" : "") +
       "</text>\n";

  if (!any) {
    svg_text(o, kLeft + kPlotW / 2, kTop + kPlotH / 2, "middle", "no data", "lbl");
  } else {
    for (const ShownStage& st : stages) {
      // lines: one polyline per run of consecutive usable points
      std::string pts;
      size_t run = 0;
      auto flush = [&]() {
        if (run >= 2) o += "<polyline points=\"" + pts + "\" class=\"" + st.cls + "\"/>\n";
        pts.clear();
        run = 0;
      };
      for (size_t i = 0; i < n; ++i) {
        const double v = value(i, st);
        if (!usable(v, log)) {
          flush();
          continue;
        }
        if (run) pts += ' ';
        pts += fmt_f(xpos(i)) + "," + fmt_f(ys.y(v));
        ++run;
      }
      flush();
      for (size_t i = 0; i < n; ++i) {
        const double v = value(i, st);
        if (!usable(v, log)) continue;
        const std::string tip = std::to_string(i) + " " + html_escape(d.layers[i].name) + " (" + st.label +
                                "): " + fmt_g(v, 4);
        svg_marker(o, st, xpos(i), ys.y(v), tip);
      }
    }
  }
  // legend: a row under the title, above the plot area
  double lx = kLeft;
  for (const ShownStage& st : stages) {
    svg_line(o, lx, 31, lx + 20, 31, st.cls);
    svg_marker(o, st, lx + 10, 31, st.label);
    svg_text(o, lx + 24, 35, "start", st.label, "tick");
    lx += 84;
  }
  o += "</svg>\n";
  return o;
}

std::string cell(const std::optional<ErrorSummary>& s, double ErrorSummary::*field, int prec) {
  if (!s) return "<td></td>";
  const std::string v = fmt_g((*s).*field, prec);
  return "<td>" + (v.empty() ? std::string("&ndash;") : v) + "</td>";
}

// A JSON string inside a <script> element: '<' escaped too, so that no "</script" can end the element.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The per-channel MAS of every layer, point and shown stage (null where undefined or not measured):
// {"stages":[{"label","cls"}...],"layers":[{"name","op","channels","mas":[[pre per stage],[post per stage]]}]}.
std::string channel_data_json(const Diagnostics& d, const std::vector<ShownStage>& stages) {
  std::string o = "{\"stages\":[";
  for (size_t k = 0; k < stages.size(); ++k)
    o += std::string(k ? "," : "") + "{\"label\":" + json_string(stages[k].label) + ",\"cls\":\"" + stages[k].cls +
         "\"}";
  o += "],\"layers\":[";
  for (size_t li = 0; li < d.layers.size(); ++li) {
    const LayerDiagnostics& l = d.layers[li];
    o += std::string(li ? ",\n" : "\n") + "{\"name\":" + json_string(l.name) + ",\"op\":" + json_string(l.op) +
         ",\"channels\":" + std::to_string(l.channels) + ",\"mas\":[";
    for (int p = 0; p < kPointCount; ++p) {
      o += p ? ",[" : "[";
      for (size_t k = 0; k < stages.size(); ++k) {
        const ErrorSums& e = sums_of(l, Point(p), stages[k].stage);
        if (k) o += ',';
        if (e.empty()) {
          o += "null";
          continue;
        }
        o += '[';
        for (size_t c = 0; c < e.size(); ++c) {
          const std::string v = e[c].count > 0 ? fmt_g(e[c].mas(), 5) : std::string();
          o += (c ? "," : "") + (v.empty() || v == "inf" || v == "-inf" ? std::string("null") : v);
        }
        o += ']';
      }
      o += ']';
    }
    o += "]}";
  }
  return o + "]}";
}

// Draws the per-channel view (the paper's Fig. 2) of the layer chosen in #layer at the point chosen in #point:
// x the channel, y its mean activation shift, one marker series per stage.  "#layer=N" in the URL picks layer N.
constexpr const char* kChannelScript = R"JS(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("channel-data").textContent);
  var layerSel = document.getElementById("layer"), pointSel = document.getElementById("point");
  var box = document.getElementById("channel-plot"), NS = "http://www.w3.org/2000/svg";
  var W = 1060, H = 350, L = 70, R = 14, T = 44, B = 46, PW = W - L - R, PH = H - T - B;
  var SHAPES = {s0: "circle", s1: "square", s2: "triangle", s3: "diamond"};
  data.layers.forEach(function (l, i) {
    var o = document.createElement("option");
    o.value = String(i);
    o.textContent = i + ": " + l.name + " (" + l.op + ", " + l.channels + " ch)";
    layerSel.appendChild(o);
  });
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function nice(span) {  // a 1-2-5 tick step giving about 6 ticks
    var raw = span / 6, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return p * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
  }
  function fmt(v) { return Math.abs(v) < 1e-12 ? "0" : Number(v.toPrecision(3)).toString(); }
  function marker(shape, x, y, cls) {
    if (shape === "circle") return el("circle", {cx: x, cy: y, r: 2.6, "class": "m pt " + cls});
    if (shape === "square") return el("rect", {x: x - 2.4, y: y - 2.4, width: 4.8, height: 4.8, "class": "m pt " + cls});
    var d = shape === "triangle" ? "M" + x + " " + (y - 3.2) + "L" + (x + 3) + " " + (y + 2.2) + "L" + (x - 3) + " " + (y + 2.2) + "Z"
                                 : "M" + x + " " + (y - 3.2) + "L" + (x + 3.2) + " " + y + "L" + x + " " + (y + 3.2) + "L" + (x - 3.2) + " " + y + "Z";
    return el("path", {d: d, "class": "m pt " + cls});
  }
  function draw() {
    var li = Number(layerSel.value), point = Number(pointSel.value), layer = data.layers[li];
    if (!layer) return;
    var series = layer.mas[point], n = layer.channels, lo = 0, hi = 0;
    series.forEach(function (s) { if (s) s.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (hi - lo <= 0) { lo = -1; hi = 1; }
    var step = nice(hi - lo);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    var xs = function (c) { return L + PW * (c + 0.5) / Math.max(n, 1); };
    var ys = function (v) { return T + PH * (hi - v) / (hi - lo); };
    var svg = el("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "plot", id: "channel-svg",
                         "data-layer": li, "data-channels": n});
    svg.appendChild(el("text", {x: 8, y: 18, "class": "ttl"}, "Per-channel MAS of layer " + li + " " + layer.name + " (" +
                       (point ? "post" : "pre") + "-activation)"));
    for (var v = lo; v <= hi + step / 2; v += step) {
      svg.appendChild(el("line", {x1: L, x2: L + PW, y1: ys(v), y2: ys(v), "class": Math.abs(v) < step / 2 ? "axis" : "grid"}));
      svg.appendChild(el("text", {x: L - 5, y: ys(v) + 4, "text-anchor": "end", "class": "tick"}, fmt(v)));
    }
    var xstep = Math.max(1, nice(n));
    for (var c = 0; c < n; c += xstep) {
      svg.appendChild(el("line", {x1: xs(c), x2: xs(c), y1: T + PH, y2: T + PH + 4, "class": "axis"}));
      svg.appendChild(el("text", {x: xs(c), y: T + PH + 16, "text-anchor": "middle", "class": "tick"}, String(c)));
    }
    svg.appendChild(el("line", {x1: L, x2: L, y1: T, y2: T + PH, "class": "axis"}));
    svg.appendChild(el("line", {x1: L, x2: L + PW, y1: T + PH, y2: T + PH, "class": "axis"}));
    svg.appendChild(el("text", {x: L + PW / 2, y: H - 8, "text-anchor": "middle", "class": "lbl"}, "output channel"));
    svg.appendChild(el("text", {transform: "translate(14 " + (T + PH / 2) + ") rotate(-90)", "text-anchor": "middle",
                                "class": "lbl"}, "mean activation shift E(e)"));
    var lx = L;
    data.stages.forEach(function (st, k) {
      var s = series[k];
      if (!s) return;
      s.forEach(function (v, c) {
        if (v === null) return;
        var m = marker(SHAPES[st.cls], xs(c), ys(Math.min(Math.max(v, lo), hi)), st.cls);
        m.setAttribute("data-stage", st.label);
        m.appendChild(el("title", {}, "channel " + c + " (" + st.label + "): " + v));
        svg.appendChild(m);
      });
      svg.appendChild(marker(SHAPES[st.cls], lx + 8, 31, st.cls + " key"));
      svg.appendChild(el("text", {x: lx + 16, y: 35, "class": "tick"}, st.label));
      lx += 90;
    });
    box.replaceChildren(svg);
  }
  layerSel.addEventListener("change", draw);
  pointSel.addEventListener("change", draw);
  document.querySelectorAll("tr[data-layer]").forEach(function (tr) {
    tr.addEventListener("click", function () {
      layerSel.value = tr.getAttribute("data-layer");
      draw();
      box.scrollIntoView();
    });
  });
  var m = /layer=(\d+)/.exec(location.hash);
  if (m && Number(m[1]) < data.layers.length) layerSel.value = m[1];
  draw();
})();
)JS";

// Stage colours, one per ErrorStage (s0 basic, s1 IBC, s2 BFT, s3 basic without equalization).
constexpr const char* kStageStyle =
    ".s0{stroke:#d62728;fill:#d62728}.s1{stroke:#1f77b4;fill:#1f77b4}.s2{stroke:#2ca02c;fill:#2ca02c}"
    ".s3{stroke:#7f7f7f;fill:#7f7f7f}\n"
    "polyline.s0,polyline.s1,polyline.s2,polyline.s3,line.s0,line.s1,line.s2,line.s3{fill:none;stroke-width:1.5}\n"
    ".m{stroke:none}.pt{opacity:.8}\n";

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = char(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

std::string diagnostics_html(const Diagnostics& d) {
  const size_t n = d.layers.size();
  const std::vector<ShownStage> stages = shown_stages(d);
  std::vector<LayerSummaries> sum(n);
  for (size_t i = 0; i < n; ++i)
    for (int p = 0; p < kPointCount; ++p)
      for (int st = 0; st < kErrorStages; ++st) {
        const ErrorSums& e = sums_of(d.layers[i], Point(p), ErrorStage(st));
        if (!e.empty()) sum[i].s[p][st] = summarize(e);
      }

  const std::string model = html_escape(d.model);
  // batch names what was measured ("8 IBC images"); the bare count stands in when it is not set.
  const std::string sub = html_escape(d.batch.empty() ? std::to_string(d.images) + " images" : d.batch);
  std::string o;
  o.reserve(256 * 1024);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<title>Quantization error: " + model + "</title>\n";
  o += "<style>\n"
       "body{font-family:sans-serif;margin:16px;color:#222}\n"
       "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}\n"
       "p.sub{margin:0 0 8px;color:#555}\n"
       ".grid2{display:flex;flex-wrap:wrap;gap:8px}\n"
       "svg.plot{border:1px solid #ddd;background:#fff}\n"
       "svg text{font-size:11px;fill:#222;stroke:none}svg text.ttl{font-size:13px;font-weight:bold}\n"
       "svg text.lbl{font-size:12px}\n"
       "line.grid{stroke:#e4e4e4;stroke-width:1}line.axis{stroke:#444;stroke-width:1}\n";
  o += kStageStyle;
  o += "table{border-collapse:collapse;font-size:12px;margin-top:6px}\n"
       "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
       "td.l,th.l{text-align:left}th{background:#f2f2f2}\n"
       ".notes{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\n"
       ".scroll{max-height:70vh;overflow:auto;display:inline-block}.scroll th{position:sticky;top:0}\n"
       "tr[data-layer]{cursor:pointer}tr[data-layer]:hover{background:#eef5ff}\n"
       "</style>\n</head>\n<body>\n";
  o += "<h1>Quantization error: " + model + "</h1>\n";
  o += "<p class=\"sub\">" + sub + "; " + std::to_string(n) + " layers; stages: ";
  for (size_t k = 0; k < stages.size(); ++k) o += (k ? ", " : "") + stages[k].label;
  o += ". e = x<sub>quant</sub> &minus; x<sub>float</sub> per output channel; each point of the per-layer plots is "
       "the RMS over the layer's channels (the mean's share: the mean over channels).</p>\n";

  // The notes (settings, accuracy, ...): one key/value table per section, side by side.
  std::vector<std::string> sections;
  for (const ReportNote& note : d.notes)
    if (std::find(sections.begin(), sections.end(), note.section) == sections.end()) sections.push_back(note.section);
  if (!sections.empty()) {
    o += "<div class=\"notes\">\n";
    for (const std::string& section : sections) {
      o += "<div><h2>" + html_escape(capitalized(section)) + "</h2>\n<table class=\"note\">\n";
      for (const ReportNote& note : d.notes)
        if (note.section == section)
          o += "<tr><th class=\"l\">" + html_escape(note.key) + "</th><td class=\"l\">" + html_escape(note.value) +
               "</td></tr>\n";
      o += "</table></div>\n";
    }
    o += "</div>\n";
  }

  // Every stage side by side: the mean over layers of each metric (post-activation).
  o += "<h2>Stages side by side (post-activation, mean over layers)</h2>\n<table id=\"stages\">\n<tr><th "
       "class=\"l\">metric</th>";
  for (const ShownStage& st : stages) o += "<th class=\"stage\" data-stage=\"" + st.label + "\">" + st.label + "</th>";
  o += "</tr>\n";
  for (int m = 0; m < kMetricCount; ++m) {
    o += "<tr><td class=\"l\">" + html_escape(kMetricAxis[m]) + "</td>";
    for (const ShownStage& st : stages) {
      double total = 0;
      size_t count = 0;
      for (size_t i = 0; i < n; ++i) {
        const auto& s = sum[i].s[kPost][int(st.stage)];
        const double v = s ? metric_of(*s, Metric(m)) : kNaN;
        if (std::isfinite(v)) {
          total += v;
          ++count;
        }
      }
      const std::string v = count ? fmt_g(total / double(count), 4) : std::string();
      o += "<td>" + (v.empty() ? std::string("&ndash;") : v) + "</td>";
    }
    o += "</tr>\n";
  }
  o += "</table>\n";

  const char* const point_heading[kPointCount] = {
      "Pre-activation (convolution / fully connected product plus bias)",
      "Post-activation (the layer's output: fused activation, rounded to the 8-bit grid)"};
  for (int p : {kPost, kPre}) {
    o += "<h2>" + html_escape(point_heading[p]) + "</h2>\n<div class=\"grid2\">\n";
    for (int m = 0; m < kMetricCount; ++m) o += plot_svg(d, sum, stages, Point(p), Metric(m));
    o += "</div>\n";
  }

  o += "<h2>Per-channel mean activation shift of one layer</h2>\n<p>layer <select id=\"layer\"></select> at "
       "<select id=\"point\"><option value=\"1\">post-activation</option><option value=\"0\">pre-activation"
       "</option></select> (or click a row of the table below)</p>\n<div id=\"channel-plot\"><noscript>The "
       "per-channel view needs JavaScript; errors.csv has its data.</noscript></div>\n";
  o += "<script type=\"application/json\" id=\"channel-data\">" + channel_data_json(d, stages) + "</script>\n";

  o += "<h2>Every layer (post-activation, RMS over channels)</h2>\n<div class=\"scroll\"><table id=\"layers\">\n"
       "<tr><th>#</th><th class=\"l\">name</th><th class=\"l\">op</th><th>channels</th><th class=\"l\">"
       "activation</th>";
  for (const char* what : {"MAS", "rQNSR", "share"})
    for (const ShownStage& st : stages) o += std::string("<th>") + what + " " + st.label + "</th>";
  o += "</tr>\n";
  for (size_t i = 0; i < n; ++i) {
    const LayerDiagnostics& l = d.layers[i];
    o += "<tr data-layer=\"" + std::to_string(i) + "\"><td>" + std::to_string(i) + "</td><td class=\"l\">" +
         html_escape(l.name) + "</td><td class=\"l\">" + html_escape(l.op) + "</td><td>" + std::to_string(l.channels) +
         "</td><td class=\"l\">" + html_escape(l.activation) + "</td>";
    for (const ShownStage& st : stages) o += cell(sum[i].s[kPost][int(st.stage)], &ErrorSummary::mas_rms, 4);
    for (const ShownStage& st : stages) o += cell(sum[i].s[kPost][int(st.stage)], &ErrorSummary::rqnsr_rms, 4);
    for (const ShownStage& st : stages) o += cell(sum[i].s[kPost][int(st.stage)], &ErrorSummary::mean_share, 3);
    o += "</tr>\n";
  }
  o += "</table></div>\n<script>" + std::string(kChannelScript) + "</script>\n</body>\n</html>\n";
  return o;
}

}  // namespace tare::calib
