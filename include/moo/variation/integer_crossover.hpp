// Crossovers for integer genomes that exchange whole genes, so children stay inside the bounds: uniform
// crossover (Syswerda 1989) and one-point crossover (Holland 1975; Goldberg 1989, Ch. 1).
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"

namespace moo {

// Uniform crossover: with `probability` the pair is crossed, and then each gene is swapped between the
// two children independently with `swap_probability`.
struct uniform_crossover {
  double probability = 0.9;
  double swap_probability = 0.5;

  std::array<integer_genome, 2> operator()(const integer_space&, const integer_genome& a, const integer_genome& b,
                                           rng& r) const {
    std::array<integer_genome, 2> c{a, b};
    if (!r.bernoulli(probability)) return c;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (r.bernoulli(swap_probability)) std::swap(c[0][i], c[1][i]);
    return c;
  }
};

// One-point crossover: with `probability` the pair is crossed at a cut k uniform in 1..n-1, the children
// taking genes [0, k) from one parent and [k, n) from the other.
struct one_point_crossover {
  double probability = 0.9;

  std::array<integer_genome, 2> operator()(const integer_space&, const integer_genome& a, const integer_genome& b,
                                           rng& r) const {
    std::array<integer_genome, 2> c{a, b};
    if (a.size() < 2 || !r.bernoulli(probability)) return c;
    const std::size_t cut = 1 + static_cast<std::size_t>(r.index(a.size() - 1));
    for (std::size_t i = cut; i < a.size(); ++i) std::swap(c[0][i], c[1][i]);
    return c;
  }
};

}  // namespace moo
