// Helpers shared by the run_*.cpp tests: a scratch directory and bit-for-bit result comparison.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "moo/algorithm/result.hpp"

namespace run_test {

// A fresh directory per test case, removed at the end.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("moo_test_run_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

// Checks that two results are bit-identical: genomes, objectives, ranks and counters.
template <class G>
void check_identical(const moo::result<G>& a, const moo::result<G>& b) {
  CHECK(a.generations == b.generations);
  CHECK(a.evaluations == b.evaluations);
  CHECK(a.rank == b.rank);
  CHECK(a.objectives == b.objectives);
  CHECK(a.genomes == b.genomes);
  const auto& x = a.objectives.storage();
  const auto& y = b.objectives.storage();
  CHECK((x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0));
}

}  // namespace run_test
