// LINAS, the lightweight iterative search of Cummings et al. 2022 ("A Hardware-Aware Framework for
// Accelerating Neural Architecture Search Across Modalities", Algorithm 1; the search of Intel's
// DyNAS-T): measure a random initial population; then, each iteration, fit one predictor per objective
// on every measurement so far, run an inner multi-objective search (NSGA-II by default) for many
// generations on the predicted objectives only, and measure its final population, skipping what was
// measured before; repeat until the measurement budget is spent. The population is the non-dominated
// set of all measurements. It is the one evolve loop with a batch proposal (concepts.hpp), so
// terminations (max_evaluations is the measurement budget), callbacks, executors and kill-safe
// checkpoints (which keep every measurement) work as for every searcher.
// Example (an integer space, e.g. a super-network's sub-network configurations):
//   moo::integer_linas algo{{.offspring = 50, .seed = 1, .initial = 50}};
//   auto res = algo.run(problem, moo::max_evaluations{500}, moo::checkpoint{.path = "linas.ckpt"});
// The one-shot predictor mode (predictors fitted once, on N random measurements) is the same searcher
// with .initial = N and one iteration (moo::max_generations{1}).
// Needs xtensor and xtensor-blas for the predictors: link moo::surrogate.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "moo/algorithm/evolver.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/selection/nondominated.hpp"
#include "moo/selection/random_mating.hpp"
#include "moo/surrogate/encoding.hpp"
#include "moo/surrogate/ridge.hpp"
#include "moo/variation/integer_variation.hpp"

namespace moo {

// The batch proposal of LINAS: Predictor learns each objective (a copy of `predictor` per objective
// per iteration), Inner (an evolver type, e.g. moo::nsga2 for real spaces, moo::integer_nsga2 for
// integer ones) searches on the predictions.
template <predictor Predictor = ridge, class Inner = nsga2>
struct linas_proposal {
  Predictor predictor{};
  // The inner search: the paper's population 50 for 400 generations, about 20,000 predicted evaluations
  // per iteration, with Inner's variation (SBX 0.9 eta 15, polynomial mutation eta 20 for nsga2). Its
  // seed is drawn from the outer search's rng each iteration.
  typename Inner::options inner{.population = 50, .generations = 400};
  encoding features = encoding::one_hot;  // how integer genomes become features (real ones: their values)
  // When the inner search's final population holds fewer than n configurations never measured (late
  // in a search it mostly finds the measured front again), the rest of the batch is drawn at random
  // from the unmeasured space (DyNAS-T measures the inner population as it is, repeats included).
  bool fill_random = true;

  template <search_space Space>
  std::vector<typename Space::genome_type> propose(const Space& space,
                                                   const measurement_view<typename Space::genome_type>& history,
                                                   std::size_t n, rng& r) {
    using G = typename Space::genome_type;
    const std::size_t m = history.objectives.cols();
    if (history.size() == 0 || m == 0) throw value_error("linas: no measurements to fit the predictors on");
    const auto models = fit(space, history);

    Inner search{inner};
    search.opts.seed = r();
    auto state = search.start(space);
    state.set_num_objectives(m);
    do {
      const auto& batch = state.ask();
      state.tell(predict(space, models, std::span<const G>(batch)));
    } while (state.generation() < search.opts.generations);

    // Genomes compared (and proposed) in canonical form where the space has one (canonical_space).
    auto canon = [&](const G& g) -> G {
      if constexpr (canonical_space<Space>) return space.canonical(g);
      else return g;
    };
    std::set<G> seen;
    for (const auto& g : history.genomes) seen.insert(canon(g));
    std::vector<G> out;
    for (const auto& g : state.genomes()) {
      if (out.size() == n) break;
      auto c = canon(g);
      if (seen.insert(c).second) out.push_back(std::move(c));
    }
    // Random configurations never measured, for at most 100 draws per missing one.
    for (std::size_t tries = 0; fill_random && out.size() < n && tries < 100 * n; ++tries) {
      auto g = canon(space.sample(r));
      if (seen.insert(g).second) out.push_back(std::move(g));
    }
    return out;
  }

  // One fitted predictor per objective with the shift of its targets (see fit()).
  struct model {
    Predictor predictor;
    double shift = 0.0;
    bool constant = false;  // every measurement had the same value (shift): predicted as that value
  };

  // Fits one predictor per objective on every measurement. The targets are shifted into [d, 2d] (d: the
  // objective's measured range) before fitting and shifted back after predicting, so that the
  // cross-validated MAPE that chooses hyper-parameters is defined (an objective may be 0 or negative:
  // ZDT's f1, a negated accuracy); a predictor with an unpenalised intercept is unchanged by it.
  template <search_space Space>
  std::vector<model> fit(const Space& space, const measurement_view<typename Space::genome_type>& history) const {
    const matrix x = encode(space, history.genomes, features);
    std::vector<model> models;
    for (std::size_t j = 0; j < history.objectives.cols(); ++j) {
      std::vector<double> y(history.size());
      for (std::size_t i = 0; i < y.size(); ++i) y[i] = history.objectives(i, j);
      const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
      if (!std::isfinite(*lo) || !std::isfinite(*hi))
        throw value_error(detail::message("linas: objective ", j, " has a non-finite measurement"));
      if (*lo == *hi) {  // nothing to learn (e.g. a device whose latency does not vary): a constant
        models.push_back(model{predictor, -*lo, true});
        continue;
      }
      const double shift = *hi - 2.0 * *lo;  // y + shift is in [hi - lo, 2 (hi - lo)]
      for (double& v : y) v += shift;
      model md{predictor, shift};
      try {
        md.predictor.fit(x, y);
      } catch (const error& e) {
        throw value_error(detail::message("linas: fitting the predictor of objective ", j, " on ", history.size(),
                                          " measurements failed: ", e.what()));
      }
      models.push_back(std::move(md));
    }
    return models;
  }

  // The predicted objectives of genomes, one row each.
  template <search_space Space>
  matrix predict(const Space& space, const std::vector<model>& models,
                 std::span<const typename Space::genome_type> genomes) const {
    const matrix x = encode(space, genomes, features);
    matrix f(genomes.size(), models.size());
    for (std::size_t j = 0; j < models.size(); ++j) {
      if (models[j].constant) {
        for (std::size_t i = 0; i < genomes.size(); ++i) f(i, j) = -models[j].shift;
        continue;
      }
      const auto p = models[j].predictor.predict(x);
      for (std::size_t i = 0; i < genomes.size(); ++i) f(i, j) = p[i] - models[j].shift;
    }
    return f;
  }
};

// NSGA-II over integer genomes: rounded SBX + polynomial mutation (the paper's inner search for
// super-network configurations) with NSGA-II's survival and tournament.
using integer_nsga2 = evolver<integer_sbx_pm, nsga2_survival, binary_tournament>;

// LINAS with a predictor and an inner searcher of your choice; the population is the non-dominated
// set of all measurements (unbounded: options.offspring, the measurements per iteration, and
// options.initial, the random initial measurements, must be set).
template <predictor Predictor = ridge, class Inner = nsga2>
using linas_with = evolver<linas_proposal<Predictor, Inner>, nondominated_survival, random_mating>;

using linas = linas_with<ridge, nsga2>;                  // real genomes
using integer_linas = linas_with<ridge, integer_nsga2>;  // integer genomes (sub-network configurations)

}  // namespace moo
