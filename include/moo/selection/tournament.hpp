// Binary tournament on (rank, score): the lower rank wins, then the higher score (e.g. crowding),
// then a fair coin from the injected rng (Deb et al. 2002, crowded-comparison operator).
#pragma once

#include <cstddef>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"

namespace moo {

struct binary_tournament {
  std::vector<std::size_t> select(const survivors& pop, std::size_t n, rng& r) const {
    const std::size_t size = pop.rank.size();
    if (size == 0) throw value_error("binary_tournament: the population is empty");
    std::vector<std::size_t> out(n);
    for (auto& winner : out) {
      const std::size_t a = r.index(size);
      std::size_t b = a;
      if (size > 1) {
        b = r.index(size - 1);
        if (b >= a) ++b;
      }
      winner = better(pop, a, b, r);
    }
    return out;
  }

 private:
  static std::size_t better(const survivors& pop, std::size_t a, std::size_t b, rng& r) {
    if (pop.rank[a] != pop.rank[b]) return pop.rank[a] < pop.rank[b] ? a : b;
    if (pop.score[a] != pop.score[b]) return pop.score[a] > pop.score[b] ? a : b;
    return r.bernoulli(0.5) ? a : b;
  }
};

}  // namespace moo
