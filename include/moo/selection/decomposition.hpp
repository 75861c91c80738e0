// Decompositions of a multi-objective problem into scalar subproblems g(f | w, z), one per weight vector
// w, relative to the ideal point z (Zhang & Li 2007, MOEA/D, Sec. II-A to II-C). Lower is better.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>

namespace moo {

// A decomposition maps objectives f, a weight vector w and the ideal point z (all of one length) to the
// scalar value of the subproblem of w, lower is better; it is a pure function of its arguments.
template <class D>
concept decomposition = requires(const D& d, std::span<const double> f, std::span<const double> w,
                                 std::span<const double> z) {
  { d(f, w, z) } -> std::convertible_to<double>;
};

// Weighted sum g(f | w) = sum_j w_j f_j (Zhang & Li 2007, Sec. II-A, Eq. 1); finds only the convex
// parts of a front. z is unused.
struct weighted_sum {
  double operator()(std::span<const double> f, std::span<const double> w, std::span<const double>) const {
    double g = 0;
    for (std::size_t j = 0; j < f.size(); ++j) g += w[j] * f[j];
    return g;
  }
};

// Tchebycheff g(f | w, z) = max_j w_j |f_j - z_j| (Zhang & Li 2007, Sec. II-B, Eq. 3). A zero weight
// counts as 1e-6, as in the reference implementations, so that a boundary subproblem still prefers the
// non-dominated of two points equal in its own objective.
struct tchebycheff {
  double operator()(std::span<const double> f, std::span<const double> w, std::span<const double> z) const {
    double g = 0;
    for (std::size_t j = 0; j < f.size(); ++j) g = std::max(g, std::max(w[j], 1e-6) * std::abs(f[j] - z[j]));
    return g;
  }
};

// Penalty-based boundary intersection g = d1 + theta d2 (Zhang & Li 2007, Sec. II-C, Eq. 5):
// d1 = |(f - z) . w| / |w| is the distance along w, d2 = |f - (z + d1 w / |w|)| the distance from the ray.
struct pbi {
  double theta = 5.0;  // penalty on the distance from the ray (Zhang & Li use 5)

  double operator()(std::span<const double> f, std::span<const double> w, std::span<const double> z) const {
    double dot = 0, ww = 0;
    for (std::size_t j = 0; j < f.size(); ++j) {
      dot += (f[j] - z[j]) * w[j];
      ww += w[j] * w[j];
    }
    const double norm = std::sqrt(ww);
    const double d1 = std::abs(dot) / norm;
    double d2 = 0;
    for (std::size_t j = 0; j < f.size(); ++j) {
      const double e = f[j] - (z[j] + d1 * w[j] / norm);
      d2 += e * e;
    }
    return d1 + theta * std::sqrt(d2);
  }
};

}  // namespace moo
