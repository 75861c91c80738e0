// Two-objective ranks (radix-sorted sweep) against the brute-force peel on sets that stress the sort:
// signed zeros, negative values, extreme and subnormal magnitudes, long runs of equal first objectives,
// duplicates, and sizes on both sides of the radix sort's small-input cutoff.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/detail/radix_sort.hpp"
#include "moo/pareto/sorting.hpp"
#include "pareto/reference.hpp"

namespace {

// A value from a small pool of awkward doubles: both zeros, tiny, subnormal, huge, negative.
double sorting_2d_awkward_value(moo::rng& g) {
  static const double pool[] = {0.0,   -0.0,   1.0, -1.0, 1e-300, -1e-300, 4.9e-324, -4.9e-324,
                                1e300, -1e300, 0.5, 2.0,  -2.0,   3.0,     1e-10,    -1e-10};
  return pool[g.index(sizeof(pool) / sizeof(pool[0]))];
}

}  // namespace

TEST_CASE("order_key orders doubles like <, with -0.0 equal to 0.0") {
  const double values[] = {-std::numeric_limits<double>::infinity(),
                           -1e300,
                           -1.0,
                           -4.9e-324,
                           -0.0,
                           0.0,
                           4.9e-324,
                           1e-300,
                           1.0,
                           1e300,
                           std::numeric_limits<double>::infinity()};
  for (const double a : values)
    for (const double b : values) {
      INFO(a, " vs ", b);
      CHECK((moo::detail::order_key(a) < moo::detail::order_key(b)) == (a < b));
      CHECK((moo::detail::order_key(a) == moo::detail::order_key(b)) == (a == b));
    }
}

TEST_CASE("radix_sort sorts stably on both sides of its cutoff") {
  const auto seed = moo_test::seed() + 20;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  for (const std::size_t n : {0, 1, 2, 255, 256, 257, 1000, 5000}) {
    std::vector<moo::detail::keyed_index> items(n), scratch;
    for (std::size_t i = 0; i < n; ++i)
      items[i] = {moo::detail::order_key(g.bernoulli(0.3) ? sorting_2d_awkward_value(g) : g.uniform(-5, 5)),
                  static_cast<std::uint32_t>(i)};
    moo::detail::radix_sort(items, scratch);
    REQUIRE(items.size() == n);
    for (std::size_t i = 1; i < n; ++i) {
      INFO("n = ", n, ", position ", i);
      CHECK((items[i - 1].key < items[i].key ||
             (items[i - 1].key == items[i].key && items[i - 1].index < items[i].index)));
    }
  }
}

TEST_CASE("non_dominated_ranks 2-D: awkward values and long runs of ties equal the peel") {
  const auto seed = moo_test::seed() + 21;
  MESSAGE("seed ", seed);
  moo::rng g(seed);
  for (int t = 0; t < 60; ++t) {
    const std::size_t n = t % 3 == 0 ? 200 + g.index(100) : 256 + g.index(1500);
    moo::matrix f(n, 2);
    const int kind = t % 4;
    for (std::size_t i = 0; i < n; ++i) {
      if (kind == 0) {  // awkward values in both objectives
        f(i, 0) = sorting_2d_awkward_value(g);
        f(i, 1) = sorting_2d_awkward_value(g);
      } else if (kind == 1) {  // few distinct first objectives: long runs sorted by the second
        f(i, 0) = static_cast<double>(g.index(4));
        f(i, 1) = g.uniform(-1, 1);
      } else if (kind == 2) {  // a front with copies and a shared first objective for a tenth of it
        const double x = g.uniform();
        f(i, 0) = g.bernoulli(0.1) ? 0.5 : x;
        f(i, 1) = 1 - x + 0.01 * g.uniform();
        if (i > 0 && g.bernoulli(0.2)) {
          const auto src = g.index(i);
          f(i, 0) = f(src, 0);
          f(i, 1) = f(src, 1);
        }
      } else {  // a chain with ties: rank = distinct level
        const double level = static_cast<double>(g.index(50));
        f(i, 0) = level;
        f(i, 1) = g.bernoulli(0.5) ? level : -level + 100;
      }
    }
    INFO("set ", t, ", kind ", kind, ", n = ", n);
    CHECK(moo::non_dominated_ranks(f) == moo_test::peel_ranks(f));
  }
}

TEST_CASE("non_dominated_ranks 2-D: signed zeros are equal values") {
  // (-0, 1) and (0, 1) are the same point: same rank; (0, -0) dominates both.
  const moo::matrix f{{-0.0, 1.0}, {0.0, 1.0}, {0.0, -0.0}, {-0.0, 0.0}, {1.0, -0.0}};
  CHECK(moo::non_dominated_ranks(f) == std::vector<std::size_t>{1, 1, 0, 0, 1});
}
