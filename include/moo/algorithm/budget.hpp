// Budget allocation, a policy of the evolve loop (core/concepts.hpp, moo::budget_allocation): how a
// generation's batch is evaluated with the executor.
//  - equal_budget (the default of every searcher): the batch is evaluated once, every genome as the
//    problem defines (the loop's original path, unchanged);
//  - successive_halving (Jamieson & Talwalkar 2016; used inside NAS steps by Yüce et al. 2018, "SH",
//    "SHR"): every genome gets a short round, the better half (by one objective, e.g. validation error)
//    goes on with a doubled round, until one is left, within `budget` units in total per batch. It needs
//    a moo::resumable_problem (a genome continues where its last round stopped). The rounds run inside
//    one step of the loop, each round's batch through the executor (so a thread pool trains them in
//    parallel). Checkpoints are written between generations: a run killed inside a step repeats the
//    whole step on resume, with the same result.
// Example:
//   moo::evolver<nas::nash_mutation, moo::generational_best, moo::binary_tournament, moo::keep_all,
//                moo::successive_halving> e{{.population = 1, ..., .budget = {.budget = 160, .restart = true}}};
#pragma once

#include <string>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/execution/sequential.hpp"

namespace moo {

// Every genome of a batch evaluated once, as the problem defines: one call of the executor per batch.
struct equal_budget {
  template <class E, plain_problem P>
  matrix evaluate(E& ex, const P& p, std::span<const genome_of<P>> xs) const {
    return ex.evaluate(p, xs);
  }
  template <class E, lamarckian_problem P>
  matrix evaluate(E& ex, const P& p, std::span<genome_of<P>> xs) const {
    return ex.evaluate(p, xs);
  }
};

namespace detail {

// A resumable problem seen through one round: a Lamarckian problem whose evaluate(g, out) runs
// p.evaluate(g, round, out), so any executor evaluates a round's batch.
template <resumable_problem P>
struct round_problem {
  using genome_type = genome_of<P>;
  const P* problem;
  budget_round round;

  std::size_t num_objectives() const { return problem->num_objectives(); }
  decltype(auto) space() const { return problem->space(); }
  void evaluate(genome_type& g, std::span<double> out) const { problem->evaluate(g, round, out); }
};

}  // namespace detail

// One round of a successive-halving plan: how many genomes take part and the budget each gets.
struct halving_round {
  std::size_t genomes = 0;
  double budget = 0.0;
};

// Successive halving of each batch: rounds r = 0..R-1, R = ceil(log2 n) (1 for n = 1); round r trains
// n_r genomes (n_0 = n, n_{r+1} = ceil(n_r / 2), the best by column `objective`, ties to the earlier
// genome) for budget / (R n_r) each, so every round spends budget / R and the survivor's budget doubles
// from round to round. Example: 8 genomes, budget 160: 8 x 6.67, 4 x 13.33, 2 x 26.67 (the better of
// the last two is left for survival to pick). Without `restart` a genome's schedule spans the budget the
// last survivor gets (sum over rounds; SH); with it every round starts a new schedule (SHR).
// A genome dropped after a round keeps the objectives of that round; a genome whose round fails is
// dropped too, and the batch ends as one evaluation_error over all genomes (the loop's drop_failed
// then drops exactly those).
struct successive_halving {
  double budget = 0.0;        // units (epochs) per batch, all rounds together
  bool restart = false;       // a new schedule at every round (SHR) instead of one over all rounds (SH)
  std::size_t objective = 0;  // the column that ranks genomes between rounds (minimised)

  // The rounds for a batch of n genomes.
  std::vector<halving_round> plan(std::size_t n) const {
    if (!(budget > 0.0) || !std::isfinite(budget))
      throw value_error(detail::message("successive_halving: budget ", budget, " must be positive and finite"));
    std::vector<halving_round> rounds;
    if (n == 0) return rounds;
    std::size_t count = 0;
    for (std::size_t k = 1; k < n; k *= 2) ++count;
    count = std::max<std::size_t>(count, 1);
    std::size_t alive = n;
    for (std::size_t r = 0; r < count; ++r) {
      rounds.push_back({alive, budget / (static_cast<double>(count) * static_cast<double>(alive))});
      alive = (alive + 1) / 2;
    }
    return rounds;
  }

  // Runs the rounds on xs in place; returns each genome's objectives after its last round.
  template <class E, resumable_problem P>
  matrix evaluate(E& ex, const P& p, std::span<genome_of<P>> xs) const {
    using G = genome_of<P>;
    const auto rounds = plan(xs.size());
    const std::size_t m = p.num_objectives();
    if (objective >= m)
      throw value_error(detail::message("successive_halving: objective column ", objective, " of ", m, " objectives"));
    matrix f(xs.size(), m);
    std::vector<std::string> failed(xs.size());
    std::vector<char> is_failed(xs.size(), 0);
    std::vector<std::size_t> alive(xs.size());
    std::iota(alive.begin(), alive.end(), std::size_t{0});
    double horizon = 0.0;
    for (const auto& r : rounds) horizon += r.budget;
    for (std::size_t k = 0; k < rounds.size() && !alive.empty(); ++k) {
      if (k > 0) alive = best_half(f, alive, rounds[k].genomes);
      const budget_round round{.budget = rounds[k].budget,
                               .horizon = restart ? rounds[k].budget : horizon,
                               .restart = restart || k == 0};
      // The round's genomes, moved out and back (no copies of weights).
      std::vector<G> batch;
      batch.reserve(alive.size());
      for (std::size_t i : alive) batch.push_back(std::move(xs[i]));
      matrix rows;
      std::vector<std::size_t> lost;
      try {
        rows = ex.evaluate(detail::round_problem<P>{&p, round}, std::span<G>(batch));
      } catch (const evaluation_error& e) {
        if (e.cols() != m || e.objectives().size() != alive.size() * m) {
          for (std::size_t j = 0; j < alive.size(); ++j) xs[alive[j]] = std::move(batch[j]);
          throw;
        }
        rows = matrix(alive.size(), m);
        std::copy(e.objectives().begin(), e.objectives().end(), rows.data());
        for (const auto& fail : e.failures()) {
          is_failed[alive[fail.index]] = 1;
          failed[alive[fail.index]] = fail.what;
        }
      }
      for (std::size_t j = 0; j < alive.size(); ++j) {
        xs[alive[j]] = std::move(batch[j]);
        for (std::size_t c = 0; c < m; ++c) f(alive[j], c) = rows(j, c);
      }
      std::erase_if(alive, [&](std::size_t i) { return is_failed[i] != 0; });
    }
    std::vector<evaluation_error::failure> failures;
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (is_failed[i]) failures.push_back(detail::make_failure(i, xs[i], failed[i]));
    detail::raise_failures(std::move(failures), std::move(f));
    return f;
  }

 private:
  // The `keep` best of `alive` by the objective column (ties: lower index first), in index order.
  std::vector<std::size_t> best_half(const matrix& f, std::vector<std::size_t> alive, std::size_t keep) const {
    std::stable_sort(alive.begin(), alive.end(),
                     [&](std::size_t a, std::size_t b) { return f(a, objective) < f(b, objective); });
    if (alive.size() > keep) alive.resize(keep);
    std::sort(alive.begin(), alive.end());
    return alive;
  }
};

}  // namespace moo
