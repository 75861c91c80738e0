#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "moo/algorithm/evolver.hpp"
#include "moo/core/concepts.hpp"
#include "moo/genome/integer.hpp"
#include "moo/selection/nsga2.hpp"
#include "moo/variation/integer_crossover.hpp"
#include "moo/variation/integer_mutation.hpp"
#include "moo/variation/integer_sbx.hpp"
#include "moo/variation/integer_variation.hpp"
#include "moo/variation/sbx.hpp"

static_assert(moo::search_space<moo::integer_space>);
static_assert(moo::variation<moo::uniform_crossover, moo::integer_space>);
static_assert(moo::variation<moo::one_point_crossover, moo::integer_space>);
static_assert(moo::variation<moo::rounded_sbx, moo::integer_space>);
static_assert(moo::variation<moo::integer_uniform_reset, moo::integer_space>);
static_assert(moo::variation<moo::integer_one_point_step, moo::integer_space>);
static_assert(moo::variation<moo::integer_sbx_pm, moo::integer_space>);
static_assert(!moo::variation<moo::random_reset_mutation, moo::integer_space>);
static_assert(!moo::variation<moo::sbx, moo::integer_space>);
static_assert(!moo::variation<moo::uniform_crossover, moo::real_space>);

namespace {

// |observed - expected| within 4.5 standard deviations of a binomial count.
void check_rate(std::size_t hits, std::size_t trials, double p) {
  const double n = static_cast<double>(trials);
  const double sd = std::sqrt(n * p * (1 - p));
  CAPTURE(hits);
  CAPTURE(trials);
  CAPTURE(p);
  CHECK(std::abs(static_cast<double>(hits) - n * p) <= 4.5 * sd + 1e-9);
}

// Pearson's chi-square statistic of counts against a uniform distribution over the keys.
template <class Map>
double chi_square_uniform(const Map& counts, std::size_t categories) {
  double total = 0;
  for (const auto& [k, c] : counts) total += static_cast<double>(c);
  const double expected = total / static_cast<double>(categories);
  double chi = 0;
  for (const auto& [k, c] : counts) {
    const double d = static_cast<double>(c) - expected;
    chi += d * d / expected;
  }
  chi += static_cast<double>(categories - counts.size()) * expected;  // categories never seen
  return chi;
}

}  // namespace

TEST_CASE("integer_space: uniform samples inside bounds; bad bounds and genomes are rejected") {
  const std::uint64_t seed = 51;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const moo::integer_space s{{-2, 0, 7}, {3, 0, 9}};
  s.validate();
  std::map<long, std::size_t> first;
  for (int i = 0; i < 60000; ++i) {
    const auto x = s.sample(r);
    REQUIRE_NOTHROW(s.check(x));
    ++first[x[0]];
  }
  CHECK(first.size() == 6);
  // 5 degrees of freedom: the 0.999 quantile is 20.5.
  CHECK(chi_square_uniform(first, 6) < 20.5);
  CHECK_THROWS_AS(s.check({0, 0}), moo::dimension_error);
  CHECK_THROWS_WITH_AS(s.check({0, 1, 8}), doctest::Contains("gene 1 = 1"), moo::value_error);
  CHECK_THROWS_AS((moo::integer_space{{0}, {1, 2}}.validate()), moo::dimension_error);
  CHECK_THROWS_WITH_AS((moo::integer_space{{0, 5}, {1, 4}}.validate()), doctest::Contains("gene 1"), moo::value_error);
}

TEST_CASE("uniform crossover: genes swap at the given rate, each position keeps the parents' values") {
  const std::uint64_t seed = 52;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::integer_space::uniform(20, 0, 1000);
  const moo::uniform_crossover x{.probability = 1.0, .swap_probability = 0.3};
  std::size_t swapped = 0, genes = 0;
  for (int t = 0; t < 2000; ++t) {
    auto a = s.sample(r), b = s.sample(r);
    const auto c = x(s, a, b, r);
    for (std::size_t i = 0; i < a.size(); ++i) {
      REQUIRE(((c[0][i] == a[i] && c[1][i] == b[i]) || (c[0][i] == b[i] && c[1][i] == a[i])));
      if (a[i] == b[i]) continue;
      ++genes;
      if (c[0][i] == b[i]) ++swapped;
    }
  }
  check_rate(swapped, genes, 0.3);
  // Pair-level probability: with 0.25 only about a quarter of the pairs change at all.
  const moo::uniform_crossover rare{.probability = 0.25, .swap_probability = 0.5};
  std::size_t changed = 0;
  for (int t = 0; t < 4000; ++t) {
    auto a = s.sample(r), b = s.sample(r);
    if (rare(s, a, b, r)[0] != a) ++changed;
  }
  check_rate(changed, 4000, 0.25 * (1 - std::pow(0.5, 20)));
}

TEST_CASE("one-point crossover: children are a prefix of one parent and the suffix of the other; uniform cut") {
  const std::uint64_t seed = 53;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const std::size_t n = 10;
  const auto s = moo::integer_space::uniform(n, 0, 1);
  const moo::integer_genome a(n, 0), b(n, 1);
  const moo::one_point_crossover x{.probability = 1.0};
  std::map<std::size_t, std::size_t> cuts;
  for (int t = 0; t < 9000; ++t) {
    const auto c = x(s, a, b, r);
    const auto cut = static_cast<std::size_t>(std::find(c[0].begin(), c[0].end(), 1) - c[0].begin());
    REQUIRE(cut >= 1);
    REQUIRE(cut <= n - 1);
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(c[0][i] == (i < cut ? 0 : 1));
      REQUIRE(c[1][i] == (i < cut ? 1 : 0));
    }
    ++cuts[cut];
  }
  CHECK(cuts.size() == n - 1);
  // 8 degrees of freedom: the 0.999 quantile is 26.1.
  CHECK(chi_square_uniform(cuts, n - 1) < 26.1);
}

TEST_CASE("random reset mutation: rate 1/n by default, a mutated gene takes another value uniformly") {
  const std::uint64_t seed = 54;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::integer_space::uniform(8, 0, 4);
  const moo::random_reset_mutation m;
  std::size_t mutated = 0, genes = 0;
  std::map<long, std::size_t> values;
  for (int t = 0; t < 20000; ++t) {
    moo::integer_genome x(8, 2);
    m(s, x, r);
    REQUIRE_NOTHROW(s.check(x));
    for (long v : x) {
      ++genes;
      if (v != 2) {
        ++mutated;
        ++values[v];
      }
    }
  }
  check_rate(mutated, genes, 1.0 / 8);
  CHECK(values.size() == 4);
  CHECK(chi_square_uniform(values, 4) < 16.3);  // 3 degrees of freedom, 0.999 quantile
  // A single-valued gene never changes; probability 1 changes every other gene.
  const moo::integer_space fixed{{3, 0}, {3, 1}};
  moo::integer_genome y{3, 0};
  moo::random_reset_mutation{.probability = 1.0}(fixed, y, r);
  CHECK(y == moo::integer_genome{3, 1});
}

TEST_CASE("step mutation: +-k steps at the given rate, symmetric inside, inward at the bounds") {
  const std::uint64_t seed = 55;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::integer_space::uniform(5, 0, 100);
  const moo::step_mutation m{.probability = 0.2, .max_step = 3};
  std::size_t mutated = 0, genes = 0, up = 0;
  std::map<long, std::size_t> sizes;
  for (int t = 0; t < 20000; ++t) {
    moo::integer_genome x(5, 50);
    m(s, x, r);
    for (long v : x) {
      ++genes;
      REQUIRE(std::abs(v - 50) <= 3);
      if (v != 50) {
        ++mutated;
        if (v > 50) ++up;
        ++sizes[std::abs(v - 50)];
      }
    }
  }
  check_rate(mutated, genes, 0.2);
  check_rate(up, mutated, 0.5);
  CHECK(chi_square_uniform(sizes, 3) < 13.8);  // 2 degrees of freedom, 0.999 quantile
  // At a bound the step goes inward.
  const moo::step_mutation always{.probability = 1.0, .max_step = 1};
  for (int t = 0; t < 100; ++t) {
    moo::integer_genome lo{0}, hi{100};
    always(moo::integer_space::uniform(1, 0, 100), lo, r);
    always(moo::integer_space::uniform(1, 0, 100), hi, r);
    CHECK(lo == moo::integer_genome{1});
    CHECK(hi == moo::integer_genome{99});
  }
}

TEST_CASE("rounded SBX and polynomial mutation: integer children inside the bounds, near the parents") {
  const std::uint64_t seed = 56;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  const auto s = moo::integer_space::uniform(6, -50, 50);
  double near_spread = 0, far_spread = 0;
  const moo::rounded_sbx near{.crossover = {.probability = 1.0, .eta = 30.0, .variable_probability = 1.0}};
  const moo::rounded_sbx far{.crossover = {.probability = 1.0, .eta = 2.0, .variable_probability = 1.0}};
  for (int t = 0; t < 3000; ++t) {
    auto a = s.sample(r), b = s.sample(r);
    const auto cn = near(s, a, b, r);
    const auto cf = far(s, a, b, r);
    for (const auto& c : {cn[0], cn[1], cf[0], cf[1]}) REQUIRE_NOTHROW(s.check(c));
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double lo = std::min(a[i], b[i]), hi = std::max(a[i], b[i]);
      auto outside = [&](long v) { return v < lo ? lo - v : (v > hi ? v - hi : 0.0); };
      near_spread += outside(cn[0][i]) + outside(cn[1][i]);
      far_spread += outside(cf[0][i]) + outside(cf[1][i]);
    }
  }
  MESSAGE("mean distance outside the parents' interval: eta 30 " << near_spread / 36000 << ", eta 2 "
                                                                 << far_spread / 36000);
  CHECK(near_spread < 0.5 * far_spread);
  // Polynomial mutation with rounding: mutated genes move, all stay inside.
  const moo::rounded_polynomial_mutation pm{.mutation = {.eta = 5.0, .probability = 0.5}};
  std::size_t moved = 0;
  for (int t = 0; t < 2000; ++t) {
    moo::integer_genome x(6, 0);
    pm(s, x, r);
    REQUIRE_NOTHROW(s.check(x));
    for (long v : x) moved += v != 0;
  }
  // A mutation moves a gene by less than 0.5 (rounded away) only rarely with eta 5 over a range of 100.
  CHECK(moved > 0.8 * 0.5 * 12000);
  CHECK(moved <= 0.5 * 12000 + 4.5 * std::sqrt(12000 * 0.25));
}

TEST_CASE("an evolve loop over integer genomes finds both ends of a discrete trade-off") {
  // Minimise the squared distances to (2, ..., 2) and to (5, ..., 5) over {0..7}^5.
  struct two_targets {
    using genome_type = moo::integer_genome;
    moo::integer_space s = moo::integer_space::uniform(5, 0, 7);
    std::size_t num_objectives() const { return 2; }
    const moo::integer_space& space() const { return s; }
    void evaluate(const moo::integer_genome& x, std::span<double> f) const {
      f[0] = f[1] = 0;
      for (long v : x) {
        f[0] += static_cast<double>((v - 2) * (v - 2));
        f[1] += static_cast<double>((v - 5) * (v - 5));
      }
    }
  };
  static_assert(moo::problem<two_targets>);
  const std::uint64_t seed = 57;
  MESSAGE("seed " << seed);
  auto best = [](const auto& res) {
    double b0 = 1e9, b1 = 1e9;
    for (std::size_t i = 0; i < res.objectives.rows(); ++i) {
      b0 = std::min(b0, res.objectives(i, 0));
      b1 = std::min(b1, res.objectives(i, 1));
    }
    return std::pair{b0, b1};
  };
  auto run = [&]<class V>(V) {
    return best(moo::evolver<V, moo::nsga2_survival>{{.population = 40, .generations = 200, .seed = seed}}.run(
        two_targets{}));
  };
  for (int kind = 0; kind < 3; ++kind) {
    CAPTURE(kind);
    const auto b = kind == 0   ? run(moo::integer_uniform_reset{})
                   : kind == 1 ? run(moo::integer_one_point_step{})
                               : run(moo::integer_sbx_pm{});
    CHECK(b.first == 0.0);
    CHECK(b.second == 0.0);
  }
}
