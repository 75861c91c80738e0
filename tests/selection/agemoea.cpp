#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "moo/algorithm/agemoea.hpp"
#include "moo/indicators/distance.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

static_assert(moo::survival<moo::agemoea_survival>);
static_assert(!moo::mating<moo::agemoea_survival>);

namespace {
// n points of the curve x^p + y^p = 1 (an L_p quarter "circle"), evenly spaced in angle, one of them on
// the diagonal when n is odd.
moo::matrix lp_front(std::size_t n, double p, double sx = 1, double sy = 1) {
  moo::matrix f;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = std::numbers::pi / 2 * static_cast<double>(i) / static_cast<double>(n - 1);
    const double c = std::cos(t), s = std::sin(t);
    const double norm = std::pow(std::pow(c, p) + std::pow(s, p), 1.0 / p);
    f.push_back({sx * c / norm, sy * s / norm});
  }
  return f;
}
}  // namespace

TEST_CASE("AGE-MOEA geometry: corner points, intercept normalisation and the estimated p") {
  namespace a = moo::detail::agemoea;
  for (double p : {0.5, 1.0, 2.0, 3.0}) {
    CAPTURE(p);
    const auto f = lp_front(21, p, 2.0, 4.0);
    const auto corners = a::corner_solutions(f);
    REQUIRE(corners.size() == 2);
    CHECK(f(corners[0], 1) == doctest::Approx(0.0).epsilon(1e-12));  // on the f1 axis
    CHECK(f(corners[1], 0) == doctest::Approx(0.0).epsilon(1e-12));  // on the f2 axis
    const auto scale = a::normalization(f, corners);
    CHECK(scale[0] == doctest::Approx(2.0));
    CHECK(scale[1] == doctest::Approx(4.0));
    moo::matrix g = f;
    for (std::size_t i = 0; i < g.rows(); ++i) {
      g(i, 0) /= scale[0];
      g(i, 1) /= scale[1];
    }
    CHECK(a::estimate_p(g, corners) == doctest::Approx(p).epsilon(1e-6));
  }
  // The DTLZ2 sphere in three objectives is p = 2; a linear DTLZ1-like simplex is p = 1.
  auto sphere = moo::dtlz2{3}.true_front(91);
  CHECK(a::estimate_p(sphere, a::corner_solutions(sphere)) == doctest::Approx(2.0).epsilon(1e-9));
  auto simplex = moo::dtlz1{3}.true_front(91);
  for (std::size_t i = 0; i < simplex.rows(); ++i)
    for (auto& v : simplex.row(i)) v *= 2;
  CHECK(a::estimate_p(simplex, a::corner_solutions(simplex)) == doctest::Approx(1.0).epsilon(1e-9));
  // Distances and norms.
  CHECK(a::lp_norm(std::vector<double>{3, 4}, 2) == doctest::Approx(5));
  CHECK(a::lp_norm(std::vector<double>{3, 4}, 1) == doctest::Approx(7));
  CHECK(a::lp_norm(std::vector<double>{1, 1}, 0.5) == doctest::Approx(4));
  CHECK(a::lp_distance(std::vector<double>{1, 1}, std::vector<double>{0, 0}, 3) == doctest::Approx(std::cbrt(2.0)));
}

TEST_CASE("AGE-MOEA first-front scores: extremes kept, then greedy diversity / proximity, hand-checked") {
  // Points of the unit quarter circle (p = 2) at 0, 90, 45, 40 and 15 degrees.
  const auto at = [](double deg) {
    const double t = deg * std::numbers::pi / 180;
    return std::vector<double>{std::cos(t), std::sin(t)};
  };
  moo::matrix f;
  for (double deg : {0.0, 90.0, 45.0, 40.0, 15.0}) f.push_back(at(deg));
  const auto s = moo::detail::agemoea::score_first_front(f);
  const auto chord = [](double deg) { return 2 * std::sin(deg / 2 * std::numbers::pi / 180); };
  CHECK(s.p == doctest::Approx(2.0));
  CHECK(std::isinf(s.score[0]));
  CHECK(std::isinf(s.score[1]));
  // Proximity is 1 on the unit circle. 45 degrees is farthest from both extremes: chords of 45 + 45.
  CHECK(s.score[2] == doctest::Approx(2 * chord(45)));
  // Then 15 degrees (chords to 0 and 45: 15 + 30) beats 40 degrees (chords to 45 and 0: 5 + 40) ...
  CHECK(s.score[4] == doctest::Approx(chord(15) + chord(30)));
  // ... and 40 degrees comes last, between 45 and 15.
  CHECK(s.score[3] == doctest::Approx(chord(5) + chord(25)));

  moo::rng r(1);
  const auto kept = moo::agemoea_survival{}.survive(f, 4, r);
  std::vector<std::size_t> got = kept.index;
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::size_t>{0, 1, 2, 4});
}

TEST_CASE("AGE-MOEA survival: later fronts score 1 / proximity in the normalised space") {
  moo::rng r(2);
  // First front (0,1), (1,0), (0.5,0.5) (linear: p = 1); second front (1,1), (0.6,1.2); third (2,2).
  const moo::matrix f{{0, 1}, {1, 0}, {0.5, 0.5}, {1, 1}, {0.6, 1.2}, {2, 2}};
  const auto kept = moo::agemoea_survival{}.survive(f, 5, r);
  REQUIRE(kept.index.size() == 5);
  for (std::size_t q = 0; q < 3; ++q) CHECK(kept.rank[q] == 0);
  for (std::size_t q = 3; q < 5; ++q) {
    CHECK(kept.rank[q] == 1);
    CHECK(kept.score[q] == doctest::Approx(kept.index[q] == 3 ? 1 / 2.0 : 1 / 1.8));
  }
  // Truncating the second front keeps the point of smaller L1 norm, (0.6, 1.2).
  const auto four = moo::agemoea_survival{}.survive(f, 4, r);
  REQUIRE(four.index.size() == 4);
  CHECK(four.index[3] == 4);
}

TEST_CASE("AGE-MOEA reaches hypervolume >= 0.86 on ZDT1 and converges on 3-objective DTLZ2") {
  const std::uint64_t seed = 1;
  MESSAGE("seed " << seed);
  const auto res = moo::agemoea{{.population = 100, .generations = 250, .seed = seed}}.run(moo::zdt1{});
  const double hv = moo::hypervolume(res.objectives, std::vector<double>{1.1, 1.1});
  const moo::dtlz2 p{3};
  const auto r3 = moo::agemoea{{.population = 92, .generations = 200, .seed = seed}}.run(p);
  const double igd = moo::igd(r3.objectives, p.true_front());
  MESSAGE("ZDT1 hypervolume " << hv << ", DTLZ2 IGD " << igd);
  CHECK(hv >= 0.86);
  CHECK(igd < 0.07);
}

TEST_CASE("AGE-MOEA: the same seed gives identical results") {
  const moo::agemoea a{{.population = 40, .generations = 30, .seed = 7}};
  const auto r1 = a.run(moo::zdt3{});
  const auto r2 = a.run(moo::zdt3{});
  CHECK(r1.objectives == r2.objectives);
  CHECK(r1.genomes == r2.genomes);
  const auto r3 = moo::agemoea{{.population = 40, .generations = 30, .seed = 8}}.run(moo::zdt3{});
  CHECK_FALSE(r1.objectives == r3.objectives);
}
