// Hypervolume semantics, analytic values, bad input, and exclusive contributions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "indicators/brute_force.hpp"
#include "moo/indicators/distance.hpp"
#include "moo/indicators/hypervolume.hpp"

namespace {

using moo::test::close;

// The points of the unit sphere's positive orthant on a k x k grid of spherical angles.
moo::matrix dtlz2_front_3d(std::size_t k) {
  moo::matrix m;
  const double step = std::numbers::pi / 2 / static_cast<double>(k - 1);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double t = step * static_cast<double>(i), f = step * static_cast<double>(j);
      m.push_back(std::vector<double>{std::cos(t) * std::cos(f), std::cos(t) * std::sin(f), std::sin(t)});
    }
  return m;
}

}  // namespace

TEST_CASE("hypervolume: hand-computed values") {
  CHECK(moo::hypervolume(moo::matrix{{1, 2}, {2, 1}}, {3.0, 3.0}) == 3.0);
  CHECK(moo::hypervolume(moo::matrix{{0.5}}, {2.0}) == 1.5);
  CHECK(moo::hypervolume(moo::matrix{{1, 1, 1}}, {2.0, 3.0, 4.0}) == 6.0);
  // (1,1,2) and (2,2,1) with ref 3: 2*2*1 + 1*1*2 - 1*1*1 = 5.
  CHECK(moo::hypervolume(moo::matrix{{1, 1, 2}, {2, 2, 1}}, {3.0, 3.0, 3.0}) == 5.0);
  // 4-D: boxes of (1,1,1,2) and (2,1,1,1), volume 2*2*2*1 = 8 and 1*2*2*2 = 8, intersect in the box
  // of (2,1,1,2), volume 1*2*2*1 = 4: union 12.
  CHECK(moo::hypervolume(moo::matrix{{1, 1, 1, 2}, {2, 1, 1, 1}}, {3.0, 3.0, 3.0, 3.0}) == 12.0);
  CHECK(moo::hypervolume(moo::matrix{}, {1.0, 1.0}) == 0.0);
}

TEST_CASE("hypervolume: outside points, duplicates and dominated points contribute nothing") {
  const moo::matrix base{{1, 2}, {2, 1}};
  const double v = moo::hypervolume(base, {3.0, 3.0});
  CHECK(moo::hypervolume(moo::matrix{{1, 2}, {2, 1}, {1, 2}, {2, 1}}, {3.0, 3.0}) == v);      // duplicates
  CHECK(moo::hypervolume(moo::matrix{{1, 2}, {2, 1}, {2.5, 2.5}, {2, 2}}, {3.0, 3.0}) == v);  // dominated
  CHECK(moo::hypervolume(moo::matrix{{1, 2}, {2, 1}, {0, 3}, {3, 0}, {-1, 4}}, {3.0, 3.0}) == v);  // on/out
  CHECK(moo::hypervolume(moo::matrix{{3, 3}, {4, 0}}, {3.0, 3.0}) == 0.0);
  for (std::size_t d = 3; d <= 6; ++d) {  // the same in every code path
    moo::matrix m;
    std::vector<double> p(d, 0.5), q(d, 0.25), out(d, 0.1);
    out[d - 1] = 1.0;  // equal to the reference in one objective
    m.push_back(p);
    m.push_back(q);
    m.push_back(q);
    m.push_back(out);
    INFO("d = ", d);
    CHECK(close(moo::hypervolume(m, std::vector<double>(d, 1.0)), std::pow(0.75, static_cast<double>(d))));
  }
}

TEST_CASE("hypervolume: vector-of-rows overload and options") {
  const std::vector<std::vector<double>> rows{{1, 2}, {2, 1}, {4, 0}};
  const std::vector<double> ref{3, 3};
  CHECK(moo::hypervolume(rows, ref) == 3.0);
  CHECK_THROWS_WITH_AS(
      moo::hypervolume(rows, ref, {.require_bounded = true}),
      doctest::Contains("point 2 does not strictly dominate the reference point in objective 0"),
      moo::value_error);
  CHECK_THROWS_AS(moo::hypervolume(std::vector<std::vector<double>>{{1, 2}, {1}}, ref), moo::dimension_error);
  CHECK(moo::hypervolume(moo::matrix{{1, 2}, {2, 1}}, ref, {.require_bounded = true}) == 3.0);
  // A point equal to the reference in one objective does not bound it either.
  CHECK_THROWS_AS(moo::require_bounded(moo::matrix{{1, 3}}, ref), moo::value_error);
  CHECK_NOTHROW(moo::require_bounded(moo::matrix{{1, 2.999}}, ref));
  CHECK_THROWS_AS(moo::hypervolume_contributions(moo::matrix{{1, 3}}, ref, {.require_bounded = true}),
                  moo::value_error);
}

TEST_CASE("hypervolume: bad input is rejected with messages naming it") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> ref{3, 3};
  CHECK_THROWS_WITH_AS(moo::hypervolume(moo::matrix{{1, 2}, {nan, 1}}, ref),
                       doctest::Contains("point 1, objective 0"), moo::value_error);
  CHECK_THROWS_AS(moo::hypervolume(moo::matrix{{1, inf}}, ref), moo::value_error);
  CHECK_THROWS_AS(moo::hypervolume(moo::matrix{{1, -inf}}, ref), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::hypervolume(moo::matrix{{1, 2, 3}}, ref),
                       doctest::Contains("3 objectives but the reference point has 2"), moo::dimension_error);
  CHECK_THROWS_WITH_AS(moo::hypervolume(moo::matrix{{1, 2}}, std::vector<double>{}),
                       doctest::Contains("empty reference point"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::hypervolume(moo::matrix{{1, 2}}, {3.0, nan}), doctest::Contains("objective 1"),
                       moo::value_error);
  CHECK_THROWS_AS(moo::hypervolume(moo::matrix{{1, 2}}, {inf, 3.0}), moo::value_error);
  CHECK_THROWS_AS(moo::hypervolume_contributions(moo::matrix{{1, 2, 3}}, ref), moo::dimension_error);
  CHECK_THROWS_AS(moo::hypervolume_contributions(moo::matrix{{nan, 2}}, ref), moo::value_error);
}

TEST_CASE("hypervolume: ZDT1's front, 10000 points, reference (1.1, 1.1)") {
  // Front f2 = 1 - sqrt(f1), f1 in [0, 1]. Within the box [0, 1.1]^2 (area 1.21) the front leaves
  // undominated exactly the area under the curve, int_0^1 (1 - sqrt(a)) da = 1/3: HV = 1.21 - 1/3.
  // N evenly spaced points dominate a staircase above the curve; its undominated area is the left
  // Riemann sum of the decreasing integrand, larger by at most (f(0) - f(1)) / (N - 1).
  const std::size_t n = 10000;
  moo::matrix front;
  double riemann = 0.0;
  const double h = 1.0 / static_cast<double>(n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double f1 = static_cast<double>(i) * h;
    front.push_back(std::vector<double>{f1, 1.0 - std::sqrt(f1)});
    if (i + 1 < n) riemann += h * (1.0 - std::sqrt(f1));
  }
  const double hv = moo::hypervolume(front, {1.1, 1.1});
  const double exact = 1.21 - 1.0 / 3.0;
  CHECK(std::abs(hv - 0.8767) < 1e-3);
  CHECK(hv <= exact);
  CHECK(exact - hv <= h);
  CHECK(close(hv, 1.21 - riemann, 1e-12));
}

TEST_CASE("hypervolume: DTLZ2's spherical front in 3-D approaches 1.331 - pi/6") {
  // The points of the unit sphere in the positive orthant leave exactly the ball's eighth (pi/6)
  // undominated in [0, 1.1]^3. A k x k grid of angles with spacing s puts every front point within arc
  // length s of a sample, so each sample weakly dominates that front point shifted by s in every
  // objective: (1.1 - s)^3 - pi/6 <= HV(sample) <= 1.331 - pi/6.
  const double exact = 1.331 - std::numbers::pi / 6.0;
  double previous_gap = 1.0;
  for (std::size_t k : {25, 50, 100}) {
    const auto front = dtlz2_front_3d(k);
    const double hv = moo::hypervolume(front, {1.1, 1.1, 1.1});
    const double s = std::numbers::pi / 2 / static_cast<double>(k - 1);
    INFO("k = ", k, ", hv = ", hv, ", exact = ", exact);
    CHECK(hv <= exact);
    CHECK(hv >= std::pow(1.1 - s, 3) - std::numbers::pi / 6.0);
    CHECK(exact - hv < previous_gap);
    previous_gap = exact - hv;
    // The same front in 4 objectives (constant fourth) exercises HV4D+ on a dense set.
    moo::matrix front4;
    for (std::size_t i = 0; i < front.rows(); ++i)
      front4.push_back(std::vector<double>{front(i, 0), front(i, 1), front(i, 2), 0.1});
    CHECK(close(moo::hypervolume(front4, {1.1, 1.1, 1.1, 1.1}), hv * 1.0));
  }
  CHECK(previous_gap < 0.01);  // 10000 points
}

TEST_CASE("hypervolume_contributions: equal hv(all) - hv(all without i), 2 to 5 objectives") {
  // Both volumes by cell counting; sizes keep the grids (n + 1)^d small.
  const std::uint64_t base_seed = 6000;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 79);
  for (std::uint64_t s = 0; s < 80; ++s) {
    moo::rng r(base_seed + s);
    const std::size_t d = 2 + s % 4;
    const std::size_t max_n[] = {60, 40, 16, 11};
    const std::size_t n = 2 + r.index(max_n[d - 2] - 1);
    const bool sphere = s % 3 == 0;
    const auto pts = sphere ? moo::test::sphere_points(n, d, r) : moo::test::awkward_points(n, d, r);
    const std::vector<double> ref(d, sphere ? 1.1 : 1.0);
    const auto c = moo::hypervolume_contributions(pts, ref);
    REQUIRE(c.size() == n);
    const double all = moo::test::hv_grid(pts, ref);
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::size_t> others;
      for (std::size_t j = 0; j < n; ++j)
        if (j != i) others.push_back(j);
      INFO("seed ", base_seed + s, ", d = ", d, ", n = ", n, ", point ", i);
      CHECK(close(c[i], all - moo::test::hv_grid(pts.select(others), ref)));
    }
  }
}

TEST_CASE("hypervolume_contributions: duplicates, dominated and outside points get 0") {
  const moo::matrix m{{1, 2}, {2, 1}, {2, 1}, {2.5, 2.5}, {0, 3}};
  const auto c = moo::hypervolume_contributions(m, {3.0, 3.0});
  CHECK(c == std::vector<double>{1.0, 0.0, 0.0, 0.0, 0.0});
  const moo::matrix m3{{1, 2, 1}, {2, 1, 1}, {2, 1, 1}, {2.5, 2.5, 2.5}, {0, 3, 0}};
  const auto c3 = moo::hypervolume_contributions(m3, {3.0, 3.0, 3.0});
  CHECK(c3 == std::vector<double>{2.0, 0.0, 0.0, 0.0, 0.0});
  // A dominated point still shrinks the contribution of the only point that dominates it.
  const auto cd = moo::hypervolume_contributions(moo::matrix{{1, 1}, {2, 2}}, {3.0, 3.0});
  CHECK(cd == std::vector<double>{3.0, 0.0});
}

TEST_CASE("hypervolume_contributions: 150 points in 5 objectives sum to at most the hypervolume") {
  const std::uint64_t seed = 7000;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  const auto pts = moo::test::sphere_points(150, 5, r);
  const std::vector<double> ref(5, 1.1);
  const auto c = moo::hypervolume_contributions(pts, ref);
  const double all = moo::hypervolume(pts, ref);
  double sum = 0.0;
  for (double x : c) {
    CHECK(x >= -1e-15);
    sum += x;
  }
  CHECK(sum > 0.0);
  CHECK(sum <= all);
  for (std::size_t i : {0u, 17u, 149u}) {  // spot checks against the definition
    std::vector<std::size_t> others;
    for (std::size_t j = 0; j < pts.rows(); ++j)
      if (j != i) others.push_back(j);
    CHECK(close(c[i], all - moo::hypervolume(pts.select(others), ref), 1e-9));
  }
}
