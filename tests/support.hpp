// Helpers shared by test files of every module (each module builds as one translation unit, so a helper
// defined in two files of a module would clash): a scratch directory, raw file writing, a stateful run
// argument, the message of an expected exception, a callback that stops a run.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "moo/core/error.hpp"
#include "moo/io/serialize.hpp"

namespace test_support {

// A fresh directory per test case, removed at the end: <tmp>/moo_test_<name>_<pid>.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("moo_test_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

// Writes bytes to p, replacing it.
inline void write_bytes(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A stateful run argument: a counter saved in checkpoints.
struct counter {
  int n = 0;
  void save(std::ostream& os) const { moo::io::write(os, n); }
  void load(std::istream& is) { n = moo::io::read<int>(is); }
};

// The message of the E that f() throws ("" when it throws none).
template <class E = moo::error, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

// A run callback that stops the run cleanly after generation g.
struct stop_at {
  std::size_t g;
  bool on_generation(const auto& s) const { return s.generation() < g; }
};

}  // namespace test_support
