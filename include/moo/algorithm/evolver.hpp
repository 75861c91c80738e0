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

// What run() accepts besides the problem: terminations, callbacks, a checkpoint, or objects whose
// state should travel in checkpoints (save/load hooks).
template <class A, class State>
concept run_argument = termination<A, State> || callback<A, State> ||
                       std::same_as<std::remove_cvref_t<A>, checkpoint> || io::stateful<std::remove_cvref_t<A>>;

template <class A>
constexpr bool is_checkpoint = std::same_as<std::remove_cvref_t<A>, checkpoint>;

}  // namespace detail

template <class Variation, survival Survival, mating Mating = binary_tournament>
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
  };

  options opts{};

  // The population size a run uses: opts.population, or the survival policy's default when it is 0.
  std::size_t population() const {
    if (opts.population != 0) return opts.population;
    if constexpr (requires { { opts.survival.default_population() } -> std::convertible_to<std::size_t>; })
      if (const std::size_t n = opts.survival.default_population(); n != 0) return n;
    return 100;
  }

  // A fresh ask/tell state for the given search space.
  template <search_space Space>
    requires moo::variation<Variation, Space>
  evolution<Space, Variation, Survival, Mating> start(Space space) const {
    evolution<Space, Variation, Survival, Mating> state{std::move(space), population(), opts.offspring, opts.seed,
                                                        opts.variation,   opts.survival,   opts.mating};
    state.set_eliminate_duplicates(opts.eliminate_duplicates);
    return state;
  }

  // Runs on p, evaluating with ex, until a termination argument (or, without one, opts.generations)
  // says done; `args` are terminations, callbacks and at most one moo::checkpoint, in any order.
  template <problem P, class Executor, class... Args>
    requires executor<Executor, P>
  result<genome_of<P>> run_on(Executor& ex, const P& p, Args&&... args) const {
    auto state = start(p.space());
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
    requires executor<Executor, P>
  result<genome_of<P>> resume_on(const std::filesystem::path& path, Executor& ex, const P& p,
                                 Args&&... args) const {
    auto state = start(p.space());
    io::load_checkpoint(path, state, args...);
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
    requires executor<Executor, P>
  result<genome_of<P>> continue_run(State& state, Executor& ex, const P& p, Args&... args) const {
    static_assert((detail::run_argument<Args, State> && ...),
                  "every run argument must be a termination, a callback, a moo::checkpoint or stateful");
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
      const auto& batch = state.ask();
      try {
        state.tell(ex.evaluate(p, std::span<const genome_of<P>>(batch)));
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
};

}  // namespace moo
