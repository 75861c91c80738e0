// NSGA-II survival (Deb, Pratap, Agarwal & Meyarivan 2002, Sec. III-C): fill by non-dominated fronts,
// truncate the last front by crowding distance (ties broken by the injected rng).
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/crowding.hpp"
#include "moo/pareto/sorting.hpp"

namespace moo {

struct nsga2_survival {
  survivors survive(const matrix& f, std::size_t k, rng& r) const {
    f.require_finite("nsga2_survival");
    k = std::min(k, f.rows());
    survivors s;
    s.index.reserve(k);
    s.rank.reserve(k);
    s.score.reserve(k);
    const auto fronts = non_dominated_fronts(f, k);
    for (std::size_t rank = 0; rank < fronts.size() && s.index.size() < k; ++rank) {
      const auto& front = fronts[rank];
      const auto crowd = crowding_distance(f, front);
      std::vector<std::size_t> order(front.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      if (s.index.size() + front.size() > k) {
        // Random order first, so that equal crowding distances are broken by the rng.
        r.shuffle(order.begin(), order.end());
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return crowd[a] > crowd[b]; });
        order.resize(k - s.index.size());
      }
      for (std::size_t j : order) {
        s.index.push_back(front[j]);
        s.rank.push_back(rank);
        s.score.push_back(crowd[j]);
      }
    }
    return s;
  }
};

}  // namespace moo
