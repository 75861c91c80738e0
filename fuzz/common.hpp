// Helpers shared by the fuzz targets: bytes as a string view, a private scratch directory, writing a
// file, checksum fix-ups (so mutated payloads get past the checkpoint and weights checksums), and the
// "use what was accepted" step for architectures (shapes, compile, a forward and backward pass when small).
// A target catches moo::error (the library's documented exception) and nothing else: any other escaping
// exception, a sanitizer report, a timeout or an out-of-memory is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"

namespace fuzz {

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A directory of this process (in /dev/shm when it exists, so file round trips stay in memory), removed
// when the process exits normally, and by a later process when it did not.
inline const std::filesystem::path& scratch_dir(const char* target) {
  static const std::filesystem::path dir = [&] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                                : std::filesystem::temp_directory_path();
    const std::string stem = std::string("moo_fuzz_") + target + "_";
    // Directories of processes that are gone (a crash skips the clean-up below) are removed first.
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(stem, 0) != 0) continue;
      const std::string pid = name.substr(stem.size());
      if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
          !std::filesystem::exists("/proc/" + pid, ec))
        std::filesystem::remove_all(e.path(), ec);
    }
    auto d = base / (stem + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static const bool cleanup = (std::atexit([] {
                                 std::error_code ec;
                                 std::filesystem::remove_all(dir, ec);
                               }),
                               true);
  (void)cleanup;
  return dir;
}

inline void write_file(const std::filesystem::path& p, std::string_view content) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!os) std::abort();  // the harness's own failure, not the library's
}

// Splits at the first NUL byte: {before, after} (after is empty when there is none).
inline std::pair<std::string_view, std::string_view> split_nul(std::string_view s) {
  const auto k = s.find('\0');
  if (k == std::string_view::npos) return {s, {}};
  return {s.substr(0, k), s.substr(k + 1)};
}

inline void put_le(std::string& s, std::size_t at, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline std::uint64_t get_le(std::string_view s, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

}  // namespace fuzz
