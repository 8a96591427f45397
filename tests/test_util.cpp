// The shared helpers of test_util.h: data files, error measures, the shared GPU context, and the validation check
// (after each test case the validation message count of the shared context is checked: a message fails that test
// case).  Also linked into bench_internal_ops, which builds the conformance table's cases.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "common/error.h"
#include "test_util.h"

namespace tare::test {

namespace {
std::shared_ptr<vk::Context> g_ctx;
bool g_ctx_tried = false;
uint64_t g_seen_messages = 0;
int g_validation_failures = 0;
}  // namespace

std::string data_dir() { return data::data_dir(); }

std::string data_path(const std::string& relative) { return data_dir() + "/" + relative; }

bool have_data(const std::string& relative) {
  if (std::filesystem::exists(data_path(relative))) return true;
  const char* req = std::getenv("TARE_REQUIRE_DATA");
  if (req && std::string(req) == "1") {
    FAIL("required data missing: " << data_path(relative) << " (TARE_REQUIRE_DATA=1)");
    return false;
  }
  std::printf("SKIPPED (no data): test needs %s; set TARE_DATA to the data folder\n", data_path(relative).c_str());
  return false;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::optional<std::vector<uint8_t>> bytes = data::read_bytes(path);
  REQUIRE_MESSAGE(bytes.has_value(), "cannot open " << path);
  return *bytes;
}

std::vector<float> read_floats(const std::string& path) {
  std::optional<std::vector<float>> v = data::read_floats(path);
  REQUIRE_MESSAGE(v.has_value(), "cannot open " << path);
  return *v;
}

std::shared_ptr<vk::Context> gpu() {
  if (!g_ctx_tried) {
    g_ctx_tried = true;
    try {
      vk::ContextOptions o;
      g_ctx = std::make_shared<vk::Context>(o);
      g_seen_messages = g_ctx->validation_messages();
    } catch (const tare::Error& e) {
      std::printf("no Vulkan device: %s\n", e.what());
    }
  }
  return g_ctx;
}

double max_abs_error(const std::vector<float>& a, const std::vector<float>& b) {
  double m = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); i++) m = std::max(m, (double)std::fabs(a[i] - b[i]));
  return m;
}

double max_rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double ref = 0;
  for (float x : b) ref = std::max(ref, (double)std::fabs(x));
  double e = max_abs_error(a, b);
  if (ref == 0) return e;
  return e / ref;
}

namespace {
std::string string_after(const std::string& s, size_t pos) {
  size_t colon = s.find(':', pos);
  size_t q0 = s.find('"', colon);
  size_t q1 = s.find('"', q0 + 1);
  return s.substr(q0 + 1, q1 - q0 - 1);
}
}  // namespace

// Minimal scan of index.json: every entry starts at "model": and holds "kind", "case", "input_file", an "outputs"
// list of {"file", "name", ...} and "model_file".
std::vector<RefCase> parse_ref_index(const std::string& json) {
  std::vector<RefCase> cases;
  const std::string k_model = "\"model\":";
  size_t pos = json.find(k_model);
  while (pos != std::string::npos) {
    size_t next = json.find(k_model, pos + 1);
    const std::string e = json.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    RefCase c;
    auto field = [&](const std::string& key) {
      size_t p = e.find("\"" + key + "\":");
      return p == std::string::npos ? std::string() : string_after(e, p);
    };
    c.model_file = field("model_file");
    c.input_file = field("input_file");
    c.kind = field("kind");
    c.name = field("case");
    // The outputs list ends at its closing bracket (its objects hold nested shape lists: track the depth).
    size_t outs = e.find("\"outputs\":");
    size_t scan_end = outs == std::string::npos ? 0 : e.find('[', outs);
    for (int depth = 0; scan_end != std::string::npos && scan_end < e.size(); scan_end++) {
      if (e[scan_end] == '[') depth++;
      if (e[scan_end] == ']' && --depth == 0) break;
    }
    const size_t first = outs == std::string::npos ? outs : e.find("\"file\":", outs);
    for (size_t p = first; p != std::string::npos && p < scan_end; p = e.find("\"file\":", p + 1)) {
      RefOutput o;
      o.file = string_after(e, p);
      size_t np = e.find("\"name\":", p);
      if (np != std::string::npos && np < scan_end) o.name = string_after(e, np);
      c.outputs.push_back(o);
    }
    cases.push_back(c);
    pos = next;
  }
  return cases;
}

std::vector<RefCase> ref_cases(const std::string& model) {
  if (!have_data("ref/index.json") || !have_data("models/" + model)) return {};
  auto bytes = read_file(data_path("ref/index.json"));
  std::vector<RefCase> out;
  for (auto& c : parse_ref_index(std::string(bytes.begin(), bytes.end())))
    if (c.model_file == "models/" + model) out.push_back(c);
  CHECK_MESSAGE(!out.empty(), "no reference cases for " << model);
  return out;
}

std::vector<std::vector<float>> ref_inputs(const std::string& model, const std::string& prefix) {
  std::vector<std::vector<float>> inputs;
  for (const RefCase& c : ref_cases(model))
    if (c.name.rfind(prefix, 0) == 0) inputs.push_back(read_floats(data_path("ref/" + c.input_file)));
  return inputs;
}

size_t argmax(const std::vector<float>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); i++)
    if (v[i] > v[best]) best = i;
  return best;
}

namespace {
// Counts a failure when the validation layer spoke since the last look, printing its messages.
void count_validation_messages() {
  if (!g_ctx) return;
  const uint64_t n = g_ctx->validation_messages();
  if (n == g_seen_messages) return;
#ifndef DOCTEST_CONFIG_DISABLE
  const doctest::TestCaseData* test = doctest::getContextOptions()->currentTest;
  const char* name = test ? test->m_name : "?";
#else
  const char* name = "?";
#endif
  const auto log = g_ctx->validation_log();
  for (size_t i = g_seen_messages; i < n && i < log.size(); i++)
    std::printf("VALIDATION MESSAGE in test '%s': %s\n", name, log[i].c_str());
  g_seen_messages = n;
  g_validation_failures++;
}
}  // namespace

#ifndef DOCTEST_CONFIG_DISABLE
// Fails the test case during which the validation layer spoke.
struct ValidationListener : public doctest::IReporter {
  explicit ValidationListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override { count_validation_messages(); }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("validation", 1, ValidationListener);
#endif

int validation_failures() { return g_validation_failures; }

void check_validation() {
  if (!g_ctx) return;
  uint64_t before = g_validation_failures;
  count_validation_messages();
  CHECK_MESSAGE(g_validation_failures == (int)before, "the Vulkan validation layer reported messages (see above)");
}

}  // namespace tare::test
