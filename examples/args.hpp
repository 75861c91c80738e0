// Command-line options of the examples: `--name value` pairs and `--flag`s, with fallbacks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace example {

// The value after `name`, or `fallback`.
inline std::string arg(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}
inline std::size_t arg(int argc, char** argv, std::string_view name, std::size_t fallback) {
  return std::stoul(arg(argc, argv, name, std::to_string(fallback)));
}
inline double arg_real(int argc, char** argv, std::string_view name, double fallback) {
  return std::stod(arg(argc, argv, name, std::to_string(fallback)));
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
