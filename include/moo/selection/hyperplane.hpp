// The hyperplane through M extreme points of a front and its axis intercepts: the normalisation step
// shared by NSGA-III (Deb & Jain 2014, Sec. IV-C, steps 2-3) and AGE-MOEA (Panichella 2019, Sec. 3.1).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "moo/core/matrix.hpp"

namespace moo::detail {

// Solves the square system a x = b by Gaussian elimination with partial pivoting; nullopt when a is
// singular (a pivot below 1e-14 of the largest entry of a) or the solution is not finite.
// Example: solve_linear(matrix{{2, 0}, {0, 4}}, {1, 1}) == {0.5, 0.25}.
inline std::optional<std::vector<double>> solve_linear(matrix a, std::vector<double> b) {
  const std::size_t n = a.rows();
  if (a.cols() != n || b.size() != n) return std::nullopt;
  double scale = 0;
  for (double v : a.storage()) scale = std::max(scale, std::abs(v));
  if (!(scale > 0) || !std::isfinite(scale)) return std::nullopt;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t i = col + 1; i < n; ++i)
      if (std::abs(a(i, col)) > std::abs(a(pivot, col))) pivot = i;
    if (std::abs(a(pivot, col)) <= 1e-14 * scale) return std::nullopt;
    if (pivot != col) {
      for (std::size_t j = 0; j < n; ++j) std::swap(a(col, j), a(pivot, j));
      std::swap(b[col], b[pivot]);
    }
    for (std::size_t i = col + 1; i < n; ++i) {
      const double factor = a(i, col) / a(col, col);
      if (factor == 0.0) continue;
      for (std::size_t j = col; j < n; ++j) a(i, j) -= factor * a(col, j);
      b[i] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (std::size_t i = n; i-- > 0;) {
    double s = b[i];
    for (std::size_t j = i + 1; j < n; ++j) s -= a(i, j) * x[j];
    x[i] = s / a(i, i);
    if (!std::isfinite(x[i])) return std::nullopt;
  }
  return x;
}

// Axis intercepts of the hyperplane through the rows of `extremes` (already translated so that the
// ideal point is the origin): a_j = 1 / h_j where extremes * h = 1. nullopt when the system is singular,
// the residual is not small, or an intercept is not above `min_intercept`.
inline std::optional<std::vector<double>> hyperplane_intercepts(const matrix& extremes,
                                                                double min_intercept = 1e-6) {
  const std::size_t m = extremes.cols();
  auto h = solve_linear(extremes, std::vector<double>(m, 1.0));
  if (!h) return std::nullopt;
  for (std::size_t i = 0; i < m; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < m; ++j) s += extremes(i, j) * (*h)[j];
    if (std::abs(s - 1.0) > 1e-8 + 1e-5) return std::nullopt;
  }
  std::vector<double> intercepts(m);
  for (std::size_t j = 0; j < m; ++j) {
    intercepts[j] = 1.0 / (*h)[j];
    if (!std::isfinite(intercepts[j]) || intercepts[j] <= min_intercept) return std::nullopt;
  }
  return intercepts;
}

// Squared distance from point p to the line through the origin with direction w.
inline double squared_distance_to_ray(std::span<const double> p, std::span<const double> w) {
  double pw = 0, ww = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    pw += p[j] * w[j];
    ww += w[j] * w[j];
  }
  const double t = pw / ww;
  double d = 0;
  for (std::size_t j = 0; j < p.size(); ++j) d += (p[j] - t * w[j]) * (p[j] - t * w[j]);
  return d;
}

}  // namespace moo::detail
