// A searcher composed from policies over the one evolve loop (algorithm/evolution.hpp), configured by
// an options aggregate. Example:
//   moo::nsga2 algo{{.population = 100, .generations = 250, .seed = 1}};
//   auto res = algo.run(moo::zdt1{});
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "moo/algorithm/evolution.hpp"
#include "moo/algorithm/result.hpp"
#include "moo/core/concepts.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/selection/tournament.hpp"

namespace moo {

namespace detail {

// Calls cb.on_start/on_generation/on_end where the callback has them (detected at compile time).
// on_generation may return bool: false stops the run after that generation.
template <class State, class... Callbacks>
bool notify_generation(const State& s, Callbacks&... cbs) {
  bool go_on = true;
  auto one = [&](auto& cb) {
    if constexpr (requires { { cb.on_generation(s) } -> std::convertible_to<bool>; }) {
      if (!cb.on_generation(s)) go_on = false;
    } else if constexpr (requires { cb.on_generation(s); }) {
      cb.on_generation(s);
    }
  };
  (one(cbs), ...);
  return go_on;
}

template <class State, class... Callbacks>
void notify_start(const State& s, Callbacks&... cbs) {
  auto one = [&](auto& cb) {
    if constexpr (requires { cb.on_start(s); }) cb.on_start(s);
  };
  (one(cbs), ...);
}

template <class State, class... Callbacks>
void notify_end(const State& s, Callbacks&... cbs) {
  auto one = [&](auto& cb) {
    if constexpr (requires { cb.on_end(s); }) cb.on_end(s);
  };
  (one(cbs), ...);
}

}  // namespace detail

template <class Variation, survival Survival, mating Mating = binary_tournament>
struct evolver {
  struct options {
    std::size_t population = 100;  // survivors per generation
    std::size_t generations = 250; // generations after the initial population
    std::size_t offspring = 0;     // children per generation; 0 = population
    std::uint64_t seed = 1;
    Variation variation{};
    Survival survival{};
    Mating mating{};
  };

  options opts{};

  // A fresh ask/tell state for the given search space.
  template <search_space Space>
    requires moo::variation<Variation, Space>
  evolution<Space, Variation, Survival, Mating> start(Space space) const {
    return {std::move(space), opts.population, opts.offspring, opts.seed,
            opts.variation,   opts.survival,   opts.mating};
  }

  // Runs opts.generations generations on p, evaluating with ex; callbacks see the state after the
  // initial population and after every generation.
  template <problem P, class Executor, class... Callbacks>
    requires executor<Executor, P>
  result<genome_of<P>> run_on(Executor& ex, const P& p, Callbacks&&... cbs) const {
    auto state = start(p.space());
    return continue_run(state, ex, p, cbs...);
  }

  template <problem P, class... Callbacks>
  result<genome_of<P>> run(const P& p, Callbacks&&... cbs) const {
    sequential_executor ex;
    return run_on(ex, p, cbs...);
  }

  // Drives an existing (possibly resumed) state until opts.generations generations are done.
  template <class State, problem P, class Executor, class... Callbacks>
  result<genome_of<P>> continue_run(State& state, Executor& ex, const P& p, Callbacks&... cbs) const {
    if (!state.initialized()) {
      const auto& batch = state.ask();
      state.tell(ex.evaluate(p, std::span<const genome_of<P>>(batch)));
      detail::notify_start(state, cbs...);
    }
    while (state.generation() < opts.generations) {
      const auto& batch = state.ask();
      state.tell(ex.evaluate(p, std::span<const genome_of<P>>(batch)));
      if (!detail::notify_generation(state, cbs...)) break;
    }
    detail::notify_end(state, cbs...);
    return {state.genomes(), state.objectives(), state.ranking().rank, state.generation(), state.evaluations()};
  }
};

}  // namespace moo
