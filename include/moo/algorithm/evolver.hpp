// A searcher composed from policies over the one evolve loop (algorithm/evolution.hpp), configured by
// an options aggregate. Example:
//   moo::nsga2 algo{{.population = 100, .generations = 250, .seed = 1}};
//   auto res = algo.run(moo::zdt1{});
// run() also takes, in any order: terminations (algorithm/termination.hpp; without one the run stops
// after options.generations), callbacks (algorithm/callbacks.hpp), and a moo::checkpoint
// (algorithm/checkpoint.hpp). Example:
//   algo.run_on(pool, moo::zdt1{}, moo::max_evaluations{10'000} | moo::max_time{std::chrono::minutes(5)},
//               moo::progress_display{.reference = {1.1, 1.1}}, moo::checkpoint{.path = "run.ckpt", .every = 10});
// Ask/tell: start(space) gives the state; state.ask() the genomes to evaluate, state.tell(objectives)
// their objectives, for users who evaluate with their own machinery.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>
#include <algorithm>

#include "moo/algorithm/budget.hpp"
#include "moo/algorithm/callbacks.hpp"
#include "moo/algorithm/checkpoint.hpp"
#include "moo/algorithm/evolution.hpp"
#include "moo/algorithm/result.hpp"
#include "moo/algorithm/run_info.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/core/concepts.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/selection/tournament.hpp"

namespace moo {

namespace detail {

template <class A>
constexpr bool is_checkpoint = std::same_as<std::remove_cvref_t<A>, checkpoint>;

template <class A>
struct is_initial_genomes : std::false_type {};
template <class G>
struct is_initial_genomes<initial_genomes<G>> : std::true_type {};
template <class A>
constexpr bool is_initial = is_initial_genomes<std::remove_cvref_t<A>>::value;

// What run() accepts besides the problem: terminations, callbacks, a checkpoint, initial genomes, or
// objects whose state should travel in checkpoints (save/load hooks).
template <class A, class State>
concept run_argument = termination<A, State> || callback<A, State> || is_checkpoint<A> || is_initial<A> ||
                       io::stateful<std::remove_cvref_t<A>>;

}  // namespace detail

template <class Variation, survival Survival, class Mating = binary_tournament, class Screening = keep_all,
          class Budget = equal_budget>
struct evolver {
  struct options {
    std::size_t population = 0;    // survivors per generation; 0 = survival.default_population() where
                                   // the policy has one and it is non-zero (NSGA-III, MOEA/D), else 100
    std::size_t generations = 250; // generations after the initial population
    std::size_t offspring = 0;     // children per generation; 0 = population
    std::uint64_t seed = 1;
    Variation variation{};
    Survival survival{};
    Mating mating{};
    bool eliminate_duplicates = false;  // children must differ from each other and the population
    Screening screening{};              // which candidate children are evaluated (keep_all: every one)
    std::size_t initial = 0;            // genomes in the first batch, seeds included (0 = population)
    bool drop_failed = false;           // a failed evaluation drops its genome (reported to callbacks'
                                        // on_rejected) instead of stopping the run
    Budget budget{};                    // how each generation's offspring are evaluated (moo::equal_budget:
                                        // once each; moo::successive_halving: in rounds); the first batch
                                        // is always evaluated once each, as the problem defines
  };

  options opts{};

  // The population size a run uses: opts.population, or the survival policy's default when it is 0.
  std::size_t population() const {
    if (opts.population != 0) return opts.population;
    if constexpr (sized_survival<Survival>)
      if (const std::size_t n = opts.survival.default_population(); n != 0) return n;
    return 100;
  }

  template <search_space Space>
  using state_type = evolution<Space, Variation, Survival, Mating, Screening>;

  // A fresh ask/tell state for the given search space; its first batch holds `seeds` (in order), then
  // sampled genomes up to opts.initial (or the population size).
  template <search_space Space>
    requires variation_policy<Variation, Space>
  state_type<Space> start(Space space, std::vector<typename Space::genome_type> seeds = {}) const {
    state_type<Space> state{std::move(space), population(), opts.offspring, opts.seed,
                            opts.variation,   opts.survival, opts.mating,    opts.screening};
    state.set_eliminate_duplicates(opts.eliminate_duplicates);
    if (!seeds.empty() || opts.initial != 0) state.set_initial(std::move(seeds), opts.initial);
    return state;
  }

  // A fresh ask/tell state for a problem: start(p.space(), seeds) that also knows p.num_objectives(),
  // so a tell() with another number of objectives is refused from the first one on.
  template <problem P>
    requires(!search_space<P>) && variation_policy<Variation, std::remove_cvref_t<decltype(std::declval<const P&>().space())>>
  auto start(const P& p, std::vector<genome_of<P>> seeds = {}) const {
    auto state = start(p.space(), std::move(seeds));
    state.set_num_objectives(p.num_objectives());
    return state;
  }

  // Runs on p, evaluating with ex, until a termination argument (or, without one, opts.generations)
  // says done; `args` are terminations, callbacks, at most one moo::checkpoint and at most one
  // moo::initial_genomes (seeds of the first batch), in any order.
  template <problem P, class Executor, class... Args>
    requires executor_for<Executor, P>
  result<genome_of<P>> run_on(Executor& ex, const P& p, Args&&... args) const {
    auto state = start(p, initial_of<genome_of<P>>(args...));
    return continue_run(state, ex, p, args...);
  }

  // run_on with the sequential executor.
  template <problem P, class... Args>
  result<genome_of<P>> run(const P& p, Args&&... args) const {
    sequential_executor ex;
    return run_on(ex, p, args...);
  }

  // Continues a run from the checkpoint file `path` (written by a run with the same options and
  // problem, and the same stateful arguments in the same order); throws io_error if the file is
  // missing, damaged or from a different run.
  template <problem P, class Executor, class... Args>
    requires executor_for<Executor, P>
  result<genome_of<P>> resume_on(const std::filesystem::path& path, Executor& ex, const P& p,
                                 Args&&... args) const {
    auto state = start(p, initial_of<genome_of<P>>(args...));
    io::load_checkpoint(path, state, args...);
    if (state.num_objectives() != 0 && state.num_objectives() != p.num_objectives())
      io::detail::refuse(path, detail::message("it was written for ", state.num_objectives(),
                                               " objectives, this problem has ", p.num_objectives()));
    if (state.num_objectives() == 0) state.set_num_objectives(p.num_objectives());
    return continue_run(state, ex, p, args...);
  }

  // resume_on with the sequential executor.
  template <problem P, class... Args>
  result<genome_of<P>> resume(const std::filesystem::path& path, const P& p, Args&&... args) const {
    sequential_executor ex;
    return resume_on(path, ex, p, args...);
  }

  // Drives an existing state (fresh, resumed, or left by a failed evaluation) until it terminates.
  // If an evaluation throws, the state keeps the unevaluated batch (calling continue_run again retries
  // it, with the same result as an uninterrupted run) and a checkpoint, if given, is written first.
  template <class State, problem P, class Executor, class... Args>
    requires executor_for<Executor, P>
  result<genome_of<P>> continue_run(State& state, Executor& ex, const P& p, Args&... args) const {
    static_assert((detail::run_argument<Args, State> && ...),
                  "every run argument must be a termination, a callback, a moo::checkpoint, moo::initial_genomes "
                  "or stateful");
    static_assert((std::size_t{0} + ... + (detail::is_initial<Args> ? 1 : 0)) <= 1,
                  "pass at most one moo::initial_genomes to a run");
    constexpr std::size_t checkpoints = (std::size_t{0} + ... + (detail::is_checkpoint<Args> ? 1 : 0));
    static_assert(checkpoints <= 1, "pass at most one moo::checkpoint to a run");
    constexpr bool has_termination = (termination<Args, State> || ...);

    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const double before = state.elapsed_seconds();
    run_info info{.elapsed_seconds = before, .fraction_done = 0.0, .resumed = state.initialized()};
    auto tick = [&] {
      state.set_elapsed_seconds(before + std::chrono::duration<double>(clock::now() - t0).count());
      info.elapsed_seconds = state.elapsed_seconds();
    };

    std::optional<std::size_t> saved;
    if (info.resumed) saved = state.generation();
    auto save = [&](bool due_only) {
      [[maybe_unused]] auto one = [&](const auto& a) {
        if constexpr (detail::is_checkpoint<decltype(a)>) {
          a.validate();
          if (due_only && (saved == state.generation() || state.generation() % a.every != 0)) return;
          io::save_checkpoint(a.path, state, args...);
          saved = state.generation();
        }
      };
      (one(args), ...);
    };

    max_generations fallback{opts.generations};
    auto done = [&] {
      bool stop = false;
      double fraction = 0.0;
      if constexpr (has_termination) {
        [[maybe_unused]] auto one = [&](auto& a) {
          if constexpr (termination<std::remove_reference_t<decltype(a)>, State>) {
            if (a.done(state, info)) stop = true;
            fraction = std::max(fraction, detail::fraction_of(a, state, info));
          }
        };
        (one(args), ...);
      } else {
        stop = fallback.done(state, info);
        fraction = detail::fraction_of(fallback, state, info);
      }
      info.fraction_done = fraction;
      return stop;
    };

    auto step = [&] {
      try {
        evaluate_batch(state, ex, p, args...);
      } catch (...) {
        tick();
        if constexpr (checkpoints > 0) {
          try {
            save(false);
          } catch (const error&) {
            // The evaluation's error is the one to report; the previous checkpoint is still intact.
          }
        }
        throw;
      }
      tick();
    };

    if (!state.initialized()) step();
    bool stop = done();
    detail::notify_start(state, info, args...);
    save(true);
    while (!stop) {
      step();
      stop = done();
      const bool go_on = detail::notify_generation(state, info, args...);
      save(true);
      if (!go_on) break;
    }
    if (saved != state.generation()) save(false);
    detail::notify_end(state, info, args...);
    return {state.genomes(), state.objectives(), state.ranking().rank, state.generation(), state.evaluations()};
  }

 private:
  // The seeds among the run arguments (empty without a moo::initial_genomes).
  template <class G, class... Args>
  static std::vector<G> initial_of(const Args&... args) {
    std::vector<G> seeds;
    [[maybe_unused]] auto one = [&](const auto& a) {
      if constexpr (detail::is_initial<decltype(a)>) seeds = a.genomes;
    };
    (one(args), ...);
    return seeds;
  }

  // Asks, evaluates and tells one batch. A Lamarckian problem evaluates a copy of the batch in place
  // (so a failed evaluation leaves the asked batch as it was) and the evaluated genomes are told. With
  // opts.drop_failed, failed evaluations are reported to the callbacks and dropped; otherwise they throw.
  // Offspring are evaluated through the budget policy (opts.budget); with moo::equal_budget, and for the
  // first batch, this is one ex.evaluate per batch. A kill inside a batch (between the rounds of
  // successive halving) loses the batch: the resumed run repeats it from the checkpoint, with the same result.
  template <class State, problem P, class Executor, class... Args>
  void evaluate_batch(State& state, Executor& ex, const P& p, Args&... args) const {
    using G = genome_of<P>;
    const auto& batch = state.ask();
    std::vector<G> work;
    if constexpr (lamarckian_problem<P>) work.assign(batch.begin(), batch.end());
    auto run = [&] {
      if constexpr (std::same_as<Budget, equal_budget>) {
        if constexpr (lamarckian_problem<P>) return ex.evaluate(p, std::span<G>(work));
        else return ex.evaluate(p, std::span<const G>(batch));
      } else {
        static_assert(budget_allocation<Budget, Executor, P>, "opts.budget must be a moo::budget_allocation for this "
                                                              "executor and problem");
        const bool first = !state.initialized();
        if constexpr (lamarckian_problem<P>)
          return first ? ex.evaluate(p, std::span<G>(work)) : opts.budget.evaluate(ex, p, std::span<G>(work));
        else
          return first ? ex.evaluate(p, std::span<const G>(batch)) : opts.budget.evaluate(ex, p, std::span<const G>(batch));
      }
    };
    matrix f;
    std::vector<std::size_t> rejected;
    try {
      f = run();
    } catch (const evaluation_error& e) {
      if (!opts.drop_failed) throw;
      const std::size_t cols = e.cols();
      f = matrix(batch.size(), cols);
      if (e.objectives().size() != batch.size() * cols) throw;
      std::copy(e.objectives().begin(), e.objectives().end(), f.data());
      for (const auto& fail : e.failures()) {
        rejected.push_back(fail.index);
        detail::notify_rejected(state, lamarckian_problem<P> ? work[fail.index] : batch[fail.index], fail.what,
                                args...);
      }
      std::sort(rejected.begin(), rejected.end());
      rejected.erase(std::unique(rejected.begin(), rejected.end()), rejected.end());
    }
    if constexpr (lamarckian_problem<P>) state.tell(f, std::move(work), rejected);
    else state.tell(f, rejected);
  }
};

}  // namespace moo
