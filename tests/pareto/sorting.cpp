// Non-dominated sorting against the brute-force peel, on random sets with many ties and duplicates.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "moo/pareto/sorting.hpp"
#include "pareto/reference.hpp"

using moo_test::set_kind;

static_assert(moo::unranked == std::numeric_limits<std::size_t>::max());
static_assert(std::is_same_v<decltype(moo::non_dominated_ranks(std::declval<const moo::matrix&>())),
                             std::vector<std::size_t>>);
static_assert(std::is_same_v<decltype(moo::non_dominated_fronts(std::declval<const moo::matrix&>(), 3)),
                             std::vector<std::vector<std::size_t>>>);

namespace {

// Ranks expected from stop_after = k: the fronts needed to hold k points keep their ranks.
std::vector<std::size_t> truncate_ranks(std::vector<std::size_t> rank, std::size_t k) {
  if (k >= rank.size()) return rank;
  std::size_t keep = 0;  // smallest r with |{rank <= r}| >= k, plus one
  while (static_cast<std::size_t>(std::count_if(rank.begin(), rank.end(),
                                                [&](std::size_t r) { return r < keep; })) < k)
    ++keep;
  for (auto& r : rank)
    if (r >= keep) r = moo::unranked;
  return rank;
}

// Appends a constant column, which leaves every rank unchanged (a way to cross-check two algorithms).
moo::matrix with_constant_column(const moo::matrix& f, double c) {
  moo::matrix g;
  std::vector<double> row(f.cols() + 1, c);
  for (std::size_t i = 0; i < f.rows(); ++i) {
    std::copy(f.row(i).begin(), f.row(i).end(), row.begin());
    g.push_back(row);
  }
  return g;
}

}  // namespace

TEST_CASE("non_dominated_ranks: equals the brute-force peel on thousands of random sets") {
  const auto seed = moo_test::seed();
  MESSAGE("seed ", seed, " (set MOO_TEST_SEED to change)");
  moo::rng g(seed);
  const set_kind kinds[] = {set_kind::uniform, set_kind::grid, set_kind::noisy_front, set_kind::repeated};
  std::size_t sets = 0, points = 0;
  for (std::size_t m = 1; m <= 6; ++m)
    for (const auto kind : kinds)
      for (int t = 0; t < 120; ++t) {
        // Mostly small sets, some large enough to pass the algorithms' brute-force thresholds.
        const std::size_t n = t % 10 == 0 ? 150 + g.index(250) : g.index(60);
        const auto f = moo_test::random_set(g, kind, n, m);
        const auto expected = moo_test::peel_ranks(f);
        const auto actual = moo::non_dominated_ranks(f);
        INFO("set ", t, " kind ", moo_test::name(kind), " M=", m, " N=", n);
        REQUIRE(actual == expected);
        ++sets;
        points += n;
      }
  MESSAGE(sets, " sets, ", points, " points");
}

TEST_CASE("non_dominated_ranks: large sets, brute force and cross-checks between algorithms") {
  const auto seed = moo_test::seed() + 1;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  SUBCASE("large random sets against the peel") {
    for (std::size_t m = 2; m <= 5; ++m)
      for (const auto kind : {set_kind::grid, set_kind::noisy_front, set_kind::uniform}) {
        const auto f = moo_test::random_set(g, kind, 1500, m);
        INFO("kind ", moo_test::name(kind), " M=", m);
        CHECK(moo::non_dominated_ranks(f) == moo_test::peel_ranks(f));
      }
  }
  SUBCASE("large grid sets (ties everywhere) checked by the rank recursion") {
    for (std::size_t m = 3; m <= 6; ++m)
      for (const std::uint64_t levels : {3, 8, 20, 60, 200}) {
        const auto f = moo_test::grid_set(g, 2000 + g.index(2000), m, levels);
        INFO("M=", m, " levels ", levels, " N=", f.rows());
        CHECK(moo_test::is_pareto_rank(f, moo::non_dominated_ranks(f)));
      }
  }
  SUBCASE("objectives that are coarse decreasing steps of each other (ranges that touch at ties)") {
    // f[j] = (99 - f[j+1]) / step for j >= 2: splitting one objective at its median leaves the halves
    // sharing exactly one value in the next, the boundary case of the divide and conquer.
    for (std::size_t m = 4; m <= 6; ++m)
      for (const double step : {3.0, 10.0, 25.0}) {
        moo::matrix f(3000, m);
        for (std::size_t i = 0; i < f.rows(); ++i) {
          f(i, 0) = static_cast<double>(g.index(40));
          f(i, 1) = static_cast<double>(g.index(40));
          f(i, m - 1) = static_cast<double>(g.index(100));
          for (std::size_t j = m - 2; j >= 2; --j) f(i, j) = std::floor((99.0 - f(i, j + 1)) / step);
        }
        INFO("M=", m, " step ", step);
        CHECK(moo_test::is_pareto_rank(f, moo::non_dominated_ranks(f)));
      }
  }
  SUBCASE("one big front in three objectives whose 2-D projections are all mutually non-dominated") {
    // f1 increasing, (f2, f3) on an anti-diagonal in random order: every point is non-dominated and
    // each front's staircase grows to N (exercising the large-staircase representation).
    const std::size_t n = 3000;
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    g.shuffle(perm.begin(), perm.end());
    moo::matrix f(n, 3);
    for (std::size_t i = 0; i < n; ++i) {
      f(i, 0) = static_cast<double>(i);
      f(i, 1) = static_cast<double>(perm[i]);
      f(i, 2) = static_cast<double>(n - perm[i]);
    }
    CHECK(moo::non_dominated_ranks(f) == std::vector<std::size_t>(n, 0));
    // Adding dominated copies shifted by +1 in f1 gives a second front of N points.
    moo::matrix h = f;
    for (std::size_t i = 0; i < n; ++i) h.push_back(std::vector<double>{f(i, 0) + 0.5, f(i, 1), f(i, 2)});
    CHECK(moo::non_dominated_ranks(h) == moo_test::peel_ranks(h));
  }
  SUBCASE("a chain: every point its own front") {
    for (std::size_t m = 1; m <= 5; ++m) {
      const std::size_t n = 2000;
      moo::matrix f(n, m);
      std::vector<std::size_t> perm(n);
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      g.shuffle(perm.begin(), perm.end());
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) f(i, j) = static_cast<double>(perm[i]) + (j == m - 1 ? 0.5 : 0.0);
      const auto rank = moo::non_dominated_ranks(f);
      for (std::size_t i = 0; i < n; ++i) REQUIRE(rank[i] == perm[i]);
    }
  }
  SUBCASE("a constant extra objective changes no rank (2-D vs 3-D vs divide and conquer)") {
    for (std::size_t m = 2; m <= 4; ++m)
      for (const auto kind : {set_kind::grid, set_kind::noisy_front}) {
        const auto f = moo_test::random_set(g, kind, 20000, m);
        const auto rank = moo::non_dominated_ranks(f);
        INFO("kind ", moo_test::name(kind), " M=", m);
        CHECK(moo::non_dominated_ranks(with_constant_column(f, 3.0)) == rank);
        CHECK(moo::non_dominated_ranks(with_constant_column(with_constant_column(f, -1.0), 0.0)) == rank);
      }
  }
  SUBCASE("ranks follow the points under a permutation and a monotone transform") {
    for (std::size_t m = 2; m <= 6; ++m) {
      const auto f = moo_test::random_set(g, set_kind::grid, 5000, m);
      const auto rank = moo::non_dominated_ranks(f);
      std::vector<std::size_t> perm(f.rows());
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      g.shuffle(perm.begin(), perm.end());
      auto h = f.select(perm);
      for (std::size_t i = 0; i < h.rows(); ++i)
        for (std::size_t j = 0; j < m; ++j) h(i, j) = std::exp(h(i, j)) * 3.0 - 7.0;
      const auto permuted = moo::non_dominated_ranks(h);
      for (std::size_t i = 0; i < perm.size(); ++i) REQUIRE(permuted[i] == rank[perm[i]]);
    }
  }
}

TEST_CASE("non_dominated_ranks: ties and duplicates, by hand") {
  // Duplicates share a rank; equal first objective with a smaller second dominates.
  const moo::matrix f{{1, 2}, {1, 2}, {1, 3}, {2, 2}, {0, 5}, {2, 1}, {2, 1}};
  CHECK(moo::non_dominated_ranks(f) == std::vector<std::size_t>{0, 0, 1, 1, 0, 0, 0});
  const moo::matrix g{{0, 0, 1}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1}, {1, 1, 1}, {0, 0, 0}};
  CHECK(moo::non_dominated_ranks(g) == std::vector<std::size_t>{1, 1, 1, 2, 3, 0});
  const moo::matrix one{{3}, {1}, {3}, {2}, {1}};
  CHECK(moo::non_dominated_ranks(one) == std::vector<std::size_t>{2, 0, 2, 1, 0});
  // -0.0 and 0.0 are the same value.
  const moo::matrix zeros{{0.0, -0.0, 1.0}, {-0.0, 0.0, 1.0}};
  CHECK(moo::non_dominated_ranks(zeros) == std::vector<std::size_t>{0, 0});
  // No objectives: all points are equal.
  CHECK(moo::non_dominated_ranks(moo::matrix(4, 0)) == std::vector<std::size_t>(4, 0));
}

TEST_CASE("non_dominated_ranks: stop_after ranks just the fronts needed") {
  const auto seed = moo_test::seed() + 2;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  for (std::size_t m = 1; m <= 5; ++m)
    for (int t = 0; t < 40; ++t) {
      const auto f = moo_test::random_set(g, t % 2 ? set_kind::grid : set_kind::uniform, 1 + g.index(80), m);
      const auto full = moo_test::peel_ranks(f);
      for (const std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{2}, f.rows() / 3, f.rows() / 2,
                                  f.rows() - 1, f.rows(), f.rows() + 5, moo::npos}) {
        INFO("M=", m, " N=", f.rows(), " stop_after=", k);
        const auto rank = moo::non_dominated_ranks(f, k);
        REQUIRE(rank == truncate_ranks(full, k));
        const auto ranked = static_cast<std::size_t>(
            std::count_if(rank.begin(), rank.end(), [](std::size_t r) { return r != moo::unranked; }));
        CHECK(ranked >= std::min(k, f.rows()));
        const auto fronts = moo::non_dominated_fronts(f, k);
        std::size_t in_fronts = 0;
        for (const auto& front : fronts) in_fronts += front.size();
        CHECK(in_fronts == ranked);
        if (!fronts.empty()) CHECK(in_fronts - fronts.back().size() < k);  // the last front crosses k
      }
    }
  const moo::matrix f{{1, 1}, {2, 2}, {3, 3}, {2, 0}, {4, 4}};
  // Fronts {0, 3}, {1}, {2}, {4}.
  constexpr auto u = moo::unranked;
  CHECK(moo::non_dominated_ranks(f, 1) == std::vector<std::size_t>{0, u, u, 0, u});
  CHECK(moo::non_dominated_ranks(f, 2) == std::vector<std::size_t>{0, u, u, 0, u});
  CHECK(moo::non_dominated_ranks(f, 3) == std::vector<std::size_t>{0, 1, u, 0, u});
  CHECK(moo::non_dominated_ranks(f, 4) == std::vector<std::size_t>{0, 1, 2, 0, u});
  CHECK(moo::non_dominated_ranks(f, 0) == std::vector<std::size_t>(5, moo::unranked));
}

TEST_CASE("non_dominated_fronts and non_dominated_front list ascending indices by rank") {
  const moo::matrix f{{3, 3}, {1, 2}, {2, 1}, {2, 2}, {1, 2}, {4, 0}};
  const auto fronts = moo::non_dominated_fronts(f);
  REQUIRE(fronts.size() == 3);
  CHECK(fronts[0] == std::vector<std::size_t>{1, 2, 4, 5});
  CHECK(fronts[1] == std::vector<std::size_t>{3});
  CHECK(fronts[2] == std::vector<std::size_t>{0});
  CHECK(moo::non_dominated_front(f) == fronts[0]);

  moo::rng g(moo_test::seed() + 3);
  for (std::size_t m = 1; m <= 6; ++m) {
    const auto h = moo_test::random_set(g, set_kind::noisy_front, 300, m);
    const auto rank = moo_test::peel_ranks(h);
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < rank.size(); ++i)
      if (rank[i] == 0) expected.push_back(i);
    CHECK(moo::non_dominated_front(h) == expected);
  }
}

TEST_CASE("non_dominated_ranks: empty input and non-finite values") {
  CHECK(moo::non_dominated_ranks(moo::matrix{}).empty());
  CHECK(moo::non_dominated_fronts(moo::matrix{}).empty());
  CHECK(moo::non_dominated_front(moo::matrix{}).empty());
  for (std::size_t m = 1; m <= 4; ++m) {
    moo::matrix f(5, m, 1.0);
    f(3, m - 1) = std::numeric_limits<double>::quiet_NaN();
    const auto where = "point 3, objective " + std::to_string(m - 1);
    CHECK_THROWS_WITH_AS(moo::non_dominated_ranks(f), doctest::Contains(where.c_str()), moo::value_error);
    f(3, m - 1) = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(moo::non_dominated_fronts(f), doctest::Contains(where.c_str()), moo::value_error);
    CHECK_THROWS_AS(moo::non_dominated_front(f), moo::value_error);
  }
}
