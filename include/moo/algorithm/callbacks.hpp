// Callbacks of a run, detected at compile time: any object passed to run() may have
//   on_start(state[, info])       after the initial population (or at once, for a resumed run)
//   on_generation(state[, info])  after every generation; returning false stops the run there
//   on_end(state[, info])         when the run stops
//   on_rejected(state, genome, reason)  a failed evaluation was dropped (options.drop_failed)
// where info is a moo::run_info (elapsed time, progress, resumed). Example:
//   struct print { void on_generation(const auto& s) { std::printf("%zu\n", s.generation()); } };
//   algo.run(moo::zdt1{}, print{});
#pragma once

#include <concepts>
#include <string>
#include <vector>
#include <type_traits>

#include "moo/algorithm/run_info.hpp"

namespace moo {

// An object with at least one of the hooks above for the state type State.
template <class C, class State>
concept callback = requires(C& c, const State& s, const run_info& info) { c.on_start(s, info); } ||
                   requires(C& c, const State& s) { c.on_start(s); } ||
                   requires(C& c, const State& s, const run_info& info) { c.on_generation(s, info); } ||
                   requires(C& c, const State& s) { c.on_generation(s); } ||
                   requires(C& c, const State& s, const run_info& info) { c.on_end(s, info); } ||
                   requires(C& c, const State& s) { c.on_end(s); } ||
                   requires(C& c, const State& s, const typename State::genome_type& g, const std::string& why) {
                     c.on_rejected(s, g, why);
                   };

namespace detail {

// Calls cb.on_generation(s, info) or cb.on_generation(s), whichever exists; false if it returned false.
template <class State, class C>
bool call_on_generation(C& cb, const State& s, const run_info& info) {
  if constexpr (requires { { cb.on_generation(s, info) } -> std::convertible_to<bool>; })
    return static_cast<bool>(cb.on_generation(s, info));
  else if constexpr (requires { cb.on_generation(s, info); })
    cb.on_generation(s, info);
  else if constexpr (requires { { cb.on_generation(s) } -> std::convertible_to<bool>; })
    return static_cast<bool>(cb.on_generation(s));
  else if constexpr (requires { cb.on_generation(s); })
    cb.on_generation(s);
  return true;
}

// Every callback sees the generation (no short-circuit); false if any asked to stop.
template <class State, class... Callbacks>
bool notify_generation(const State& s, const run_info& info, Callbacks&... cbs) {
  bool go_on = true;
  ((go_on = call_on_generation(cbs, s, info) && go_on), ...);
  return go_on;
}

template <class State, class... Callbacks>
void notify_start(const State& s, const run_info& info, Callbacks&... cbs) {
  [[maybe_unused]] auto one = [&](auto& cb) {
    if constexpr (requires { cb.on_start(s, info); })
      cb.on_start(s, info);
    else if constexpr (requires { cb.on_start(s); })
      cb.on_start(s);
  };
  (one(cbs), ...);
}

template <class State, class... Callbacks>
void notify_end(const State& s, const run_info& info, Callbacks&... cbs) {
  [[maybe_unused]] auto one = [&](auto& cb) {
    if constexpr (requires { cb.on_end(s, info); })
      cb.on_end(s, info);
    else if constexpr (requires { cb.on_end(s); })
      cb.on_end(s);
  };
  (one(cbs), ...);
}

// Tells every callback with an on_rejected hook that genome g was dropped because of `why`.
template <class State, class G, class... Callbacks>
void notify_rejected(const State& s, const G& g, const std::string& why, Callbacks&... cbs) {
  [[maybe_unused]] auto one = [&](auto& cb) {
    if constexpr (requires { cb.on_rejected(s, g, why); }) cb.on_rejected(s, g, why);
  };
  (one(cbs), ...);
}

}  // namespace detail

// Genomes for the first batch of a run (evaluated first, in order), passed to run() like a callback.
// Example: algo.run(problem, moo::initial_genomes<moo::real_genome>{{x0, x1}});
template <class G>
struct initial_genomes {
  std::vector<G> genomes;
};

}  // namespace moo
