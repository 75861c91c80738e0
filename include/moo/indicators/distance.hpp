// Distance-based quality indicators of an approximation set against a reference front (minimization):
// GD, IGD, IGD+ and the additive epsilon indicator. Lower is better for all of them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"

namespace moo {

namespace detail {

// Rejects an empty set or front, differing numbers of objectives, and NaN/infinite values.
inline void check_indicator_input(const matrix& set, const matrix& front, std::string_view what) {
  if (set.empty()) throw value_error(message(what, ": the approximation set is empty"));
  if (front.empty()) throw value_error(message(what, ": the reference front is empty"));
  if (set.cols() != front.cols())
    throw dimension_error(message(what, ": the approximation set has ", set.cols(),
                                  " objectives but the reference front has ", front.cols()));
  if (set.cols() == 0) throw value_error(message(what, ": points have no objectives"));
  set.require_finite(message(what, " (approximation set)"));
  front.require_finite(message(what, " (reference front)"));
}

// Mean over the rows a of `from` of the smallest dist(a, b) over the rows b of `to`.
template <class Distance>
double mean_min_distance(const matrix& from, const matrix& to, Distance dist) {
  double sum = 0.0;
  for (std::size_t i = 0; i < from.rows(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < to.rows(); ++j) best = std::min(best, dist(from.row(i), to.row(j)));
    sum += best;
  }
  return sum / static_cast<double>(from.rows());
}

inline double euclidean(std::span<const double> a, std::span<const double> b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return std::sqrt(s);
}

// Ishibuchi et al.'s d+(z, a) = sqrt(sum_k max(a_k - z_k, 0)^2): how far a is from weakly dominating z.
inline double dominance_distance(std::span<const double> z, std::span<const double> a) {
  double s = 0.0;
  for (std::size_t k = 0; k < z.size(); ++k) {
    const double d = std::max(a[k] - z[k], 0.0);
    s += d * d;
  }
  return std::sqrt(s);
}

}  // namespace detail

// Generational distance: the mean Euclidean distance from each point of `set` to its nearest point of
// `reference_front` (the p = 1 form of GD_p, Schuetze et al., IEEE TEVC 16(4), 2012, Eq. 4; Van
// Veldhuizen's original takes the root of the sum of squares over the count instead).
// Throws value_error on an empty set or front or non-finite values, dimension_error if the numbers of
// objectives differ.
inline double gd(const matrix& set, const matrix& reference_front) {
  detail::check_indicator_input(set, reference_front, "gd");
  return detail::mean_min_distance(set, reference_front, detail::euclidean);
}

// Inverted generational distance: the mean Euclidean distance from each point of `reference_front` to
// its nearest point of `set` (Coello & Reyes Sierra 2004; the p = 1 form of IGD_p, Schuetze et al.
// 2012, Eq. 5). Errors as gd().
inline double igd(const matrix& set, const matrix& reference_front) {
  detail::check_indicator_input(set, reference_front, "igd");
  return detail::mean_min_distance(reference_front, set, detail::euclidean);
}

// IGD+: like IGD with d+(z, a) = sqrt(sum_k max(a_k - z_k, 0)^2) from a reference point z to a set
// point a, which only counts how much a is worse than z; weakly Pareto compliant (Ishibuchi, Masuda,
// Tanigaki, Nojima, "Modified distance calculation in generational distance and inverted generational
// distance", EMO 2015, Eq. 13-14). Errors as gd().
inline double igd_plus(const matrix& set, const matrix& reference_front) {
  detail::check_indicator_input(set, reference_front, "igd_plus");
  return detail::mean_min_distance(reference_front, set, detail::dominance_distance);
}

// Additive epsilon indicator: the smallest eps such that every point z of `reference_front` is weakly
// dominated by some point a of `set` shifted by -eps, i.e. max_z min_a max_k (a_k - z_k) (Zitzler,
// Thiele, Laumanns, Fonseca, da Fonseca, IEEE TEVC 7(2), 2003, Sec. V-A). Negative when `set` strictly
// dominates the whole front. Errors as gd().
inline double epsilon_additive(const matrix& set, const matrix& reference_front) {
  detail::check_indicator_input(set, reference_front, "epsilon_additive");
  double eps = -std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < reference_front.rows(); ++j) {
    const auto z = reference_front.row(j);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < set.rows(); ++i) {
      const auto a = set.row(i);
      double worst = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < z.size(); ++k) worst = std::max(worst, a[k] - z[k]);
      best = std::min(best, worst);
    }
    eps = std::max(eps, best);
  }
  return eps;
}

}  // namespace moo
