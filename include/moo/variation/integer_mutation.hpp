// Mutations for integer genomes: random resetting (Eiben & Smith 2015, Sec. 4.3.1) and a +-step
// ("creep") mutation (Eiben & Smith 2015, Sec. 4.3.1). Both keep every gene inside its bounds.
#pragma once

#include <algorithm>
#include <cstddef>

#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"

namespace moo {

namespace detail {
// The per-gene mutation chance: `probability`, or 1 / n when it is negative.
inline double gene_probability(double probability, std::size_t n) {
  return probability < 0 ? 1.0 / static_cast<double>(std::max<std::size_t>(n, 1)) : probability;
}
}  // namespace detail

// Random resetting: each gene mutates with `probability` (negative = 1 / n) to a value drawn uniformly
// from the other values of its range, so a mutation always changes the gene (genes with a single value
// never change).
struct random_reset_mutation {
  double probability = -1.0;

  void operator()(const integer_space& s, integer_genome& x, rng& r) const {
    const double p = detail::gene_probability(probability, x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!r.bernoulli(p) || s.upper[i] <= s.lower[i]) continue;
      long v = static_cast<long>(r.integer(s.lower[i], s.upper[i] - 1));
      if (v >= x[i]) ++v;
      x[i] = v;
    }
  }
};

// Step (creep) mutation: each gene mutates with `probability` (negative = 1 / n) by +-k, k uniform in
// 1..max_step and the sign a fair coin; a step that would leave the bounds goes the other way instead,
// and is shortened to the bound if that leaves them too.
struct step_mutation {
  double probability = -1.0;
  long max_step = 1;

  void operator()(const integer_space& s, integer_genome& x, rng& r) const {
    const double p = detail::gene_probability(probability, x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!r.bernoulli(p) || s.upper[i] <= s.lower[i]) continue;
      const long k = static_cast<long>(r.integer(1, std::max(max_step, 1L)));
      long v = r.bernoulli(0.5) ? x[i] + k : x[i] - k;
      if (v > s.upper[i]) v = x[i] - k;
      if (v < s.lower[i]) v = x[i] + k;
      x[i] = std::clamp(v, s.lower[i], s.upper[i]);
    }
  }
};

}  // namespace moo
