// `tare`: the command-line front end of the Tare library, over the public C API (tare/tare.h) and the image helpers
// of image/ (tare_image).  One file per command (cmd_<name>.cpp) holds its option table and its work; `tare CMD --help`
// prints the help generated from that table.
//
// Exit status: 0 on success, 1 on a failure reported by the library or the file system, 2 on a usage error.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"

namespace {

using namespace tare_cli;

std::vector<const Command*> commands() {
  return {&devices_command(),  &ops_command(),  &info_command(),      &run_command(),    &bench_command(),
          &quantize_command(), &eval_command(), &calibrate_command(), &analyze_command()};
}

std::string global_help() {
  std::string s =
      "usage: tare <command> [options]\n"
      "       tare <command> --help   the command's options\n"
      "\ncommands:\n";
  for (const Command* c : commands()) {
    std::string left = "  " + c->spec.program.substr(5);  // without "tare "
    s += left + std::string(left.size() < 15 ? 15 - left.size() : 1, ' ') + c->spec.summary + "\n";
  }
  s += "  version      print the library version\n";
  s += "\nEvery command but version takes --json: one JSON document on stdout (fields: docs/cli-json.md).\n"
       "Exit status: 0 on success, 1 on a failure, 2 on a usage error.\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(global_help().c_str(), stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(global_help().c_str(), stdout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("tare %s (ABI %d)\n", tare_version(), tare_abi_version());
    return 0;
  }
  const Command* cmd = nullptr;
  for (const Command* c : commands())
    if (c->spec.program == "tare " + name) cmd = c;
  if (!cmd) {
    std::fprintf(stderr, "tare: unknown command '%s'\n(see tare --help)\n", name.c_str());
    return 2;
  }
  try {
    Args a = tare_samples::parse_args(cmd->spec, argc, argv, 2);
    if (a.help) {
      std::fputs(tare_samples::help_text(cmd->spec).c_str(), stdout);
      return 0;
    }
    g_json = cmd->spec.find("--json") && a.flag("--json");
    return cmd->run(a);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "tare: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {  // Failure, tare::image::ImageError, the file system
    std::fprintf(stderr, "tare: %s\n", e.what());
    return 1;
  }
}
