#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/genome/real.hpp"
#include "moo/variation/polynomial_mutation.hpp"
#include "moo/variation/sbx.hpp"
#include "moo/variation/sbx_pm.hpp"

static_assert(moo::search_space<moo::real_space>);
static_assert(moo::variation<moo::sbx, moo::real_space>);
static_assert(moo::variation<moo::sbx_pm, moo::real_space>);
static_assert(!moo::variation<moo::polynomial_mutation, moo::real_space>);

TEST_CASE("real_space: samples inside bounds, rejects bad bounds and genomes") {
  const std::uint64_t seed = 11;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  moo::real_space s{{-1, 0, 5}, {1, 0, 6}};
  s.validate();
  for (int i = 0; i < 1000; ++i) CHECK_NOTHROW(s.check(s.sample(r)));
  CHECK_THROWS_AS(s.check({0.0, 0.0}), moo::dimension_error);
  CHECK_THROWS_WITH_AS(s.check({0.0, 0.0, 7.0}), doctest::Contains("variable 2 = 7"), moo::value_error);
  CHECK_THROWS_AS((moo::real_space{{0, 1}, {1}}.validate()), moo::dimension_error);
  CHECK_THROWS_WITH_AS((moo::real_space{{0, 2}, {1, 1}}.validate()), doctest::Contains("variable 1"),
                       moo::value_error);
}

TEST_CASE("sbx: children stay in bounds and, far from bounds, keep the parents' mean") {
  const std::uint64_t seed = 12;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::real_space::uniform(8, -10.0, 10.0);
  const auto wide = moo::real_space::uniform(8, -1e7, 1e7);
  moo::sbx x{.probability = 1.0, .eta = 15.0, .variable_probability = 1.0};
  int kept_mean = 0, total = 0;
  for (int t = 0; t < 2000; ++t) {
    auto a = s.sample(r), b = s.sample(r);
    auto c = x(s, a, b, r);
    for (std::size_t i = 0; i < a.size(); ++i) {
      REQUIRE(c[0][i] >= -10.0);
      REQUIRE(c[0][i] <= 10.0);
      REQUIRE(c[1][i] >= -10.0);
      REQUIRE(c[1][i] <= 10.0);
    }
    // With bounds far away, the folded mass vanishes and SBX children are symmetric about the mean.
    auto w = x(wide, a, b, r);
    for (std::size_t i = 0; i < a.size(); ++i) {
      ++total;
      if (std::abs((w[0][i] + w[1][i]) - (a[i] + b[i])) < 1e-6) ++kept_mean;
    }
  }
  CHECK(total == 16000);
  CHECK(kept_mean == total);
}

TEST_CASE("sbx: larger eta keeps children closer to their parents") {
  moo::rng r(13);
  const auto s = moo::real_space::uniform(1, 0.0, 1.0);
  auto spread = [&](double eta) {
    moo::sbx x{.probability = 1.0, .eta = eta, .variable_probability = 1.0};
    double d = 0;
    for (int t = 0; t < 20000; ++t) {
      auto c = x(s, {0.4}, {0.6}, r);
      d += std::abs(c[0][0] - c[1][0]);
    }
    return d / 20000;
  };
  const double wide = spread(2.0), narrow = spread(30.0);
  CHECK(narrow < wide);
  CHECK(narrow == doctest::Approx(0.2).epsilon(0.1));
}

TEST_CASE("polynomial mutation: bounded, probability 1/n by default, symmetric around the parent") {
  const std::uint64_t seed = 14;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::real_space::uniform(20, 0.0, 1.0);
  moo::polynomial_mutation pm{};
  std::size_t changed = 0;
  double shift = 0;
  const int trials = 5000;
  for (int t = 0; t < trials; ++t) {
    moo::real_genome x(20, 0.5);
    pm(s, x, r);
    for (double v : x) {
      REQUIRE(v >= 0.0);
      REQUIRE(v <= 1.0);
      if (v != 0.5) {
        ++changed;
        shift += v - 0.5;
      }
    }
  }
  // Expected one mutated variable per genome (probability 1/20 over 20 variables).
  CHECK(static_cast<double>(changed) / trials == doctest::Approx(1.0).epsilon(0.05));
  CHECK(std::abs(shift / static_cast<double>(changed)) < 0.01);
  // At a bound the mutation only moves inward.
  for (int t = 0; t < 200; ++t) {
    moo::real_genome x(20, 0.0);
    moo::polynomial_mutation{.probability = 1.0}(s, x, r);
    for (double v : x) CHECK(v >= 0.0);
  }
}
