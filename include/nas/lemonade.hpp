// LEMONADE (Elsken, Metzen & Hutter, "Efficient Multi-objective Neural Architecture Search via
// Lamarckian Evolution", ICLR 2019, Algorithm 1) composed from moo's policies over the one evolve loop:
//  - the population is the non-dominated set of trained networks (moo::nondominated_survival);
//  - parents are drawn with probability inverse to a kernel density estimate over the population's
//    cheap objectives (log scale; moo::kde_mating, Eq. 1);
//  - n_pc children, each one random network morphism of its parent (nas::morphism_mutation), inherit
//    the parent's weights; function-preserving ones start with its accuracy, approximate ones are
//    distilled from it first;
//  - n_ac of them are accepted with probability inverse to the population's density at their cheap
//    objectives (moo::kde_screening, Eq. 2) and only those are trained and measured (Lamarckian: the
//    trained network joins the population);
//  - objectives are a compile-time list (nas/objectives.hpp; your own type works too), split into
//    cheap and expensive ones with Boost.Hana.
// Everything of the evolve loop comes with it: executors (one child trained per worker), terminations
// (wall time, trained children, generations), callbacks, checkpoint/resume, ask/tell.
// Example:
//   nas::lemonade search({.children = 16, .accepted = 4, .seed = 1},
//                        nas::validation_error{.data = &val}, nas::parameter_count{}, nas::mac_count{});
//   auto problem = search.problem(train);
//   moo::thread_pool_executor pool{{.threads = 2}};
//   auto res = search.run_on(pool, problem, moo::max_time{std::chrono::minutes(10)},
//                            moo::checkpoint{.path = "lemonade.ckpt", .every = 1});
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "moo/algorithm/evolver.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/selection/kde.hpp"
#include "moo/selection/nondominated.hpp"
#include "nas/objectives.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/mutation.hpp"
#include "nas/search/problem.hpp"
#include "nas/search/space.hpp"
#include "nas/search/training.hpp"

namespace nas {

struct lemonade_options {
  std::size_t generations = 10;        // without another termination
  std::size_t children = 16;           // n_pc: children proposed per generation
  std::size_t accepted = 4;            // n_ac: children trained per generation
  std::size_t initial = 3;             // starting networks (given seeds count towards it)
  std::size_t population_cap = 0;      // 0: the whole non-dominated set; else truncated by crowding
  std::uint64_t seed = 1;
  std::vector<std::string> operators = {};  // morphism names (morphism::operator_names()); empty: all ten
  morphism::sampler_options caps = {}; // parameter / MAC caps of children (redrawn when over)
  network_space_options space = {};
  training_options training = {};
  bool drop_failed = true;             // a child whose training diverges is dropped, the run goes on
};

template <objective... O>
class lemonade {
 public:
  using cheap_type = cheap_objectives_of<O...>;
  using evolver_type =
      moo::evolver<morphism_mutation, moo::nondominated_survival, moo::kde_mating<cheap_type>, moo::kde_screening<cheap_type>>;
  using problem_type = network_problem<O...>;
  using result_type = moo::result<candidate>;

  explicit lemonade(lemonade_options o, O... objectives) : opt_(std::move(o)), objectives_(std::move(objectives)...) {
    if (opt_.children == 0 || opt_.accepted == 0 || opt_.initial == 0)
      throw moo::value_error(moo::detail::message("lemonade: children (", opt_.children, "), accepted (", opt_.accepted,
                                                  ") and initial (", opt_.initial, ") must be positive"));
    if (cheap_type::count == 0)
      throw moo::value_error("lemonade: the objectives include no cheap one (parameters, MACs) for the density estimate");
  }

  const lemonade_options& options() const { return opt_; }

  // The evolve loop's driver with LEMONADE's policies.
  evolver_type evolver() const {
    const cheap_type cheap(objectives_);
    morphism_mutation m{opt_.operators.empty() ? morphism::all_operators_sampler(opt_.caps)
                                               : morphism::sampler_from_names(opt_.operators, opt_.caps)};
    return evolver_type{{.population = opt_.population_cap == 0 ? std::numeric_limits<std::size_t>::max()
                                                                : opt_.population_cap,
                         .generations = opt_.generations,
                         .offspring = opt_.children,
                         .seed = opt_.seed,
                         .variation = std::move(m),
                         .survival = {},
                         .mating = {.cheap = cheap},
                         .eliminate_duplicates = false,
                         .screening = {.cheap = cheap, .accept = opt_.accepted},
                         .initial = opt_.initial,
                         .drop_failed = opt_.drop_failed}};
  }

  // The same driver with another budget policy for the accepted children, e.g.
  // moo::successive_halving{.budget = 8} (they are trained in halving rounds; the network problem is a
  // moo::resumable_problem). Example: search.evolver(moo::successive_halving{.budget = 8}).run_on(pool, problem);
  template <class Budget>
  using evolver_with = moo::evolver<morphism_mutation, moo::nondominated_survival, moo::kde_mating<cheap_type>,
                                    moo::kde_screening<cheap_type>, Budget>;
  template <class Budget>
  evolver_with<Budget> evolver(Budget budget) const {
    auto o = evolver().opts;
    return evolver_with<Budget>{{.population = o.population,
                                 .generations = o.generations,
                                 .offspring = o.offspring,
                                 .seed = o.seed,
                                 .variation = std::move(o.variation),
                                 .survival = std::move(o.survival),
                                 .mating = std::move(o.mating),
                                 .eliminate_duplicates = o.eliminate_duplicates,
                                 .screening = std::move(o.screening),
                                 .initial = o.initial,
                                 .drop_failed = o.drop_failed,
                                 .budget = std::move(budget)}};
  }

  // The problem: networks of the space trained on `train` and measured by the objectives.
  problem_type problem(const train::dataset& train) const {
    return boost::hana::unpack(objectives_, [&](const auto&... o) {
      return problem_type(network_space(opt_.space), train, opt_.training, o...);
    });
  }

  // Runs the search (see moo::evolver::run_on for the arguments: terminations, callbacks, a
  // moo::checkpoint, moo::initial_genomes<nas::candidate> with networks of your own).
  template <class Executor, class... Args>
  result_type run_on(Executor& ex, const problem_type& p, Args&&... args) const {
    return evolver().run_on(ex, p, args...);
  }
  template <class... Args>
  result_type run(const problem_type& p, Args&&... args) const {
    moo::sequential_executor ex;
    return run_on(ex, p, args...);
  }
  // Continues from a checkpoint written by the same search (same options, objectives and arguments).
  template <class Executor, class... Args>
  result_type resume_on(const std::filesystem::path& path, Executor& ex, const problem_type& p, Args&&... args) const {
    return evolver().resume_on(path, ex, p, args...);
  }

 private:
  lemonade_options opt_;
  boost::hana::tuple<O...> objectives_;
};

}  // namespace nas
