// Hypervolume indicator (minimization): the volume of objective space that a set of points dominates
// and a reference point bounds; and each point's exclusive contribution to it.
//
// Exact in every dimension: a sweep in 2-D, Beume et al.'s sweep in 3-D, HV4D+ (Guerreiro &
// Fonseca 2018) in 4-D, and a WFG-style recursion (While, Bradstreet, Barone 2012) above, which ends in
// HV4D+. Semantics: a point that does not strictly dominate the reference point (equal to it or worse in
// some objective) contributes nothing, unless hypervolume_options::require_bounded asks for an error;
// duplicates count once; dominated points contribute nothing. (pagmo 2.18 instead throws when a point is
// worse than the reference in some objective, and accepts one equal to it; pymoo, as here, drops every
// point that is not better than the reference in every objective.)
#pragma once

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/indicators/detail/hvnd.hpp"

namespace moo {

// Options of hypervolume() and hypervolume_contributions().
// Example: moo::hypervolume(front, ref, {.require_bounded = true});
struct hypervolume_options {
  // If true, a point that does not strictly dominate the reference point is a value_error naming the
  // point and the objective; if false (default) such a point contributes nothing.
  bool require_bounded = false;
};

// Throws value_error naming the point, the objective and both values unless every point strictly
// dominates the reference point (is smaller in every objective). Call after the dimensions are checked.
inline void require_bounded(const matrix& points, std::span<const double> reference) {
  for (std::size_t i = 0; i < points.rows(); ++i)
    for (std::size_t j = 0; j < points.cols(); ++j)
      if (!(points(i, j) < reference[j]))
        throw value_error(detail::message("hypervolume: point ", i,
                                          " does not strictly dominate the reference "
                                          "point in objective ",
                                          j, " (", points(i, j), " >= ", reference[j],
                                          "); the reference point must bound the set"));
}

namespace detail {

// Checks the input of the hypervolume functions and gathers the points strictly inside the reference
// box, row-major; `kept` receives their row indices.
inline std::vector<double> hv_prepare(const matrix& points, std::span<const double> reference,
                                      const hypervolume_options& options, const char* what,
                                      std::vector<std::size_t>* kept = nullptr) {
  if (reference.empty()) throw value_error(message(what, ": empty reference point"));
  for (std::size_t j = 0; j < reference.size(); ++j)
    if (!std::isfinite(reference[j]))
      throw value_error(
          message(what, ": reference point has non-finite value ", reference[j], " in objective ", j));
  if (points.empty()) return {};
  if (points.cols() != reference.size())
    throw dimension_error(message(what, ": points have ", points.cols(),
                                  " objectives but the reference point has ", reference.size()));
  points.require_finite(what);
  if (options.require_bounded) require_bounded(points, reference);
  const std::size_t d = points.cols();
  std::vector<double> inside;
  inside.reserve(points.rows() * d);
  for (std::size_t i = 0; i < points.rows(); ++i) {
    const auto r = points.row(i);
    bool in = true;
    for (std::size_t j = 0; j < d; ++j) in &= r[j] < reference[j];
    if (!in) continue;
    inside.insert(inside.end(), r.begin(), r.end());
    if (kept) kept->push_back(i);
  }
  return inside;
}

}  // namespace detail

// Hypervolume of `points` (one row per point, minimization) with respect to `reference`.
// Throws value_error on NaN/infinite values or an empty or non-finite reference point, dimension_error
// if the reference point's size differs from the number of objectives. An empty set has volume 0.
// Example: moo::hypervolume(moo::matrix{{1, 2}, {2, 1}}, std::vector{3.0, 3.0}) == 3
inline double hypervolume(const matrix& points, std::span<const double> reference,
                          const hypervolume_options& options = {}) {
  const auto inside = detail::hv_prepare(points, reference, options, "hypervolume");
  const std::size_t d = reference.size();
  return detail::hv_any(inside.data(), inside.size() / d, d, reference.data());
}

inline double hypervolume(const matrix& points, std::initializer_list<double> reference,
                          const hypervolume_options& options = {}) {
  return hypervolume(points, std::span<const double>(reference.begin(), reference.size()), options);
}

// The same for points given as rows of a vector; rows of unequal length are a dimension_error.
inline double hypervolume(const std::vector<std::vector<double>>& points, std::span<const double> reference,
                          const hypervolume_options& options = {}) {
  return hypervolume(matrix::from_rows(points), reference, options);
}

// Exclusive contribution of each point, hv(S) - hv(S \ {i}), in row order: 0 for points outside the
// reference box, for weakly dominated points, and for both copies of a duplicate; a weakly dominated
// point still lowers the contribution of a point that alone dominates it (it is part of S \ {i}).
// O(n log n) in 2-D and 3-D (sweeps, the 3-D one after Guerreiro & Fonseca's HVC3D); from 4-D on, one
// hypervolume of a (filtered) limit set per point, fine for a few hundred points in 4-5-D.
inline std::vector<double> hypervolume_contributions(const matrix& points, std::span<const double> reference,
                                                     const hypervolume_options& options = {}) {
  std::vector<std::size_t> kept;
  const auto inside = detail::hv_prepare(points, reference, options, "hypervolume_contributions", &kept);
  std::vector<double> out(points.rows(), 0.0);
  if (kept.empty()) return out;
  const auto c = detail::hvc_any(inside.data(), kept.size(), reference.size(), reference.data());
  for (std::size_t k = 0; k < kept.size(); ++k) out[kept[k]] = c[k];
  return out;
}

inline std::vector<double> hypervolume_contributions(const matrix& points,
                                                     std::initializer_list<double> reference,
                                                     const hypervolume_options& options = {}) {
  return hypervolume_contributions(points, std::span<const double>(reference.begin(), reference.size()),
                                   options);
}

}  // namespace moo
