// Random search, the baseline every searcher must beat: each generation samples fresh genomes from the
// space (the parents are ignored) and the population keeps the best of everything seen by non-dominated
// rank and crowding (NSGA-II survival), so it holds the non-dominated archive while it fits. Example:
//   auto res = moo::random_search{{.population = 100, .generations = 250, .seed = 1}}.run(moo::zdt1{});
#pragma once

#include <array>
#include <utility>

#include "moo/algorithm/evolver.hpp"
#include "moo/core/concepts.hpp"
#include "moo/core/rng.hpp"
#include "moo/selection/nsga2.hpp"
#include "moo/selection/random_mating.hpp"

namespace moo {

// A "variation" that ignores both parents and draws two new genomes from the space.
struct resample {
  template <search_space Space>
  std::array<typename Space::genome_type, 2> operator()(const Space& s, const typename Space::genome_type&,
                                                        const typename Space::genome_type&, rng& r) const {
    auto a = s.sample(r);
    auto b = s.sample(r);
    return {std::move(a), std::move(b)};
  }
};

using random_search = evolver<resample, nsga2_survival, random_mating>;

}  // namespace moo
