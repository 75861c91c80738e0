#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "moo/algorithm/moead.hpp"
#include "moo/indicators/distance.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

static_assert(moo::survival<moo::moead_survival<>>);
static_assert(moo::survival<moo::moead_survival<moo::pbi>>);
static_assert(moo::survival<moo::moead_survival<moo::weighted_sum>>);
static_assert(moo::mating<moo::random_mating>);
static_assert(!moo::survival<moo::random_mating>);
static_assert(moo::moead_survival<>::one_child_per_mating);

TEST_CASE("moead_survival: hand-checked replacement and ideal point") {
  moo::rng r(4);
  moo::moead_survival<> s{{.weights = moo::matrix{{1, 0}, {0, 1}}, .neighbours = 2, .neighbour_probability = 1.0}};
  const moo::matrix init{{1, 0.5}, {0.5, 1}};
  const auto s0 = s.survive(init, 2, r);
  CHECK(s0.index == std::vector<std::size_t>{0, 1});
  CHECK(s.ideal() == std::vector<double>{0.5, 0.5});
  const auto parents = s.mate(s0, 4, r);
  REQUIRE(parents.size() == 4);
  CHECK(parents[0] != parents[1]);
  // Child 0 = (0.6, 2): Tchebycheff of subproblem 0 (w = e1) drops from 0.5 to 0.1, subproblem 1's rises
  // from 0.5 to 1.5; child 1 = (3, 3) improves nothing.
  const moo::matrix merged{{1, 0.5}, {0.5, 1}, {0.6, 2}, {3, 3}};
  const auto s1 = s.survive(merged, 2, r);
  CHECK(s1.index == std::vector<std::size_t>{2, 1});
  CHECK(s1.score[0] == doctest::Approx(-0.1));
  CHECK(s1.score[1] == doctest::Approx(-0.5));
  CHECK(s.ideal() == std::vector<double>{0.5, 0.5});
}

TEST_CASE("moead_survival: a child replaces at most nr solutions, so slots may repeat") {
  moo::rng r(5);
  moo::moead_survival<> s{{.weights = moo::matrix{{1, 0}, {0.5, 0.5}, {0, 1}},
                           .neighbours = 3,
                           .neighbour_probability = 1.0,
                           .max_replacements = 2}};
  const auto s0 = s.survive(moo::matrix{{0.2, 2}, {1, 1}, {2, 0.2}}, 3, r);
  s.mate(s0, 6, r);
  // Child 0 = (0, 0) dominates everyone and improves all three subproblems, but may replace only two.
  const moo::matrix merged{{0.2, 2}, {1, 1}, {2, 0.2}, {0, 0}, {5, 5}, {5, 5}};
  const auto s1 = s.survive(merged, 3, r);
  CHECK(std::count(s1.index.begin(), s1.index.end(), std::size_t{3}) == 2);
  for (auto i : s1.index) CHECK(i <= 3);
  CHECK(s.ideal() == std::vector<double>{0, 0});
  // The child is non-dominated, the remaining original is dominated by it.
  for (std::size_t i = 0; i < 3; ++i) CHECK(s1.rank[i] == (s1.index[i] == 3 ? 0u : 1u));
}

TEST_CASE("moead_survival: rejects a population that does not match the weights") {
  moo::rng r(1);
  moo::moead_survival<> s;
  CHECK_THROWS_WITH_AS(s.survive(moo::matrix(100, 3, 1.0), 100, r), doctest::Contains("nearest: 91"),
                       moo::value_error);
  moo::moead_survival<> w{{.weights = moo::das_dennis(12, 3)}};
  CHECK(w.default_population() == 91);
  CHECK_THROWS_AS(w.survive(moo::matrix(90, 3, 1.0), 90, r), moo::value_error);
  CHECK_THROWS_AS((moo::moead_survival<>{{.neighbour_probability = 1.5}}), moo::value_error);
}

TEST_CASE("MOEA/D in the evolve loop: N evaluations per generation, every slot holds its own genome") {
  struct counting : moo::zdt1 {
    mutable std::size_t calls = 0;
    void evaluate(std::span<const double> x, std::span<double> f) const {
      ++calls;
      moo::zdt1::evaluate(x, f);
    }
  } p;
  const auto res = moo::moead<>{{.population = 30, .generations = 20, .seed = 3}}.run(p);
  CHECK(p.calls == 30 + 20 * 30);
  REQUIRE(res.genomes.size() == 30);
  // With max_replacements = 2, children surviving in two slots are copied, not moved twice.
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    REQUIRE(res.genomes[i].size() == 30);
    std::vector<double> f(2);
    moo::zdt1{}.evaluate(res.genomes[i], f);
    CHECK(f[0] == res.objectives(i, 0));
    CHECK(f[1] == res.objectives(i, 1));
  }
}

TEST_CASE("MOEA/D (Tchebycheff) reaches hypervolume >= 0.86 on ZDT1") {
  const std::uint64_t seed = 1;
  MESSAGE("seed " << seed);
  const auto res = moo::moead<>{{.population = 100, .generations = 250, .seed = seed}}.run(moo::zdt1{});
  const double hv = moo::hypervolume(res.objectives, std::vector<double>{1.1, 1.1});
  MESSAGE("ZDT1 hypervolume " << hv);
  CHECK(hv >= 0.86);
}

TEST_CASE("MOEA/D on 3-objective DTLZ2: Tchebycheff and PBI approach the true front") {
  const std::uint64_t seed = 2;
  MESSAGE("seed " << seed);
  const moo::dtlz2 p{3};
  const auto front = p.true_front();
  const auto tch = moo::moead<>{{.population = 91, .generations = 200, .seed = seed}}.run(p);
  const double igd_tch = moo::igd(tch.objectives, front);
  const auto pb = moo::moead<moo::pbi>{{.population = 91, .generations = 200, .seed = seed}}.run(p);
  const double igd_pbi = moo::igd(pb.objectives, front);
  MESSAGE("DTLZ2 IGD: Tchebycheff " << igd_tch << ", PBI " << igd_pbi);
  CHECK(igd_tch < 0.08);
  CHECK(igd_pbi < 0.07);
  // The default population follows the weights.
  CHECK(moo::moead<>{{.survival = {{.weights = moo::das_dennis(12, 3)}}}}.population() == 91);
}

TEST_CASE("MOEA/D: the same seed gives identical results") {
  const moo::moead<> a{{.population = 40, .generations = 30, .seed = 7}};
  const auto r1 = a.run(moo::zdt2{});
  const auto r2 = a.run(moo::zdt2{});
  CHECK(r1.objectives == r2.objectives);
  CHECK(r1.genomes == r2.genomes);
  const auto r3 = moo::moead<>{{.population = 40, .generations = 30, .seed = 8}}.run(moo::zdt2{});
  CHECK_FALSE(r1.objectives == r3.objectives);
}

TEST_CASE("one child per mating: sbx::child is the first child of the pair, from the same draws") {
  const std::uint64_t seed = 9;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::real_space::uniform(30, -1.0, 2.0);
  const moo::sbx x{.probability = 0.9, .eta = 15.0, .variable_probability = 0.5};
  for (int t = 0; t < 500; ++t) {
    const auto a = s.sample(r), b = s.sample(r);
    moo::rng r1 = r, r2 = r;
    const auto pair = x(s, a, b, r1);
    const auto one = x.child(s, a, b, r2);
    REQUIRE(one == pair[0]);
    REQUIRE(r1 == r2);
    r = r1;
  }
}
