// Variation policies for integer genomes: a crossover followed by a mutation of both children, and the
// usual combinations. Each satisfies moo::variation<V, integer_space>. Example:
//   moo::evolver<moo::integer_uniform_reset, moo::nsga2_survival> algo{{.population = 40}};
#pragma once

#include <array>

#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"
#include "moo/variation/integer_crossover.hpp"
#include "moo/variation/integer_mutation.hpp"
#include "moo/variation/integer_sbx.hpp"

namespace moo {

template <class Crossover, class Mutation>
struct integer_variation {
  Crossover crossover{};
  Mutation mutation{};

  std::array<integer_genome, 2> operator()(const integer_space& s, const integer_genome& a, const integer_genome& b,
                                           rng& r) const {
    auto c = crossover(s, a, b, r);
    mutation(s, c[0], r);
    mutation(s, c[1], r);
    return c;
  }
};

// Uniform crossover + random resetting: for categorical genes (operation choices).
using integer_uniform_reset = integer_variation<uniform_crossover, random_reset_mutation>;
// One-point crossover + +-1 steps: for ordinal genes where neighbouring values are similar (depth, width).
using integer_one_point_step = integer_variation<one_point_crossover, step_mutation>;
// SBX + polynomial mutation with rounding: for wide ordinal ranges.
using integer_sbx_pm = integer_variation<rounded_sbx, rounded_polynomial_mutation>;

}  // namespace moo
