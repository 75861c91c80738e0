// Writing files atomically: write a temporary file beside the target, then rename it over the target,
// so a crash never leaves a half-written file in place of a good one.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "moo/core/error.hpp"

namespace moo::io {

inline void write_atomically(const std::filesystem::path& path, std::string_view content) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throw io_error(detail::message("cannot open '", tmp.string(), "' for writing: ", std::strerror(errno)));
    os.write(content.data(), static_cast<std::streamsize>(content.size()));
    os.flush();
    if (!os) throw io_error(detail::message("cannot write '", tmp.string(), "'"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw io_error(detail::message("cannot rename '", tmp.string(), "' to '", path.string(), "': ", ec.message()));
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) throw io_error(detail::message("cannot open '", path.string(), "' for reading: ", std::strerror(errno)));
  std::string s((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  return s;
}

}  // namespace moo::io
