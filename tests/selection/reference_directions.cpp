#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "moo/core/rng.hpp"
#include "moo/selection/reference_directions.hpp"

namespace {

// C(n, k) by Pascal's triangle, independent of das_dennis_count's product formula.
std::size_t binomial(std::size_t n, std::size_t k) {
  std::vector<std::vector<std::size_t>> c(n + 1, std::vector<std::size_t>(n + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) {
    c[i][0] = 1;
    for (std::size_t j = 1; j <= i; ++j) c[i][j] = c[i - 1][j - 1] + c[i - 1][j];
  }
  return c[n][k];
}

double min_pairwise_distance(const moo::matrix& x) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < x.rows(); ++i)
    for (std::size_t j = i + 1; j < x.rows(); ++j) {
      double d = 0;
      for (std::size_t k = 0; k < x.cols(); ++k) d += (x(i, k) - x(j, k)) * (x(i, k) - x(j, k));
      best = std::min(best, std::sqrt(d));
    }
  return best;
}

void check_on_simplex(const moo::matrix& w) {
  for (std::size_t i = 0; i < w.rows(); ++i) {
    double sum = 0;
    for (double v : w.row(i)) {
      REQUIRE(v >= 0.0);
      sum += v;
    }
    REQUIRE(sum == doctest::Approx(1.0).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("das_dennis: C(p+m-1, m-1) distinct lattice points on the simplex") {
  for (std::size_t m : {2u, 3u, 4u, 5u, 8u})
    for (std::size_t p : {1u, 2u, 3u, 6u, 12u}) {
      CAPTURE(m);
      CAPTURE(p);
      const auto w = moo::das_dennis(p, m);
      REQUIRE(w.rows() == binomial(p + m - 1, m - 1));
      CHECK(moo::das_dennis_count(p, m) == w.rows());
      check_on_simplex(w);
      std::set<std::vector<long>> lattice;
      for (std::size_t i = 0; i < w.rows(); ++i) {
        std::vector<long> k;
        for (double v : w.row(i)) {
          const double scaled = v * static_cast<double>(p);
          CHECK(std::abs(scaled - std::round(scaled)) < 1e-12);
          k.push_back(std::lround(scaled));
        }
        lattice.insert(k);
      }
      CHECK(lattice.size() == w.rows());
    }
  CHECK(moo::das_dennis(12, 3).rows() == 91);
  CHECK(moo::das_dennis(99, 2).rows() == 100);
  CHECK(moo::das_dennis(2, 2) == moo::matrix{{1, 0}, {0.5, 0.5}, {0, 1}});
  CHECK_THROWS_AS(moo::das_dennis(0, 3), moo::value_error);
  CHECK_THROWS_AS(moo::das_dennis(3, 0), moo::value_error);
}

TEST_CASE("das_dennis_partitions_for: exact counts only, naming the nearest ones otherwise") {
  CHECK(moo::das_dennis_partitions_for(91, 3) == 12);
  CHECK(moo::das_dennis_partitions_for(100, 2) == 99);
  CHECK(moo::das_dennis_partitions_for(210, 5) == 6);
  CHECK_THROWS_WITH_AS(moo::das_dennis_partitions_for(100, 3), doctest::Contains("nearest: 91"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::das_dennis_partitions_for(100, 3), doctest::Contains("105"), moo::value_error);
  CHECK(moo::das_dennis_at_most(100, 3).rows() == 91);
  CHECK(moo::das_dennis_at_most(92, 3).rows() == 91);
  CHECK(moo::das_dennis_at_most(91, 3).rows() == 91);
}

TEST_CASE("das_dennis_two_layer: both layers, the inner one strictly inside the simplex") {
  const auto w = moo::das_dennis_two_layer(3, 2, 8);
  REQUIRE(w.rows() == binomial(10, 7) + binomial(9, 7));
  check_on_simplex(w);
  for (std::size_t i = binomial(10, 7); i < w.rows(); ++i)
    for (double v : w.row(i)) CHECK(v >= 0.5 / 8.0 - 1e-15);
  CHECK_THROWS_AS(moo::das_dennis_two_layer(3, 2, 8, 1.5), moo::value_error);
}

TEST_CASE("riesz_s_energy: any count, on the simplex, axes kept, better spread than random, seeded") {
  const std::uint64_t seed = 21;
  MESSAGE("seed " << seed);
  for (std::size_t m : {2u, 3u}) {
    const std::size_t n = m == 2 ? 20 : 100;
    const auto w = moo::riesz_s_energy(n, m, seed);
    REQUIRE(w.rows() == n);
    REQUIRE(w.cols() == m);
    check_on_simplex(w);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t k = 0; k < m; ++k) CHECK(w(j, k) == (j == k ? 1.0 : 0.0));
    // Random points on the simplex, the starting point of the optimisation.
    moo::rng r(seed);
    moo::matrix random(n, m);
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::size_t k = 0; k < m; ++k) sum += random(i, k) = -std::log(1.0 - r.uniform());
      for (std::size_t k = 0; k < m; ++k) random(i, k) /= sum;
    }
    const double spread = min_pairwise_distance(w);
    const double lattice = min_pairwise_distance(moo::das_dennis(m == 2 ? 19 : 12, m));
    MESSAGE("m = " << m << ": min distance s-energy " << spread << ", random " << min_pairwise_distance(random)
                   << ", Das-Dennis (" << (m == 2 ? 20 : 91) << " points) " << lattice);
    CHECK(spread > 3.0 * min_pairwise_distance(random));
    CHECK(spread > 0.6 * lattice);
    const double s = 2.0 * static_cast<double>(m);
    CHECK(moo::riesz_log_energy(w, s) < moo::riesz_log_energy(random, s));
  }
  // In two objectives the optimum is the evenly spaced segment.
  const auto w2 = moo::riesz_s_energy(11, 2, seed);
  std::vector<double> first;
  for (std::size_t i = 0; i < w2.rows(); ++i) first.push_back(w2(i, 0));
  std::sort(first.begin(), first.end());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(first[i] - 0.1 * static_cast<double>(i)) < 0.01);
  }

  CHECK(moo::riesz_s_energy(50, 3, 5) == moo::riesz_s_energy(50, 3, 5));
  CHECK_FALSE(moo::riesz_s_energy(50, 3, 5) == moo::riesz_s_energy(50, 3, 6));
  CHECK_THROWS_AS(moo::riesz_s_energy(2, 3, 1), moo::value_error);
}
