// When a run stops: after a number of generations or evaluations, after some wall time, or when the
// hypervolume stagnates; combined with `|` (any) and `&` (all), or any_of/all_of. Example:
//   algo.run(moo::zdt1{}, moo::max_generations{250} | moo::max_evaluations{10'000});
// Terminations are checked after the initial population and after each generation; a generation is
// never cut short, so an evaluation budget can be exceeded by less than one batch.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <istream>
#include <limits>
#include <ostream>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "moo/algorithm/run_info.hpp"
#include "moo/core/error.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/io/serialize.hpp"

namespace moo {

// A termination policy says, after the initial population and after every generation, whether the
// run is done. done() may keep state (saved in checkpoints through save/load hooks) but must give the
// same answer when called again for the same generation (as after a resume). An optional
// fraction(state, info) in [0, 1] estimates progress for ETAs.
template <class T, class State>
concept termination = requires(T& t, const State& s, const run_info& info) {
  { t.done(s, info) } -> std::convertible_to<bool>;
};

namespace detail {

// The termination's progress estimate, or 0 when it has none.
template <class T, class State>
double fraction_of(T& t, const State& s, const run_info& info) {
  if constexpr (requires { { t.fraction(s, info) } -> std::convertible_to<double>; })
    return std::clamp(static_cast<double>(t.fraction(s, info)), 0.0, 1.0);
  else
    return 0.0;
}

// Built-in terminations opt into `|` and `&` with this tag; user types may add it too.
template <class T>
concept combinable_termination = requires { typename std::remove_cvref_t<T>::termination_tag; };

}  // namespace detail

// Stops after `generations` generations past the initial population (the evolver's default, from
// options.generations).
struct max_generations {
  using termination_tag = void;
  std::size_t generations = 250;

  template <class State>
  bool done(const State& s, const run_info&) const {
    return s.generation() >= generations;
  }
  template <class State>
  double fraction(const State& s, const run_info&) const {
    return generations == 0 ? 1.0 : static_cast<double>(s.generation()) / static_cast<double>(generations);
  }
};

// Stops once `evaluations` objective evaluations have been made (counting the initial population).
struct max_evaluations {
  using termination_tag = void;
  std::size_t evaluations = 25'000;

  template <class State>
  bool done(const State& s, const run_info&) const {
    return s.evaluations() >= evaluations;
  }
  template <class State>
  double fraction(const State& s, const run_info&) const {
    return evaluations == 0 ? 1.0 : static_cast<double>(s.evaluations()) / static_cast<double>(evaluations);
  }
};

// Stops once the run's wall time (kept across resumes) reaches `limit`. Example: max_time{std::chrono::minutes(5)}.
struct max_time {
  using termination_tag = void;
  std::chrono::duration<double> limit{60.0};

  template <class State>
  bool done(const State&, const run_info& info) const {
    return info.elapsed_seconds >= limit.count();
  }
  template <class State>
  double fraction(const State&, const run_info& info) const {
    return limit.count() <= 0 ? 1.0 : info.elapsed_seconds / limit.count();
  }
};

namespace detail {

// What hypervolume_stagnation remembers between generations.
struct stagnation_counters {
  bool seen = false;
  double best = 0.0;
  std::size_t best_generation = 0;
  std::size_t last_generation = 0;
};

}  // namespace detail

// Stops when the population's hypervolume (w.r.t. `reference`) has not grown by more than `tolerance`
// for `generations` consecutive generations. Example:
//   moo::hypervolume_stagnation{.reference = {1.1, 1.1}, .generations = 20} | moo::max_generations{1000}
struct hypervolume_stagnation {
  using termination_tag = void;
  std::vector<double> reference;
  std::size_t generations = 20;
  double tolerance = 1e-6;
  detail::stagnation_counters counters{};  // kept by done(), saved in checkpoints; leave default

  template <class State>
  bool done(const State& s, const run_info&) {
    if (reference.empty()) throw value_error("hypervolume_stagnation: the reference point is empty");
    auto& c = counters;
    if (c.seen && s.generation() == c.last_generation) return stagnated();
    const double hv = hypervolume(s.objectives(), std::span<const double>(reference));
    if (!c.seen || hv > c.best + tolerance) {
      c.best = hv;
      c.best_generation = s.generation();
    }
    c.seen = true;
    c.last_generation = s.generation();
    return stagnated();
  }
  template <class State>
  double fraction(const State& s, const run_info&) const {
    if (!counters.seen || generations == 0) return 0.0;
    return static_cast<double>(s.generation() - counters.best_generation) / static_cast<double>(generations);
  }
  // The best hypervolume seen so far (0 before the first generation).
  double best() const { return counters.best; }

  void save(std::ostream& os) const {
    io::write(os, counters.seen);
    io::write(os, counters.best);
    io::write(os, counters.best_generation);
    io::write(os, counters.last_generation);
  }
  void load(std::istream& is) {
    counters.seen = io::read<bool>(is);
    counters.best = io::read<double>(is);
    counters.best_generation = io::read<std::size_t>(is);
    counters.last_generation = io::read<std::size_t>(is);
  }

 private:
  bool stagnated() const { return counters.last_generation - counters.best_generation >= generations; }
};

namespace detail {

// Shared body of any_of/all_of: every part sees every generation (stateful parts stay in step).
template <bool All, class... Ts>
struct termination_set {
  using termination_tag = void;
  std::tuple<Ts...> parts;

  explicit termination_set(Ts... ts) : parts(std::move(ts)...) {}

  template <class State>
  bool done(const State& s, const run_info& info) {
    bool any = false, all = true;
    std::apply([&](auto&... p) { ((p.done(s, info) ? any = true : all = false), ...); }, parts);
    return All ? all : any;
  }
  template <class State>
  double fraction(const State& s, const run_info& info) {
    double lo = 1.0, hi = 0.0;
    std::apply(
        [&](auto&... p) {
          ((lo = std::min(lo, fraction_of(p, s, info)), hi = std::max(hi, fraction_of(p, s, info))), ...);
        },
        parts);
    return All ? lo : hi;
  }
  void save(std::ostream& os) const
    requires(io::stateful<Ts> || ...)
  {
    std::apply([&](const auto&... p) { (save_one(p, os), ...); }, parts);
  }
  void load(std::istream& is)
    requires(io::stateful<Ts> || ...)
  {
    std::apply([&](auto&... p) { (load_one(p, is), ...); }, parts);
  }

 private:
  template <class T>
  static void save_one(const T& p, std::ostream& os) {
    if constexpr (io::stateful<T>) p.save(os);
  }
  template <class T>
  static void load_one(T& p, std::istream& is) {
    if constexpr (io::stateful<T>) p.load(is);
  }
};

}  // namespace detail

// Done when any part is done. Example: any_of(max_generations{250}, max_time{std::chrono::hours(1)}).
template <class... Ts>
struct any_of : detail::termination_set<false, Ts...> {
  using detail::termination_set<false, Ts...>::termination_set;
};
template <class... Ts>
any_of(Ts...) -> any_of<Ts...>;

// Done when every part is done.
template <class... Ts>
struct all_of : detail::termination_set<true, Ts...> {
  using detail::termination_set<true, Ts...>::termination_set;
};
template <class... Ts>
all_of(Ts...) -> all_of<Ts...>;

// a | b: done when either is done.
template <class A, class B>
  requires detail::combinable_termination<A> || detail::combinable_termination<B>
any_of<std::remove_cvref_t<A>, std::remove_cvref_t<B>> operator|(A&& a, B&& b) {
  return any_of<std::remove_cvref_t<A>, std::remove_cvref_t<B>>(std::forward<A>(a), std::forward<B>(b));
}

// a & b: done when both are done.
template <class A, class B>
  requires detail::combinable_termination<A> || detail::combinable_termination<B>
all_of<std::remove_cvref_t<A>, std::remove_cvref_t<B>> operator&(A&& a, B&& b) {
  return all_of<std::remove_cvref_t<A>, std::remove_cvref_t<B>>(std::forward<A>(a), std::forward<B>(b));
}

}  // namespace moo
