// NSGA-II's real-valued variation: SBX, then polynomial mutation of both children.
#pragma once

#include <array>

#include "moo/core/rng.hpp"
#include "moo/genome/real.hpp"
#include "moo/variation/polynomial_mutation.hpp"
#include "moo/variation/sbx.hpp"

namespace moo {

struct sbx_pm {
  sbx crossover{};
  polynomial_mutation mutation{};

  std::array<real_genome, 2> operator()(const real_space& s, const real_genome& a, const real_genome& b,
                                        rng& r) const {
    auto c = crossover(s, a, b, r);
    mutation(s, c[0], r);
    mutation(s, c[1], r);
    return c;
  }

  // The first child only, mutated (for searchers that take one child per mating, e.g. MOEA/D).
  real_genome child(const real_space& s, const real_genome& a, const real_genome& b, rng& r) const {
    auto c = crossover.child(s, a, b, r);
    mutation(s, c, r);
    return c;
  }
};

}  // namespace moo
