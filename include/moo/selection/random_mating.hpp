// Mating selection without pressure: parents drawn uniformly at random from the survivors, as NSGA-III
// does for unconstrained problems (Deb & Jain 2014, Sec. IV-E: "no explicit selection operator").
#pragma once

#include <cstddef>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"

namespace moo {

struct random_mating {
  // n parent indices drawn uniformly; consecutive pairs differ whenever the population has two members.
  std::vector<std::size_t> select(const survivors& pop, std::size_t n, rng& r) const {
    const std::size_t size = pop.index.size();
    if (size == 0) throw value_error("random_mating: the population is empty");
    std::vector<std::size_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 2 == 1 && size > 1) {
        std::size_t b = r.index(size - 1);
        if (b >= out[i - 1]) ++b;
        out[i] = b;
      } else {
        out[i] = r.index(size);
      }
    }
    return out;
  }
};

}  // namespace moo
