// AGE-MOEA survival (Panichella, GECCO 2019, "An adaptive evolutionary algorithm based on non-euclidean
// geometry for many-objective optimization", Sec. 3 and Algorithms 1-4): fill by non-dominated fronts and
// truncate the last one by a survival score computed in a normalised space whose L_p geometry is
// estimated from the first front. First front: extreme points score +inf, the others are ranked greedily
// by diversity / proximity; later fronts score 1 / proximity.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/sorting.hpp"
#include "moo/selection/hyperplane.hpp"

namespace moo {

namespace detail::agemoea {

// The L_p norm of x (p > 0), with exact fast paths for p = 1 and p = 2.
inline double lp_norm(std::span<const double> x, double p) {
  double s = 0;
  if (p == 1.0) {
    for (double v : x) s += std::abs(v);
    return s;
  }
  if (p == 2.0) {
    for (double v : x) s += v * v;
    return std::sqrt(s);
  }
  for (double v : x) s += std::pow(std::abs(v), p);
  return std::pow(s, 1.0 / p);
}

// The L_p distance between a and b.
inline double lp_distance(std::span<const double> a, std::span<const double> b, double p) {
  double s = 0;
  if (p == 1.0) {
    for (std::size_t j = 0; j < a.size(); ++j) s += std::abs(a[j] - b[j]);
    return s;
  }
  if (p == 2.0) {
    for (std::size_t j = 0; j < a.size(); ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
    return std::sqrt(s);
  }
  for (std::size_t j = 0; j < a.size(); ++j) s += std::pow(std::abs(a[j] - b[j]), p);
  return std::pow(s, 1.0 / p);
}

// The extreme ("corner") points of a front translated to the ideal point: for each axis j the point
// nearest to the line along e_j (+1e-6 in every component), each point used once (Panichella 2019,
// Sec. 3.1). With no more points than objectives every point is extreme.
inline std::vector<std::size_t> corner_solutions(const matrix& front) {
  const std::size_t n = front.rows(), m = front.cols();
  std::vector<std::size_t> out;
  if (n <= m) {
    out.resize(n);
    std::iota(out.begin(), out.end(), std::size_t{0});
    return out;
  }
  std::vector<bool> taken(n, false);
  std::vector<double> axis(m);
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t q = 0; q < m; ++q) axis[q] = (q == j ? 1.0 : 0.0) + 1e-6;
    double best = std::numeric_limits<double>::infinity();
    std::size_t arg = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      const double d = detail::squared_distance_to_ray(front.row(i), axis);
      if (d < best) {
        best = d;
        arg = i;
      }
    }
    taken[arg] = true;
    out.push_back(arg);
  }
  return out;
}

// The per-objective divisors that normalise a translated front: the intercepts of the hyperplane through
// the extreme points (Panichella 2019, Sec. 3.1), or the largest value of each objective when that
// hyperplane is degenerate or has a negative or infinite intercept; a zero divisor becomes 1.
inline std::vector<double> normalization(const matrix& front, const std::vector<std::size_t>& extreme) {
  const std::size_t m = front.cols();
  std::vector<double> scale(m, 0.0);
  for (std::size_t i = 0; i < front.rows(); ++i)
    for (std::size_t j = 0; j < m; ++j) scale[j] = std::max(scale[j], front(i, j));
  if (extreme.size() == m) {
    if (auto h = detail::solve_linear(front.select(extreme), std::vector<double>(m, 1.0))) {
      bool ok = true;
      std::vector<double> intercept(m);
      for (std::size_t j = 0; j < m && ok; ++j) {
        intercept[j] = 1.0 / (*h)[j];
        ok = (*h)[j] >= 0 && std::isfinite(intercept[j]);
      }
      if (ok) scale = intercept;
    }
  }
  for (auto& s : scale)
    if (s == 0.0) s = 1.0;
  return scale;
}

// The exponent p of the L_p "sphere" ||f||_p = 1 through the front's central point: the non-extreme
// point c of the normalised front nearest to the diagonal; with M objectives, M (mean c)^p = 1 gives
// p = ln M / ln(1 / mean c) (Panichella 2019, Sec. 3.2). Clamped: NaN or <= 0.1 gives 1, > 20 gives 20.
// Examples: a linear front gives 1, a spherical one 2.
inline double estimate_p(const matrix& normalized, const std::vector<std::size_t>& extreme) {
  const std::size_t n = normalized.rows(), m = normalized.cols();
  std::vector<bool> is_extreme(n, false);
  for (auto e : extreme) is_extreme[e] = true;
  const std::vector<double> diagonal(m, 1.0);
  double best = std::numeric_limits<double>::infinity();
  std::size_t central = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_extreme[i]) continue;
    const double d = detail::squared_distance_to_ray(normalized.row(i), diagonal);
    if (d < best) {
      best = d;
      central = i;
    }
  }
  if (central == n) return 1.0;
  double mean = 0;
  for (double v : normalized.row(central)) mean += v;
  mean /= static_cast<double>(m);
  const double p = std::log(static_cast<double>(m)) / std::log(1.0 / mean);
  if (std::isnan(p) || p <= 0.1) return 1.0;
  return std::min(p, 20.0);
}

// Survival scores of the first front (Panichella 2019, Algorithm 3): +inf for the extreme points; the
// others are selected greedily, each time the point with the largest diversity/proximity, where diversity
// is the L_p distance to its two nearest already-selected points and proximity its L_p norm; a point's
// score is that value at the time it was selected. Returns the scores, p and the normalisation divisors.
struct front_score {
  std::vector<double> score;
  double p = 1.0;
  std::vector<double> scale;
};

inline front_score score_first_front(const matrix& translated) {
  const std::size_t n = translated.rows(), m = translated.cols();
  front_score out;
  out.score.assign(n, 0.0);
  if (n < m) {
    out.scale = normalization(translated, {});
    std::fill(out.score.begin(), out.score.end(), std::numeric_limits<double>::infinity());
    return out;
  }
  const auto extreme = corner_solutions(translated);
  out.scale = normalization(translated, extreme);
  matrix f = translated;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) f(i, j) /= out.scale[j];
  out.p = estimate_p(f, extreme);

  std::vector<double> proximity(n);
  for (std::size_t i = 0; i < n; ++i) proximity[i] = std::max(lp_norm(f.row(i), out.p), 1e-12);
  std::vector<bool> selected(n, false);
  std::vector<std::size_t> chosen;
  for (auto e : extreme) {
    selected[e] = true;
    out.score[e] = std::numeric_limits<double>::infinity();
    chosen.push_back(e);
  }
  std::vector<std::size_t> remaining;
  for (std::size_t i = 0; i < n; ++i)
    if (!selected[i]) remaining.push_back(i);
  // For each remaining point, its two smallest distances to the selected set, kept as sums of |.|^p
  // (the root is monotone, so only the value of a point whose two nearest change needs a root), and its
  // cached greedy value (d1 + d2) / proximity.
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double p = out.p;
  const auto power_sum = [&](std::size_t i, std::size_t j) {
    double s = 0;
    const auto a = f.row(i), b = f.row(j);
    if (p == 1.0)
      for (std::size_t k = 0; k < m; ++k) s += std::abs(a[k] - b[k]);
    else if (p == 2.0)
      for (std::size_t k = 0; k < m; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
    else
      for (std::size_t k = 0; k < m; ++k) s += std::pow(std::abs(a[k] - b[k]), p);
    return s;
  };
  const auto root = [&](double s) { return p == 1.0 ? s : p == 2.0 ? std::sqrt(s) : std::pow(s, 1.0 / p); };
  std::vector<double> s1(n, inf), s2(n, inf), value(n, 0.0);
  const auto refresh = [&](std::size_t i) {
    value[i] = (root(s1[i]) + (chosen.size() > 1 ? root(s2[i]) : 0.0)) / proximity[i];
  };
  const auto add = [&](std::size_t i, std::size_t j) {
    const double d = power_sum(i, j);
    if (d < s1[i]) {
      s2[i] = s1[i];
      s1[i] = d;
      return true;
    }
    if (d < s2[i]) {
      s2[i] = d;
      return true;
    }
    return false;
  };
  for (std::size_t i : remaining) {
    for (std::size_t j : chosen) add(i, j);
    refresh(i);
  }
  while (!remaining.empty()) {
    std::size_t best_pos = 0;
    double best = -inf;
    for (std::size_t pos = 0; pos < remaining.size(); ++pos)
      if (value[remaining[pos]] > best) {
        best = value[remaining[pos]];
        best_pos = pos;
      }
    const std::size_t pick = remaining[best_pos];
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best_pos));
    out.score[pick] = best;
    chosen.push_back(pick);
    const bool second_appears = chosen.size() == 2;
    for (std::size_t i : remaining)
      if (add(i, pick) || second_appears) refresh(i);
  }
  return out;
}

}  // namespace detail::agemoea

struct agemoea_survival {
  // Keeps k rows of f: whole fronts while they fit, then the best scores of the splitting front (equal
  // scores broken by the rng). Rank = front index, score = survival score (higher is better).
  survivors survive(const matrix& f, std::size_t k, rng& r) const {
    f.require_finite("agemoea_survival");
    k = std::min(k, f.rows());
    survivors s;
    if (k == 0) return s;
    const std::size_t m = f.cols();
    const auto fronts = non_dominated_fronts(f, k);
    const matrix first = f.select(fronts.front());
    std::vector<double> ideal(m, std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < first.rows(); ++i)
      for (std::size_t j = 0; j < m; ++j) ideal[j] = std::min(ideal[j], first(i, j));
    matrix translated = first;
    for (std::size_t i = 0; i < translated.rows(); ++i)
      for (std::size_t j = 0; j < m; ++j) translated(i, j) -= ideal[j];
    const auto head = detail::agemoea::score_first_front(translated);

    s.index.reserve(k);
    s.rank.reserve(k);
    s.score.reserve(k);
    std::vector<double> point(m);
    for (std::size_t q = 0; q < fronts.size() && s.index.size() < k; ++q) {
      const auto& front = fronts[q];
      std::vector<double> score(front.size());
      if (q == 0) {
        score = head.score;
      } else {
        for (std::size_t t = 0; t < front.size(); ++t) {
          for (std::size_t j = 0; j < m; ++j) point[j] = (f(front[t], j) - ideal[j]) / head.scale[j];
          score[t] = 1.0 / std::max(detail::agemoea::lp_norm(point, head.p), 1e-12);
        }
      }
      std::vector<std::size_t> order(front.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      if (s.index.size() + front.size() > k) {
        r.shuffle(order.begin(), order.end());
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
        order.resize(k - s.index.size());
      }
      for (std::size_t t : order) {
        s.index.push_back(front[t]);
        s.rank.push_back(q);
        s.score.push_back(score[t]);
      }
    }
    return s;
  }
};

}  // namespace moo
