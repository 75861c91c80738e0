// GD, IGD, IGD+ and the additive epsilon indicator against hand-computed values.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "moo/indicators/distance.hpp"

TEST_CASE("distance indicators: a set between two front points") {
  // Front Z = {(0,1), (1,0)}, set A = {(0.5,0.5), (0,2)}.
  // IGD: both z are sqrt(0.5) from (0.5,0.5) and farther from (0,2) (1 and sqrt(5)).
  // IGD+: d+((0,1),(0.5,0.5)) = sqrt(0.5^2 + 0) = 0.5; d+((0,1),(0,2)) = 1; d+((1,0),(0.5,0.5)) = 0.5.
  // GD: (0.5,0.5) is sqrt(0.5) from the front, (0,2) is 1 from (0,1): mean (sqrt(0.5) + 1) / 2.
  // eps+: (0,1) needs max(0.5, -0.5) = 0.5 from (0.5,0.5) or max(0, 1) = 1 from (0,2); (1,0) needs
  // max(-0.5, 0.5) = 0.5: eps = 0.5.
  const moo::matrix front{{0, 1}, {1, 0}};
  const moo::matrix set{{0.5, 0.5}, {0, 2}};
  CHECK(moo::igd(set, front) == doctest::Approx(std::sqrt(0.5)));
  CHECK(moo::igd_plus(set, front) == doctest::Approx(0.5));
  CHECK(moo::gd(set, front) == doctest::Approx((std::sqrt(0.5) + 1.0) / 2.0));
  CHECK(moo::epsilon_additive(set, front) == doctest::Approx(0.5));
}

TEST_CASE("distance indicators: IGD+ and epsilon see dominance, IGD does not") {
  // (0,0) weakly dominates the whole front: IGD+ = 0 and eps+ = 0, but IGD = mean distance 1.
  const moo::matrix front{{0, 1}, {1, 0}};
  const moo::matrix ideal{{0, 0}};
  CHECK(moo::igd(ideal, front) == doctest::Approx(1.0));
  CHECK(moo::igd_plus(ideal, front) == 0.0);
  CHECK(moo::epsilon_additive(ideal, front) == 0.0);
  // Strictly dominating every front point gives a negative epsilon: max(0.5 - 1, 0.8 - 1) = -0.2.
  CHECK(moo::epsilon_additive(moo::matrix{{0.5, 0.8}}, moo::matrix{{1, 1}}) == doctest::Approx(-0.2));
  // Identical sets: every indicator is 0.
  CHECK(moo::igd(front, front) == 0.0);
  CHECK(moo::igd_plus(front, front) == 0.0);
  CHECK(moo::gd(front, front) == 0.0);
  CHECK(moo::epsilon_additive(front, front) == 0.0);
}

TEST_CASE("distance indicators: three objectives, averaging over the right set") {
  // Front Z = {(0,0,1), (0,1,0), (1,0,0)}, set A = {(0,0,2)}.
  // IGD: distances 1, sqrt(0+1+4) = sqrt(5), sqrt(5): mean (1 + 2 sqrt(5)) / 3.
  // IGD+: d+ = sqrt(0+0+1) = 1, sqrt(0+0+4) = 2, 2: mean 5/3.
  // GD: one set point, nearest front point (0,0,1) at distance 1.
  // eps+: z = (0,1,0) needs max(0, -1, 2) = 2.
  const moo::matrix front{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};
  const moo::matrix set{{0, 0, 2}};
  CHECK(moo::igd(set, front) == doctest::Approx((1.0 + 2.0 * std::sqrt(5.0)) / 3.0));
  CHECK(moo::igd_plus(set, front) == doctest::Approx(5.0 / 3.0));
  CHECK(moo::gd(set, front) == doctest::Approx(1.0));
  CHECK(moo::epsilon_additive(set, front) == doctest::Approx(2.0));
}

TEST_CASE("distance indicators: bad input") {
  const moo::matrix front{{0, 1}, {1, 0}};
  const moo::matrix empty;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto f : {moo::igd, moo::igd_plus, moo::gd, moo::epsilon_additive}) {
    CHECK_THROWS_WITH_AS(f(empty, front), doctest::Contains("approximation set is empty"), moo::value_error);
    CHECK_THROWS_WITH_AS(f(front, empty), doctest::Contains("reference front is empty"), moo::value_error);
    CHECK_THROWS_WITH_AS(
        f(moo::matrix{{1, 2, 3}}, front),
        doctest::Contains("approximation set has 3 objectives but the reference front has 2"),
        moo::dimension_error);
    CHECK_THROWS_WITH_AS(f(moo::matrix{{1, nan}}, front), doctest::Contains("point 0, objective 1"),
                         moo::value_error);
    CHECK_THROWS_AS(f(front, moo::matrix{{std::numeric_limits<double>::infinity(), 0}}), moo::value_error);
  }
}
