// Termination policies: generations, evaluations, wall time, hypervolume stagnation, and their
// combinations; options.generations stays the default.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "algorithm/run_support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/problems/zdt.hpp"

namespace {

using state_t = decltype(moo::nsga2{}.start(moo::zdt1{}.space()));

struct not_a_termination {
  bool done() const { return true; }
};

// A user termination without the combinable tag: stops once the first objective's minimum is below x.
struct min_f1_below {
  double x;
  bool done(const state_t& s, const moo::run_info&) const {
    for (std::size_t i = 0; i < s.objectives().rows(); ++i)
      if (s.objectives()(i, 0) < x) return true;
    return false;
  }
};

// Records the run_info every generation sees.
struct recorder {
  std::vector<moo::run_info>* seen;
  void on_generation(const auto&, const moo::run_info& info) { seen->push_back(info); }
};

}  // namespace

static_assert(moo::termination<moo::max_generations, state_t>);
static_assert(moo::termination<moo::max_evaluations, state_t>);
static_assert(moo::termination<moo::max_time, state_t>);
static_assert(moo::termination<moo::hypervolume_stagnation, state_t>);
static_assert(moo::termination<moo::any_of<moo::max_generations, min_f1_below>, state_t>);
static_assert(moo::termination<decltype(moo::max_generations{1} & moo::max_evaluations{2}), state_t>);
static_assert(moo::termination<min_f1_below, state_t>);
static_assert(!moo::termination<not_a_termination, state_t>);
static_assert(!moo::termination<int, state_t>);
static_assert(moo::io::stateful<moo::hypervolume_stagnation>);
static_assert(moo::io::stateful<decltype(moo::max_generations{1} | moo::hypervolume_stagnation{})>);
static_assert(!moo::io::stateful<decltype(moo::max_generations{1} | moo::max_evaluations{1})>);

TEST_CASE("options.generations is the default; max_generations as an argument overrides it") {
  const moo::nsga2 algo{{.population = 10, .generations = 7, .seed = 3}};
  const auto a = algo.run(moo::zdt1{});
  CHECK(a.generations == 7);
  CHECK(a.evaluations == 80);
  run_test::check_identical(algo.run(moo::zdt1{}, moo::max_generations{7}), a);
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{3}).generations == 3);
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{0}).evaluations == 10);
}

TEST_CASE("max_evaluations stops at the first generation that reaches the budget") {
  const moo::nsga2 algo{{.population = 20, .generations = 1000, .seed = 1}};
  const auto exact = algo.run(moo::zdt1{}, moo::max_evaluations{1000});
  CHECK(exact.evaluations == 1000);
  CHECK(exact.generations == 49);
  const auto over = algo.run(moo::zdt1{}, moo::max_evaluations{1001});
  CHECK(over.evaluations == 1020);  // a generation is never cut short
}

TEST_CASE("| stops at the first of its parts, & at the last; any_of/all_of likewise") {
  const moo::nsga2 algo{{.population = 10, .generations = 1000, .seed = 2}};
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{25} | moo::max_evaluations{100}).generations == 9);
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{5} | moo::max_evaluations{100}).generations == 5);
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{25} & moo::max_evaluations{100}).generations == 25);
  CHECK(algo.run(moo::zdt1{}, moo::any_of(moo::max_generations{25}, moo::max_evaluations{100},
                                          moo::max_generations{4}))
            .generations == 4);
  CHECK(algo.run(moo::zdt1{}, moo::all_of(moo::max_generations{3}, moo::max_evaluations{100})).generations == 9);
  // Several termination arguments: the run stops at the first.
  CHECK(algo.run(moo::zdt1{}, moo::max_generations{6}, moo::max_evaluations{1000}).generations == 6);
  // A user termination combines through any_of, and with a built-in through |.
  const auto user = algo.run(moo::zdt1{}, moo::max_generations{500} | min_f1_below{1e-4});
  CHECK(user.generations < 500);
  bool below = false;
  for (std::size_t i = 0; i < user.objectives.rows(); ++i) below = below || user.objectives(i, 0) < 1e-4;
  CHECK(below);
}

TEST_CASE("max_time stops on wall time (kept across resumes); max_time{0} stops after the initial population") {
  const moo::nsga2 algo{{.population = 10, .generations = 1'000'000, .seed = 4}};
  CHECK(algo.run(moo::zdt1{}, moo::max_time{std::chrono::seconds(0)}).generations == 0);
  std::vector<moo::run_info> seen;
  const auto res = algo.run(moo::zdt1{}, moo::max_time{std::chrono::milliseconds(60)}, recorder{&seen});
  REQUIRE(!seen.empty());
  MESSAGE("generations in 60 ms: " << res.generations);
  CHECK(seen.back().elapsed_seconds >= 0.06);
  CHECK(seen.back().elapsed_seconds < 10.0);
  if (seen.size() >= 2) CHECK(seen[seen.size() - 2].elapsed_seconds < 0.06);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].elapsed_seconds >= seen[i - 1].elapsed_seconds);
  CHECK(seen.back().fraction_done == 1.0);
}

TEST_CASE("hypervolume stagnation stops once the hypervolume has not grown for k generations") {
  const std::uint64_t seed = 6;
  MESSAGE("seed " << seed);
  const std::vector<double> ref{11, 11};
  const moo::nsga2 algo{{.population = 12, .generations = 5000, .seed = seed}};
  // A tolerance no improvement can beat: stops exactly k generations after the initial population.
  CHECK(algo.run(moo::zdt1{}, moo::hypervolume_stagnation{.reference = ref, .generations = 5, .tolerance = 1e9})
            .generations == 5);

  struct hv_log {
    std::vector<double> ref;
    std::vector<double>* out;
    void on_generation(const state_t& s) { out->push_back(moo::hypervolume(s.objectives(), ref)); }
  };
  std::vector<double> hv;
  auto stop = moo::hypervolume_stagnation{.reference = ref, .generations = 8, .tolerance = 1e-3};
  const auto res = algo.run(moo::zdt1{}, stop, hv_log{ref, &hv});
  MESSAGE("stopped after " << res.generations << " generations, best hypervolume " << stop.best());
  REQUIRE(res.generations < 5000);
  REQUIRE(hv.size() == res.generations);
  // No generation among the last 8 improved on the best before them by more than the tolerance...
  const double before = stop.best();
  for (std::size_t g = hv.size() - 8; g < hv.size(); ++g) CHECK(hv[g] <= before + 1e-3);
  // ...and asking again for the same generation does not count it twice.
  CHECK(stop.counters.last_generation == res.generations);
  CHECK(stop.counters.last_generation - stop.counters.best_generation == 8);
  CHECK_THROWS_AS(algo.run(moo::zdt1{}, moo::hypervolume_stagnation{}), moo::value_error);
}

TEST_CASE("callbacks see the termination's progress estimate") {
  std::vector<moo::run_info> seen;
  moo::nsga2{{.population = 10, .generations = 4, .seed = 1}}.run(moo::zdt1{}, recorder{&seen});
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].fraction_done == doctest::Approx(0.25));
  CHECK(seen[3].fraction_done == 1.0);
  CHECK_FALSE(seen[0].resumed);
  seen.clear();
  moo::nsga2{{.population = 10, .generations = 100, .seed = 1}}.run(
      moo::zdt1{}, moo::max_generations{100} & moo::max_evaluations{60}, recorder{&seen});
  CHECK(seen.size() == 100);
  CHECK(seen[4].fraction_done == doctest::Approx(0.05));  // all_of: the least advanced part
}
