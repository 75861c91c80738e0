// Benchmark data shared by the bm_*.cpp files.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace bench {

// N points on the positive part of the unit sphere in M dimensions, each pushed outward by a uniform
// factor in [1, 1.05]: a thin shell inside the box [0, 1.1]^M, so most points are non-dominated and
// fronts are wide and few (about 7 at M = 3, N = 5000).
inline moo::matrix noisy_sphere(std::size_t m, std::size_t n, std::uint64_t seed) {
  moo::rng g(seed);
  moo::matrix f(n, m);
  std::vector<double> x(m);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (auto& v : x) {
      v = std::abs(g.normal());
      norm += v * v;
    }
    const double scale = (1.0 + 0.05 * g.uniform()) / std::sqrt(norm);
    for (std::size_t j = 0; j < m; ++j) f(i, j) = x[j] * scale;
  }
  return f;
}

}  // namespace bench
