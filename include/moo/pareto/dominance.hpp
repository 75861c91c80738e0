// Pareto dominance between two objective vectors (minimization), a three-way Pareto comparison and
// Deb's constraint-domination rule.
#pragma once

#include <cstddef>
#include <span>

#include "moo/core/error.hpp"

namespace moo {

// How two objective vectors a and b relate under Pareto dominance (minimization).
enum class pareto_relation {
  dominates,     // a is no worse than b in every objective and better in at least one
  dominated,     // b dominates a
  equal,         // a and b are identical in every objective
  incomparable,  // each is better than the other in some objective
};

namespace detail {

// Throws dimension_error unless a and b have the same number of objectives.
constexpr void require_same_objectives(std::span<const double> a, std::span<const double> b, const char* what) {
  if (a.size() != b.size())
    throw dimension_error(message(what, ": first vector has ", a.size(), " objectives, second has ",
                                  b.size()));
}

// Throws value_error naming the objective where a or b is NaN; called only once x<y and x>y both failed.
[[noreturn]] inline void throw_unordered_objective(double x, double y, std::size_t j, const char* what) {
  throw value_error(message(what, ": NaN at objective ", j, " (first ", x, ", second ", y, ")"));
}

}  // namespace detail

// True if a Pareto-dominates b: a[j] <= b[j] for every j and a[j] < b[j] for some j.
// Throws dimension_error on a size mismatch and value_error on a NaN (infinities are ordered).
// Example: dominates(std::array{1.0, 2.0}, std::array{1.0, 3.0}) is true; a point never dominates itself.
constexpr bool dominates(std::span<const double> a, std::span<const double> b) {
  detail::require_same_objectives(a, b, "dominates");
  bool better = false;
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (a[j] < b[j])
      better = true;
    else if (a[j] > b[j])
      return false;
    else if (a[j] != b[j])
      detail::throw_unordered_objective(a[j], b[j], j, "dominates");
  }
  return better;
}

// Three-way Pareto comparison of a with b in one pass over the objectives.
// Throws dimension_error on a size mismatch and value_error on a NaN.
constexpr pareto_relation pareto_compare(std::span<const double> a, std::span<const double> b) {
  detail::require_same_objectives(a, b, "pareto_compare");
  bool a_better = false;
  bool b_better = false;
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (a[j] < b[j])
      a_better = true;
    else if (a[j] > b[j])
      b_better = true;
    else if (a[j] != b[j])
      detail::throw_unordered_objective(a[j], b[j], j, "pareto_compare");
  }
  if (a_better) return b_better ? pareto_relation::incomparable : pareto_relation::dominates;
  return b_better ? pareto_relation::dominated : pareto_relation::equal;
}

// Deb's constraint-domination (Deb et al., IEEE TEC 6(2) 2002, NSGA-II, Sec. VI): a point is
// feasible when its total violation is <= 0; a feasible point beats an infeasible one, of two infeasible
// points the one with the smaller violation wins, and two feasible points compare by Pareto dominance.
// Throws dimension_error on a size mismatch, value_error on a NaN violation, and value_error on a NaN
// objective whenever the objectives are compared (both points feasible).
constexpr bool constrained_dominates(std::span<const double> a, double violation_a, std::span<const double> b,
                                  double violation_b) {
  detail::require_same_objectives(a, b, "constrained_dominates");
  if (violation_a != violation_a || violation_b != violation_b)  // NaN (std::isnan is not constexpr)
    throw value_error(detail::message("constrained_dominates: NaN constraint violation (first ",
                                      violation_a, ", second ", violation_b, ")"));
  const bool feasible_a = violation_a <= 0.0;
  const bool feasible_b = violation_b <= 0.0;
  if (feasible_a && feasible_b) return dominates(a, b);
  if (feasible_a != feasible_b) return feasible_a;
  return violation_a < violation_b;
}

}  // namespace moo
