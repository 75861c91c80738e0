#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include "support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

namespace {

// ZDT1 that counts its evaluations.
struct counting_zdt1 : moo::zdt1 {
  counting_zdt1() : moo::zdt1(30) {}
  mutable std::size_t calls = 0;
  void evaluate(std::span<const double> x, std::span<double> f) const {
    ++calls;
    moo::zdt1::evaluate(x, f);
  }
};

// A problem that fails for genomes whose first variable is above a threshold.
struct fragile : moo::zdt1 {
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (x[0] > 0.8) throw std::runtime_error("simulated crash");
    moo::zdt1::evaluate(x, f);
  }
};

// Records the evaluations spent in each generation.
struct watch {
  std::vector<std::size_t>* log;
  std::size_t last = 0;
  void on_start(const auto& s) { last = s.evaluations(); }
  void on_generation(const auto& s) {
    log->push_back(s.evaluations() - last);
    last = s.evaluations();
  }
};

using test_support::stop_at;

struct not_a_survival {
  int survive(int) const { return 0; }
};

}  // namespace

static_assert(moo::survival<moo::nsga2_survival>);
static_assert(!moo::survival<not_a_survival>);
static_assert(moo::mating<moo::binary_tournament>);
static_assert(!moo::mating<moo::nsga2_survival>);
static_assert(moo::executor<moo::sequential_executor, moo::zdt1>);
static_assert(!moo::problem<not_a_survival>);

TEST_CASE("evolve loop: each generation evaluates exactly its offspring, once each") {
  counting_zdt1 p;
  std::vector<std::size_t> per_generation;
  const auto res = moo::nsga2{{.population = 20, .generations = 10, .seed = 3}}.run(p, watch{&per_generation});
  CHECK(p.calls == 20 + 10 * 20);
  CHECK(res.evaluations == p.calls);
  CHECK(res.generations == 10);
  REQUIRE(per_generation.size() == 10);
  for (auto n : per_generation) CHECK(n == 20);
  // Every survivor carries the objectives of its own genome: nothing survives unevaluated.
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    std::vector<double> f(2);
    moo::zdt1{}.evaluate(res.genomes[i], f);
    CHECK(f[0] == res.objectives(i, 0));
    CHECK(f[1] == res.objectives(i, 1));
  }
}

TEST_CASE("evolve loop: the same seed gives bit-identical results, another seed does not") {
  const moo::nsga2 a{{.population = 40, .generations = 30, .seed = 7}};
  const auto r1 = a.run(moo::zdt2{});
  const auto r2 = a.run(moo::zdt2{});
  CHECK(r1.objectives == r2.objectives);
  CHECK(r1.genomes == r2.genomes);
  const auto r3 = moo::nsga2{{.population = 40, .generations = 30, .seed = 8}}.run(moo::zdt2{});
  CHECK_FALSE(r1.objectives == r3.objectives);
}

TEST_CASE("ask/tell: repeated ask returns the same batch; a bad tell changes nothing") {
  const moo::nsga2 algo{{.population = 10, .generations = 5, .seed = 5}};
  auto state = algo.start(moo::zdt1{}.space());
  const auto first = state.ask();
  CHECK(state.ask() == first);
  moo::matrix f(first.size(), 2);
  for (std::size_t i = 0; i < first.size(); ++i) moo::zdt1{}.evaluate(first[i], f.row(i));
  CHECK_THROWS_AS(state.tell(moo::matrix(3, 2)), moo::dimension_error);
  auto bad = f;
  bad(4, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(state.tell(bad), doctest::Contains("point 4, objective 1"), moo::value_error);
  CHECK_FALSE(state.initialized());
  state.tell(f);
  CHECK(state.initialized());
  CHECK(state.evaluations() == 10);
  CHECK_THROWS_AS(state.tell(f), moo::error);  // nothing asked
}

TEST_CASE("a callback returning false stops the run") {
  const auto res = moo::nsga2{{.population = 10, .generations = 50, .seed = 1}}.run(moo::zdt1{}, stop_at{4});
  CHECK(res.generations == 4);
}

TEST_CASE("an evaluation that throws is reported with its genome; the rest of the batch is kept") {
  moo::rng r(9);
  std::vector<moo::real_genome> xs;
  for (int i = 0; i < 20; ++i) xs.push_back(fragile().space().sample(r));
  xs[3][0] = 0.9;
  xs[7][0] = 0.1;
  try {
    moo::sequential_executor{}.evaluate(fragile(), std::span<const moo::real_genome>(xs));
    FAIL("expected evaluation_error");
  } catch (const moo::evaluation_error& e) {
    CHECK(std::string(e.what()).find("#3 [0.9") != std::string::npos);
    CHECK(std::string(e.what()).find("simulated crash") != std::string::npos);
    REQUIRE(e.objectives().size() == 40);
    CHECK(std::isnan(e.objectives()[3 * 2]));
    std::vector<double> f(2);
    moo::zdt1{}.evaluate(xs[7], f);
    CHECK(e.objectives()[7 * 2] == f[0]);
    for (const auto& fail : e.failures()) CHECK(xs[fail.index][0] > 0.8);
  }
}

TEST_CASE("NSGA-II reaches hypervolume >= 0.865 on ZDT1 (population 100, 250 generations)") {
  const std::uint64_t seed = 1;
  MESSAGE("seed " << seed);
  const auto res = moo::nsga2{{.population = 100, .generations = 250, .seed = seed}}.run(moo::zdt1{});
  const double hv = moo::hypervolume(res.objectives, std::vector<double>{1.1, 1.1});
  MESSAGE("ZDT1 hypervolume " << hv);
  CHECK(hv >= 0.865);
  CHECK(res.front_indices().size() == 100);
}

TEST_CASE("NSGA-II on 3-objective DTLZ2 converges onto the sphere") {
  const auto res = moo::nsga2{{.population = 92, .generations = 150, .seed = 2}}.run(moo::dtlz2{3});
  double worst = 0, mean = 0;
  for (std::size_t i = 0; i < res.objectives.rows(); ++i) {
    double q = 0;
    for (double v : res.objectives.row(i)) q += v * v;
    worst = std::max(worst, std::abs(std::sqrt(q) - 1.0));
    mean += std::abs(std::sqrt(q) - 1.0) / static_cast<double>(res.objectives.rows());
  }
  MESSAGE("distance from the unit sphere: mean " << mean << ", largest " << worst);
  CHECK(mean < 0.02);
  CHECK(worst < 0.15);
}

TEST_CASE("the sequential executor also reports evaluations that throw something other than std::exception") {
  struct throws_int : moo::zdt1 {
    void evaluate(std::span<const double>, std::span<double>) const { throw 42; }
  };
  std::vector<moo::real_genome> xs(3, moo::real_genome(30, 0.5));
  try {
    moo::sequential_executor{}.evaluate(throws_int(), std::span<const moo::real_genome>(xs));
    FAIL("expected evaluation_error");
  } catch (const moo::evaluation_error& e) {
    CHECK(e.failures().size() == 3);
    CHECK(e.failures()[0].what == "unknown exception");
  }
}

TEST_CASE("duplicate elimination: every batch of children is distinct from itself and the population") {
  const moo::zdt1 p;
  const moo::nsga2 algo{{.population = 40, .seed = 4, .eliminate_duplicates = true}};
  auto state = algo.start(p.space());
  moo::sequential_executor ex;
  for (int g = 0; g < 60; ++g) {
    const auto& batch = state.ask();
    REQUIRE(batch.size() == 40);
    if (state.initialized()) {
      std::set<moo::real_genome> seen(state.genomes().begin(), state.genomes().end());
      for (const auto& c : batch) CHECK(seen.insert(c).second);
    }
    state.tell(ex.evaluate(p, std::span<const moo::real_genome>(batch)));
  }
  const std::set<moo::real_genome> final_population(state.genomes().begin(), state.genomes().end());
  CHECK(final_population.size() == 40);
}

TEST_CASE("duplicate elimination: NSGA-II with it still reaches hypervolume >= 0.865 on ZDT1") {
  const auto res =
      moo::nsga2{{.population = 100, .generations = 250, .seed = 1, .eliminate_duplicates = true}}.run(moo::zdt1{});
  const double hv = moo::hypervolume(res.objectives, std::vector<double>{1.1, 1.1});
  MESSAGE("ZDT1 hypervolume with duplicate elimination " << hv);
  CHECK(hv >= 0.865);
  const std::set<moo::real_genome> distinct(res.genomes.begin(), res.genomes.end());
  CHECK(distinct.size() == res.genomes.size());
}
