// Dominance, constraint-domination and crowding distance: hand-computed cases and error reporting.
#include <doctest/doctest.h>

#include <array>
#include <limits>
#include <vector>

#include "moo/pareto/crowding.hpp"
#include "moo/pareto/dominance.hpp"
#include "pareto/reference.hpp"

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Dominance is usable at compile time (named arrays: spans over temporaries are not constant
// expressions under libstdc++'s debug mode).
constexpr std::array<double, 2> p12{1, 2}, p13{1, 3}, p22{2, 2}, p23{2, 3}, p99{9, 9}, p00{0, 0};
static_assert(moo::dominates(p12, p13));
static_assert(!moo::dominates(p12, p12));
static_assert(!moo::dominates(p13, p22));
static_assert(moo::pareto_compare(p13, p22) == moo::pareto_relation::incomparable);
static_assert(moo::pareto_compare(p23, p12) == moo::pareto_relation::dominated);
static_assert(moo::pareto_compare(p22, p22) == moo::pareto_relation::equal);
static_assert(moo::constrained_dominates(p99, 0.0, p00, 0.1));
static_assert(!moo::constrained_dominates(p00, 0.2, p99, 0.1));
}  // namespace

TEST_CASE("dominates and pareto_compare: minimization, ties, infinities") {
  const std::vector<double> a{1, 2, 3}, b{1, 2, 4}, c{0, 5, 3}, inf_pt{inf, 2, 3};
  CHECK(moo::dominates(a, b));
  CHECK_FALSE(moo::dominates(b, a));
  CHECK_FALSE(moo::dominates(a, a));
  CHECK_FALSE(moo::dominates(a, c));
  CHECK_FALSE(moo::dominates(c, a));
  CHECK(moo::dominates(a, inf_pt));
  CHECK(moo::pareto_compare(a, b) == moo::pareto_relation::dominates);
  CHECK(moo::pareto_compare(b, a) == moo::pareto_relation::dominated);
  CHECK(moo::pareto_compare(a, a) == moo::pareto_relation::equal);
  CHECK(moo::pareto_compare(a, c) == moo::pareto_relation::incomparable);
  CHECK(moo::pareto_compare(std::vector<double>{}, std::vector<double>{}) == moo::pareto_relation::equal);

  // pareto_compare agrees with dominates both ways on random grid points.
  moo::rng g(moo_test::seed());
  for (int t = 0; t < 2000; ++t) {
    std::vector<double> x(4), y(4);
    for (auto& v : x) v = static_cast<double>(g.index(3));
    for (auto& v : y) v = static_cast<double>(g.index(3));
    const auto r = moo::pareto_compare(x, y);
    CHECK((r == moo::pareto_relation::dominates) == moo::dominates(x, y));
    CHECK((r == moo::pareto_relation::dominated) == moo::dominates(y, x));
    CHECK((r == moo::pareto_relation::equal) == (x == y));
  }
}

TEST_CASE("dominance: mismatched sizes and NaN are rejected") {
  const std::vector<double> a{1, 2}, b{1, 2, 3}, n{1, not_a_number};
  CHECK_THROWS_WITH_AS(moo::dominates(a, b), doctest::Contains("2 objectives, second has 3"), moo::dimension_error);
  CHECK_THROWS_AS(moo::pareto_compare(b, a), moo::dimension_error);
  CHECK_THROWS_AS(moo::constrained_dominates(a, 0.0, b, 0.0), moo::dimension_error);
  CHECK_THROWS_WITH_AS(moo::dominates(a, n), doctest::Contains("NaN at objective 1"), moo::value_error);
  CHECK_THROWS_AS(moo::pareto_compare(n, a), moo::value_error);
  CHECK_THROWS_AS(moo::constrained_dominates(a, not_a_number, a, 0.0), moo::value_error);
}

TEST_CASE("constrained_dominates: feasibility first, then violation, then Pareto") {
  const std::vector<double> good{0, 0}, bad{5, 5}, other{1, -1};
  CHECK(moo::constrained_dominates(bad, 0.0, good, 0.5));    // feasible beats infeasible
  CHECK(moo::constrained_dominates(bad, -1.0, good, 1e-9));  // violation <= 0 is feasible
  CHECK_FALSE(moo::constrained_dominates(good, 0.5, bad, 0.0));
  CHECK(moo::constrained_dominates(bad, 0.2, good, 0.3));  // both infeasible: smaller violation
  CHECK_FALSE(moo::constrained_dominates(good, 0.3, bad, 0.2));
  CHECK_FALSE(moo::constrained_dominates(good, 0.3, bad, 0.3));  // equal violation: neither
  CHECK(moo::constrained_dominates(good, 0.0, bad, -2.0));       // both feasible: Pareto
  CHECK_FALSE(moo::constrained_dominates(bad, 0.0, good, 0.0));
  CHECK_FALSE(moo::constrained_dominates(good, 0.0, other, 0.0));
  CHECK_FALSE(moo::constrained_dominates(good, 0.0, good, 0.0));
}

TEST_CASE("crowding_distance: hand-computed values") {
  using idx = std::vector<std::size_t>;
  SUBCASE("four points, unequal ranges") {
    // f1 range 6, f2 range 5. Point 1: 3/6 + 3/5; point 2: 5/6 + 3/5.
    const moo::matrix f{{0, 5}, {1, 3}, {3, 2}, {6, 0}};
    const auto d = moo::crowding_distance(f, idx{0, 1, 2, 3});
    REQUIRE(d.size() == 4);
    CHECK(d[0] == inf);
    CHECK(d[1] == doctest::Approx(0.5 + 0.6));
    CHECK(d[2] == doctest::Approx(5.0 / 6.0 + 0.6));
    CHECK(d[3] == inf);
    // A subset of a larger set, given in another order: results follow the front's order.
    const moo::matrix g{{9, 9}, {3, 2}, {0, 5}, {6, 0}, {1, 3}};
    const auto e = moo::crowding_distance(g, idx{4, 3, 1, 2});
    CHECK(e[0] == doctest::Approx(d[1]));
    CHECK(e[1] == inf);
    CHECK(e[2] == doctest::Approx(d[2]));
    CHECK(e[3] == inf);
  }
  SUBCASE("three objectives") {
    // Every point is a boundary of some objective: sorted f1: 0,1,2,3; f2: 3,2,1,0; f3: 1,0,3,2.
    const moo::matrix f{{0, 4, 1}, {1, 3, 0}, {2, 1, 2}, {4, 0, 1.5}};
    const auto d = moo::crowding_distance(f, idx{0, 1, 2, 3});
    CHECK(d[0] == inf);
    CHECK(d[1] == inf);
    CHECK(d[2] == inf);
    CHECK(d[3] == inf);
    const moo::matrix h{{0, 4, 1}, {1, 3, 0.5}, {2, 1, 0.75}, {4, 0, 2}, {3, 0.5, 0}};
    // Ranges 4, 4, 2; points sorted by f1: 0,1,2,4,3; by f2: 3,4,2,1,0; by f3: 4,1,2,0,3.
    const auto e = moo::crowding_distance(h, idx{0, 1, 2, 3, 4});
    CHECK(e[0] == inf);
    CHECK(e[1] == doctest::Approx((2.0 - 0.0) / 4 + (4.0 - 1.0) / 4 + (0.75 - 0.0) / 2));
    CHECK(e[2] == doctest::Approx((3.0 - 1.0) / 4 + (3.0 - 0.5) / 4 + (1.0 - 0.5) / 2));
    CHECK(e[3] == inf);
    CHECK(e[4] == inf);
  }
  SUBCASE("ties are broken by point index, not by position in the front") {
    // Points 1 and 2 are equal; in f1 point 1 is the lower boundary, in f2 point 2 is the upper one.
    const moo::matrix f{{1, 0}, {0, 1}, {0, 1}, {0.5, 0.5}};
    const std::vector<double> expected{inf, inf, inf, 2.0};
    CHECK(moo::crowding_distance(f, idx{0, 1, 2, 3}) == expected);
    CHECK(moo::crowding_distance(f, idx{3, 2, 1, 0}) == std::vector<double>{2.0, inf, inf, inf});
    const moo::matrix g{{0, 2}, {1, 1}, {1, 1}, {1, 1}, {2, 0}};
    // f1 order 0,1,2,3,4: pt1 (1-0)/2, pt2 0, pt3 (2-1)/2; f2 order 4,1,2,3,0: pt1 (1-0)/2, pt2 0, pt3 (2-1)/2.
    CHECK(moo::crowding_distance(g, idx{0, 1, 2, 3, 4}) == std::vector<double>{inf, 1.0, 0.0, 1.0, inf});
    // Shuffled, the tied points keep their values (a tie-break by position would swap them).
    CHECK(moo::crowding_distance(g, idx{4, 2, 0, 3, 1}) == std::vector<double>{inf, 0.0, inf, 1.0, 1.0});
  }
  SUBCASE("zero range contributes nothing; small fronts are infinite") {
    const moo::matrix f{{0, 1}, {1, 1}, {2, 1}};
    CHECK(moo::crowding_distance(f, idx{0, 1, 2}) == std::vector<double>{inf, 1.0, inf});
    const moo::matrix same{{1, 1}, {1, 1}, {1, 1}};
    CHECK(moo::crowding_distance(same, idx{0, 1, 2}) == std::vector<double>{0.0, 0.0, 0.0});
    CHECK(moo::crowding_distance(f, idx{2, 0}) == std::vector<double>{inf, inf});
    CHECK(moo::crowding_distance(same, idx{0, 1}) == std::vector<double>{inf, inf});
    CHECK(moo::crowding_distance(f, idx{1}) == std::vector<double>{inf});
    CHECK(moo::crowding_distance(f, idx{}).empty());
  }
}

TEST_CASE("crowding_distance: bad indices and non-finite values") {
  moo::matrix f{{0, 1}, {1, 0}, {0.5, 0.5}, {not_a_number, 0}};
  using idx = std::vector<std::size_t>;
  CHECK_THROWS_WITH_AS(moo::crowding_distance(f, idx{0, 7}), doctest::Contains("front[1] = 7"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::crowding_distance(f, idx{0, 1, 3}), doctest::Contains("point 3, objective 0"),
                       moo::value_error);
  CHECK_NOTHROW(moo::crowding_distance(f, idx{0, 1, 2}));  // the NaN row is not in the front
}
