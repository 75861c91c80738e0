// Integer genomes: a vector of integers, each inside its own inclusive bounds [lower_i, upper_i] (the
// encoding of super-network configurations: depth, width, kernel choices per position).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"

namespace moo {

using integer_genome = std::vector<long>;

// The box of integer vectors lower_i <= x_i <= upper_i; samples each gene uniformly and checks genomes.
struct integer_space {
  using genome_type = integer_genome;

  std::vector<long> lower;
  std::vector<long> upper;

  // Throws unless lower and upper have the same size and lower_i <= upper_i.
  void validate() const {
    if (lower.size() != upper.size())
      throw dimension_error(detail::message("integer_space: ", lower.size(), " lower bounds but ", upper.size(),
                                            " upper bounds"));
    for (std::size_t i = 0; i < lower.size(); ++i)
      if (lower[i] > upper[i])
        throw value_error(detail::message("integer_space: bounds of gene ", i, " are [", lower[i], ", ", upper[i],
                                          "]"));
  }

  std::size_t size() const { return lower.size(); }

  // The space as checkpoints record it: the number of genes and every bound, exactly.
  std::string description() const {
    return "integer_space of " + std::to_string(lower.size()) + " genes, lower " + detail::describe(lower) + ", upper " +
           detail::describe(upper);
  }

  // Each gene uniform over its lower..upper, both included.
  integer_genome sample(rng& r) const {
    integer_genome x(lower.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<long>(r.integer(lower[i], upper[i]));
    return x;
  }

  // Throws unless x has the right length and every gene is inside its bounds.
  void check(const integer_genome& x) const {
    if (x.size() != lower.size())
      throw dimension_error(detail::message("integer_space: genome has ", x.size(), " genes, expected ",
                                            lower.size()));
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i] < lower[i] || x[i] > upper[i])
        throw value_error(detail::message("integer_space: gene ", i, " = ", x[i], " is outside [", lower[i], ", ",
                                          upper[i], "]"));
  }

  // Example: integer_space::uniform(20, 0, 3) is 20 genes with four choices each.
  static integer_space uniform(std::size_t n, long lo, long hi) {
    return {std::vector<long>(n, lo), std::vector<long>(n, hi)};
  }
};

}  // namespace moo
