// Unit tests of the command-line tool's own pieces: the JSON writer (escaping and numbers per RFC 8259) and the
// option-table parser shared with the calibrate sample (refusals, values, generated help), the fidelity metrics of
// `tare eval --fidelity`.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "cli_options.h"
#include "fidelity.h"
#include "json.h"

using tare_cli::Json;
using tare_cli::json_quote;

TEST_CASE("json: strings escape quotes, backslashes and control characters, and pass UTF-8 through") {
  CHECK(json_quote("plain") == "\"plain\"");
  CHECK(json_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_quote("tab\tnl\ncr\r") == "\"tab\\tnl\\ncr\\r\"");
  CHECK(json_quote(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\\u007f\"");
  CHECK(json_quote(std::string("nul\0x", 5)) == "\"nul\\u0000x\"");
  CHECK(json_quote("caf\xc3\xa9 \xe2\x80\x94") == "\"caf\xc3\xa9 \xe2\x80\x94\"");  // é and an em dash, as bytes
  CHECK(json_quote("</script>/") == "\"</script>/\"");                              // '/' needs no escape
}

TEST_CASE("json: numbers are exact, non-finite ones are null") {
  CHECK(Json(0.1).dump() == "0.1");  // the shortest text that reads back the same double
  CHECK(Json(1.0 / 3.0).dump() == "0.3333333333333333");
  CHECK(Json(1e300).dump() == "1e+300");
  CHECK(Json(-0.0).dump() == "-0");
  CHECK(Json(std::nan("")).dump() == "null");
  CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(Json(-std::numeric_limits<float>::infinity()).dump() == "null");
  CHECK(Json(std::numeric_limits<int64_t>::min()).dump() == "-9223372036854775808");
  CHECK(Json(std::numeric_limits<uint64_t>::max()).dump() == "18446744073709551615");
  CHECK(Json(true).dump() == "true");
  CHECK(Json(nullptr).dump() == "null");
}

TEST_CASE("json: objects keep their insertion order; arrays nest") {
  Json doc = Json::object();
  doc["z"] = 1;
  doc["a"] = "x";
  doc["z"] = 2;  // assigning again replaces, in place
  Json list = Json::array();
  list.push(Json::object())["k"] = nullptr;
  list.push(Json::array());
  doc["list"] = std::move(list);
  CHECK(doc.dump() == "{\"z\": 2, \"a\": \"x\", \"list\": [{\"k\": null}, []]}");
  CHECK_THROWS_AS(doc["list"]["k"], std::logic_error);
  CHECK_THROWS_AS(doc.push(1), std::logic_error);
}

namespace {
const tare_samples::CommandSpec& spec() {
  static const tare_samples::CommandSpec s{"tare demo",
                                           "MODEL [options]",
                                           "a command for the tests",
                                           "",
                                           1,
                                           1,
                                           {{"--runs", "N", "how many runs", "20"},
                                            {"--input", "FILE", "an input", "", true},
                                            {"--fast", "", "go fast", ""}}};
  return s;
}

tare_samples::Args parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return tare_samples::parse_args(spec(), (int)argv.size(), argv.data(), 0);
}

std::string usage_error(std::vector<std::string> words) {
  try {
    parse(std::move(words));
  } catch (const tare_samples::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("options: values, flags, defaults and repeats") {
  tare_samples::Args a = parse({"m.tflite", "--runs=3", "--input", "a", "--input", "b", "--fast"});
  CHECK(a.positional == std::vector<std::string>{"m.tflite"});
  CHECK(a.get("--runs") == "3");
  CHECK(a.all("--input") == std::vector<std::string>{"a", "b"});
  CHECK(a.flag("--fast"));
  tare_samples::Args d = parse({"m.tflite"});
  CHECK(d.get("--runs") == "20");
  CHECK_FALSE(d.has("--runs"));
  CHECK_FALSE(d.flag("--fast"));
  CHECK_THROWS_AS(d.get("--per-channel"), std::logic_error);  // a command may only ask for its own options
  CHECK(parse({"--help"}).help);
}

TEST_CASE("options: refusals name the option and point to the command's help") {
  CHECK(usage_error({"m", "--per-channel"}) ==
        "`--per-channel` is not an option of `tare demo`; see `tare demo --help`");
  CHECK(usage_error({"m", "--runs"}) == "`--runs` needs a value (N); see `tare demo --help`");
  CHECK(usage_error({"m", "--fast=1"}) == "`--fast` takes no value; see `tare demo --help`");
  CHECK(usage_error({"m", "--runs", "1", "--runs", "2"}) == "`--runs` is given twice; see `tare demo --help`");
  CHECK(usage_error({}) == "usage: tare demo MODEL [options]; see `tare demo --help`");
  CHECK(usage_error({"a", "b"}) == "usage: tare demo MODEL [options]; see `tare demo --help`");
}

TEST_CASE("options: the help lists every option with its placeholder and default") {
  const std::string h = tare_samples::help_text(spec());
  CHECK(h.find("usage: tare demo MODEL [options]") == 0);
  CHECK(h.find("--runs N") != std::string::npos);
  CHECK(h.find("how many runs (default: 20)") != std::string::npos);
  CHECK(h.find("--input FILE") != std::string::npos);
  CHECK(h.find("(repeatable)") != std::string::npos);
  CHECK(h.find("--fast ") != std::string::npos);
}

// ---- fidelity metrics of `tare eval --fidelity` (samples/cli/fidelity.h) ---------------------------------------------

TEST_CASE("fidelity: SQNR and absolute errors of known tensors, added up over calls") {
  tare_cli::FidelitySums f;
  const double x1[] = {1, -2, 3}, q1[] = {1.5, -2, 2};  // errors -0.5, 0, 1
  const double x2[] = {4}, q2[] = {4.25};               // error -0.25
  f.add(x1, q1, 3);
  f.add(x2, q2, 1);
  const double signal = 1 + 4 + 9 + 16, noise = 0.25 + 0 + 1 + 0.0625;
  CHECK(f.values == 4);
  CHECK(f.sqnr_db() == doctest::Approx(10 * std::log10(signal / noise)));
  CHECK(f.max_abs_error == 1.0);
  CHECK(f.mean_abs_error() == doctest::Approx((0.5 + 0 + 1 + 0.25) / 4));
  tare_cli::FidelitySums same;
  same.add(x1, x1, 3);
  CHECK(std::isinf(same.sqnr_db()));
  CHECK(std::isnan(tare_cli::FidelitySums{}.sqnr_db()));
}

TEST_CASE("fidelity: detections matched one to one at IoU >= 0.5, best score first") {
  using tare_cli::Detection;
  // IoU of two 0.2 x 0.2 boxes shifted by 0.05 in x: overlap 0.15 x 0.2 = 0.03, union 0.05: 0.6.
  const Detection r1{0.9f, 0.5f, 0.5f, 0.2f, 0.2f}, r2{0.8f, 0.2f, 0.2f, 0.1f, 0.1f};
  const Detection near{0.7f, 0.55f, 0.5f, 0.2f, 0.2f}, far{0.95f, 0.8f, 0.8f, 0.1f, 0.1f};
  CHECK(tare_cli::iou(r1, near) == doctest::Approx(0.6));
  CHECK(tare_cli::iou(r1, far) == 0.0);
  tare_cli::DetectionAgreement a;
  a.add({r1, r2}, {near, far, near}, 0.5);  // the second `near` finds r1 taken
  CHECK(a.reference == 2);
  CHECK(a.compared == 3);
  CHECK(a.matched == 1);
  CHECK(a.precision() == doctest::Approx(1.0 / 3));
  CHECK(a.recall() == doctest::Approx(0.5));
  CHECK(a.f1() == doctest::Approx(2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5)));
  a.add({}, {}, 0.5);  // an image where neither finds a face changes nothing
  CHECK(a.matched == 1);
  tare_cli::DetectionAgreement strict;
  strict.add({r1}, {near}, 0.7);
  CHECK(strict.matched == 0);
  CHECK(tare_cli::DetectionAgreement{}.f1() == 1.0);
}
