// pareto_archive: invariants against a brute-force non-dominated filter, capacity truncation by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <type_traits>
#include <vector>

#include "moo/pareto/archive.hpp"
#include "pareto/reference.hpp"

static_assert(std::is_same_v<decltype(std::declval<const moo::pareto_archive<int>&>().points()), const moo::matrix&>);
static_assert(std::is_same_v<decltype(std::declval<const moo::pareto_archive<int>&>().payloads()),
                             const std::vector<int>&>);

namespace {

// Rows of f that no row of f dominates, one per distinct vector.
std::vector<std::vector<double>> brute_nondominated(const moo::matrix& f) {
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < f.rows(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < f.rows() && !dominated; ++j) dominated = moo_test::ref_dominates(f, j, i);
    const std::vector<double> row(f.row(i).begin(), f.row(i).end());
    if (!dominated && std::find(out.begin(), out.end(), row) == out.end()) out.push_back(row);
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <class P>
void check_mutually_nondominated(const moo::pareto_archive<P>& a) {
  const auto& pts = a.points();
  REQUIRE(pts.rows() == a.payloads().size());
  for (std::size_t i = 0; i < pts.rows(); ++i)
    for (std::size_t j = 0; j < pts.rows(); ++j)
      if (i != j) REQUIRE(moo::pareto_compare(pts.row(i), pts.row(j)) == moo::pareto_relation::incomparable);
}

}  // namespace

TEST_CASE("pareto_archive: unbounded archive equals the non-dominated set of everything offered") {
  const auto seed = moo_test::seed() + 10;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  for (std::size_t m = 1; m <= 5; ++m)
    for (int t = 0; t < 60; ++t) {
      const auto kind = t % 3 == 0 ? moo_test::set_kind::noisy_front : moo_test::set_kind::grid;
      const auto f = moo_test::random_set(g, kind, 1 + g.index(120), m);
      moo::pareto_archive<std::size_t> archive;
      moo::matrix seen;
      std::map<std::vector<double>, std::size_t> first_offer;  // payload = index of the first offer
      for (std::size_t i = 0; i < f.rows(); ++i) {
        const std::vector<double> row(f.row(i).begin(), f.row(i).end());
        const bool is_new = first_offer.emplace(row, i).second;
        seen.push_back(row);
        const bool accepted = archive.insert(row, i);
        const auto expected = brute_nondominated(seen);
        INFO("M=", m, " set ", t, " offer ", i);
        CHECK(accepted == (is_new && std::binary_search(expected.begin(), expected.end(), row)));
        auto actual = archive.points().to_rows();
        std::sort(actual.begin(), actual.end());
        REQUIRE(actual == expected);
        for (std::size_t k = 0; k < archive.size(); ++k) {
          const std::vector<double> p(archive.points().row(k).begin(), archive.points().row(k).end());
          REQUIRE(archive.payloads()[k] == first_offer.at(p));
        }
      }
      CHECK(archive.objectives() == m);
    }
}

TEST_CASE("pareto_archive: bounded archive stays within capacity and mutually non-dominated") {
  const auto seed = moo_test::seed() + 11;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  for (std::size_t m = 2; m <= 4; ++m)
    for (const std::size_t cap : {1, 2, 3, 10}) {
      const auto f = moo_test::random_set(g, moo_test::set_kind::noisy_front, 400, m);
      moo::pareto_archive<std::size_t> archive(cap);
      CHECK(archive.capacity() == cap);
      std::size_t accepted = 0;
      for (std::size_t i = 0; i < f.rows(); ++i) {
        const moo::matrix points_before = archive.points();
        const std::vector<std::size_t> payloads_before = archive.payloads();
        const bool in = archive.insert(f.row(i), i);
        accepted += in;
        REQUIRE(archive.size() <= cap);
        if (in) {
          // The new point is stored with its payload.
          const auto it = std::find(archive.payloads().begin(), archive.payloads().end(), i);
          REQUIRE(it != archive.payloads().end());
          const auto k = static_cast<std::size_t>(it - archive.payloads().begin());
          CHECK(std::equal(f.row(i).begin(), f.row(i).end(), archive.points().row(k).begin()));
        }
        // A rejected point leaves the archive as it was (it either was dominated, or it dominated
        // nothing and was the one truncated).
        if (!in) {
          REQUIRE(archive.points() == points_before);
          REQUIRE(archive.payloads() == payloads_before);
        }
        check_mutually_nondominated(archive);
        for (std::size_t k = 0; k < archive.size(); ++k) {
          const auto p = archive.payloads()[k];
          REQUIRE(std::equal(f.row(p).begin(), f.row(p).end(), archive.points().row(k).begin()));
        }
      }
      CHECK(accepted >= archive.size());
    }
}

TEST_CASE("pareto_archive: truncation removes the most crowded point") {
  moo::pareto_archive<char> a(3);
  CHECK(a.insert(std::vector<double>{0, 3}, 'a'));
  CHECK(a.insert(std::vector<double>{3, 0}, 'b'));
  CHECK(a.insert(std::vector<double>{1, 2}, 'c'));
  // Crowding with (2, 1.5) added: c = 2/3 + 1/2, d = 2/3 + 2/3 (ranges 3 and 3), so c goes.
  CHECK(a.insert(std::vector<double>{2, 1.5}, 'd'));
  CHECK(a.payloads() == std::vector<char>{'a', 'b', 'd'});
  CHECK(a.points() == moo::matrix{{0, 3}, {3, 0}, {2, 1.5}});
  // (2.5, 1) would be more crowded (5/6 vs 1 + 1/2 for d): rejected, archive unchanged.
  CHECK_FALSE(a.insert(std::vector<double>{2.5, 1}, 'e'));
  CHECK(a.payloads() == std::vector<char>{'a', 'b', 'd'});
  // Dominance still applies in a full archive: (1, 1) removes d and fits.
  CHECK(a.insert(std::vector<double>{1, 1}, 'f'));
  CHECK(a.payloads() == std::vector<char>{'a', 'b', 'f'});
  // Capacity 1: ties of crowding (all infinite) keep the incumbent.
  moo::pareto_archive<int> one(1);
  CHECK(one.insert(std::vector<double>{0, 1}, 1));
  CHECK_FALSE(one.insert(std::vector<double>{1, 0}, 2));
  CHECK(one.insert(std::vector<double>{0, 0}, 3));
  CHECK(one.payloads() == std::vector<int>{3});
}

TEST_CASE("pareto_archive: duplicates, move-only payloads, clear") {
  moo::pareto_archive<std::unique_ptr<int>> a;
  CHECK(a.empty());
  CHECK(a.objectives() == 0);
  CHECK(a.insert(std::vector<double>{1, 2}, std::make_unique<int>(1)));
  CHECK_FALSE(a.insert(std::vector<double>{1, 2}, std::make_unique<int>(2)));  // duplicate kept once
  CHECK(a.insert(std::vector<double>{2, 1}, std::make_unique<int>(3)));
  CHECK(a.insert(std::vector<double>{0, 0}, std::make_unique<int>(4)));  // dominates both
  REQUIRE(a.size() == 1);
  CHECK(*a.payloads()[0] == 4);
  a.clear();
  CHECK(a.empty());
  CHECK(a.objectives() == 2);
  CHECK_THROWS_AS(a.insert(std::vector<double>{1, 2, 3}, nullptr), moo::dimension_error);
}

TEST_CASE("pareto_archive: bad input") {
  CHECK_THROWS_AS(moo::pareto_archive<int>(0), moo::value_error);
  moo::pareto_archive<int> a;
  CHECK_THROWS_AS(a.insert(std::vector<double>{}, 0), moo::dimension_error);
  a.insert(std::vector<double>{1, 2}, 0);
  CHECK_THROWS_WITH_AS(a.insert(std::vector<double>{1, 2, 3}, 1),
                       doctest::Contains("point has 3 objectives, the archive has 2"), moo::dimension_error);
  CHECK_THROWS_WITH_AS(a.insert(std::vector<double>{std::numeric_limits<double>::quiet_NaN(), 0}, 2),
                       doctest::Contains("objective 0"), moo::value_error);
  CHECK_THROWS_AS(a.insert(std::vector<double>{0, std::numeric_limits<double>::infinity()}, 3), moo::value_error);
  CHECK(a.size() == 1);
}
