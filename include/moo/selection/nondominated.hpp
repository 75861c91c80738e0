// The non-dominated set as survival, of varying size: LEMONADE's next population is the Pareto front
// of the population and the evaluated children (Elsken, Metzen & Hutter, ICLR 2019, Algorithm 1). Keeps
// the non-dominated rows of the merged objectives, all with rank 0 and scored by crowding distance (Deb
// et al., IEEE TEC 6(2) 2002, Sec. III-B). Of identical objective rows only the first (lowest index: the
// older member) is kept, so the population does not fill with copies. With a bound k smaller than the
// front, points are removed one at a time, the one of smallest crowding distance first, recomputed after
// each removal (ties broken by the rng), as a bounded Pareto archive does; boundary points have infinite
// crowding and stay.
// Example, an evolver whose population is the whole front (population 0 = default_population() =
// unbounded; offspring must then be given):
//   moo::evolver<my_mutation, moo::nondominated_survival> algo{{.offspring = 20, .initial = 10}};
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/crowding.hpp"
#include "moo/pareto/sorting.hpp"

namespace moo {

namespace detail {

// `front` (ascending indices into f) without the rows equal to an earlier row of `front`.
inline std::vector<std::size_t> first_of_identical(const matrix& f, std::vector<std::size_t> front) {
  const auto before = [&](std::size_t a, std::size_t b) {
    const auto x = f.row(a), y = f.row(b);
    for (std::size_t j = 0; j < x.size(); ++j)
      if (x[j] != y[j]) return x[j] < y[j];
    return a < b;
  };
  const auto same = [&](std::size_t a, std::size_t b) { return std::ranges::equal(f.row(a), f.row(b)); };
  std::vector<std::size_t> order = front;
  std::sort(order.begin(), order.end(), before);
  std::vector<char> copy(f.rows(), 0);
  for (std::size_t i = 1; i < order.size(); ++i)
    if (same(order[i - 1], order[i])) copy[order[i]] = 1;
  std::erase_if(front, [&](std::size_t i) { return copy[i] != 0; });
  return front;
}

}  // namespace detail

struct nondominated_survival {
  // The population is the front, however large (concepts.hpp: variable_size_survival).
  static constexpr bool variable_size = true;

  // Unbounded: an evolver whose options leave the population at 0 keeps the whole front.
  static constexpr std::size_t default_population() { return std::numeric_limits<std::size_t>::max(); }

  // The first of each distinct non-dominated row of f, in increasing index order, at most k of them
  // (k may be std::numeric_limits<std::size_t>::max(); k = 0 keeps none). Throws value_error naming the
  // row and objective of a NaN or infinite value.
  survivors survive(const matrix& f, std::size_t k, rng& r) const {
    f.require_finite("nondominated_survival");
    survivors s;
    if (f.rows() == 0 || k == 0) return s;
    auto front = detail::first_of_identical(f, non_dominated_front(f));
    while (front.size() > k) {
      const auto crowd = crowding_distance(f, front);
      const double least = *std::min_element(crowd.begin(), crowd.end());
      std::vector<std::size_t> ties;
      for (std::size_t i = 0; i < crowd.size(); ++i)
        if (crowd[i] == least) ties.push_back(i);
      const std::size_t victim = ties.size() == 1 ? ties[0] : ties[r.index(ties.size())];
      front.erase(front.begin() + static_cast<std::ptrdiff_t>(victim));
    }
    s.score = crowding_distance(f, front);
    s.rank.assign(front.size(), 0);
    s.index = std::move(front);
    return s;
  }
};

}  // namespace moo
