#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "moo/algorithm/nsga3.hpp"
#include "moo/indicators/distance.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/selection/hyperplane.hpp"

static_assert(moo::survival<moo::nsga3_survival>);
static_assert(!moo::survival<moo::matrix>);

TEST_CASE("solve_linear and hyperplane intercepts, hand-checked") {
  const auto x = moo::detail::solve_linear(moo::matrix{{2, 0}, {0, 4}}, {1, 1});
  REQUIRE(x);
  CHECK((*x)[0] == doctest::Approx(0.5));
  CHECK((*x)[1] == doctest::Approx(0.25));
  const auto y = moo::detail::solve_linear(moo::matrix{{0, 1, 0}, {1, 0, 0}, {1, 1, 1}}, {2, 3, 10});
  REQUIRE(y);
  CHECK((*y)[0] == doctest::Approx(3));
  CHECK((*y)[1] == doctest::Approx(2));
  CHECK((*y)[2] == doctest::Approx(5));
  CHECK_FALSE(moo::detail::solve_linear(moo::matrix{{1, 2}, {2, 4}}, {1, 1}));
  // The plane through (2,0,0), (0,4,0), (0,0,8) cuts the axes at 2, 4, 8.
  const auto a = moo::detail::hyperplane_intercepts(moo::matrix{{2, 0, 0}, {0, 4, 0}, {0, 0, 8}});
  REQUIRE(a);
  CHECK((*a)[0] == doctest::Approx(2));
  CHECK((*a)[1] == doctest::Approx(4));
  CHECK((*a)[2] == doctest::Approx(8));
  // A plane with a negative intercept is refused.
  CHECK_FALSE(moo::detail::hyperplane_intercepts(moo::matrix{{1, 0}, {2, 1}}));
}

TEST_CASE("nsga3_survival: normalises by the intercepts and keeps one point per reference direction") {
  const std::uint64_t seed = 31;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  // A linear front scaled to intercepts (2, 4, 8), offset by (1, 1, 1): points exactly on the 15
  // Das-Dennis directions after normalisation, each present twice, plus dominated copies.
  const auto w = moo::das_dennis(4, 3);
  moo::matrix f;
  for (int copy = 0; copy < 2; ++copy)
    for (std::size_t i = 0; i < w.rows(); ++i) f.push_back({1 + 2 * w(i, 0), 1 + 4 * w(i, 1), 1 + 8 * w(i, 2)});
  for (std::size_t i = 0; i < w.rows(); ++i) f.push_back({1.5 + 2 * w(i, 0), 1.5 + 4 * w(i, 1), 1.5 + 8 * w(i, 2)});
  moo::nsga3_survival s{w};
  const auto kept = s.survive(f, w.rows(), r);
  REQUIRE(kept.index.size() == w.rows());
  CHECK(s.ideal() == std::vector<double>{1, 1, 1});
  CHECK(s.nadir()[0] == doctest::Approx(3));
  CHECK(s.nadir()[1] == doctest::Approx(5));
  CHECK(s.nadir()[2] == doctest::Approx(9));
  // Every direction got exactly one survivor, and survivors lie on their direction (score = -distance).
  std::set<std::size_t> directions;
  for (std::size_t q = 0; q < kept.index.size(); ++q) {
    const std::size_t i = kept.index[q] % w.rows();
    directions.insert(i);
    CHECK(kept.rank[q] == 0);
    CHECK(kept.score[q] == doctest::Approx(0.0).epsilon(1e-9));
  }
  CHECK(directions.size() == w.rows());
}

TEST_CASE("nsga3_survival: the niche count decides, the closest member fills an empty niche") {
  moo::rng r(3);
  const moo::matrix w{{1, 0}, {0.5, 0.5}, {0, 1}};
  // Front: both extremes, and three points around the middle direction at growing distance from it.
  const moo::matrix f{{0, 1}, {1, 0}, {0.45, 0.55}, {0.52, 0.48}, {0.4, 0.6}};
  moo::nsga3_survival s{w};
  const auto kept = s.survive(f, 4, r);
  // All five are mutually non-dominated; the extremes fill niches 0 and 2, then niche 1 takes its closest
  // member (0.52, 0.48) once it is empty, and again one of the others at random.
  REQUIRE(kept.index.size() == 4);
  std::multiset<std::size_t> got(kept.index.begin(), kept.index.end());
  CHECK(got.count(0) == 1);
  CHECK(got.count(1) == 1);
  CHECK(got.count(3) == 1);
}

TEST_CASE("NSGA-III: default population is the direction count rounded up to a multiple of four") {
  CHECK(moo::nsga3{{.survival = moo::das_dennis(12, 3)}}.population() == 92);
  CHECK(moo::nsga3{{.survival = moo::das_dennis(3, 3)}}.population() == 12);  // 10 directions
  CHECK(moo::nsga3{{.survival = moo::das_dennis(4, 8)}}.population() == 332);  // 330 directions
  CHECK(moo::nsga3{{.population = 100, .survival = moo::das_dennis(12, 3)}}.population() == 100);
  CHECK(moo::nsga3{}.population() == 100);
  // Bad directions are refused, naming the direction.
  CHECK_THROWS_WITH_AS((moo::nsga3_survival{moo::matrix{{1, 0}, {1.5, -0.5}}}), doctest::Contains("direction 1"),
                       moo::value_error);
  moo::rng r(1);
  moo::nsga3_survival three{moo::das_dennis(2, 3)};
  CHECK_THROWS_AS(three.survive(moo::matrix{{0, 1}, {1, 0}}, 2, r), moo::dimension_error);
}

TEST_CASE("NSGA-III converges on 3-objective DTLZ1 and DTLZ2 (Das-Dennis and s-energy directions)") {
  const std::uint64_t seed = 1;
  MESSAGE("seed " << seed);
  const moo::dtlz2 p2{3};
  const auto r2 = moo::nsga3{{.generations = 200, .seed = seed, .survival = moo::das_dennis(12, 3)}}.run(p2);
  CHECK(r2.genomes.size() == 92);
  const double igd2 = moo::igd(r2.objectives, p2.true_front());
  const auto re = moo::nsga3{{.generations = 200, .seed = seed, .survival = moo::riesz_s_energy(92, 3, seed)}}.run(p2);
  const double igde = moo::igd(re.objectives, p2.true_front());
  const moo::dtlz1 p1{3};
  const auto r1 = moo::nsga3{{.generations = 400, .seed = seed, .survival = moo::das_dennis(12, 3)}}.run(p1);
  const double igd1 = moo::igd(r1.objectives, p1.true_front());
  MESSAGE("IGD DTLZ2 (Das-Dennis) " << igd2 << ", DTLZ2 (s-energy) " << igde << ", DTLZ1 " << igd1);
  CHECK(igd2 < 0.06);
  CHECK(igde < 0.06);
  CHECK(igd1 < 0.03);
}

TEST_CASE("NSGA-III: the same seed gives identical results") {
  const moo::nsga3 a{{.generations = 20, .seed = 4, .survival = moo::das_dennis(6, 3)}};
  const auto r1 = a.run(moo::dtlz2{3});
  const auto r2 = a.run(moo::dtlz2{3});
  CHECK(r1.objectives == r2.objectives);
  CHECK(r1.genomes == r2.genomes);
  const auto r3 = moo::nsga3{{.generations = 20, .seed = 5, .survival = moo::das_dennis(6, 3)}}.run(moo::dtlz2{3});
  CHECK_FALSE(r1.objectives == r3.objectives);
}
