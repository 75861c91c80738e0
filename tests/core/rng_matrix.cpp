#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

TEST_CASE("rng: same seed gives the same stream, restored state continues it") {
  moo::rng a(42), b(42);
  for (int i = 0; i < 100; ++i) CHECK(a() == b());
  const auto saved = a.state();
  std::vector<double> first;
  for (int i = 0; i < 10; ++i) first.push_back(a.uniform());
  moo::rng c(7);
  c.set_state(saved);
  for (int i = 0; i < 10; ++i) CHECK(c.uniform() == first[static_cast<std::size_t>(i)]);
}

TEST_CASE("rng: index is within range and roughly uniform") {
  moo::rng r(3);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const auto k = r.index(7);
    REQUIRE(k < 7);
    ++counts[k];
  }
  for (int c : counts) CHECK(std::abs(c - n / 7) < 500);  // ~5 sigma
  for (int i = 0; i < 1000; ++i) {
    const double u = r.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}

TEST_CASE("rng: normal has mean 0 and variance 1") {
  moo::rng r(5);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    s += z;
    s2 += z * z;
  }
  CHECK(s / n == doctest::Approx(0.0).epsilon(0.01).scale(1));
  CHECK(s2 / n == doctest::Approx(1.0).epsilon(0.02));
}

TEST_CASE("matrix: rows, select and bad input") {
  moo::matrix m{{1, 2}, {3, 4}, {5, 6}};
  CHECK(m.rows() == 3);
  CHECK(m.cols() == 2);
  CHECK(m(2, 1) == 6);
  const auto s = m.select(std::vector<std::size_t>{2, 0});
  CHECK(s == moo::matrix{{5, 6}, {1, 2}});
  CHECK_THROWS_AS(m.push_back(std::vector<double>{1, 2, 3}), moo::dimension_error);
  m(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(m.require_finite("front"), doctest::Contains("point 1, objective 0"), moo::value_error);
}
