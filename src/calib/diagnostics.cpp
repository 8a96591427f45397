// Quantization-error diagnostics: the per-channel ratios, their per-layer summaries and the report writers (CSV and
// a self-contained HTML page with inline SVG plots).  Every writer is deterministic: the same input gives the same
// bytes (numbers are formatted with std::to_chars, which does not depend on the locale).
#include "calib/diagnostics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
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

// The measuring points of a layer in report order: pre before, pre after, post before, post after (empty ones left
// out).
std::vector<PointRef> layer_points(const LayerDiagnostics& l) {
  std::vector<PointRef> v;
  const std::array<PointRef, 4> all = {PointRef{"pre", "before", &l.before.pre}, PointRef{"pre", "after", &l.after.pre},
                                       PointRef{"post", "before", &l.before.post},
                                       PointRef{"post", "after", &l.after.post}};
  for (const PointRef& p : all)
    if (!p.sums->empty()) v.push_back(p);
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
enum Stage { kBefore = 0, kAfter, kStageCount };

const char* const kMetricTitle[kMetricCount] = {"MAS (mean activation shift)", "MSSR (mean-shift-to-signal ratio)",
                                                "rQNSR (root noise-to-signal ratio)", "Mean's share of error energy"};
const char* const kMetricAxis[kMetricCount] = {"RMS of |MAS| over channels", "RMS of |MSSR| over channels",
                                               "RMS of rQNSR over channels",
                                               "mean over channels of E(e)\u00b2/E(e\u00b2)"};
const char* const kStageName[kStageCount] = {"before", "after"};

double metric_of(const ErrorSummary& s, Metric m) {
  switch (m) {
    case kMas: return s.mas_rms;
    case kMssr: return s.mssr_rms;
    case kRqnsr: return s.rqnsr_rms;
    default: return s.mean_share;
  }
}

// The summaries of every layer, point and stage (nullopt where not measured).
struct LayerSummaries {
  std::optional<ErrorSummary> s[kPointCount][kStageCount];
};

const ErrorSums& sums_of(const LayerDiagnostics& l, Point p, Stage st) {
  const StageErrors& se = st == kBefore ? l.before : l.after;
  return p == kPre ? se.pre : se.post;
}

// Plot geometry (SVG user units).
constexpr double kW = 520, kH = 300;
constexpr double kLeft = 66, kRight = 12, kTop = 30, kBottom = 44;
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

void svg_line(std::string& o, double x1, double y1, double x2, double y2, const char* cls) {
  o += "<line x1=\"" + fmt_f(x1) + "\" y1=\"" + fmt_f(y1) + "\" x2=\"" + fmt_f(x2) + "\" y2=\"" + fmt_f(y2) +
       "\" class=\"" + cls + "\"/>\n";
}

// A marker: a circle for "before", a square for "after"; the tooltip names the layer and the value.
void svg_marker(std::string& o, Stage st, double x, double y, const std::string& tip) {
  if (st == kBefore) {
    o += "<circle cx=\"" + fmt_f(x) + "\" cy=\"" + fmt_f(y) + "\" r=\"2.6\" class=\"before\">";
  } else {
    o += "<rect x=\"" + fmt_f(x - 2.4) + "\" y=\"" + fmt_f(y - 2.4) +
         "\" width=\"4.8\" height=\"4.8\" class=\"after\">";
  }
  o += "<title>" + tip + "</title>";
  o += st == kBefore ? "</circle>\n" : "</rect>\n";
}

std::string plot_svg(const Diagnostics& d, const std::vector<LayerSummaries>& sum, Point p, Metric m, bool has_after) {
  const size_t n = d.layers.size();
  const bool log = m != kShare;
  const int n_stages = has_after ? 2 : 1;

  // y range
  YScale ys;
  ys.log = log;
  double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
  for (size_t i = 0; i < n; ++i)
    for (int st = 0; st < n_stages; ++st)
      if (sum[i].s[p][st]) {
        const double v = metric_of(*sum[i].s[p][st], m);
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
       fmt_f(kW, 0) + " " + fmt_f(kH, 0) + "\" role=\"img\">\n";
  const std::string title = html_escape(kMetricTitle[m]);
  o += "<title>" + title + "</title>\n";
  svg_text(o, kLeft - 40, 18, "start", title, "ttl");

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
    for (int st = 0; st < n_stages; ++st) {
      // lines: one polyline per run of consecutive usable points
      std::string pts;
      size_t run = 0;
      auto flush = [&]() {
        if (run >= 2) o += "<polyline points=\"" + pts + "\" class=\"" + kStageName[st] + "\"/>\n";
        pts.clear();
        run = 0;
      };
      for (size_t i = 0; i < n; ++i) {
        const auto& s = sum[i].s[p][st];
        const double v = s ? metric_of(*s, m) : kNaN;
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
        const auto& s = sum[i].s[p][st];
        const double v = s ? metric_of(*s, m) : kNaN;
        if (!usable(v, log)) continue;
        const std::string tip = std::to_string(i) + " " + html_escape(d.layers[i].name) + " (" + kStageName[st] +
                                "): " + fmt_g(v, 4);
        svg_marker(o, Stage(st), xpos(i), ys.y(v), tip);
      }
    }
  }
  // legend: top right, above the plot area
  double lx = kLeft + kPlotW - 68.0 * n_stages;
  for (int st = 0; st < n_stages; ++st) {
    svg_line(o, lx, 14, lx + 22, 14, kStageName[st]);
    svg_marker(o, Stage(st), lx + 11, 14, kStageName[st]);
    svg_text(o, lx + 27, 18, "start", kStageName[st], "tick");
    lx += 68;
  }
  o += "</svg>\n";
  return o;
}

std::string cell(const std::optional<ErrorSummary>& s, double ErrorSummary::*field, int prec) {
  if (!s) return "<td></td>";
  const std::string v = fmt_g((*s).*field, prec);
  return "<td>" + (v.empty() ? std::string("&ndash;") : v) + "</td>";
}

}  // namespace

std::string diagnostics_html(const Diagnostics& d) {
  const size_t n = d.layers.size();
  std::vector<LayerSummaries> sum(n);
  bool has_after = false;
  for (size_t i = 0; i < n; ++i)
    for (int p = 0; p < kPointCount; ++p)
      for (int st = 0; st < kStageCount; ++st) {
        const ErrorSums& e = sums_of(d.layers[i], Point(p), Stage(st));
        if (e.empty()) continue;
        sum[i].s[p][st] = summarize(e);
        if (st == kAfter) has_after = true;
      }

  const std::string model = html_escape(d.model);
  const std::string sub = html_escape(d.batch) + ", " + std::to_string(d.images) + " images";
  std::string o;
  o.reserve(64 * 1024);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<title>Quantization error: " + model + "</title>\n";
  o += "<style>\n"
       "body{font-family:sans-serif;margin:16px;color:#222}\n"
       "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}\n"
       "p.sub{margin:0 0 8px;color:#555}\n"
       ".grid2{display:flex;flex-wrap:wrap;gap:8px}\n"
       "svg.plot{border:1px solid #ddd;background:#fff}\n"
       "svg text{font-size:11px;fill:#222}svg text.ttl{font-size:13px;font-weight:bold}\n"
       "svg text.lbl{font-size:12px}\n"
       "line.grid{stroke:#e4e4e4;stroke-width:1}line.axis{stroke:#444;stroke-width:1}\n"
       "polyline.before,line.before{fill:none;stroke:#d62728;stroke-width:1.5}\n"
       "circle.before{fill:#d62728;stroke:none}\n";
  if (has_after)
    o += "polyline.after,line.after{fill:none;stroke:#1f77b4;stroke-width:1.5}\n"
         "rect.after{fill:#1f77b4;stroke:none}\n";
  o += "table{border-collapse:collapse;font-size:12px;margin-top:6px}\n"
       "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
       "td.l,th.l{text-align:left}th{background:#f2f2f2}\n"
       "</style>\n</head>\n<body>\n";
  o += "<h1>Quantization error: " + model + "</h1>\n";
  o += "<p class=\"sub\">" + sub + "; " + std::to_string(n) + " layers. e = x<sub>quant</sub> &minus; " +
       "x<sub>float</sub> per output channel; each point is the RMS over the layer's channels (the mean's share: " +
       "the mean over channels).</p>\n";

  const char* const point_heading[kPointCount] = {
      "Pre-activation (convolution / fully connected product plus bias)",
      "Post-activation (the layer's output: fused activation, rounded to the 8-bit grid)"};
  for (int p : {kPost, kPre}) {
    o += "<h2>" + html_escape(point_heading[p]) + "</h2>\n<div class=\"grid2\">\n";
    for (int m = 0; m < kMetricCount; ++m) o += plot_svg(d, sum, Point(p), Metric(m), has_after);
    o += "</div>\n";
  }

  o += "<h2>Per-layer summary (post-activation)</h2>\n<table>\n<tr><th>#</th><th class=\"l\">name</th>"
       "<th class=\"l\">op</th><th>channels</th><th class=\"l\">activation</th>";
  if (has_after) {
    o += "<th>MAS RMS before</th><th>MAS RMS after</th><th>rQNSR RMS before</th><th>rQNSR RMS after</th>"
         "<th>share before</th><th>share after</th></tr>\n";
  } else {
    o += "<th>MAS RMS</th><th>rQNSR RMS</th><th>share</th></tr>\n";
  }
  for (size_t i = 0; i < n; ++i) {
    const LayerDiagnostics& l = d.layers[i];
    const auto& b = sum[i].s[kPost][kBefore];
    const auto& a = sum[i].s[kPost][kAfter];
    o += "<tr><td>" + std::to_string(i) + "</td><td class=\"l\">" + html_escape(l.name) + "</td><td class=\"l\">" +
         html_escape(l.op) + "</td><td>" + std::to_string(l.channels) + "</td><td class=\"l\">" +
         html_escape(l.activation) + "</td>";
    o += cell(b, &ErrorSummary::mas_rms, 4);
    if (has_after) o += cell(a, &ErrorSummary::mas_rms, 4);
    o += cell(b, &ErrorSummary::rqnsr_rms, 4);
    if (has_after) o += cell(a, &ErrorSummary::rqnsr_rms, 4);
    o += cell(b, &ErrorSummary::mean_share, 3);
    if (has_after) o += cell(a, &ErrorSummary::mean_share, 3);
    o += "</tr>\n";
  }
  o += "</table>\n</body>\n</html>\n";
  return o;
}

}  // namespace tare::calib
