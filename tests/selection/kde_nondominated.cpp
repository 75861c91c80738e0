// LEMONADE's policies: gaussian_kde, kde_mating, kde_screening (selection/kde.hpp) and
// nondominated_survival (selection/nondominated.hpp), alone and composed in the evolve loop on ZDT1.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "moo/algorithm/evolver.hpp"
#include "moo/core/concepts.hpp"
#include "moo/genome/real.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/pareto/crowding.hpp"
#include "moo/pareto/dominance.hpp"
#include "moo/problems/zdt.hpp"
#include "moo/selection/kde.hpp"
#include "moo/selection/nondominated.hpp"
#include "moo/selection/nsga2.hpp"

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

// The cheap objective of a ZDT genome: its first variable, shifted so that it is positive.
struct first_gene {
  std::size_t size() const { return 1; }
  void operator()(const moo::real_genome& x, std::span<double> out) const { out[0] = x[0] + 1e-3; }
};

// Test genomes that are their own cheap objectives, so each test picks the cheap values directly.
struct identity_cheap {
  std::size_t dimensions = 1;
  std::size_t size() const { return dimensions; }
  void operator()(const std::vector<double>& x, std::span<double> out) const {
    std::copy(x.begin(), x.end(), out.begin());
  }
};

// A population as the evolve loop shows it to its policies; only the genomes matter to the KDE policies.
struct test_population {
  std::vector<std::vector<double>> genomes;
  moo::matrix objectives{};
  moo::survivors ranking{};
  moo::population_view<std::vector<double>> view() const { return {genomes, objectives, ranking}; }
};

// Perturbs one variable by a normal step (clamped to the box), declining with probability `decline`.
struct one_gene_mutation {
  double decline = 0.2;
  double sigma = 0.1;
  std::optional<moo::real_genome> operator()(const moo::real_space& s, const moo::real_genome& x,
                                             moo::rng& r) const {
    if (r.bernoulli(decline)) return std::nullopt;
    moo::real_genome y = x;
    const std::size_t i = r.index(y.size());
    y[i] = std::clamp(y[i] + r.normal(0.0, sigma), s.lower[i], s.upper[i]);
    return y;
  }
};

// Brute force O(n^2): i survives iff no row dominates it and no earlier row equals it.
std::vector<std::size_t> brute_force_front(const moo::matrix& f) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < f.rows(); ++i) {
    bool keep = true;
    for (std::size_t j = 0; j < f.rows() && keep; ++j) {
      const auto rel = moo::pareto_compare(f.row(j), f.row(i));
      if (rel == moo::pareto_relation::dominates || (rel == moo::pareto_relation::equal && j < i)) keep = false;
    }
    if (keep) out.push_back(i);
  }
  return out;
}

bool mutually_non_dominated_and_distinct(const moo::matrix& f) {
  for (std::size_t i = 0; i < f.rows(); ++i)
    for (std::size_t j = 0; j < f.rows(); ++j)
      if (i != j && moo::pareto_compare(f.row(i), f.row(j)) != moo::pareto_relation::incomparable) return false;
  return true;
}

using zdt_lemonade = moo::evolver<one_gene_mutation, moo::nondominated_survival, moo::kde_mating<first_gene>,
                                  moo::kde_screening<first_gene>>;

}  // namespace

// Conformance, both ways.
static_assert(moo::cheap_objectives<first_gene, moo::real_genome>);
static_assert(!moo::cheap_objectives<first_gene, int>);
static_assert(moo::population_mating<moo::kde_mating<first_gene>, moo::real_genome>);
static_assert(moo::mating_for<moo::kde_mating<first_gene>, moo::real_genome>);
static_assert(!moo::population_mating<moo::kde_mating<first_gene>, int>);
static_assert(!moo::mating<moo::kde_mating<first_gene>>);
static_assert(!moo::population_mating<int, moo::real_genome>);
static_assert(moo::screening<moo::kde_screening<first_gene>, moo::real_genome>);
static_assert(!moo::screening<moo::kde_screening<first_gene>, int>);
static_assert(!moo::screening<int, moo::real_genome>);
static_assert(!moo::screening<moo::kde_mating<first_gene>, moo::real_genome>);
static_assert(moo::survival<moo::nondominated_survival>);
static_assert(moo::variable_size_survival<moo::nondominated_survival>);
static_assert(moo::sized_survival<moo::nondominated_survival>);
static_assert(!moo::variable_size_survival<moo::nsga2_survival>);
static_assert(!moo::survival<moo::kde_mating<first_gene>>);
static_assert(moo::nondominated_survival::default_population() == unbounded);

TEST_CASE("gaussian_kde: bandwidths and density by hand, 2-D") {
  // Points (1, 10), (10, 1e5), (100, 1e3) are (0, 1), (1, 5), (2, 3) in log10 space; n = 3, d = 2.
  // Dimension 0: mean 1, sample variance (1 + 0 + 1) / 2 = 1, sigma_0 = 1.
  // Dimension 1: mean 3, sample variance (4 + 4 + 0) / 2 = 4, sigma_1 = 2.
  // Scott's factor n^(-1/(d+4)) = 3^(-1/6) = 0.8326831776556043, so
  //   h_0 = 0.8326831776556043, h_1 = 1.6653663553112086.
  // Density at (10, 1000) = (1, 3) in log10 space: z_i = ((1 - x_i0) / h_0, (3 - x_i1) / h_1), with
  // 1 / h_0 = 2 / h_1 = 3^(1/6) =: a (a^2 = 3^(1/3) = 1.4422495703074083):
  //   point 0: z = (a, a)   exp(-|z|^2/2) = exp(-a^2)   = 0.23639537207625477
  //   point 1: z = (0, -a)  exp(-|z|^2/2) = exp(-a^2/2) = 0.48620507203880010
  //   point 2: z = (-a, 0)  exp(-|z|^2/2) = exp(-a^2/2) = 0.48620507203880010
  //   sum = 1.208805516153855
  // density = (1/n) * 1 / (2 pi h_0 h_1) * sum = (1/3) * 0.11477057414329306 * 1.208805516153855
  //         = 0.04624510103885254.
  const moo::gaussian_kde kde(moo::matrix{{1, 10}, {10, 1e5}, {100, 1e3}});
  CHECK(kde.size() == 3);
  CHECK(kde.dimensions() == 2);
  REQUIRE(kde.bandwidths().size() == 2);
  CHECK(kde.bandwidth(0) == doctest::Approx(0.8326831776556043).epsilon(1e-12));
  CHECK(kde.bandwidth(1) == doctest::Approx(1.6653663553112086).epsilon(1e-12));
  CHECK(kde.bandwidth(0) == doctest::Approx(std::pow(3.0, -1.0 / 6.0)).epsilon(1e-14));
  const std::vector<double> at{10, 1000};
  const double a2 = std::cbrt(3.0);
  const double closed_form = (1.0 / 3.0) * (1.0 / (2.0 * std::numbers::pi * kde.bandwidth(0) * kde.bandwidth(1))) *
                             (std::exp(-a2) + 2.0 * std::exp(-a2 / 2.0));
  CHECK(kde.density(at) == doctest::Approx(0.04624510103885254).epsilon(1e-12));
  CHECK(kde.density(at) == doctest::Approx(closed_form).epsilon(1e-12));
  CHECK(kde.log_density(at) == doctest::Approx(std::log(0.04624510103885254)).epsilon(1e-12));
  const auto all = kde.log_densities(moo::matrix{{10, 1000}, {1, 10}});
  REQUIRE(all.size() == 2);
  CHECK(all[0] == doctest::Approx(kde.log_density(at)).epsilon(1e-14));
  CHECK(all[1] == doctest::Approx(kde.log_density(std::vector<double>{1, 10})).epsilon(1e-14));
  CHECK_THROWS_AS(kde.bandwidth(2), moo::dimension_error);
}

TEST_CASE("gaussian_kde: one point and a constant dimension use the bandwidth floor of one decade") {
  static_assert(moo::gaussian_kde::bandwidth_floor == 1.0);
  // n == 1: no sample standard deviation; h = (1, 1). At the point itself the density is
  // phi(0)^2 = 1 / (2 pi) = 0.15915494309189535; ten times larger in dimension 0 (one decade, z = 1) it is
  // phi(1) phi(0) = exp(-1/2) / (2 pi) = 0.09653235263005391.
  const moo::gaussian_kde one(moo::matrix{{5, 7}});
  CHECK(one.bandwidths() == std::vector<double>{1.0, 1.0});
  CHECK(one.density(std::vector<double>{5, 7}) == doctest::Approx(0.15915494309189535).epsilon(1e-12));
  CHECK(one.density(std::vector<double>{50, 7}) == doctest::Approx(0.09653235263005391).epsilon(1e-12));
  // Constant dimension 1 (all 5): h_1 = 1; dimension 0 is log10 = 0, 1, 2 as in the hand-checked case,
  // h_0 = 3^(-1/6). At (10, 5): (1/3) * [phi(a) + phi(0) + phi(-a)] / h_0 * phi(0) / 1 = 0.12566557231622277.
  const moo::gaussian_kde flat(moo::matrix{{1, 5}, {10, 5}, {100, 5}});
  CHECK(flat.bandwidth(0) == doctest::Approx(std::pow(3.0, -1.0 / 6.0)).epsilon(1e-14));
  CHECK(flat.bandwidth(1) == 1.0);
  CHECK(flat.density(std::vector<double>{10, 5}) == doctest::Approx(0.12566557231622277).epsilon(1e-12));
  // Equal points: every dimension at the floor.
  const moo::gaussian_kde same(moo::matrix{{3, 4}, {3, 4}, {3, 4}});
  CHECK(same.bandwidths() == std::vector<double>{1.0, 1.0});
  CHECK(same.density(std::vector<double>{3, 4}) == doctest::Approx(1.0 / (2.0 * std::numbers::pi)));
}

TEST_CASE("gaussian_kde: log_density stays finite where the density underflows") {
  // Two points a hair apart: the bandwidth is about 1e-5 decades, so a point at 1e10 is ~1e6 bandwidths away.
  const moo::gaussian_kde kde(moo::matrix{{1.0}, {1.0001}});
  const std::vector<double> far{1e10};
  CHECK(kde.density(far) == 0.0);
  const double lp = kde.log_density(far);
  CHECK(std::isfinite(lp));
  CHECK(lp < -1e6);
}

TEST_CASE("gaussian_kde: non-positive, non-finite and missing values are refused, naming them") {
  CHECK_THROWS_AS(moo::gaussian_kde(moo::matrix{}), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::gaussian_kde(moo::matrix{{1, 2}, {-2, 3}}),
                       doctest::Contains("value -2 at row 1, column 0"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::gaussian_kde(moo::matrix{{1, 2}, {3, 0}}), doctest::Contains("value 0 at row 1, column 1"),
                       moo::value_error);
  CHECK_THROWS_WITH_AS(moo::gaussian_kde(moo::matrix{{std::nan(""), 2}}), doctest::Contains("row 0, column 0"),
                       moo::value_error);
  CHECK_THROWS_AS(moo::gaussian_kde(moo::matrix{{1, inf}}), moo::value_error);
  const moo::gaussian_kde kde(moo::matrix{{1, 2}, {3, 4}});
  CHECK_THROWS_WITH_AS(kde.density(std::vector<double>{1, -5}), doctest::Contains("value -5"), moo::value_error);
  CHECK_THROWS_AS(kde.density(std::vector<double>{1, 2, 3}), moo::dimension_error);
  CHECK_THROWS_WITH_AS(kde.log_densities(moo::matrix{{1, 2}, {2, 2}, {0.5, -1}}),
                       doctest::Contains("value -1 at row 2, column 1"), moo::value_error);
}

TEST_CASE("kde_mating: parents are drawn in proportion to 1 / density (Eq. 1)") {
  const std::uint64_t seed = 2019;
  MESSAGE("seed " << seed);
  const test_population pop{{{1, 100}, {2, 100}, {1.5, 120}, {50, 3}, {1000, 1000}}};
  const moo::kde_mating<identity_cheap> mating{.cheap = {.dimensions = 2}};
  moo::matrix cheap;
  for (const auto& g : pop.genomes) cheap.push_back(g);
  const moo::gaussian_kde kde(cheap);
  std::vector<double> expected(pop.genomes.size());
  double total = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) total += expected[i] = 1.0 / kde.density(cheap.row(i));
  for (auto& e : expected) e /= total;

  const std::size_t draws = 200000;
  moo::rng r(seed);
  const auto parents = mating.select(pop.view(), draws, r);
  REQUIRE(parents.size() == draws);
  std::vector<double> count(expected.size(), 0.0);
  for (auto p : parents) {
    REQUIRE(p < expected.size());
    ++count[p];
  }
  // Pearson's chi-square with 4 degrees of freedom: its 99.9% quantile is 18.5.
  double chi2 = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double e = expected[i] * static_cast<double>(draws);
    chi2 += (count[i] - e) * (count[i] - e) / e;
    MESSAGE("member " << i << ": expected " << expected[i] << ", drawn " << count[i] / static_cast<double>(draws));
  }
  MESSAGE("chi-square " << chi2);
  CHECK(chi2 < 18.5);
  // The clustered members (0, 1, 2) are drawn less often than the isolated ones (3, 4).
  CHECK(count[3] > count[0]);
  CHECK(count[4] > count[1]);

  moo::rng a(seed), b(seed), c(seed + 1);
  const auto first = mating.select(pop.view(), 50, a);
  CHECK(first == mating.select(pop.view(), 50, b));
  CHECK(first != mating.select(pop.view(), 50, c));
  CHECK(a == b);
  CHECK(mating.select(pop.view(), 0, a).empty());
}

TEST_CASE("kde_mating: refuses an empty population and non-positive cheap objectives") {
  moo::rng r(3);
  MESSAGE("seed 3");
  const moo::kde_mating<identity_cheap> mating{};
  CHECK_THROWS_AS(mating.select(test_population{}.view(), 4, r), moo::value_error);
  CHECK_THROWS_WITH_AS(mating.select(test_population{{{2}, {0}}}.view(), 4, r),
                       doctest::Contains("value 0 at row 1, column 0"), moo::value_error);
  const test_population one{{{7}}};
  CHECK(mating.select(one.view(), 3, r) == std::vector<std::size_t>{0, 0, 0});
}

TEST_CASE("kde_screening: accepting at least every candidate keeps all and draws nothing") {
  MESSAGE("seed 5");
  const test_population pop{{{1}, {2}, {3}}};
  const std::vector<std::vector<double>> candidates{{1.5}, {10}, {0.1}};
  for (std::size_t accept : {3u, 4u, 100u}) {
    moo::kde_screening<identity_cheap> screen{.accept = accept};
    moo::rng r(5);
    const moo::rng before = r;
    CHECK(screen.screen(pop.view(), std::span<const std::vector<double>>(candidates), r) ==
          std::vector<std::size_t>{0, 1, 2});
    CHECK(r == before);
    CHECK(screen.last_density.empty());
  }
  // Accepting all needs no density, so even an empty population or a bad value is not looked at.
  moo::kde_screening<identity_cheap> all{.accept = 3};
  moo::rng r(5);
  CHECK(all.screen(test_population{}.view(), std::span<const std::vector<double>>(candidates), r).size() == 3);
  moo::kde_screening<identity_cheap> none{};
  CHECK_THROWS_WITH_AS(none.screen(pop.view(), std::span<const std::vector<double>>(candidates), r),
                       doctest::Contains("got 0"), moo::value_error);
}

TEST_CASE("kde_screening: accepts exactly `accept` distinct candidates in increasing order") {
  const test_population pop{{{1, 5}, {2, 3}, {4, 2}, {8, 1.5}}};
  std::vector<std::vector<double>> candidates;
  for (int i = 1; i <= 10; ++i) candidates.push_back({0.5 * i, 6.0 / i});
  moo::kde_screening<identity_cheap> screen{.cheap = {.dimensions = 2}, .accept = 4};
  moo::matrix pop_cheap, cand_cheap;
  for (const auto& g : pop.genomes) pop_cheap.push_back(g);
  for (const auto& g : candidates) cand_cheap.push_back(g);
  const moo::gaussian_kde kde(pop_cheap);
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    INFO("seed " << seed);
    moo::rng r(seed);
    const auto kept = screen.screen(pop.view(), std::span<const std::vector<double>>(candidates), r);
    REQUIRE(kept.size() == 4);
    CHECK(std::is_sorted(kept.begin(), kept.end()));
    CHECK(std::adjacent_find(kept.begin(), kept.end()) == kept.end());
    CHECK(kept.back() < candidates.size());
    moo::rng again(seed);
    CHECK(screen.screen(pop.view(), std::span<const std::vector<double>>(candidates), again) == kept);
  }
  MESSAGE("seeds 1..200");
  REQUIRE(screen.last_density.size() == candidates.size());
  REQUIRE(screen.last_probability.size() == candidates.size());
  double sum = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    CHECK(screen.last_density[i] == doctest::Approx(kde.density(cand_cheap.row(i))).epsilon(1e-12));
    sum += screen.last_probability[i];
  }
  CHECK(sum == doctest::Approx(1.0));
  moo::rng r(1);
  CHECK_THROWS_AS(screen.screen(test_population{}.view(), std::span<const std::vector<double>>(candidates), r),
                  moo::value_error);
}

TEST_CASE("kde_screening: a candidate in a sparse region is accepted more often than one in a dense region") {
  // The population crowds around 1; candidates 0-3 sit in that crowd, candidate 4 far from it.
  const test_population pop{{{0.9}, {0.95}, {1.0}, {1.05}, {1.1}, {1.2}, {30}}};
  const std::vector<std::vector<double>> candidates{{0.97}, {1.02}, {1.08}, {1.15}, {5}};
  std::vector<double> accepted(candidates.size(), 0.0), first(candidates.size(), 0.0);
  const int seeds = 2000;
  moo::kde_screening<identity_cheap> one{.accept = 1}, two{.accept = 2};
  for (int seed = 1; seed <= seeds; ++seed) {
    moo::rng r(static_cast<std::uint64_t>(seed));
    for (auto i : two.screen(pop.view(), std::span<const std::vector<double>>(candidates), r)) ++accepted[i];
    for (auto i : one.screen(pop.view(), std::span<const std::vector<double>>(candidates), r)) ++first[i];
  }
  MESSAGE("seeds 1.." << seeds);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    MESSAGE("candidate " << i << ": density " << one.last_density[i] << ", P(first) " << one.last_probability[i]
                         << ", drawn first " << first[i] / seeds << ", accepted (2 of 5) " << accepted[i] / seeds);
    // One draw: the frequency is the probability (binomial sd <= 0.0112 at 2000 draws; 0.04 is 3.6 sd).
    CHECK(std::abs(first[i] / seeds - one.last_probability[i]) < 0.04);
  }
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(accepted[4] > 2 * accepted[i]);
    CHECK(first[4] > 2 * first[i]);
  }
  // Expected: P(first) about 0.54 for candidate 4 and 0.115 for each other; accepted in 2 of 5 about
  // 0.82 against 0.30.
  CHECK(accepted[4] > 0.75 * seeds);
}

TEST_CASE("kde_screening: the density is the population's, not the candidates'") {
  // The population sits around 1. Four candidates sit around 1000, one at 1. Under the population's
  // density the candidate at 1 is the densest by far and is practically never drawn; a density fitted on
  // the candidates would make it the isolated one and draw it almost every time.
  const test_population pop{{{1.0}, {1.1}, {0.9}, {1.05}, {0.95}}};
  const std::vector<std::vector<double>> candidates{{1000}, {1010}, {990}, {1005}, {1.0}};
  moo::kde_screening<identity_cheap> screen{.accept = 1};
  int at_one = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    moo::rng r(seed);
    const auto kept = screen.screen(pop.view(), std::span<const std::vector<double>>(candidates), r);
    REQUIRE(kept.size() == 1);
    at_one += kept[0] == 4;
  }
  MESSAGE("seeds 1..200: the candidate inside the population was accepted " << at_one << " times");
  CHECK(at_one == 0);
  moo::matrix pop_cheap;
  for (const auto& g : pop.genomes) pop_cheap.push_back(g);
  const moo::gaussian_kde kde(pop_cheap);
  CHECK(screen.last_density[4] == doctest::Approx(kde.density(std::vector<double>{1.0})).epsilon(1e-12));
  CHECK(screen.last_probability[4] < 1e-12);
}

TEST_CASE("nondominated_survival equals a brute-force non-domination check, 2 and 3 objectives") {
  const moo::nondominated_survival survival;
  for (std::size_t m : {2u, 3u}) {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
      INFO("objectives " << m << ", seed " << seed);
      moo::rng r(seed);
      // Values on a coarse grid, so ties and duplicated rows are common.
      const std::size_t n = 1 + r.index(60);
      moo::matrix f(n, m);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) f(i, j) = static_cast<double>(r.index(6));
      const auto expected = brute_force_front(f);
      for (std::size_t k : {unbounded, n}) {
        const auto s = survival.survive(f, k, r);
        CHECK(s.index == expected);
        CHECK(s.rank == std::vector<std::size_t>(expected.size(), 0));
        CHECK(s.score == moo::crowding_distance(f, expected));
      }
    }
  }
  MESSAGE("seeds 1..60 for 2 and 3 objectives");
}

TEST_CASE("nondominated_survival keeps the first of identical rows") {
  moo::rng r(1);
  MESSAGE("seed 1");
  const moo::nondominated_survival survival;
  const auto s = survival.survive(moo::matrix{{1, 2}, {2, 1}, {1, 2}, {3, 3}, {2, 1}, {1, 2}}, unbounded, r);
  CHECK(s.index == std::vector<std::size_t>{0, 1});
  CHECK(s.score == std::vector<double>{inf, inf});
  const auto same = survival.survive(moo::matrix{{4, 4}, {4, 4}, {4, 4}}, unbounded, r);
  CHECK(same.index == std::vector<std::size_t>{0});
  CHECK(survival.survive(moo::matrix{}, unbounded, r).index.empty());
  CHECK(survival.survive(moo::matrix{{1, 2}}, 0, r).index.empty());
  CHECK_THROWS_AS(survival.survive(moo::matrix{{1, std::nan("")}, {2, 1}}, unbounded, r), moo::value_error);
}

TEST_CASE("nondominated_survival truncates one point at a time, recomputing crowding") {
  moo::rng r(7);
  MESSAGE("seed 7");
  const moo::nondominated_survival survival;
  // Front (0,4), (1,3), (1.5,2.5), (3,1), (4,0) and a dominated (5,5). Both ranges are 4; crowding:
  //   (1,3): 1.5/4 + 1.5/4 = 0.75,  (1.5,2.5): 2/4 + 2/4 = 1,  (3,1): 2.5/4 + 2.5/4 = 1.25.
  // k = 4 drops (1,3). Recomputed on (0,4), (1.5,2.5), (3,1), (4,0): (1.5,2.5): 3/4 + 3/4 = 1.5,
  // (3,1): 2.5/4 + 2.5/4 = 1.25, so k = 3 drops (3,1) next. (Dropping the two smallest of the first
  // computation would have dropped (1.5,2.5) instead.) The middle point of the last three scores 1 + 1 = 2.
  const moo::matrix f{{0, 4}, {1, 3}, {1.5, 2.5}, {3, 1}, {4, 0}, {5, 5}};
  const auto s4 = survival.survive(f, 4, r);
  CHECK(s4.index == std::vector<std::size_t>{0, 2, 3, 4});
  const auto s3 = survival.survive(f, 3, r);
  CHECK(s3.index == std::vector<std::size_t>{0, 2, 4});
  CHECK(s3.rank == std::vector<std::size_t>{0, 0, 0});
  CHECK(s3.score == std::vector<double>{inf, 2.0, inf});
  CHECK(survival.survive(f, 2, r).index == std::vector<std::size_t>{0, 4});
}

TEST_CASE("nondominated_survival breaks crowding ties with the rng and keeps the extremes") {
  const moo::nondominated_survival survival;
  // (1,2) and (2,1) have the same crowding (2/3 + 2/3): which one goes is the rng's choice.
  const moo::matrix f{{0, 3}, {1, 2}, {2, 1}, {3, 0}};
  std::set<std::vector<std::size_t>> outcomes;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    moo::rng a(seed), b(seed);
    const auto s = survival.survive(f, 3, a);
    CHECK(s.index == survival.survive(f, 3, b).index);
    outcomes.insert(s.index);
  }
  MESSAGE("seeds 1..100");
  CHECK(outcomes == std::set<std::vector<std::size_t>>{{0, 1, 3}, {0, 2, 3}});

  // A random front on ZDT1's curve, truncated to 10: the extremes (infinite crowding) stay.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    moo::rng r(seed);
    moo::matrix front;
    for (int i = 0; i < 50; ++i) {
      const double x = r.uniform();
      front.push_back(std::vector<double>{x, 1 - std::sqrt(x)});
    }
    const auto s = survival.survive(front, 10, r);
    REQUIRE(s.index.size() == 10);
    CHECK(std::is_sorted(s.index.begin(), s.index.end()));
    std::size_t lo = 0, hi = 0;
    for (std::size_t i = 1; i < front.rows(); ++i) {
      if (front(i, 0) < front(lo, 0)) lo = i;
      if (front(i, 0) > front(hi, 0)) hi = i;
    }
    CHECK(std::find(s.index.begin(), s.index.end(), lo) != s.index.end());
    CHECK(std::find(s.index.begin(), s.index.end(), hi) != s.index.end());
    CHECK(mutually_non_dominated_and_distinct(front.select(s.index)));
  }
}

TEST_CASE("LEMONADE-style loop on ZDT1: unbounded front, kde mating, 8 of 20 children evaluated") {
  const std::uint64_t seed = 11;
  MESSAGE("seed " << seed);
  const moo::zdt1 problem(10);
  const zdt_lemonade algo{{.population = 0,
                           .generations = 40,
                           .offspring = 20,
                           .seed = seed,
                           .screening = {.accept = 8},
                           .initial = 10}};
  CHECK(algo.population() == unbounded);
  auto state = algo.start(problem.space());
  CHECK(state.population_size() == unbounded);
  double hv_initial = 0;
  std::size_t evaluated = 0;
  for (std::size_t gen = 0; gen <= 40; ++gen) {
    INFO("generation " << gen);
    const std::size_t declined = state.declined();
    const auto batch = state.ask();
    const std::size_t candidates = 20 - (state.declined() - declined);
    if (gen == 0)
      CHECK(batch.size() == 10);
    else
      CHECK(batch.size() == std::min<std::size_t>(8, candidates));
    evaluated += batch.size();
    moo::matrix f(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) problem.evaluate(batch[i], f.row(i));
    state.tell(f);
    CHECK(mutually_non_dominated_and_distinct(state.objectives()));
    CHECK(state.ranking().rank == std::vector<std::size_t>(state.genomes().size(), 0));
    if (gen == 0) hv_initial = moo::hypervolume(state.objectives(), {1.1, 11.0});
  }
  CHECK(state.evaluations() == evaluated);
  CHECK(state.generation() == 40);
  const double hv_final = moo::hypervolume(state.objectives(), {1.1, 11.0});
  MESSAGE("front of " << state.genomes().size() << " after " << evaluated << " evaluations ("
                      << state.declined() << " declined, " << state.screened_out()
                      << " screened out); hypervolume " << hv_initial << " -> " << hv_final);
  CHECK(hv_final > hv_initial);

  // run() drives the same loop: same seed, same result, bit for bit.
  const auto a = algo.run(problem);
  const auto b = algo.run(problem);
  CHECK(a.genomes == b.genomes);
  CHECK(a.objectives == b.objectives);
  CHECK(a.evaluations == b.evaluations);
  CHECK(a.genomes == state.genomes());
  CHECK(a.objectives == state.objectives());
  zdt_lemonade other = algo;
  other.opts.seed = seed + 1;
  CHECK(other.run(problem).objectives != a.objectives);
}
