// Generational single-objective survival, a (mu, lambda) selection: the next population is the k best
// of the batch just evaluated by one objective column, the previous population is not kept (NASH hill
// climbing, Elsken et al. 2018, Algorithm 1: the best neighbour, the re-trained parent among them,
// becomes the next parent). The other columns are carried along (e.g. parameters as a reported column).
// Only when every genome of a batch failed does the previous population stay.
// Example:
//   moo::evolver<nas::nash_mutation, moo::generational_best> e{{.population = 1, .offspring = 8}};
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstddef>
#include <istream>
#include <numeric>
#include <ostream>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/serialize.hpp"

namespace moo {

struct generational_best {
  std::size_t objective = 0;  // the column ranked (minimised)
  // Rows of the previous population at the front of the merged set (the loop merges old rows first);
  // kept across checkpoints by save/load. Leave as is.
  std::size_t previous_ = 0;

  survivors survive(const matrix& objectives, std::size_t k, rng&) {
    if (objective >= objectives.cols())
      throw value_error(detail::message("generational_best: objective column ", objective, " of ", objectives.cols()));
    const std::size_t n = objectives.rows();
    const std::size_t first = previous_ < n ? previous_ : 0;  // all failed: keep choosing among the old rows
    std::vector<std::size_t> order(n - first);
    std::iota(order.begin(), order.end(), first);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return objectives(a, objective) < objectives(b, objective); });
    if (order.size() > k) order.resize(k);
    survivors s;
    s.index = order;
    for (std::size_t i = 0; i < order.size(); ++i) {
      s.rank.push_back(i);
      s.score.push_back(-objectives(order[i], objective));
    }
    previous_ = order.size();
    return s;
  }

  void save(std::ostream& os) const { io::write(os, static_cast<std::uint64_t>(previous_)); }
  void load(std::istream& is) { previous_ = static_cast<std::size_t>(io::read<std::uint64_t>(is)); }
};

}  // namespace moo
