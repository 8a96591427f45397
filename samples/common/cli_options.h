// Option tables and their parser for the command-line samples (`tare CMD`, `calibrate`): each command declares its
// options once (name, value placeholder, help, default); the parser refuses anything else and the help is generated
// from the same table.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tare_samples {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;           // "--runs"
  std::string value;          // placeholder shown in the help ("N"); empty for a flag
  std::string help;           // one or more sentences; wrapped by the help printer
  std::string default_value;  // shown as "(default: ...)" and returned by Args::get; empty: none
  bool repeatable = false;    // may be given more than once (e.g. --input)
};

struct CommandSpec {
  std::string program;   // "tare run"
  std::string synopsis;  // "MODEL --input FILE [options]"
  std::string summary;   // one line for the command list
  std::string details;   // paragraph(s) printed under the synopsis
  std::size_t min_positional = 0, max_positional = 0;
  std::vector<OptionSpec> options;

  const OptionSpec* find(const std::string& name) const {
    auto it = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.name == name; });
    return it == options.end() ? nullptr : &*it;
  }
};

// The parsed command line of one command; only names from its table may be asked for.
class Args {
 public:
  explicit Args(const CommandSpec& spec) : spec_(&spec) {}

  std::vector<std::string> positional;
  bool help = false;

  bool flag(const std::string& name) const { return known(name).value.empty() && values_.count(name) > 0; }
  bool has(const std::string& name) const { return known(name), values_.count(name) > 0; }
  // The value given, else the table's default (empty when there is none).
  std::string get(const std::string& name) const {
    const OptionSpec& o = known(name);
    auto it = values_.find(name);
    return it == values_.end() ? o.default_value : it->second;
  }
  std::vector<std::string> all(const std::string& name) const {
    known(name);
    std::vector<std::string> out;
    for (auto [it, end] = values_.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
  void set(const std::string& name, const std::string& value) { values_.emplace(name, value); }
  const CommandSpec& spec() const { return *spec_; }

 private:
  const OptionSpec& known(const std::string& name) const {
    if (const OptionSpec* o = spec_->find(name)) return *o;
    throw std::logic_error(spec_->program + " asked for " + name + ", which is not in its option table");
  }
  const CommandSpec* spec_;
  std::multimap<std::string, std::string> values_;
};

// A finite number, or a usage error naming the flag.
inline double parse_double(const std::string& s, const char* what) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || errno || !std::isfinite(v))
    throw UsageError(std::string(what) + " must be a number, got '" + s + "'");
  return v;
}

inline std::string see_help(const CommandSpec& spec) { return "see `" + spec.program + " --help`"; }

// argv[first..argc) against the table: `--name value`, `--name=value`, `--flag`, positional arguments.
inline Args parse_args(const CommandSpec& spec, int argc, char** argv, int first) {
  Args a(spec);
  for (int i = first; i < argc; i++) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
      continue;
    }
    if (s.size() < 2 || s[0] != '-') {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s, value;
    bool inline_value = false;
    if (auto eq = s.find('='); eq != std::string::npos) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      inline_value = true;
    }
    const OptionSpec* o = spec.find(name);
    if (!o) throw UsageError("`" + name + "` is not an option of `" + spec.program + "`; " + see_help(spec));
    if (o->value.empty()) {
      if (inline_value) throw UsageError("`" + name + "` takes no value; " + see_help(spec));
      value = "1";
    } else if (!inline_value) {
      if (i + 1 >= argc) throw UsageError("`" + name + "` needs a value (" + o->value + "); " + see_help(spec));
      value = argv[++i];
    }
    if (!o->repeatable && a.has(name)) throw UsageError("`" + name + "` is given twice; " + see_help(spec));
    a.set(name, value);
  }
  if (a.help) return a;
  const std::size_t n = a.positional.size();
  if (n < spec.min_positional || n > spec.max_positional)
    throw UsageError("usage: " + spec.program + " " + spec.synopsis + "; " + see_help(spec));
  return a;
}

// Words of `text` wrapped at `width` columns, continuation lines indented by `indent`; the text starts at column
// `first_column` of the current line.
inline std::string wrap(const std::string& text, std::size_t indent, std::size_t width, std::size_t first_column) {
  std::string out;
  std::size_t column = first_column;
  bool line_empty = true;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = std::min(text.find(' ', pos), text.size());
    std::string word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!line_empty && column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      column++;
    }
    out += word;
    column += word.size();
    line_empty = false;
  }
  return out;
}

inline std::string help_text(const CommandSpec& spec) {
  std::string s = "usage: " + spec.program + " " + spec.synopsis + "\n\n" + wrap(spec.summary, 0, 100, 0) + "\n";
  if (!spec.details.empty()) s += "\n" + wrap(spec.details, 0, 100, 0) + "\n";
  if (spec.options.empty()) return s;
  s += "\noptions:\n";
  const std::size_t col = 28;
  for (const OptionSpec& o : spec.options) {
    std::string left = "  " + o.name + (o.value.empty() ? "" : " " + o.value);
    std::string help = o.help;
    if (!o.default_value.empty()) help += " (default: " + o.default_value + ")";
    if (o.repeatable) help += " (repeatable)";
    if (left.size() + 1 >= col) {
      s += left + "\n" + std::string(col, ' ') + wrap(help, col, 116, col) + "\n";
    } else {
      s += left + std::string(col - left.size(), ' ') + wrap(help, col, 116, col) + "\n";
    }
  }
  return s;
}

}  // namespace tare_samples
