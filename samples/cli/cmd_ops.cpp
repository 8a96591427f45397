// `tare ops`: the supported operators and their paths, through the C API (tare_op_support); `--markdown` is
// README.md's operator table (scripts/readme_ops.sh).
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace tare_cli {
namespace {

std::vector<tare_op_support_info> supported_ops() {
  uint32_t n = 0;
  check(tare_op_count(&n), "counting the supported operators");
  std::vector<tare_op_support_info> ops(n);
  for (uint32_t i = 0; i < n; i++) {
    tare_op_support_info_init(&ops[i]);
    check(tare_op_support(i, &ops[i]), "reading the supported operators");
  }
  std::sort(ops.begin(), ops.end(), [](const tare_op_support_info& x, const tare_op_support_info& y) {
    return std::strcmp(x.name, y.name) < 0;
  });
  return ops;
}

// NAME [/ ALT_NAME] [/ CUSTOM_NAME], the custom op code marked " (custom)" in the markdown table.
std::string display_name(const tare_op_support_info& o, bool markdown = false) {
  std::string name = o.name;
  if (o.alt_name[0]) name += std::string(" / ") + o.alt_name;
  if (o.custom_name[0]) name += std::string(" / ") + o.custom_name + (markdown ? " (custom)" : "");
  return name;
}

int run_ops(const Args& a) {
  if (a.flag("--markdown") && a.flag("--json")) throw UsageError("--markdown and --json exclude each other");
  std::vector<tare_op_support_info> ops = supported_ops();
  if (g_json) {
    Json list = Json::array();
    for (const tare_op_support_info& o : ops) {
      Json j = Json::object();
      j["name"] = o.name;
      j["alt_name"] = o.alt_name[0] ? Json(o.alt_name) : Json(nullptr);
      j["builtin_code"] = o.is_internal ? Json(nullptr) : Json(o.builtin_code);
      j["alt_builtin_code"] = o.alt_builtin_code >= 0 ? Json(o.alt_builtin_code) : Json(nullptr);
      j["custom_name"] = o.custom_name[0] ? Json(o.custom_name) : Json(nullptr);
      j["internal"] = o.is_internal != 0;
      j["float"] = o.has_float != 0;
      j["int8"] = o.has_int8 != 0;
      j["gradient"] = o.has_gradient != 0;
      j["import"] = o.can_import != 0;
      j["export"] = o.can_export != 0;
      list.push(std::move(j));
    }
    Json doc = Json::object();
    doc["ops"] = std::move(list);
    print_json(doc);
    return 0;
  }
  if (a.flag("--markdown")) {
    // README.md's table between <!-- ops:begin --> and <!-- ops:end -->: the ops a .tflite model may contain.
    const char* kNo = "\xe2\x80\x94";  // an em dash
    std::printf("| op | fp32 / fp16 | int8 (TFLite-exact) | gradient (BFT) | export |\n");
    std::printf("|---|---|---|---|---|\n");
    for (const tare_op_support_info& o : ops) {
      if (o.is_internal) continue;
      std::printf("| %s | %s | %s | %s | %s |\n", display_name(o, true).c_str(), o.has_float ? "yes" : kNo,
                  o.has_int8 ? "yes" : kNo, o.has_gradient ? "yes" : kNo, o.can_export ? "yes" : kNo);
    }
    return 0;
  }
  size_t width = 2;
  for (const tare_op_support_info& o : ops) width = std::max(width, display_name(o).size());
  std::printf("%-*s  %8s  %9s  %4s  %4s  %6s  %6s\n", (int)width, "op", "builtin", "fp32/fp16", "int8", "grad",
              "import", "export");
  for (const tare_op_support_info& o : ops) {
    std::string code = o.is_internal ? "internal" : std::to_string(o.builtin_code);
    if (o.alt_builtin_code >= 0) code += "/" + std::to_string(o.alt_builtin_code);
    if (o.custom_name[0]) code += "/custom";
    auto yn = [](int v) { return v ? "yes" : "-"; };
    std::printf("%-*s  %8s  %9s  %4s  %4s  %6s  %6s\n", (int)width, display_name(o).c_str(), code.c_str(),
                yn(o.has_float), yn(o.has_int8), yn(o.has_gradient), yn(o.can_import), yn(o.can_export));
  }
  std::printf("%zu operators\n", ops.size());
  return 0;
}

}  // namespace

const Command& ops_command() {
  static const Command c{{"tare ops",
                          "[--markdown | --json]",
                          "the supported operators and their paths (fp32/fp16, int8, gradient, import, export)",
                          "",
                          0,
                          0,
                          {{"--markdown", "", "README.md's operator table", ""}, opt::json()}},
                         run_ops};
  return c;
}

}  // namespace tare_cli
