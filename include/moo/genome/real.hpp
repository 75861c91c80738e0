// Real-valued genomes: a vector of doubles inside per-variable bounds.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"

namespace moo {

using real_genome = std::vector<double>;

// The box [lower_i, upper_i] of a real-valued problem; samples uniformly and checks genomes.
struct real_space {
  using genome_type = real_genome;

  std::vector<double> lower;
  std::vector<double> upper;

  // Throws unless lower and upper have the same size and lower_i <= upper_i, both finite.
  void validate() const {
    if (lower.size() != upper.size())
      throw dimension_error(detail::message("real_space: ", lower.size(), " lower bounds but ", upper.size(),
                                            " upper bounds"));
    for (std::size_t i = 0; i < lower.size(); ++i)
      if (!std::isfinite(lower[i]) || !std::isfinite(upper[i]) || lower[i] > upper[i])
        throw value_error(detail::message("real_space: bounds of variable ", i, " are [", lower[i], ", ",
                                          upper[i], "]"));
  }

  std::size_t size() const { return lower.size(); }

  // The space as checkpoints record it: the number of variables and every bound, exactly.
  std::string description() const {
    return "real_space of " + std::to_string(lower.size()) + " variables, lower " + detail::describe(lower) + ", upper " +
           detail::describe(upper);
  }

  real_genome sample(rng& r) const {
    real_genome x(lower.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = r.uniform(lower[i], upper[i]);
    return x;
  }

  // Throws unless x has the right length and every value is finite and inside its bounds.
  void check(const real_genome& x) const {
    if (x.size() != lower.size())
      throw dimension_error(detail::message("real_space: genome has ", x.size(), " variables, expected ",
                                            lower.size()));
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!(x[i] >= lower[i] && x[i] <= upper[i]))
        throw value_error(detail::message("real_space: variable ", i, " = ", x[i], " is outside [", lower[i],
                                          ", ", upper[i], "]"));
  }

  // Example: real_space::uniform(30, 0.0, 1.0) is ZDT1's box.
  static real_space uniform(std::size_t n, double lo, double hi) {
    return {std::vector<double>(n, lo), std::vector<double>(n, hi)};
  }
};

}  // namespace moo
