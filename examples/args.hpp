// Command-line options of the examples: `--name value` pairs and `--flag`s, with fallbacks, checked
// against the example's usage text (unknown options, missing values and bad numbers are errors that name
// the option; --help prints the usage).
#pragma once

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace example {

// The options a usage text declares: every `--name` in it; a name directly followed by `]` is a flag,
// any other takes a value. Example: "[--seed 1] [--out DIR] [--resume]" declares --seed and --out with a
// value, --resume as a flag.
inline std::map<std::string, bool, std::less<>> declared_options(std::string_view usage) {
  std::map<std::string, bool, std::less<>> takes_value;
  for (std::size_t p = usage.find("--"); p != std::string_view::npos; p = usage.find("--", p + 2)) {
    std::size_t e = p + 2;
    while (e < usage.size() && (std::isalnum(static_cast<unsigned char>(usage[e])) || usage[e] == '-')) ++e;
    if (e == p + 2) continue;
    takes_value[std::string(usage.substr(p, e - p))] = !(e < usage.size() && usage[e] == ']');
    p = e - 2;
  }
  return takes_value;
}

// The problems with argv against a usage text (empty when none): unknown options, options without their
// value, arguments that are not options.
inline std::vector<std::string> option_errors(int argc, char** argv, std::string_view usage) {
  const auto known = declared_options(usage);
  std::vector<std::string> errors;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto it = known.find(a);
    if (it == known.end()) {
      errors.push_back(a.starts_with("-") ? "unknown option '" + std::string(a) + "'"
                                          : "unexpected argument '" + std::string(a) + "'");
    } else if (it->second) {
      if (i + 1 >= argc) errors.push_back("option " + std::string(a) + " needs a value");
      ++i;
    }
  }
  return errors;
}

// Call first in main: --help or -h prints the usage and exits 0; any error of option_errors is printed
// with the usage, and the program exits with status 2 before doing anything.
inline void check(int argc, char** argv, std::string_view usage) {
  const std::string_view program = argc > 0 ? std::string_view(argv[0]) : std::string_view("example");
  const auto name = program.substr(program.find_last_of('/') == std::string_view::npos ? 0 : program.find_last_of('/') + 1);
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: %.*s %.*s\n", static_cast<int>(name.size()), name.data(), static_cast<int>(usage.size()), usage.data());
      std::exit(0);
    }
  }
  const auto errors = option_errors(argc, argv, usage);
  if (errors.empty()) return;
  for (const auto& e : errors) std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(name.size()), name.data(), e.c_str());
  std::fprintf(stderr, "usage: %.*s %.*s\n", static_cast<int>(name.size()), name.data(), static_cast<int>(usage.size()), usage.data());
  std::exit(2);
}

// The value after `name`, or `fallback`.
inline std::string arg(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}
// `name`'s value as a non-negative integer (all of it: "12abc", "-1" and "1e3" are refused with
// std::invalid_argument naming the option).
inline std::size_t arg(int argc, char** argv, std::string_view name, std::size_t fallback) {
  const std::string s = arg(argc, argv, name, std::to_string(fallback));
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    throw std::invalid_argument("option " + std::string(name) + ": '" + s + "' is not a non-negative integer" +
                                (ec == std::errc::result_out_of_range ? " in range" : ""));
  return v;
}
// `name`'s value as a finite real number (all of it), std::invalid_argument naming the option otherwise.
inline double arg_real(int argc, char** argv, std::string_view name, double fallback) {
  const std::string s = arg(argc, argv, name, std::to_string(fallback));
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !(v - v == 0.0))
    throw std::invalid_argument("option " + std::string(name) + ": '" + s + "' is not a finite number");
  return v;
}
// True when `name` is given.
inline bool flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == name) return true;
  return false;
}
// "a,b,c" as {"a", "b", "c"}; "" as {}.
inline std::vector<std::string> list(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const auto end = s.find(',', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

}  // namespace example
