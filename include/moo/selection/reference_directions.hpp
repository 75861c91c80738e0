// Reference directions on the unit simplex (points w >= 0 with sum(w) = 1), one row per direction:
// the structured Das-Dennis lattice (Das & Dennis 1998; two layers as in Deb & Jain 2014, Sec. IV-B)
// and directions spread by minimising the Riesz s-energy (Blank, Deb, Dhebar, Bandaru & Seada 2021).
// NSGA-III associates solutions with them; MOEA/D uses them as decomposition weights.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo {

// The number of Das-Dennis directions with `partitions` divisions per axis in m objectives:
// C(partitions + m - 1, m - 1) (Das & Dennis 1998; Deb & Jain 2014, Eq. 4).
// Example: das_dennis_count(12, 3) == 91.
inline std::size_t das_dennis_count(std::size_t partitions, std::size_t m) {
  if (m == 0) return 0;
  std::size_t c = 1;  // C(partitions + i, i) built up one factor at a time stays an integer.
  for (std::size_t i = 1; i < m; ++i) c = c * (partitions + i) / i;
  return c;
}

// All points of the simplex lattice {w : w_j = k_j / partitions, k_j in N, sum(k) = partitions}, in
// lexicographic order of (k_0, k_1, ...) descending from the first axis. Throws value_error for m == 0,
// or partitions == 0 with m > 1 (no such point sums to one).
// Example: das_dennis(2, 2) is {{1, 0}, {0.5, 0.5}, {0, 1}}.
inline matrix das_dennis(std::size_t partitions, std::size_t m) {
  if (m == 0) throw value_error("das_dennis: the number of objectives must be positive, got 0");
  if (partitions == 0 && m > 1)
    throw value_error(detail::message("das_dennis: 0 partitions give no direction in ", m, " objectives"));
  matrix out(das_dennis_count(partitions, m), m);
  std::vector<std::size_t> k(m, 0);
  std::size_t row = 0;
  const double p = static_cast<double>(std::max<std::size_t>(partitions, 1));
  auto rec = [&](auto&& self, std::size_t j, std::size_t left) -> void {
    if (j + 1 == m) {
      k[j] = left;
      for (std::size_t i = 0; i < m; ++i) out(row, i) = static_cast<double>(k[i]) / p;
      ++row;
      return;
    }
    for (std::size_t v = left + 1; v-- > 0;) {
      k[j] = v;
      self(self, j + 1, left - v);
    }
  };
  rec(rec, 0, partitions);
  if (m == 1) out(0, 0) = 1.0;
  return out;
}

// The partitions whose Das-Dennis set has exactly `count` directions in m objectives; throws value_error
// naming the nearest counts when there is none (MOEA/D needs one weight per individual).
inline std::size_t das_dennis_partitions_for(std::size_t count, std::size_t m) {
  if (m < 2) throw value_error(detail::message("das_dennis_partitions_for: needs m >= 2, got ", m));
  std::size_t p = 1;
  while (das_dennis_count(p, m) < count) ++p;
  if (das_dennis_count(p, m) != count)
    throw value_error(detail::message("das_dennis_partitions_for: ", count, " is not a Das-Dennis count in ", m,
                                      " objectives (nearest: ", p > 1 ? das_dennis_count(p - 1, m) : 0, " with ",
                                      p - 1, " partitions, ", das_dennis_count(p, m), " with ", p, ")"));
  return p;
}

// The largest Das-Dennis set with at most `count` directions (at least the m axes).
inline matrix das_dennis_at_most(std::size_t count, std::size_t m) {
  std::size_t p = 1;
  while (das_dennis_count(p + 1, m) <= count) ++p;
  return das_dennis(p, m);
}

// Two-layer Das-Dennis directions for many objectives (Deb & Jain 2014, Sec. IV-B, Fig. 4): the boundary
// layer with `outer` partitions and an inner layer with `inner` partitions shrunk toward the centroid,
// w = scale * w' + (1 - scale) / m (Deb & Jain use scale = 1/2).
// Example: das_dennis_two_layer(3, 2, 8) has C(10,7) + C(9,7) = 120 + 36 = 156 directions.
inline matrix das_dennis_two_layer(std::size_t outer, std::size_t inner, std::size_t m, double scale = 0.5) {
  if (!(scale > 0.0 && scale < 1.0))
    throw value_error(detail::message("das_dennis_two_layer: inner scale must be in (0, 1), got ", scale));
  matrix out = das_dennis(outer, m);
  const matrix in = das_dennis(inner, m);
  std::vector<double> w(m);
  for (std::size_t i = 0; i < in.rows(); ++i) {
    for (std::size_t j = 0; j < m; ++j) w[j] = scale * in(i, j) + (1.0 - scale) / static_cast<double>(m);
    out.push_back(w);
  }
  return out;
}

// Settings of the Riesz s-energy minimisation.
struct riesz_options {
  double s = 0.0;                    // energy exponent; 0 = 2 m (the default of Blank et al.'s code)
  std::size_t iterations = 1000;     // at most this many gradient steps
  double learning_rate = 0.005;      // Adam's step size, halved on every restart
  double precision = 1e-5;           // stop when the points move less than this on average
  std::size_t patience = 30;         // steps without improvement before a restart from the best set
};

namespace detail {

// log of the mean Riesz s-energy, log(mean_{i<j} |x_i - x_j|^-s), and its gradient (Blank et al. 2021,
// Eq. 3 and its derivative). Computed relative to the smallest distance so that large s cannot overflow.
inline double riesz_log_energy(const matrix& x, double s, matrix* gradient) {
  const std::size_t n = x.rows();
  const std::size_t m = x.cols();
  std::vector<double> dist(n * n, 0.0);
  double dmin = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      double d = 0;
      for (std::size_t k = 0; k < m; ++k) d += (x(i, k) - x(j, k)) * (x(i, k) - x(j, k));
      d = std::max(std::sqrt(d), 1e-300);
      dist[i * n + j] = dist[j * n + i] = d;
      dmin = std::min(dmin, d);
    }
  // energy = dmin^-s * sum (d / dmin)^-s
  double scaled = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) scaled += std::pow(dist[i * n + j] / dmin, -s);
  const double pairs = static_cast<double>(n * (n - 1) / 2);
  const double log_energy = -s * std::log(dmin) + std::log(scaled) - std::log(pairs);
  if (gradient) {
    *gradient = matrix(n, m, 0.0);
    // d log E / d x_i = -s / E * sum_j (x_i - x_j) |x_i - x_j|^-(s+2); with E = dmin^-s * scaled.
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        if (i == j) continue;
        const double d = dist[i * n + j];
        const double c = -s * std::pow(d / dmin, -s) / (d * d) / scaled;
        for (std::size_t k = 0; k < m; ++k) (*gradient)(i, k) += c * (x(i, k) - x(j, k));
      }
  }
  return log_energy;
}

// Euclidean projection of a point onto the unit simplex (Duchi, Shalev-Shwartz, Singer & Chandra 2008,
// Fig. 1).
inline void project_onto_simplex(std::span<double> v) {
  std::vector<double> u(v.begin(), v.end());
  std::sort(u.begin(), u.end(), std::greater<>());
  double cumulative = 0, theta = 0;
  for (std::size_t j = 0; j < u.size(); ++j) {
    cumulative += u[j];
    const double t = (cumulative - 1.0) / static_cast<double>(j + 1);
    if (u[j] - t > 0) theta = t;
  }
  double sum = 0;
  for (auto& x : v) {
    x = std::max(x - theta, 0.0);
    sum += x;
  }
  for (auto& x : v) x /= sum;
}

}  // namespace detail

// The log mean Riesz s-energy of a set of directions (lower is more evenly spread; Blank et al. 2021).
inline double riesz_log_energy(const matrix& directions, double s) {
  if (directions.rows() < 2) throw value_error("riesz_log_energy: needs at least two directions");
  return detail::riesz_log_energy(directions, s, nullptr);
}

// `count` directions on the m-simplex spread by minimising the Riesz s-energy with projected Adam
// steps (Blank et al. 2021, Sec. 3): the m axes are kept fixed, the others start uniformly at random on
// the simplex (drawn from an rng seeded with `seed`), each step projects the normalised gradient onto the
// plane sum = 0 and the result back onto the simplex, and the lowest-energy set seen is returned. Any
// count >= m is possible, unlike Das-Dennis. The same seed gives the same directions.
// Example: auto w = riesz_s_energy(100, 3, 1);
inline matrix riesz_s_energy(std::size_t count, std::size_t m, std::uint64_t seed, riesz_options o = {}) {
  if (m < 2) throw value_error(detail::message("riesz_s_energy: needs m >= 2 objectives, got ", m));
  if (count < m)
    throw value_error(detail::message("riesz_s_energy: ", count, " directions cannot hold the ", m, " axes"));
  const double s = o.s > 0 ? o.s : 2.0 * static_cast<double>(m);
  rng r(seed);
  matrix x(count, m, 0.0);
  for (std::size_t i = 0; i < m; ++i) x(i, i) = 1.0;
  for (std::size_t i = m; i < count; ++i) {
    // Uniform on the simplex: normalised exponential draws.
    double sum = 0;
    for (std::size_t k = 0; k < m; ++k) sum += x(i, k) = -std::log(1.0 - r.uniform());
    for (std::size_t k = 0; k < m; ++k) x(i, k) /= sum;
  }
  if (count == m) return x;

  matrix best = x;
  double best_energy = std::numeric_limits<double>::infinity();
  double alpha = o.learning_rate;
  constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  matrix first(count, m, 0.0), second(count, m, 0.0), grad;
  std::size_t t = 0, not_improved = 0;
  for (std::size_t it = 0; it < o.iterations; ++it) {
    const double energy = detail::riesz_log_energy(x, s, &grad);
    if (!std::isfinite(energy)) break;
    if (energy < best_energy) {
      best = x;
      best_energy = energy;
      not_improved = 0;
    } else if (++not_improved > o.patience) {
      alpha /= 2.0;
      x = best;
      first = matrix(count, m, 0.0);
      second = matrix(count, m, 0.0);
      t = 0;
      not_improved = 0;
      continue;
    }
    // Project onto sum = 0 (stay on the simplex's plane); freeze the axes; normalise by the largest norm.
    double largest = 1e-24;
    for (std::size_t i = 0; i < count; ++i) {
      auto g = grad.row(i);
      if (i < m) {
        std::fill(g.begin(), g.end(), 0.0);
        continue;
      }
      const double mean = std::accumulate(g.begin(), g.end(), 0.0) / static_cast<double>(m);
      double norm = 0;
      for (auto& v : g) {
        v -= mean;
        norm += v * v;
      }
      largest = std::max(largest, std::sqrt(norm));
    }
    ++t;
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
    double moved = 0;
    for (std::size_t i = m; i < count; ++i) {
      auto row = x.row(i);
      const std::vector<double> before(row.begin(), row.end());
      for (std::size_t k = 0; k < m; ++k) {
        const double g = grad(i, k) / largest;
        first(i, k) = beta1 * first(i, k) + (1.0 - beta1) * g;
        second(i, k) = beta2 * second(i, k) + (1.0 - beta2) * g * g;
        row[k] -= alpha * (first(i, k) / c1) / (std::sqrt(second(i, k) / c2) + eps);
      }
      detail::project_onto_simplex(row);
      for (std::size_t k = 0; k < m; ++k) moved += std::abs(row[k] - before[k]);
    }
    if (moved / static_cast<double>(count * m) < o.precision) break;
  }
  const double last = detail::riesz_log_energy(x, s, nullptr);
  return last < best_energy ? x : best;
}

}  // namespace moo
