// Test helpers for the pareto module: the seed, random objective sets and brute-force references that
// follow the definitions literally (they share no code with the library's algorithms).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo_test {

// The seed of the randomized tests: MOO_TEST_SEED if set, else a fixed default. Printed by each test.
inline std::uint64_t seed() {
  if (const char* s = std::getenv("MOO_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240601;
}

// a <= b everywhere and a < b somewhere, written out independently of moo::dominates.
inline bool ref_dominates(const moo::matrix& f, std::size_t a, std::size_t b) {
  bool strictly = false;
  for (std::size_t j = 0; j < f.cols(); ++j) {
    if (f(a, j) > f(b, j)) return false;
    if (f(a, j) < f(b, j)) strictly = true;
  }
  return strictly;
}

// Pareto ranks by peeling: the non-dominated points of the remaining set form the next front. O(F N^2).
inline std::vector<std::size_t> peel_ranks(const moo::matrix& f) {
  const std::size_t n = f.rows();
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> rank(n, none);
  std::vector<std::size_t> remaining(n);
  for (std::size_t i = 0; i < n; ++i) remaining[i] = i;
  for (std::size_t r = 0; !remaining.empty(); ++r) {
    std::vector<std::size_t> next;
    for (const std::size_t i : remaining) {
      bool dominated = false;
      for (const std::size_t j : remaining)
        if (ref_dominates(f, j, i)) {
          dominated = true;
          break;
        }
      if (dominated)
        next.push_back(i);
      else
        rank[i] = r;
    }
    remaining.swap(next);
  }
  return rank;
}

// True if rank is the Pareto rank of f: each point's rank is 0 without dominators, else one more than the
// largest rank among its dominators (the dominance relation is acyclic, so only the Pareto ranks satisfy
// this). O(N^2), a check for sets too large to peel.
inline bool is_pareto_rank(const moo::matrix& f, const std::vector<std::size_t>& rank) {
  if (rank.size() != f.rows()) return false;
  for (std::size_t i = 0; i < f.rows(); ++i) {
    std::size_t expected = 0;
    for (std::size_t j = 0; j < f.rows(); ++j)
      if (ref_dominates(f, j, i)) expected = std::max(expected, rank[j] + 1);
    if (rank[i] != expected) return false;
  }
  return true;
}

// Kinds of random objective sets: continuous, a small integer grid (many ties and duplicates), points
// near a front (mostly mutually non-dominated) with some exact copies, and a few distinct rows repeated.
enum class set_kind { uniform, grid, noisy_front, repeated };

inline const char* name(set_kind k) {
  switch (k) {
    case set_kind::uniform: return "uniform";
    case set_kind::grid: return "grid";
    case set_kind::noisy_front: return "noisy_front";
    case set_kind::repeated: return "repeated";
  }
  return "?";
}

// Points on the positive unit sphere pushed outward by up to `noise`, deterministic for a given rng.
inline moo::matrix noisy_front(moo::rng& g, std::size_t n, std::size_t m, double noise) {
  moo::matrix f(n, m);
  std::vector<double> x(m);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (auto& v : x) {
      v = std::abs(g.normal());
      norm += v * v;
    }
    norm = std::sqrt(norm);
    if (norm == 0) norm = 1;
    const double scale = 1.0 + noise * g.uniform();
    for (std::size_t j = 0; j < m; ++j) f(i, j) = x[j] / norm * scale;
  }
  return f;
}

// Integer values in [0, levels): ties in every objective, duplicates when levels^m is small.
inline moo::matrix grid_set(moo::rng& g, std::size_t n, std::size_t m, std::uint64_t levels) {
  moo::matrix f(n, m);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) f(i, j) = static_cast<double>(g.index(levels));
  return f;
}

inline moo::matrix random_set(moo::rng& g, set_kind kind, std::size_t n, std::size_t m) {
  moo::matrix f(n, m);
  switch (kind) {
    case set_kind::uniform:
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) f(i, j) = g.uniform(-1.0, 1.0);
      break;
    case set_kind::grid:
      f = grid_set(g, n, m, 1 + g.index(5));
      break;
    case set_kind::noisy_front: {
      f = noisy_front(g, n, m, g.uniform(0.0, 0.2));
      for (std::size_t i = 1; i < n; ++i)  // about 10% exact copies of earlier points
        if (g.bernoulli(0.1)) {
          const auto src = g.index(i);
          for (std::size_t j = 0; j < m; ++j) f(i, j) = f(src, j);
        }
      break;
    }
    case set_kind::repeated: {
      const auto distinct = 1 + g.index(8);
      moo::matrix pool(distinct, m);
      for (std::size_t i = 0; i < distinct; ++i)
        for (std::size_t j = 0; j < m; ++j) pool(i, j) = static_cast<double>(g.index(3)) - 1.0;
      for (std::size_t i = 0; i < n; ++i) {
        const auto src = g.index(distinct);
        for (std::size_t j = 0; j < m; ++j) f(i, j) = pool(src, j);
      }
      break;
    }
  }
  return f;
}

}  // namespace moo_test
