// Callbacks of a run, detected at compile time: any object passed to run() may have
//   on_start(state[, info])       after the initial population (or at once, for a resumed run)
//   on_generation(state[, info])  after every generation; returning false stops the run there
//   on_end(state[, info])         when the run stops
// where info is a moo::run_info (elapsed time, progress, resumed). Example:
//   struct print { void on_generation(const auto& s) { std::printf("%zu\n", s.generation()); } };
//   algo.run(moo::zdt1{}, print{});
#pragma once

#include <concepts>
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
                   requires(C& c, const State& s) { c.on_end(s); };

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

}  // namespace detail
}  // namespace moo
