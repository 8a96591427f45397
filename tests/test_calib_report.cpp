// The quantization-error diagnostics: per-channel ratios against hand-computed values, the per-layer summaries, and
// the CSV / HTML report writers.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "calib/diagnostics.h"
#include "test_util.h"

using namespace tare::calib;

namespace {

// A channel from explicit e and x values.
ChannelError channel(const std::vector<double>& e, const std::vector<double>& x) {
  ChannelError c;
  for (size_t i = 0; i < e.size(); ++i) {
    c.sum_e += e[i];
    c.sum_e2 += e[i] * e[i];
    c.sum_x += x[i];
    c.sum_x2 += x[i] * x[i];
    c.count += 1;
  }
  return c;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

// CSV fields of one line (double-quoted fields with "" escapes).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> f(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        f.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        f.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      f.emplace_back();
    } else {
      f.back() += c;
    }
  }
  return f;
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Two layers: layer 0 with 2 channels at both points, layer 1 with 3 channels; `after` optionally on layer 0 only.
Diagnostics sample(bool with_after) {
  Diagnostics d;
  d.model = "mobilenet_test.tflite";
  d.batch = "8 IBC images";
  d.images = 8;
  LayerDiagnostics a;
  a.name = "conv, first";
  a.op = "CONV_2D";
  a.op_index = 0;
  a.channels = 2;
  a.activation = "RELU6";
  a.before.pre = {channel({1, 3}, {2, 2}), channel({-1, -1}, {1, 1})};
  a.before.post = {channel({1, 3}, {2, 2}), channel({0.5, 0.5}, {3, 4})};
  if (with_after) {
    a.after.pre = {channel({0.1, -0.1}, {2, 2}), channel({0.01, 0.0}, {1, 1})};
    a.after.post = {channel({0.2, -0.1}, {2, 2}), channel({0.0, 0.02}, {3, 4})};
  }
  LayerDiagnostics b;
  b.name = "a<b&c";
  b.op = "DEPTHWISE_CONV_2D";
  b.op_index = 3;
  b.channels = 3;
  b.activation = "NONE";
  b.before.pre = {channel({0.5, 0.5}, {1, -1}), channel({0.25, -0.25}, {2, 0}), channel({0, 0}, {0, 0})};
  b.before.post = b.before.pre;
  d.layers = {a, b};
  return d;
}

}  // namespace

TEST_SUITE("calib") {
  TEST_CASE("diagnostics: per-channel ratios, hand-computed") {
    // e = {1, 3}, x = {2, 2}: E(e) = 2, E(e^2) = 5, E(x^2) = 4.
    const ChannelError c = channel({1, 3}, {2, 2});
    CHECK(c.mas() == doctest::Approx(2.0));
    CHECK(c.mssr() == doctest::Approx(1.0));               // 2 / sqrt(4)
    CHECK(c.rqnsr() == doctest::Approx(std::sqrt(1.25)));  // sqrt(5 / 4)
    CHECK(c.mean_share() == doctest::Approx(0.8));         // 4 / 5

    // e = {-1, 1, -2, 2}, x = {1, 1, 1, 1}: mean 0, E(e^2) = 2.5, E(x^2) = 1.
    const ChannelError z = channel({-1, 1, -2, 2}, {1, 1, 1, 1});
    CHECK(z.mas() == doctest::Approx(0.0));
    CHECK(z.mssr() == doctest::Approx(0.0));
    CHECK(z.rqnsr() == doctest::Approx(std::sqrt(2.5)));
    CHECK(z.mean_share() == doctest::Approx(0.0));

    // Negative shift: e = {-0.5, -0.5}, x = {3, 4}: MSSR = -0.5 / sqrt(12.5).
    const ChannelError n = channel({-0.5, -0.5}, {3, 4});
    CHECK(n.mssr() == doctest::Approx(-0.5 / std::sqrt(12.5)));
    CHECK(n.mean_share() == doctest::Approx(1.0));

    // add() folds sums: {1,3}/{2,2} + {-1,1,-2,2}/{1,1,1,1}: E(e) = 4/6, E(e^2) = 20/6, E(x^2) = 12/6.
    ChannelError s = c;
    s.add(z);
    CHECK(s.count == 6);
    CHECK(s.mas() == doctest::Approx(4.0 / 6));
    CHECK(s.rqnsr() == doctest::Approx(std::sqrt(20.0 / 12)));
    CHECK(s.mean_share() == doctest::Approx((16.0 / 36) / (20.0 / 6)));
  }

  TEST_CASE("diagnostics: undefined ratios are NaN") {
    const ChannelError zero_x = channel({1, 1}, {0, 0});  // E(x^2) = 0
    CHECK(zero_x.mas() == doctest::Approx(1.0));
    CHECK(std::isnan(zero_x.mssr()));
    CHECK(std::isnan(zero_x.rqnsr()));
    CHECK(zero_x.mean_share() == doctest::Approx(1.0));

    const ChannelError zero_e = channel({0, 0}, {1, 2});  // E(e^2) = 0
    CHECK(zero_e.mssr() == 0.0);
    CHECK(zero_e.rqnsr() == 0.0);
    CHECK(std::isnan(zero_e.mean_share()));

    const ChannelError empty;  // no values at all
    CHECK(empty.mas() == 0.0);
    CHECK(std::isnan(empty.mssr()));
    CHECK(std::isnan(empty.rqnsr()));
    CHECK(std::isnan(empty.mean_share()));
  }

  TEST_CASE("diagnostics: summarize skips NaN channels") {
    // ch0: MAS 2, MSSR 1, rQNSR sqrt(1.25), share 0.8
    // ch1: e = {0, -2}, x = {1, 1}: MAS -1, MSSR -1, rQNSR sqrt(2), share 1/2
    // ch2: e = {1, 1}, x = {0, 0}: MAS 1, MSSR/rQNSR NaN, share 1
    const ErrorSums sums = {channel({1, 3}, {2, 2}), channel({0, -2}, {1, 1}), channel({1, 1}, {0, 0})};
    const ErrorSummary s = summarize(sums);
    CHECK(s.mas_rms == doctest::Approx(std::sqrt((4.0 + 1.0 + 1.0) / 3)));
    CHECK(s.mas_abs_max == doctest::Approx(2.0));
    CHECK(s.mssr_rms == doctest::Approx(1.0));                           // sqrt((1 + 1) / 2)
    CHECK(s.rqnsr_rms == doctest::Approx(std::sqrt((1.25 + 2.0) / 2)));  // ch2 skipped
    CHECK(s.mean_share == doctest::Approx((0.8 + 0.5 + 1.0) / 3));

    // A zero-error channel has no share; it still counts for the other metrics.
    const ErrorSummary t = summarize({channel({1, 3}, {2, 2}), channel({0, 0}, {1, 1})});
    CHECK(t.mean_share == doctest::Approx(0.8));
    CHECK(t.rqnsr_rms == doctest::Approx(std::sqrt(1.25 / 2)));
    CHECK(t.mas_rms == doctest::Approx(std::sqrt(2.0)));

    const ErrorSummary e = summarize({});
    CHECK(e.mas_rms == 0.0);
    CHECK(e.mas_abs_max == 0.0);
    CHECK(e.mssr_rms == 0.0);
    CHECK(e.rqnsr_rms == 0.0);
    CHECK(e.mean_share == 0.0);
  }

  TEST_CASE("diagnostics: per-channel CSV") {
    const Diagnostics d = sample(true);
    const std::string csv = diagnostics_csv(d);
    const auto lines = split_lines(csv);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "layer,name,op,op_index,channel,point,stage,mas,mssr,rqnsr,mean_share,count");
    // layer 0: 2 channels x 2 points x 2 stages; layer 1: 3 channels x 2 points, before only.
    CHECK(lines.size() == 1 + 8 + 6);
    for (size_t i = 1; i < lines.size(); ++i) CHECK(csv_fields(lines[i]).size() == 12);
    // The name with a comma is quoted.
    CHECK(lines[1].rfind("0,\"conv, first\",CONV_2D,0,", 0) == 0);

    // Find layer 0, channel 0, post, before: e {1,3}, x {2,2}.
    bool found = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      const auto f = csv_fields(lines[i]);
      if (f[0] != "0" || f[4] != "0" || f[5] != "post" || f[6] != "before") continue;
      found = true;
      CHECK(f[1] == "conv, first");
      CHECK(f[2] == "CONV_2D");
      CHECK(f[3] == "0");
      CHECK(std::stod(f[7]) == doctest::Approx(2.0));
      CHECK(std::stod(f[8]) == doctest::Approx(1.0));
      CHECK(std::stod(f[9]) == doctest::Approx(std::sqrt(1.25)).epsilon(1e-8));
      CHECK(std::stod(f[10]) == doctest::Approx(0.8));
      CHECK(f[11] == "2");
    }
    CHECK(found);

    // Layer 1, channel 2 (all zeros): MAS 0, MSSR / rQNSR / share undefined -> empty fields; no "after" rows.
    found = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      const auto f = csv_fields(lines[i]);
      if (f[0] != "1") continue;
      CHECK(f[1] == "a<b&c");
      CHECK(f[3] == "3");
      CHECK(f[6] == "before");
      if (f[4] == "2" && f[5] == "pre") {
        found = true;
        CHECK(f[7] == "0");
        CHECK(f[8].empty());
        CHECK(f[9].empty());
        CHECK(f[10].empty());
      }
    }
    CHECK(found);

    // Quotes inside a name are doubled.
    Diagnostics q = d;
    q.layers[1].name = "say \"hi\"";
    const auto ql = split_lines(diagnostics_csv(q));
    CHECK(ql.back().rfind("1,\"say \"\"hi\"\"\",", 0) == 0);
    CHECK(csv_fields(ql.back())[1] == "say \"hi\"");
  }

  TEST_CASE("diagnostics: summary CSV") {
    const std::string csv = diagnostics_summary_csv(sample(true));
    const auto lines = split_lines(csv);
    REQUIRE(lines.size() == 1 + 4 + 2);
    CHECK(lines[0] == "layer,name,op,point,stage,mas_rms,mas_abs_max,mssr_rms,rqnsr_rms,mean_share");
    // layer 0 post before: ch0 as above; ch1 e {0.5,0.5} x {3,4}: MAS 0.5, MSSR 0.5/sqrt(12.5), rQNSR
    // sqrt(0.25/12.5), share 1.
    bool found = false;
    for (const auto& line : lines) {
      const auto f = csv_fields(line);
      REQUIRE(f.size() == 10);
      if (f[0] != "0" || f[3] != "post" || f[4] != "before") continue;
      found = true;
      CHECK(f[1] == "conv, first");
      CHECK(std::stod(f[5]) == doctest::Approx(std::sqrt((4.0 + 0.25) / 2)));
      CHECK(std::stod(f[6]) == doctest::Approx(2.0));
      CHECK(std::stod(f[7]) == doctest::Approx(std::sqrt((1.0 + 0.25 / 12.5) / 2)));
      CHECK(std::stod(f[8]) == doctest::Approx(std::sqrt((1.25 + 0.25 / 12.5) / 2)));
      CHECK(std::stod(f[9]) == doctest::Approx(0.9));
    }
    CHECK(found);
    // Only layer 0 has "after" rows.
    CHECK(count_of(csv, ",after,") == 2);
  }

  TEST_CASE("diagnostics: HTML report") {
    const Diagnostics with = sample(true);
    const Diagnostics without = sample(false);
    const std::string h = diagnostics_html(with);
    const std::string h0 = diagnostics_html(without);

    for (const std::string* page : {&h, &h0}) {
      const std::string& s = *page;
      CHECK(s.rfind("<!DOCTYPE html>", 0) == 0);
      CHECK(s.find("</html>") != std::string::npos);
      CHECK(count_of(s, "<svg") == 8);  // 4 metrics x 2 measuring points (the per-channel one is drawn by the script)
      CHECK(count_of(s, "<svg") == count_of(s, "</svg>"));
      CHECK(count_of(s, "<table") == 2);           // the stages side by side and every layer; no notes
      CHECK(count_of(s, "<tr data-layer=") == 2);  // one row per layer
      // The script and its data; nothing that ends the data element early.
      CHECK(count_of(s, "<script") == 2);
      CHECK(count_of(s, "</script>") == 2);
      CHECK(s.find("javascript:") == std::string::npos);
      // No external resources (an SVG xmlns would be the only allowed URL).
      for (const char* url : {"http://", "https://"}) {
        for (size_t p = s.find(url); p != std::string::npos; p = s.find(url, p + 1))
          CHECK(s.compare(p, 26, "http://www.w3.org/2000/svg") == 0);
      }
      CHECK(s.find(" src=") == std::string::npos);
      CHECK(s.find("<link") == std::string::npos);
      // Title: model and what was measured, named once.
      CHECK(s.find("mobilenet_test.tflite") != std::string::npos);
      CHECK(s.find("<p class=\"sub\">8 IBC images;") != std::string::npos);
      CHECK(s.find("8 images") == std::string::npos);
      // Escaped layer name, never raw (HTML entities in the page, \u escapes in the script's data).
      CHECK(s.find("a&lt;b&amp;c") != std::string::npos);
      CHECK(s.find("a\\u003cb\\u0026c") != std::string::npos);
      CHECK(s.find("a<b&c") == std::string::npos);
      CHECK(s.find("layer index") != std::string::npos);
      // The basic stage on every plot (log plots need positive values: all have some here).
      CHECK(s.find("polyline points=") != std::string::npos);
      CHECK(s.find("class=\"m s0\"") != std::string::npos);
      CHECK(s.find("<th class=\"stage\" data-stage=\"basic\">") != std::string::npos);
    }
    // The IBC stage only when it was measured.
    CHECK(h.find("class=\"m s1\"") != std::string::npos);
    CHECK(h.find("<th>MAS IBC</th>") != std::string::npos);
    CHECK(h0.find("IBC</th>") == std::string::npos);
    CHECK(h0.find("class=\"m s1\"") == std::string::npos);
    // The per-channel MAS of every layer, point and stage: layer 0 pre basic {2, -1}, pre IBC {0, 0.005}, post basic
    // {2, 0.5}, post IBC {0.05, 0.01}; layer 1 (3 channels) pre basic {0.5, 0, 0}, no IBC stage.
    CHECK(h.find("\"mas\":[[[2,-1],[0,0.005]],[[2,0.5],[0.05,0.01]]]") != std::string::npos);
    CHECK(h.find("\"mas\":[[[0.5,0,0],null],[[0.5,0,0],null]]") != std::string::npos);
    CHECK(h.find("{\"label\":\"basic\",\"cls\":\"s0\"},{\"label\":\"IBC\",\"cls\":\"s1\"}") != std::string::npos);

    // Deterministic.
    CHECK(diagnostics_html(with) == h);
    CHECK(diagnostics_html(without) == h0);
    CHECK(h.size() < 200000);

    // A name that would end the data's script element is escaped there.
    Diagnostics tricky = without;
    tricky.layers[0].name = "x</script><b>";
    const std::string ht = diagnostics_html(tricky);
    CHECK(count_of(ht, "</script>") == 2);
    CHECK(ht.find("x\\u003c/script\\u003e\\u003cb\\u003e") != std::string::npos);

    // Degenerate inputs still give a page: no layers, and a layer whose every ratio is undefined.
    Diagnostics empty;
    const std::string he = diagnostics_html(empty);
    CHECK(he.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(he.find("no data") != std::string::npos);
    Diagnostics dead = without;
    for (auto& l : dead.layers) {
      for (auto* sums : {&l.before.pre, &l.before.post})
        for (auto& c : *sums) c = ChannelError{};
    }
    const std::string hd = diagnostics_html(dead);
    CHECK(hd.find("no data") != std::string::npos);
    CHECK(hd.find("nan") == std::string::npos);
    CHECK(diagnostics_summary_csv(dead).find("nan") == std::string::npos);
  }

  TEST_CASE("diagnostics: every stage side by side (BFT, equalization) and the notes") {
    Diagnostics d = sample(true);
    // BFT on both layers; the model before equalization on layer 0 only.
    d.layers[0].bft.pre = {channel({0.5, -0.5}, {2, 2}), channel({0.1, 0.1}, {1, 1})};
    d.layers[0].bft.post = d.layers[0].bft.pre;
    d.layers[1].bft.pre = {channel({1, 1}, {1, -1}), channel({0, 0}, {2, 0}), channel({0, 0}, {0, 0})};
    d.layers[1].bft.post = d.layers[1].bft.pre;
    d.layers[0].unequalized.pre = {channel({4, 4}, {2, 2}), channel({1, 1}, {1, 1})};
    d.layers[0].unequalized.post = d.layers[0].unequalized.pre;
    d.notes = {{"settings", "method", "ibc+bft"}, {"accuracy", "bft", "top-1 70.0%"}, {"settings", "model", "m<1>"}};

    // CSV: the new stages' rows, with their own numbers.
    const std::string csv = diagnostics_csv(d);
    CHECK(count_of(csv, ",bft,") == 2 * 2 + 3 * 2);
    CHECK(count_of(csv, ",unequalized,") == 2 * 2);
    bool found = false;
    for (const auto& line : split_lines(csv)) {
      const auto f = csv_fields(line);
      if (f[0] == "1" && f[4] == "0" && f[5] == "post" && f[6] == "bft") {
        found = true;
        CHECK(std::stod(f[7]) == doctest::Approx(1.0));  // e {1, 1}
        CHECK(std::stod(f[9]) == doctest::Approx(1.0));  // sqrt(2 / 2)
      }
    }
    CHECK(found);
    const std::string sum = diagnostics_summary_csv(d);
    CHECK(count_of(sum, ",bft,") == 2 * 2);
    CHECK(count_of(sum, ",unequalized,") == 2);
    for (const auto& line : split_lines(sum)) {
      const auto f = csv_fields(line);
      if (f[0] == "0" && f[3] == "post" && f[4] == "bft") CHECK(std::stod(f[6]) == doctest::Approx(0.1));  // max |MAS|
    }

    // HTML: four stages in pipeline order, the quantized model named "equalized" beside the unequalized "basic".
    const std::string h = diagnostics_html(d);
    const size_t b = h.find("data-stage=\"basic\""), e = h.find("data-stage=\"equalized\""),
                 i = h.find("data-stage=\"IBC\""), t = h.find("data-stage=\"BFT\"");
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    REQUIRE(i != std::string::npos);
    REQUIRE(t != std::string::npos);
    CHECK((b < e && e < i && i < t));
    for (const char* cls : {"class=\"m s0\"", "class=\"m s1\"", "class=\"m s2\"", "class=\"m s3\""})
      CHECK(h.find(cls) != std::string::npos);
    CHECK(h.find("<th>MAS BFT</th>") != std::string::npos);
    CHECK(h.find("<th>rQNSR equalized</th>") != std::string::npos);
    // The stages table: mean over layers of the post-activation MAS RMS; BFT: layer 0 sqrt((0^2 + 0.1^2) / 2),
    // layer 1 sqrt((1 + 0 + 0) / 3).
    const double bft_mas = (std::sqrt(0.01 / 2) + std::sqrt(1.0 / 3)) / 2;
    char expect[64];
    std::snprintf(expect, sizeof expect, "<td>%.4g</td>", bft_mas);
    const size_t row = h.find("<tr><td class=\"l\">RMS of |MAS| over channels</td>");
    REQUIRE(row != std::string::npos);
    CHECK(h.substr(row, h.find("</tr>", row) - row).find(expect) != std::string::npos);
    // Per-channel data: four series per point; layer 1 has neither IBC nor the unequalized stage.
    CHECK(h.find("\"mas\":[[null,[0.5,0,0],null,[1,0,0]],[null,[0.5,0,0],null,[1,0,0]]]") != std::string::npos);
    // The notes: one table per section in order of first use, values escaped.
    CHECK(count_of(h, "<table class=\"note\">") == 2);
    CHECK(h.find("<h2>Settings</h2>") < h.find("<h2>Accuracy</h2>"));
    CHECK(h.find("<tr><th class=\"l\">model</th><td class=\"l\">m&lt;1&gt;</td></tr>") != std::string::npos);
    CHECK(h.find("<tr><th class=\"l\">bft</th><td class=\"l\">top-1 70.0%</td></tr>") != std::string::npos);
  }
}
